#!/usr/bin/env node
// `npm start`: the studio window. Uses the Electron runtime when it exists or can be obtained;
// otherwise says so in one line and starts the same studio headless, in a browser window.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function electronBinary() {
  try {
    return require('electron'); // the runtime's path, or throws when it was never downloaded
  } catch {
    return null;
  }
}

let electron = electronBinary();
if (!electron && process.env.PHANTOMLINK_NO_ELECTRON_DOWNLOAD !== '1') {
  // Obtaining the runtime belongs to starting the studio, never to `npm install`.
  process.stderr.write('Electron runtime not installed; trying to download it…\n');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { stdio: 'ignore', timeout: 180_000 });
  if (r.status === 0) electron = electronBinary();
}

if (electron) {
  const child = spawn(electron, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  process.stderr.write('Electron runtime unavailable (cannot be downloaded here): starting the studio headless in a browser window instead.\n');
  const child = spawn(process.execPath, ['--max-semi-space-size=4', join(root, 'bin', 'phantomlink.mjs'), 'serve', '--open', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
