/**
 * The same flows as studio.e2e.test.ts against the Electron window, with Playwright's Electron
 * support: `out/main/index.js` launched with the electron binary (`require('electron')`), the
 * StudioApi from the preload, the embedded server on PHANTOMLINK_PORT (a free port), decoders
 * connecting to it as they would to `phantomlink serve`.
 *
 * Runs only where an Electron runtime exists. Where `require('electron')` throws (the package's
 * binary was never downloaded) or the path it names does not exist, every test is skipped and
 * the reason is printed: "skipped: no Electron runtime".
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/main/dataset/loadDataset.ts';
import {
  ensureBuilt,
  eventually,
  flowShowsDataset,
  STUDIO_FLOWS,
  OUT_DIR,
  REPO_ROOT,
  waitForStudio,
  watchPage,
  type StudioCtx,
} from './support.ts';

/** The Electron binary, or why there is none. */
function electronRuntime(): { path: string } | { reason: string } {
  let path: unknown;
  try {
    path = createRequire(join(REPO_ROOT, 'package.json'))('electron');
  } catch (err) {
    return { reason: `require('electron') threw: ${(err as Error).message.split('\n')[0]}` };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { reason: `the electron binary ${String(path)} does not exist` };
  return { path };
}

const runtime = electronRuntime();
const skipReason = 'reason' in runtime ? `skipped: no Electron runtime (${runtime.reason})` : null;
if (skipReason) console.warn(`[skip] studio e2e (Electron window): ${skipReason}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let app: ElectronApplication;
let page: Page;
let problems: string[] = [];
let ctx: StudioCtx;
let userData: string;

describe.skipIf(skipReason !== null)(`studio in the Electron window${skipReason ? ` — ${skipReason}` : ''}`, () => {
  beforeAll(async () => {
    const main = join(OUT_DIR, 'main', 'index.js');
    ensureBuilt([join(OUT_DIR, 'renderer', 'index.html'), main, join(OUT_DIR, 'preload', 'index.cjs')]);
    const port = await freePort();
    userData = mkdtempSync(join(tmpdir(), 'phantomlink-e2e-electron-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RENDERER_URL' && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
    app = await _electron.launch({
      executablePath: (runtime as { path: string }).path,
      args: [main, `--user-data-dir=${userData}`],
      cwd: REPO_ROOT,
      env: { ...env, PHANTOMLINK_PORT: String(port), PHANTOMLINK_HOST: '127.0.0.1' },
      timeout: 120_000,
    });
    page = await app.firstWindow({ timeout: 120_000 });
    problems = watchPage(page);
    await page.waitForLoadState('domcontentloaded');
    await waitForStudio(page);
    const http = `http://127.0.0.1:${port}`;
    // The embedded server answers on the port we gave it.
    await eventually(() => fetch(`${http}/health`).then((r) => r.status).catch(() => 0), (s) => s === 200, `${http}/health`, 30_000, 200);
    ctx = {
      page,
      http,
      ws: `ws://127.0.0.1:${port}`,
      shotPrefix: 'electron-',
      // The engine runs in Electron's main process: ask the same loader for its message.
      openErrorFor: (path) => loadDataset(path).then(
        () => {
          throw new Error(`${path} opened`);
        },
        (err: Error) => err.message,
      ),
    };
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  it('uses the preload’s StudioApi, not the browser host’s channel', async () => {
    expect(await page.evaluate(`typeof (window.phantomlink && window.phantomlink.studio)`)).toBe('object');
    expect(await page.evaluate(`typeof require`)).toBe('undefined');
    expect(await page.locator('[data-testid="status-connection"]').textContent()).toContain('desktop');
  }, 90_000);

  it('shows the dataset: name, 142 units, SYNTHETIC, path, trials, duration, targets', async () => {
    await flowShowsDataset(ctx);
  }, 90_000);

  for (const [title, run] of STUDIO_FLOWS) it(title, () => run(ctx), 90_000);

  it('the window logged no errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
