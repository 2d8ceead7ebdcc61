import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from './helpers.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const fixture = resolve(here, '../../../shared/fixtures/nwb/neuroconv_ecephys_tutorial_v2.5.0.nwb');
const tmp = makeTempDir();
afterAll(tmp.cleanup);

/**
 * Electron's main process defines `globalThis.navigator`; h5wasm's emscripten start-up then takes
 * Node for a browser and fails ("compiled without support for Chrome browser"). Node 20 has no
 * navigator, so this runs in a child process (fresh module cache, navigator defined before
 * h5wasm is first imported).
 */
describe('loading with globalThis.navigator defined (the Electron main process)', () => {
  it('writes and loads NWB files, and leaves navigator as it found it', async () => {
    const child = join(here, 'navigatorChild.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, fixture, tmp.dir], { cwd: repoRoot, timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toEqual({ fixtureUnits: 10, fixtureSpikes: 194, writtenUnits: 3, writtenBins: 39, navigatorRestored: true });
  });

  it('h5wasm itself fails under that navigator (so the test above proves the workaround)', async () => {
    const script = `
      globalThis.navigator = { userAgent: 'Mozilla/5.0 Chrome/134.0.0.0 Electron/41.0.0 Safari/537.36' };
      try { const m = await import('h5wasm/node'); await m.default.ready; console.log('loaded'); }
      catch (e) { console.log('failed'); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, timeout: 60_000 });
    expect(stdout.trim()).toBe('failed');
  });
});
