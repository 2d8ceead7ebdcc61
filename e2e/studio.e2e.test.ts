/**
 * The studio end to end in Chromium (playwright-core, Debian's /usr/bin/chromium) against the
 * browser host: the engine and server in this process with the studio channel attached, as
 * `phantomlink serve` wires them, the built renderer at /studio/, and real decoders (TestClient,
 * MessagePack) on the stream URLs the UI shows. Screenshots go to test-results/e2e/.
 *
 *   npx vitest run e2e          (needs out/renderer: built here if missing)
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../src/main/studio/studioService.ts';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import {
  CHROMIUM,
  ensureBuilt,
  flowShowsDataset,
  openStudioPage,
  plotsFillAfterSeekElsewhere,
  STUDIO_FLOWS,
  type StudioCtx,
} from './support.ts';
import { existsSync } from 'node:fs';

const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
if (missing) console.warn(`[skip] studio e2e (browser host): ${missing}`);

let t: TestServer;
let browser: Browser;
let page: Page;
let problems: string[] = [];
let ctx: StudioCtx;
let firstLoad: { demoSelected: string | null; sessions: number };

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  t = await startTestServer();
  t.server.attachStudio(new StudioService(t.engine, t.server));
  ({ browser, page, problems } = await openStudioPage(t.http));
  firstLoad = {
    demoSelected: await page.locator('[data-testid="session-item-demo"]').getAttribute('aria-selected'),
    sessions: await page.locator('[data-testid^="session-item-"]').count(),
  };
  ctx = {
    page,
    http: t.http,
    ws: t.ws,
    shotPrefix: '',
    // The engine's own refusal (it leaves the dataset as it was, like the UI's attempt did).
    openErrorFor: (path) => t.engine.openDataset(path).then(
      () => {
        throw new Error(`${path} opened`);
      },
      (err: Error) => err.message,
    ),
  };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe.skipIf(missing !== null)('studio in Chromium (browser host)', () => {
  it('shows the dataset: name, 142 units, SYNTHETIC, path, trials, duration, targets', async () => {
    await flowShowsDataset(ctx);
    // The first load made the demo session (the engine had none) and followed it.
    expect(firstLoad).toEqual({ demoSelected: 'true', sessions: 1 });
  }, 90_000);

  for (const [title, run] of STUDIO_FLOWS) it(title, () => run(ctx), 90_000);

  // Regression: the sequence floor set by a seek in one session once hid the next session's
  // packets (its raster stayed blank for packetsSent / 40 s).
  it('after a seek in one session, a newly created session’s raster fills at once', async () => {
    const r = await plotsFillAfterSeekElsewhere(ctx, 'e2e-after-seek');
    console.log(`[e2e] raster of a session created after a seek in demo (${r.olderPackets} packets sent): ${r.filledMs === null ? 'still blank after 6 s' : `spikes after ${r.filledMs} ms`}`);
    expect(r.filledMs, 'ms until spikes show on the new session’s raster').not.toBeNull();
  }, 90_000);

  it('the page logged no errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
