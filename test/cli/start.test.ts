import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_CACHE_DIR } from '../helpers/server.ts';

/** `require('electron')` gives the runtime's path, or throws when the runtime was never downloaded. */
const hasElectron = (() => {
  try {
    return !!createRequire(join(REPO_ROOT, 'package.json'))('electron');
  } catch {
    return false;
  }
})();

describe('npm start without an Electron runtime', () => {
  it.skipIf(hasElectron)('says so in one line and serves the same studio in a browser instead', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'start.mjs'), '--port', '0'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PHANTOMLINK_CACHE_DIR: TEST_CACHE_DIR, DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    try {
      const t0 = Date.now();
      while (!/studio \(browser\): (\S+)/.test(out) || !/open \S+ in a browser/.test(out)) {
        if (Date.now() - t0 > 30_000 || child.exitCode !== null) throw new Error(`no studio URL:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(err).toMatch(/^Electron runtime unavailable \(cannot be downloaded here\): starting the studio headless in a browser window instead\.$/m);
      const url = out.match(/studio \(browser\): (\S+)/)![1];
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">/);
    } finally {
      child.kill('SIGINT');
    }
  });
});
