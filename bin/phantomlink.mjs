#!/usr/bin/env -S node --max-semi-space-size=4
// The V8 flag caps the young generation at 8 MB (V8's default grows it to 32 MB under connection
// churn and keeps it): -24 MB of resident memory for a long-running server, and fan-out send
// lateness no worse (bench/results/churn.md, fanout.md; bench/lib.ts SERVER_V8_FLAGS).
// `phantomlink` runs right after `npm install`, with no build step and no Electron runtime:
// it bundles the TypeScript CLI with esbuild (~0.2 s) into a cache file and runs it with
// plain Node. (Running the sources through a TS loader instead would push h5wasm's 4 MB
// module through the loader too, costing ~600 MB of memory.)
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'phantomlink');
mkdirSync(cacheDir, { recursive: true });
// Bundles of runs that were killed before they could remove theirs.
for (const name of readdirSync(cacheDir)) {
  const pid = Number(/^cli-(\d+)\.mjs$/.exec(name)?.[1]);
  if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(cacheDir, name), { force: true });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
// One file per process: concurrent runs never read each other's half-written bundle.
const outfile = join(cacheDir, `cli-${process.pid}.mjs`);
try {
  await build({
    entryPoints: [join(root, 'src', 'main', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  await import(pathToFileURL(outfile).href).finally(() => rmSync(outfile, { force: true }));
} catch (err) {
  rmSync(outfile, { force: true });
  throw err;
}
