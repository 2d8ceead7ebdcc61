/**
 * Stress and bin width (issue 11), end to end in Chromium against the browser host: the stress
 * panel puts a session under dropout of named channels, a real decoder client (JSON, in this
 * process) gets packets with those channels at 0 and metadata that says so, and the raster's rows
 * for them stay empty (read from the canvas); turned off, the counts come back. A bad value is
 * refused by the engine and the studio shows why. A 10 ms session made in the UI streams 10 ms
 * bins at ~100 packets a second, and the studio's clock, raster and rates follow it at real time.
 * Screenshots go to test-results/e2e/stress-*.png.
 *
 *   npx vitest run e2e/stress.e2e.test.ts          (needs out/renderer: built if missing)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, TestClient, type TestServer } from '../test/helpers/server.ts';
import { CHROMIUM, connectClient, createSessionInUi, ensureBuilt, eventually, focusNeutral, openStudioOnTestServer, parseClock, SHOTS_DIR, sleep, tid, waitAttr } from './support.ts';

const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
if (missing) console.warn(`[skip] stress e2e: ${missing}`);

const shot = (name: string) => join(SHOTS_DIR, `stress-${name}.png`);

/** The channels the test silences: a block of rows, easy to find on the raster. */
const DROPPED = Array.from({ length: 20 }, (_, i) => 20 + i);
/** Rows compared with them: as many channels that keep streaming. */
const KEPT = Array.from({ length: 20 }, (_, i) => 70 + i);
const CHANNELS = 142;

// Raster geometry at DPR 1 outside presentation mode (components/Raster.tsx, theme.ts: the axis
// gutter is 60 px, the right padding 14 px, 4 px above and below the plot).
const AXIS_W = 60;
const PAD_R = 14;
const PAD_Y = 4;

/**
 * Lit (spike-coloured) pixels of the raster in the rows of `channels`, over the newest `fraction`
 * of the plot's width (the right end: the last fraction × 10 s), and the plot columns from the
 * left where the first spike is. Read from a copy of the canvas (the studio's is never read back).
 */
async function rasterRows(page: Page, channels: readonly number[], fraction: number): Promise<{ lit: number; pixels: number; firstLitFraction: number }> {
  const lo = Math.min(...channels);
  const hi = Math.max(...channels) + 1;
  return page.evaluate(`(() => {
    const src = document.querySelector('[data-testid="raster-canvas"]');
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const cx = c.getContext('2d', { willReadFrequently: true });
    cx.drawImage(src, 0, 0);
    const W = c.width, H = c.height;
    const x0 = ${AXIS_W}, plotW = W - x0 - ${PAD_R}, top = ${PAD_Y}, plotH = H - 2 * ${PAD_Y};
    const d = cx.getImageData(0, 0, W, H).data;
    const lit = (x, y) => { const i = (y * W + x) * 4; return d[i + 2] >= 220 && d[i + 1] >= 170; };
    // Inside the rows (a pixel clear of their edges, which the scaled blit may blend).
    const y0 = Math.ceil(top + (${lo} / ${CHANNELS}) * plotH) + 1;
    const y1 = Math.floor(top + (${hi} / ${CHANNELS}) * plotH) - 1;
    const xa = Math.round(x0 + plotW * (1 - ${fraction})), xb = x0 + plotW - 1;
    let n = 0, pixels = 0;
    for (let y = y0; y <= y1; y++) for (let x = xa; x < xb; x++) { pixels++; if (lit(x, y)) n++; }
    // The leftmost column with a spike anywhere: the raster fills from the right.
    let first = xb;
    for (let x = x0; x < xb && first === xb; x++) for (let y = top; y < top + plotH; y++) if (lit(x, y)) { first = x; break; }
    return { lit: n, pixels, firstLitFraction: (x0 + plotW - first) / plotW };
  })()`);
}

/** The data packets a client got after its `n`-th metadata message. */
function packetsAfterMetadata(c: TestClient, n: number): any[] {
  let seen = 0;
  const out: any[] = [];
  for (const m of c.messages) {
    if (m.type === 'metadata') seen++;
    else if (m.type === 'data' && seen >= n) out.push(m);
  }
  return out;
}

const metadataCount = (c: TestClient) => c.messages.filter((m) => m.type === 'metadata').length;
const sumOver = (packets: any[], channels: readonly number[]) => packets.reduce((s, p) => s + channels.reduce((t, ch) => t + p.spikes.spike_counts[ch], 0), 0);

/**
 * The position readout's changes over `ms` (its DOM copy is rewritten twice a second; at each
 * change it is the position of that frame): seconds of session per second of wall time.
 */
async function clockRate(page: Page, ms: number): Promise<number> {
  const changes: Array<{ t: number; s: number }> = [];
  let last = '';
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const text = (await tid(page, 'position-readout').textContent()) ?? '';
    if (text !== last) {
      if (last !== '') changes.push({ t: performance.now(), s: parseClock(text) });
      last = text;
    }
    await sleep(10);
  }
  const a = changes[0];
  const b = changes[changes.length - 1];
  if (!a || b.t - a.t < ms / 2) throw new Error(`the position readout changed ${changes.length} times in ${ms} ms`);
  return (b.s - a.s) / ((b.t - a.t) / 1000);
}

let t: TestServer;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  ({ t, browser, page, problems } = await openStudioOnTestServer());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe.skipIf(missing !== null)('stress and bin width in the studio (browser host)', () => {
  const CODE = 'e2e-stress';

  it('dropout of named channels from the stress panel: the decoder gets zeros and metadata that says so, the raster rows stay empty; off, the counts come back', async () => {
    await createSessionInUi(page, CODE);
    const client = await connectClient((await tid(page, 'stream-url-json').textContent())!);
    try {
      expect(client.messages[0].perturbations).toBeNull();
      await client.packetsAtLeast(60, 10_000);
      expect(sumOver(client.packets, DROPPED), 'spikes on the channels before the dropout').toBeGreaterThan(0);

      // The panel, as a user fills it in.
      await tid(page, 'stress-toggle').click();
      await tid(page, 'stress-form').waitFor();
      expect(await tid(page, 'stress-state').textContent()).toBe('off');
      await tid(page, 'stress-dropout-on').check();
      await tid(page, 'stress-dropout-mode').selectOption('channels');
      await tid(page, 'stress-dropout-channels').fill(`${DROPPED[0]}-${DROPPED[DROPPED.length - 1]}`);
      await tid(page, 'stress-seed').fill('11');
      expect(await tid(page, 'stress-status').textContent()).toContain('Not applied yet');
      await tid(page, 'stress-apply').click();

      // The engine has it: the badge in the list, the header, the readouts and the panel.
      await tid(page, `session-stress-${CODE}`).waitFor({ timeout: 5000 });
      await tid(page, 'header-stress').waitFor({ timeout: 5000 });
      expect(await tid(page, 'header-stress').textContent()).toBe(`STRESS · ${CODE}`);
      expect(await tid(page, `session-stress-${CODE}`).getAttribute('title')).toContain('dropout: channels 20–39');
      expect(await tid(page, 'readout-stress').isVisible()).toBe(true);
      expect(await tid(page, 'stress-state').textContent()).toBe('ON');
      expect(await tid(page, 'raster-dropout').textContent()).toBe('20 channels dropped');
      const rest = (await api(t.http, 'GET', `/api/sessions/${CODE}`)).body;
      expect(JSON.stringify(rest)).toContain('"channels":[20,21');

      // The decoder: new metadata that says so, then packets with those channels at 0.
      await client.until(() => metadataCount(client) >= 2, 'metadata after the stress was applied', 5000);
      const meta = client.messages.filter((m) => m.type === 'metadata')[1];
      expect(meta.perturbations).toEqual({ seed: 11, dropout: { channels: DROPPED } });
      await client.until(() => packetsAfterMetadata(client, 2).length >= 120, '120 packets under dropout', 10_000);
      const under = packetsAfterMetadata(client, 2);
      expect(under.every((p) => DROPPED.every((ch) => p.spikes.spike_counts[ch] === 0)), 'every dropped channel is 0 in every packet').toBe(true);
      expect(sumOver(under, KEPT), 'the other channels still spike').toBeGreaterThan(50);

      // The raster shows what the decoder gets: after 3 s, the newest 2 s of those rows are silent.
      await sleep(3000);
      const silent = await rasterRows(page, DROPPED, 0.2);
      const kept = await rasterRows(page, KEPT, 0.2);
      console.log(`[e2e] raster under dropout, newest 2 s: rows 20–39 ${silent.lit} lit of ${silent.pixels}; rows 70–89 ${kept.lit} lit of ${kept.pixels}`);
      expect(silent.pixels).toBeGreaterThan(1000);
      expect(silent.lit, 'spike pixels in the dropped channels’ rows').toBe(0);
      expect(kept.lit, 'spike pixels in rows of channels that stream').toBeGreaterThan(100);
      await page.screenshot({ path: shot('dropout') });
      await tid(page, 'stress-panel').screenshot({ path: shot('panel') });
      await page.locator('.raster-panel').screenshot({ path: shot('raster') });

      // Turn off: the clean stream again.
      await tid(page, 'stress-off').click();
      await tid(page, `session-stress-${CODE}`).waitFor({ state: 'detached', timeout: 5000 });
      await tid(page, 'header-stress').waitFor({ state: 'detached', timeout: 5000 });
      expect(await tid(page, 'stress-state').textContent()).toBe('off');
      await client.until(() => metadataCount(client) >= 3, 'metadata after the stress was turned off', 5000);
      expect(client.messages.filter((m) => m.type === 'metadata')[2].perturbations).toBeNull();
      await client.until(() => packetsAfterMetadata(client, 3).length >= 80, '80 clean packets', 10_000);
      expect(sumOver(packetsAfterMetadata(client, 3), DROPPED), 'spikes on the channels again').toBeGreaterThan(0);
      const back = await eventually(() => rasterRows(page, DROPPED, 0.2), (r) => r.lit > 50, 'spikes back in rows 20–39', 10_000, 250);
      console.log(`[e2e] raster after turning it off: rows 20–39 ${back.lit} lit`);
      expect(client.closed).toBeNull();
    } finally {
      client.close();
    }
  }, 120_000);

  it('a value out of range is refused by the engine, and the studio says why; the stream stays clean', async () => {
    await tid(page, 'stress-loss-on').check();
    await tid(page, 'stress-loss-percent').fill('150');
    expect(await tid(page, 'stress-loss-percent').getAttribute('aria-invalid')).toBe('true');
    await tid(page, 'stress-apply').click();
    const toast = page.locator('[data-testid="toast"][data-kind="error"]');
    await toast.waitFor({ timeout: 5000 });
    expect(await toast.textContent()).toContain("Couldn't apply the stress settings: loss.fraction must be a number in [0, 1] (got 1.5)");
    await page.screenshot({ path: shot('refused') });
    expect(await tid(page, `session-stress-${CODE}`).count()).toBe(0);
    expect(JSON.stringify((await api(t.http, 'GET', `/api/sessions/${CODE}`)).body)).toContain('"perturbations":null');
    await tid(page, 'toast-dismiss').click();
    await tid(page, 'stress-loss-on').uncheck();
    await tid(page, 'stress-dropout-on').uncheck();
    await tid(page, 'stress-toggle').click();
    await tid(page, 'stress-form').waitFor({ state: 'detached' });
  }, 60_000);

  it('a 10 ms session made in the UI: its decoder gets 10 ms bins at ~100 a second; the studio’s clock, raster and rates follow it at real time', async () => {
    const code = 'e2e-10ms';
    await tid(page, 'session-bin').selectOption('10');
    const url = await createSessionInUi(page, code);
    const startedAt = performance.now();
    // The form goes back to the default width for the next session.
    await tid(page, 'session-bin').selectOption('25');
    expect(await tid(page, `session-bin-${code}`).textContent()).toBe('10 ms');
    expect(await tid(page, 'header-bin').textContent()).toBe('10 ms · 100 Hz');
    expect(await tid(page, 'raster-bin').textContent()).toContain('10 ms bins');
    expect(await tid(page, 'session-bin-demo').count()).toBe(0);

    const client = await connectClient(url);
    try {
      const meta = client.messages[0];
      expect(meta.bin_size_ms).toBe(10);
      expect(meta.frequency_hz).toBe(100);
      // ~100 packets a second, each of one 10 ms bin.
      await client.packetsAtLeast(20, 5000);
      const from = client.packets.length;
      const t0 = performance.now();
      await sleep(3000);
      const got = client.packets.slice(from);
      const perS = got.length / ((performance.now() - t0) / 1000);
      console.log(`[e2e] 10 ms session: ${perS.toFixed(1)} packets/s`);
      expect(perS).toBeGreaterThan(90);
      expect(perS).toBeLessThan(110);
      expect(got.every((p) => p.spikes.bin_size_ms === 10 && p.frequency_hz === 100)).toBe(true);
      for (let i = 1; i < got.length; i++) expect(got[i].bin_index).toBe(got[i - 1].bin_index + 1);

      // The studio's clock advances 1 s a second (not 0.4, as it would at 40 packets a second).
      const rate = await clockRate(page, 4000);
      console.log(`[e2e] 10 ms session: position readout ${rate.toFixed(3)} s per s`);
      expect(rate).toBeGreaterThan(0.9);
      expect(rate).toBeLessThan(1.1);
      const studioPos = parseClock((await tid(page, 'position-readout').textContent())!);
      const enginePos = (await api(t.http, 'GET', `/api/control/${code}/position`)).body.position_s;
      expect(Math.abs(studioPos - enginePos), `studio ${studioPos} vs engine ${enginePos}`).toBeLessThan(0.8);

      // The raster scrolls at the same seconds per pixel: 10 s across, filled from the right as
      // far as the session has played.
      const r = await rasterRows(page, DROPPED, 0.2);
      const pos = parseClock((await tid(page, 'position-readout').textContent())!);
      console.log(`[e2e] 10 ms session at ${pos.toFixed(2)} s (${((performance.now() - startedAt) / 1000).toFixed(1)} s after it was made): raster filled ${(r.firstLitFraction * 10).toFixed(2)} s of 10 s`);
      expect(Math.abs(r.firstLitFraction * 10 - pos), 'seconds of raster vs seconds played').toBeLessThan(0.6);

      // Population rate in spikes/s: what the decoder got over its last 2 s, × 100 bins a second.
      const last = client.packets.slice(-200);
      const perSecond = (sumOver(last, Array.from({ length: CHANNELS }, (_, i) => i)) / last.length) * 100;
      const shown = Number(((await tid(page, 'chart-rate-value-200 ms').textContent()) ?? '').replace(/[^\d.]/g, ''));
      console.log(`[e2e] 10 ms session: population rate shown ${shown} spikes/s; decoder's last 2 s ${perSecond.toFixed(0)} spikes/s`);
      expect(shown / perSecond).toBeGreaterThan(0.5);
      expect(shown / perSecond).toBeLessThan(2);
      await sleep(1000);
      await page.screenshot({ path: shot('10ms') });
    } finally {
      client.close();
    }
  }, 120_000);

  it('presentation mode keeps the STRESS mark in the readouts for the room', async () => {
    await tid(page, `session-item-${CODE}`).click();
    await waitAttr(tid(page, `session-item-${CODE}`), 'aria-selected', 'true');
    await tid(page, 'stress-toggle').click();
    await tid(page, 'stress-dropout-on').check();
    await tid(page, 'stress-dropout-mode').selectOption('fraction');
    await tid(page, 'stress-dropout-percent').fill('30');
    await tid(page, 'stress-noise-on').check();
    await tid(page, 'stress-apply').click();
    await tid(page, 'readout-stress').waitFor({ timeout: 5000 });
    await tid(page, 'presentation-toggle').click();
    await waitAttr(tid(page, 'app'), 'data-presentation', 'true');
    await sleep(2500);
    expect(await tid(page, 'readout-stress').isVisible()).toBe(true);
    await page.screenshot({ path: shot('presentation') });
    await focusNeutral(page);
    await page.keyboard.press('Escape');
    await waitAttr(tid(page, 'app'), 'data-presentation', 'false');
    await tid(page, 'stress-off').click();
    await tid(page, 'readout-stress').waitFor({ state: 'detached', timeout: 5000 });
  }, 60_000);

  it('the page logged no errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
