/**
 * Shared bits of the end-to-end tests: Chromium's launch options, the build check, page
 * helpers, and the user flows themselves. The flows talk to the studio only through its page
 * (data-testids) and to the server only as a decoder would (REST + a real WebSocket client), so
 * the same flow runs against the browser host (studio.e2e.test.ts) and the Electron window
 * (electron.e2e.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { StudioService } from '../src/main/studio/studioService.ts';
import { api, REPO_ROOT, startTestServer, TestClient, type TestServer } from '../test/helpers/server.ts';

export { REPO_ROOT };
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The same flags as test/renderer/screenshot.ts and the example tests. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const VIEWPORT = { width: 1600, height: 1000 };
export const SHOTS_DIR = join(REPO_ROOT, 'test-results', 'e2e');
export const OUT_DIR = join(REPO_ROOT, 'out');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds out/ (main, preload, renderer) with electron-vite if `need` is missing. */
export function ensureBuilt(need = [join(OUT_DIR, 'renderer', 'index.html')]): void {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const missing = need.filter((p) => !existsSync(p));
  if (missing.length === 0) {
    const stale = newestMtime(join(REPO_ROOT, 'src', 'renderer')) > statSync(need[0]).mtimeMs;
    if (stale) console.warn(`[e2e] note: ${need[0].slice(REPO_ROOT.length + 1)} is older than src/renderer; testing the existing build (npm run build to refresh)`);
    return;
  }
  console.log(`[e2e] ${missing.map((p) => p.slice(REPO_ROOT.length + 1)).join(', ')} missing: running npx electron-vite build`);
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`electron-vite build failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  const still = need.filter((p) => !existsSync(p));
  if (still.length) throw new Error(`build finished but ${still.join(', ')} is still missing`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

// ------------------------------------------------------------------ page helpers

export const tid = (page: Page, id: string): Locator => page.locator(`[data-testid="${id}"]`);

/** `mm:ss.mmm` → seconds. */
export function parseClock(text: string): number {
  const m = /^(\d+):(\d{2})\.(\d{3})$/.exec(text.trim());
  if (!m) throw new Error(`not a clock readout: ${JSON.stringify(text)}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) / 1000;
}

export async function positionS(page: Page): Promise<number> {
  return parseClock((await tid(page, 'position-readout').textContent()) ?? '');
}

/**
 * In-page source of `pixelsOf(canvas)`: the RGBA pixels of a copy of the canvas, so the studio's
 * own canvas is never read back (and Chromium does not warn about it).
 */
const PIXELS_OF = `function pixelsOf(src) {
  const c = document.createElement('canvas');
  c.width = src.width;
  c.height = src.height;
  const cx = c.getContext('2d', { willReadFrequently: true });
  cx.drawImage(src, 0, 0);
  return cx.getImageData(0, 0, c.width, c.height).data;
}`;

/**
 * A fingerprint of the raster canvas's pixels (getImageData), plus how many are lit. Passed as
 * a string: the test transform must not inject helpers into code that runs in the page.
 */
export async function rasterPixels(page: Page): Promise<{ hash: number; spikes: number; w: number; h: number }> {
  return page.evaluate(`(() => {
    ${PIXELS_OF}
    const src = document.querySelector('[data-testid="raster-canvas"]');
    const d = pixelsOf(src);
    let hash = 2166136261 >>> 0, spikes = 0;
    for (let i = 0; i < d.length; i += 4) {
      hash = Math.imul(hash ^ (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16)), 16777619) >>> 0;
      // The raster's spike colours (1, 2, 3+ spikes) are bright blue to white; the axis and
      // grid greys are darker (b < 220), the background near black.
      if (d[i + 2] >= 220 && d[i + 1] >= 170) spikes++;
    }
    return { hash, spikes, w: src.width, h: src.height };
  })()`);
}

/** Polls `read` until `ok` holds; fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
    await sleep(everyMs);
  }
}

export async function waitAttr(loc: Locator, name: string, value: string, timeoutMs = 10_000): Promise<void> {
  await eventually(() => loc.getAttribute(name), (v) => v === value, `${name}="${value}" on ${loc}`, timeoutMs);
}

/** Page errors and console errors/warnings: a studio that works says nothing there. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  return problems;
}

// ------------------------------------------------------------------ the flows

export interface StudioCtx {
  page: Page;
  /** http://host:port and ws://host:port of the engine's server. */
  http: string;
  ws: string;
  /** Screenshot names get this prefix ('' for the browser host, 'electron-' for Electron). */
  shotPrefix: string;
  /** The engine's message for opening `path` (what the UI must show). */
  openErrorFor(path: string): Promise<string>;
}

export const shotPath = (ctx: StudioCtx, name: string) => join(SHOTS_DIR, `${ctx.shotPrefix}${name}.png`);

/** The studio is up: the first-load demo session is there and the dataset is shown. */
export async function waitForStudio(page: Page): Promise<void> {
  await tid(page, 'session-item-demo').waitFor({ timeout: 20_000 });
  await tid(page, 'dataset-name').waitFor({ timeout: 20_000 });
  await eventually(() => tid(page, 'transport-play-pause').getAttribute('data-status'), (s) => s !== 'none', 'a followed session', 20_000);
}

/** Debian's Chromium on the browser host's studio, loaded, collecting the page's errors and warnings. */
export async function openStudioPage(httpUrl: string): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const problems = watchPage(page);
  await page.goto(`${httpUrl}/studio/`);
  await waitForStudio(page);
  return { browser, page, problems };
}

/** A test server with the studio attached (the browser host), and that studio open in Chromium. */
export async function openStudioOnTestServer(opts: Parameters<typeof startTestServer>[0] = {}): Promise<{ t: TestServer; browser: Browser; page: Page; problems: string[] }> {
  const t = await startTestServer(opts);
  t.server.attachStudio(new StudioService(t.engine, t.server));
  return { t, ...(await openStudioPage(t.http)) };
}

/** Creates a session with `code` through the form; the UI follows it. Returns its binary URL as shown. */
export async function createSessionInUi(page: Page, code: string): Promise<string> {
  // Focus leaves whatever had it (keys must reach the transport later).
  await tid(page, 'session-code-input').fill(code);
  await tid(page, 'session-create').click();
  const item = tid(page, `session-item-${code}`);
  await item.waitFor({ timeout: 10_000 });
  await waitAttr(item, 'aria-selected', 'true');
  await expect.poll(() => tid(page, 'session-code-input').inputValue(), { timeout: 5000 }).toBe('');
  const url = tid(page, 'stream-url-binary');
  await expect.poll(() => url.textContent(), { timeout: 10_000 }).toMatch(new RegExp(`/stream/binary/${code}$`));
  return (await url.textContent())!;
}

/** Moves focus off any input, so Space and the arrows go to the transport. */
export async function focusNeutral(page: Page): Promise<void> {
  await page.evaluate(`(document.activeElement && document.activeElement.blur && document.activeElement.blur(), undefined)`);
}

export async function connectClient(url: string): Promise<TestClient> {
  const c = new TestClient(url);
  await c.opened;
  await c.until(() => c.messages.some((m) => m.type === 'metadata'), 'metadata');
  return c;
}

const lastPacket = (c: TestClient) => c.packets[c.packets.length - 1];

/** 1. The dataset panel and header show the recording the engine serves. */
export async function flowShowsDataset(ctx: StudioCtx): Promise<void> {
  const { page } = ctx;
  const meta = (await api(ctx.http, 'GET', '/api/metadata')).body;
  expect(meta.num_channels).toBe(142);
  await expect.poll(() => tid(page, 'dataset-name').textContent(), { timeout: 10_000 }).toBe(meta.dataset);
  expect(await tid(page, 'dataset-units').textContent()).toBe('142');
  expect(await tid(page, 'dataset-synthetic').isVisible()).toBe(true);
  expect(await tid(page, 'dataset-synthetic').textContent()).toBe('SYNTHETIC');
  expect(await tid(page, 'dataset-path').textContent()).toBe(meta.file);
  expect(await tid(page, 'dataset-trials').textContent()).toBe(String(meta.num_trials));
  expect(await tid(page, 'header-dataset').textContent()).toContain('142 units');
  // The transport shows the session timeline's length (the demo session is unfiltered).
  const dur = parseClock((await tid(page, 'duration-readout').textContent())!);
  expect(Math.abs(dur - meta.duration_seconds)).toBeLessThan(0.05);
  // Every target is on the map.
  const targets = (await api(ctx.http, 'GET', '/api/targets')).body.targets;
  await expect.poll(() => page.locator('[data-testid^="target-"][data-target-id]').count(), { timeout: 10_000 }).toBe(targets.length);
}

/** 2. Create a session in the UI, pause and play it: the position readout and the raster advance. */
export async function flowCreatePlay(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  await createSessionInUi(page, code);
  const play = tid(page, 'transport-play-pause');
  // A new session starts playing; pause it, then press play like a user.
  await waitAttr(play, 'data-status', 'playing');
  await play.click();
  await waitAttr(play, 'data-status', 'paused');
  expect(await tid(page, 'playback-status').textContent()).toBe('paused');
  const p0 = await positionS(page);
  await play.click();
  await waitAttr(play, 'data-status', 'playing');
  expect(await tid(page, 'playback-status').textContent()).toBe('playing');

  // The position readout moves forward…
  const p1 = await eventually(() => positionS(page), (p) => p > p0 + 0.5, 'the position readout to advance 0.5 s');
  // …and keeps moving, at roughly real time.
  const t1 = Date.now();
  const p2 = await eventually(() => positionS(page), (p) => p > p1 + 1, 'the position readout to advance another second');
  const rate = (p2 - p1) / ((Date.now() - t1) / 1000);
  expect(rate, 'position seconds per wall second at 1×').toBeGreaterThan(0.5);
  expect(rate).toBeLessThan(2);

  // The raster draws new columns: its pixels change between two samples, and spikes are lit.
  const a = await rasterPixels(page);
  const b = await eventually(() => rasterPixels(page), (r) => r.hash !== a.hash, 'the raster canvas to change', 5000, 100);
  expect(b.w).toBeGreaterThan(200);
  expect(b.spikes, 'spike pixels on the raster').toBeGreaterThan(200);
  // The session list says so too.
  await expect.poll(() => tid(page, `session-item-${code}`).getAttribute('data-status'), { timeout: 5000 }).toBe('playing');

  // The clock and readouts are drawn on live canvases over their boxes; the DOM copy (what
  // screen readers and these tests read) follows a few times a second, never per frame.
  const clock = await liveTextSample(page, 'position-readout', 2000);
  expect(clock.inkPixels, 'clock digits drawn on its canvas').toBeGreaterThan(30);
  expect(clock.domChanges, 'DOM copy of the clock kept current').toBeGreaterThanOrEqual(2);
  expect(clock.domChanges, 'DOM copy of the clock written at most ~2 times a second').toBeLessThanOrEqual(6);
}

/** Ink on a live value's canvas, and how often its DOM text changed over `ms`. */
async function liveTextSample(page: Page, testId: string, ms: number): Promise<{ inkPixels: number; domChanges: number }> {
  return page.evaluate(`new Promise((resolve) => {
    ${PIXELS_OF}
    const box = document.querySelector('[data-testid="${testId}"]');
    const src = box.querySelector('canvas.live-text-canvas');
    let inkPixels = 0;
    if (src && src.width > 0) {
      const d = pixelsOf(src);
      for (let i = 3; i < d.length; i += 4) if (d[i] > 128) inkPixels++;
    }
    let domChanges = 0;
    const mo = new MutationObserver((records) => (domChanges += records.length));
    mo.observe(box, { subtree: true, characterData: true, childList: true });
    setTimeout(() => {
      mo.disconnect();
      resolve({ inkPixels, domChanges });
    }, ${ms});
  })`);
}

/**
 * 3. A decoder on the session's binary URL (as the UI shows it) gets the packets the UI shows:
 * the clients panel lists it, and the UI's trial/target/position readouts match its packets.
 */
export async function flowClientMatchesUi(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  expect(url).toBe(`${ctx.ws}/stream/binary/${code}`);
  expect(await tid(page, 'stream-url-json').textContent()).toBe(`${ctx.ws}/stream/${code}`);
  const client = await connectClient(url);
  try {
    const meta = client.messages[0];
    expect(meta.type).toBe('metadata');
    expect(meta.session.code).toBe(code);
    expect(meta.num_channels).toBe(142);
    await client.packetsAtLeast(10, 10_000);

    // The clients panel lists this binary decoder on this session; the session counts it.
    const row = page.locator(`[data-testid^="client-row-"][data-session="${code}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.getAttribute('data-endpoint')).toBe('binary');
    await expect.poll(() => tid(page, `session-item-${code}`).textContent(), { timeout: 5000 }).toContain('1 client');

    // Sample the readouts while it plays; each must be what the decoder got around that moment
    // (the UI draws packets up to ~0.2 s after the decoder gets them: allow a window).
    let numericTrials = 0;
    const deadline = Date.now() + 20_000;
    let samples = 0;
    while ((samples < 6 || numericTrials < 2) && Date.now() < deadline) {
      const at = performance.now();
      const [trial, target, pos] = await Promise.all([
        tid(page, 'readout-trial').textContent(),
        tid(page, 'readout-target').textContent(),
        tid(page, 'position-readout').textContent(),
      ]);
      const lastBin = lastPacket(client).bin_index;
      await sleep(600);
      const window = packetsArrivedBetween(client, at - 1500, at + 500);
      expect(window.length, 'packets around the sample').toBeGreaterThan(20);
      const trials = new Set(window.map((p) => (p.trial_id === null ? '—' : String(p.trial_id))));
      const targets = new Set(window.map((p) => (p.intention.target_id === null ? '—' : String(p.intention.target_id))));
      expect(trials, `UI trial readout ${trial} among the decoder's trial_ids`).toContain(trial);
      expect(targets, `UI target readout ${target} among the decoder's target_ids`).toContain(target);
      // Unfiltered session: timeline position = recording bin / 40 Hz.
      const shown = parseClock(pos!);
      expect(Math.abs(shown - (lastBin + 1) / 40), `position readout ${pos} vs decoder bin ${lastBin}`).toBeLessThan(1);
      if (trial !== '—') numericTrials++;
      samples++;
    }
    expect(numericTrials, 'samples taken inside a trial').toBeGreaterThanOrEqual(2);
    expect(firstSeqGap(client), 'sequence numbers without gaps').toBeNull();
  } finally {
    client.close();
  }
}

/** Data packets whose arrival (performance.now) lies in [from, to]. */
function packetsArrivedBetween(c: TestClient, from: number, to: number): any[] {
  const out: any[] = [];
  for (let i = 0; i < c.messages.length; i++) {
    if (c.messages[i].type === 'data' && c.arrivals[i] >= from && c.arrivals[i] <= to) out.push(c.messages[i]);
  }
  return out;
}

function firstSeqGap(c: TestClient): string | null {
  const p = c.packets;
  for (let i = 1; i < p.length; i++) {
    if (p[i].sequence_number !== p[i - 1].sequence_number + 1) return `${p[i - 1].sequence_number} → ${p[i].sequence_number}`;
  }
  return null;
}

/**
 * 4. Pause in the UI: the decoder gets nothing for ≥ 500 ms. Resume (Space): the next packet
 * has the next sequence number and bin, and no burst follows (≤ 4 packets in its first 60 ms).
 */
export async function flowPauseResume(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    await client.packetsAtLeast(20, 10_000);
    const play = tid(page, 'transport-play-pause');
    await waitAttr(play, 'data-status', 'playing');
    await play.click();
    await waitAttr(play, 'data-status', 'paused');
    // Packets already on the wire when the engine paused may still land: give them 200 ms.
    await sleep(200);
    const before = client.packets.length;
    const last = lastPacket(client);
    const lastArrival = client.arrivals[client.messages.lastIndexOf(last)];
    const quietFrom = performance.now();
    await sleep(700);
    expect(client.packets.length, 'packets while paused').toBe(before);
    const quietMs = performance.now() - quietFrom;
    expect(quietMs).toBeGreaterThanOrEqual(500);
    expect(await tid(page, 'playback-status').textContent()).toBe('paused');
    // The UI's position holds still while paused.
    const held = await positionS(page);
    await sleep(200);
    expect(await positionS(page)).toBe(held);

    // Resume with the keyboard (Space), focus on nothing that types.
    await focusNeutral(page);
    await page.keyboard.press(' ');
    await waitAttr(play, 'data-status', 'playing');
    await client.packetsAtLeast(before + 1, 5000);
    const firstIdx = client.messages.indexOf(client.packets[before]);
    const first = client.messages[firstIdx];
    const resumedAt = client.arrivals[firstIdx];
    expect(resumedAt - lastArrival, 'silence between the last packet before pause and the first after').toBeGreaterThanOrEqual(500);
    expect(first.sequence_number, 'the next sequence number').toBe(last.sequence_number + 1);
    expect(first.bin_index, 'the next bin').toBe(last.bin_index + 1);
    await sleep(400);
    const burst = packetsArrivedBetween(client, resumedAt, resumedAt + 60).length;
    expect(burst, 'packets in the first 60 ms after resume').toBeLessThanOrEqual(4);
    // And it keeps a steady 40 Hz afterwards: ~16 packets in the first 400 ms.
    const firstSecond = packetsArrivedBetween(client, resumedAt, resumedAt + 400).length;
    expect(firstSecond).toBeLessThanOrEqual(20);
    expect(firstSeqGap(client)).toBeNull();
    console.log(
      `[e2e] pause/resume: ${Math.round(resumedAt - lastArrival)} ms without packets; seq ${last.sequence_number} → ${first.sequence_number}; ` +
        `${burst} packet(s) in the first 60 ms, ${firstSecond} in the first 400 ms after resume`,
    );
  } finally {
    client.close();
  }
}

/**
 * 5. A target chosen on the map filters the session: the decoder gets a new metadata message
 * with that filter, and every packet after it carries that target_id; the UI shows the chip,
 * the pressed target and the target readout. Screenshot: filtered.
 */
export async function flowTargetFilter(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    await client.packetsAtLeast(10, 10_000);
    const targets = (await api(ctx.http, 'GET', '/api/targets')).body.targets as Array<{ target_id: number; num_trials: number }>;
    const withTrials = targets.filter((t) => t.num_trials > 0);
    expect(withTrials.length).toBeGreaterThan(1);
    const target = withTrials[Math.min(3, withTrials.length - 1)].target_id;

    const mark = client.messages.length;
    const dot = tid(page, `target-${target}`);
    expect(await dot.getAttribute('aria-pressed')).toBe('false');
    await dot.click();
    await waitAttr(dot, 'aria-pressed', 'true');
    await tid(page, 'filter-chip-target').waitFor({ timeout: 5000 });
    expect(await tid(page, 'filter-chip-target').textContent()).toContain(`target ${target}`);

    await client.until(() => client.messages.slice(mark).some((m) => m.type === 'metadata'), 'a new metadata message after the click', 10_000);
    const metaIdx = client.messages.findIndex((m, i) => i >= mark && m.type === 'metadata');
    const meta = client.messages[metaIdx];
    expect(meta.filters).toEqual({ trial_id: null, target_id: target });
    expect(meta.timeline_packets).toBeLessThan(meta.total_packets);
    await client.until(() => client.messages.slice(metaIdx + 1).filter((m) => m.type === 'data').length >= 60, '60 packets after the metadata', 15_000);
    const after = client.messages.slice(metaIdx + 1).filter((m) => m.type === 'data');
    const wrong = after.filter((p) => p.intention.target_id !== target);
    expect(wrong.length, `packets after the metadata with another target_id (first: ${JSON.stringify(wrong[0]?.intention)})`).toBe(0);
    expect(after.every((p) => p.trial_id !== null)).toBe(true);
    // The UI follows: the target readout and the session list show the filter.
    await expect.poll(() => tid(page, 'readout-target').textContent(), { timeout: 5000 }).toBe(String(target));
    await expect.poll(() => tid(page, `session-item-${code}`).textContent(), { timeout: 5000 }).toContain(`target ${target}`);
    // Timeline of the filtered session: shorter than the recording.
    const dur = parseClock((await tid(page, 'duration-readout').textContent())!);
    expect(Math.abs(dur - meta.timeline_packets / 40)).toBeLessThan(0.05);
    await sleep(1500); // let the plots fill a little for the screenshot
    await page.screenshot({ path: shotPath(ctx, 'filtered') });

    // Clear: another metadata message without the filter.
    const mark2 = client.messages.length;
    await tid(page, 'filters-clear').click();
    await waitAttr(dot, 'aria-pressed', 'false');
    await client.until(() => client.messages.slice(mark2).some((m) => m.type === 'metadata'), 'metadata after clearing', 10_000);
    expect(client.messages.slice(mark2).find((m) => m.type === 'metadata').filters).toEqual({ trial_id: null, target_id: null });
  } finally {
    client.close();
  }
}

/**
 * The trial list holds only the rows in view: scrolled to the end it shows the last trial, and
 * a click there filters the session by it — the decoder's packets all carry that trial_id.
 */
export async function flowTrialList(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    const trials = (await api(ctx.http, 'GET', '/api/trials')).body.trials as Array<{ trial_id: number }>;
    expect(trials.length).toBeGreaterThan(100);
    const rows = page.locator('[data-testid="trial-list"] [data-testid^="trial-row-"]');
    const inDom = await rows.count();
    expect(inDom, 'rows in the DOM: only those in view and a few either side').toBeLessThan(trials.length / 2);
    expect(inDom).toBeGreaterThan(5);
    const last = trials[trials.length - 1].trial_id;
    expect(await tid(page, `trial-row-${last}`).count()).toBe(0);

    await tid(page, 'trial-list').evaluate((el) => (el.scrollTop = el.scrollHeight));
    const row = tid(page, `trial-row-${last}`);
    await row.waitFor({ timeout: 5000 });
    expect(await row.isVisible()).toBe(true);
    expect(await rows.count()).toBeLessThan(trials.length / 2);

    const mark = client.messages.length;
    await row.click();
    await waitAttr(row, 'aria-selected', 'true');
    await client.until(() => client.messages.slice(mark).some((m) => m.type === 'metadata'), 'a new metadata message after the click', 10_000);
    const metaIdx = client.messages.findIndex((m, i) => i >= mark && m.type === 'metadata');
    expect(client.messages[metaIdx].filters).toEqual({ trial_id: last, target_id: null });
    await client.until(() => client.messages.slice(metaIdx + 1).filter((m) => m.type === 'data').length >= 20, '20 packets after the metadata', 10_000);
    const after = client.messages.slice(metaIdx + 1).filter((m) => m.type === 'data');
    expect(after.every((p) => p.trial_id === last)).toBe(true);

    // Scrolled back to the top, the first rows are there again and the filtered row is still marked.
    await tid(page, 'trial-list').evaluate((el) => (el.scrollTop = 0));
    await tid(page, `trial-row-${trials[0].trial_id}`).waitFor({ timeout: 5000 });
    await tid(page, 'filters-clear').click();
    await client.until(() => client.messages.slice(metaIdx + 1).some((m) => m.type === 'metadata'), 'metadata after clearing', 10_000);
  } finally {
    client.close();
  }
}

/**
 * 6. Seeking in the UI moves the decoder's stream: Alt+→ jumps 10 s (400 bins), a click on the
 * scrubber at 3/4 jumps to ~3/4 of the timeline.
 */
export async function flowSeek(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    await client.packetsAtLeast(20, 10_000);
    await waitAttr(tid(page, 'transport-play-pause'), 'data-status', 'playing');

    // Alt+→: 10 s forward from where the UI is.
    await focusNeutral(page);
    const mark = client.packets.length;
    await page.keyboard.press('Alt+ArrowRight');
    const jump1 = await waitForJump(client, mark);
    expect(jump1.delta, `bin jump after Alt+→ (${jump1.from} → ${jump1.to})`).toBeGreaterThan(400 - 40);
    expect(jump1.delta).toBeLessThanOrEqual(401);
    await expect.poll(async () => Math.abs((await positionS(page)) - jump1.to / 40), { timeout: 5000 }).toBeLessThan(1);

    // →: 1 s.
    const mark2 = client.packets.length;
    await page.keyboard.press('ArrowRight');
    const jump2 = await waitForJump(client, mark2);
    expect(jump2.delta, `bin jump after → (${jump2.from} → ${jump2.to})`).toBeGreaterThan(40 - 30);
    expect(jump2.delta).toBeLessThanOrEqual(41);

    // A click on the scrubber at 75 % of its width.
    const durationS = Number(await tid(page, 'scrubber').getAttribute('aria-valuemax'));
    const box = (await tid(page, 'scrubber').boundingBox())!;
    const mark3 = client.packets.length;
    await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
    const jump3 = await waitForJump(client, mark3);
    const wantBin = 0.75 * durationS * 40;
    const binTolerance = (durationS * 40) / box.width + 2; // a pixel's worth of timeline
    expect(Math.abs(jump3.to - wantBin), `first bin after the scrubber click (${jump3.to}) vs 75 % (${wantBin})`).toBeLessThan(binTolerance);
    await expect.poll(async () => Number(await tid(page, 'scrubber').getAttribute('aria-valuenow')), { timeout: 5000 }).toBeGreaterThan(0.75 * durationS - 1);
    expect(Number(await tid(page, 'scrubber').getAttribute('aria-valuenow'))).toBeLessThan(0.75 * durationS + 5);
    console.log(`[e2e] seek: Alt+→ bin ${jump1.from} → ${jump1.to} (+${jump1.delta}); → +${jump2.delta}; scrubber at 75 % → bin ${jump3.to} (want ≈ ${Math.round(wantBin)})`);
    // The stream continues from there.
    await client.until(() => client.packets.length >= client.packets.indexOf(jump3.packet) + 10, '10 packets after the seek', 5000);
    expect(firstSeqGap(client)).toBeNull();
  } finally {
    client.close();
  }
}

/** Waits for the first packet after index `mark` whose bin does not follow its predecessor's. */
async function waitForJump(c: TestClient, mark: number): Promise<{ from: number; to: number; delta: number; packet: any }> {
  let found: { from: number; to: number; delta: number; packet: any } | null = null;
  await c.until(() => {
    const p = c.packets;
    for (let i = Math.max(1, mark); i < p.length; i++) {
      if (p[i].bin_index !== p[i - 1].bin_index + 1) {
        found = { from: p[i - 1].bin_index, to: p[i].bin_index, delta: p[i].bin_index - p[i - 1].bin_index, packet: p[i] };
        return true;
      }
    }
    return false;
  }, 'a jump in bin_index', 10_000);
  return found!;
}

/**
 * 7. A bad file (not NWB; missing): the dataset panel shows the engine's message, the dataset
 * stays, and the decoder's packets keep flowing. Screenshot: dataset-error.
 */
export async function flowBadDataset(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    await client.packetsAtLeast(10, 10_000);
    const nameBefore = await tid(page, 'dataset-name').textContent();
    const pathBefore = await tid(page, 'dataset-path').textContent();
    const cases = [join(REPO_ROOT, 'package.json'), join(REPO_ROOT, 'no-such-dir', 'missing.nwb')];
    for (const bad of cases) {
      await tid(page, 'dataset-path-input').fill(bad);
      await tid(page, 'dataset-open').click();
      const err = tid(page, 'dataset-error');
      await err.waitFor({ timeout: 15_000 });
      const expected = await ctx.openErrorFor(bad);
      expect(expected.length).toBeGreaterThan(10);
      await expect.poll(() => err.textContent(), { timeout: 5000 }).toContain(expected);
      expect(await err.textContent()).toContain('The current dataset keeps playing');
      expect(await tid(page, 'dataset-name').textContent()).toBe(nameBefore);
      expect(await tid(page, 'dataset-path').textContent()).toBe(pathBefore);
      expect(await tid(page, 'dataset-units').textContent()).toBe('142');
      // Packets keep flowing, without a gap.
      const n = client.packets.length;
      await client.packetsAtLeast(n + 20, 5000);
      expect(firstSeqGap(client)).toBeNull();
      if (bad === cases[0]) {
        await page.screenshot({ path: shotPath(ctx, 'dataset-error') });
        await tid(page, 'dataset-error-dismiss').click();
        await err.waitFor({ state: 'detached', timeout: 5000 });
      }
    }
    // The engine still serves the same recording, and the decoder was not told otherwise.
    expect((await api(ctx.http, 'GET', '/api/metadata')).body.dataset).toBe(nameBefore);
    expect(client.messages.filter((m) => m.type === 'metadata')).toHaveLength(1);
    expect(client.closed).toBeNull();
    await tid(page, 'dataset-error-dismiss').click();
    await tid(page, 'dataset-path-input').fill('');
  } finally {
    client.close();
  }
}

/**
 * 8. The main views for people to look at: a fresh session with a decoder connected (default),
 * then presentation mode (large plots, panels hidden), left again with Escape.
 */
export async function flowScreenshots(ctx: StudioCtx, code: string): Promise<void> {
  const { page } = ctx;
  const url = await createSessionInUi(page, code);
  const client = await connectClient(url);
  try {
    await waitAttr(tid(page, 'transport-play-pause'), 'data-status', 'playing');
    // Into the first trial, so the readouts and the 2-D view have something to show.
    await eventually(() => tid(page, 'readout-trial').textContent(), (t) => t !== '—', 'a trial on screen', 20_000, 100);
    await expect.poll(() => page.locator(`[data-testid^="client-row-"][data-session="${code}"]`).count(), { timeout: 5000 }).toBe(1);
    await sleep(1500);
    await page.screenshot({ path: shotPath(ctx, 'default') });
    const app = tid(page, 'app');
    expect(await app.getAttribute('data-presentation')).toBe('false');
    const rasterBefore = (await tid(page, 'raster-canvas').boundingBox())!;
    await tid(page, 'presentation-toggle').click();
    await waitAttr(app, 'data-presentation', 'true');
    await expect.poll(async () => (await tid(page, 'raster-canvas').boundingBox())!.height, { timeout: 5000 }).toBeGreaterThan(rasterBefore.height);
    await expect.poll(() => tid(page, 'session-list').isVisible(), { timeout: 5000 }).toBe(false);
    await sleep(1500);
    await page.screenshot({ path: shotPath(ctx, 'presentation') });
    await focusNeutral(page);
    await page.keyboard.press('Escape');
    await waitAttr(app, 'data-presentation', 'false');
    await expect.poll(() => tid(page, 'session-list').isVisible(), { timeout: 5000 }).toBe(true);
    expect(client.closed).toBeNull();
  } finally {
    client.close();
  }
}

/**
 * 9. Seek in one session, then create another: the new session's plots must fill as soon as
 * its packets arrive. Returns the ms until the raster shows spikes (null: not within `capMs`)
 * and how many packets the older session had sent when it was sought.
 */
export async function plotsFillAfterSeekElsewhere(ctx: StudioCtx, code: string, capMs = 6000): Promise<{ filledMs: number | null; olderPackets: number }> {
  const { page } = ctx;
  const demo = tid(page, 'session-item-demo');
  await demo.click();
  await waitAttr(demo, 'aria-selected', 'true');
  await waitAttr(tid(page, 'transport-play-pause'), 'data-status', 'playing');
  // The first-load session has been playing since the page opened: give it ≥ 20 s of packets.
  const position = async () => (await api(ctx.http, 'GET', '/api/control/demo/position')).body;
  const before = await eventually(position, (p) => p.packets_sent >= 800, 'demo to have sent 800 packets', 40_000, 250);
  await focusNeutral(page);
  await page.keyboard.press('ArrowRight');
  await eventually(position, (p) => p.position_s >= before.position_s + 0.9, 'the seek in demo', 5000);
  await createSessionInUi(page, code);
  await waitAttr(tid(page, 'transport-play-pause'), 'data-status', 'playing');
  const t0 = Date.now();
  try {
    await eventually(() => rasterPixels(page), (r) => r.spikes > 200, 'spikes on the new session’s raster', capMs, 100);
    return { filledMs: Date.now() - t0, olderPackets: before.packets_sent };
  } catch {
    return { filledMs: null, olderPackets: before.packets_sent };
  }
}

/**
 * The flows after the dataset is shown, as [test title, run]: registered as tests by
 * both suites (browser host and Electron window), so the two always check the same things.
 */
export const STUDIO_FLOWS: ReadonlyArray<readonly [string, (ctx: StudioCtx) => Promise<void>]> = [
  ['creates a session in the UI, plays it, and the position readout and raster advance', (c) => flowCreatePlay(c, 'e2e-play')],
  ['a binary decoder on the URL the UI shows gets the packets the UI shows, and is listed', (c) => flowClientMatchesUi(c, 'e2e-match')],
  ['pause stops the decoder’s packets; resume continues with the next sequence number, no burst', (c) => flowPauseResume(c, 'e2e-pause')],
  ['a target chosen on the map: every packet after the new metadata carries that target_id', (c) => flowTargetFilter(c, 'e2e-target')],
  ['seeking with Alt+→, → and the scrubber moves the decoder’s stream', (c) => flowSeek(c, 'e2e-seek')],
  ['the trial list shows the rows in view; the last trial, scrolled to and clicked, filters the decoder’s stream', (c) => flowTrialList(c, 'e2e-trials')],
  ['a bad file shows the engine’s error and keeps the dataset and the stream', (c) => flowBadDataset(c, 'e2e-bad-file')],
  ['default and presentation views (screenshots), Escape leaves presentation', (c) => flowScreenshots(c, 'e2e-view')],
];
