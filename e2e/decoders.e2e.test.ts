/**
 * Decoders talk back (issue 10), end to end in Chromium against the browser host: real decoder
 * clients on the JSON stream answer each packet with a prediction, and the studio shows them —
 * the scoreboard row, the decoded cursor in the workspace, the decoded traces, Reset, sorting,
 * the reference decoder started and stopped from the studio, the leaderboard in presentation
 * mode, and a blind session made in the UI. Screenshots go to test-results/e2e/decoders-*.png.
 *
 *   npx vitest run e2e/decoders.e2e.test.ts          (needs out/renderer: built if missing)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StudioService } from '../src/main/studio/studioService.ts';
import { api, startTestServer, TestClient, type TestServer } from '../test/helpers/server.ts';
import { CHROMIUM, createSessionInUi, ensureBuilt, eventually, focusNeutral, openStudioPage, SHOTS_DIR, sleep, tid, waitAttr } from './support.ts';

const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
if (missing) console.warn(`[skip] decoders e2e: ${missing}`);

const shot = (name: string) => join(SHOTS_DIR, `decoders-${name}.png`);

type Kinematics = { x: number | null; y: number | null; vx: number | null; vy: number | null };
type Answer = Partial<Record<keyof Kinematics, number | null>>;

/** A deterministic noise source (mulberry32), so screenshots are comparable between runs. */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/**
 * A decoder as a user writes one: it connects to the JSON stream with `?decoder=NAME` and answers
 * every data packet with `{"type":"prediction","sequence_number":N,…}` — here made up from the
 * packet's own kinematics by `answer` (a test needs scores it can predict, not a trained model).
 */
class AnsweringDecoder {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  answered = 0;
  lastPacket: { sequence_number: number; kinematics: Kinematics } | null = null;
  private readonly history: Kinematics[] = [];

  constructor(
    url: string,
    readonly name: string,
    answer: (k: Kinematics, history: readonly Kinematics[]) => Answer | null,
  ) {
    this.ws = new WebSocket(`${url}?decoder=${encodeURIComponent(name)}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type !== 'data') return;
      this.lastPacket = m;
      const k = m.kinematics as Kinematics;
      this.history.push(k);
      if (this.history.length > 100) this.history.shift();
      const a = answer(k, this.history);
      if (!a || Object.values(a).every((v) => v === null || v === undefined)) return;
      this.ws.send(JSON.stringify({ type: 'prediction', sequence_number: m.sequence_number, ...a }));
      this.answered++;
    });
  }

  close(): void {
    this.ws.close();
  }
}

const scaled = (v: number | null, k: number, n: () => number, amp: number) => (v === null ? null : v * k + n() * amp);

/** A good velocity-only decoder: 95 % of the true velocity plus a little noise. */
const goodVelocity = (): ((k: Kinematics) => Answer) => {
  const n = noise(1);
  return (k) => ({ vx: scaled(k.vx, 0.95, n, 30), vy: scaled(k.vy, 0.95, n, 30) });
};
/** A noisy position-and-velocity decoder. */
const noisyPosition = (): ((k: Kinematics) => Answer) => {
  const n = noise(2);
  return (k) => ({ x: scaled(k.x, 1, n, 14), y: scaled(k.y, 1, n, 14), vx: scaled(k.vx, 0.7, n, 120), vy: scaled(k.vy, 0.7, n, 120) });
};
/** A late velocity decoder: the velocity of 6 bins (150 ms) ago. */
const laggedVelocity = (): ((k: Kinematics, h: readonly Kinematics[]) => Answer | null) => (_k, h) => {
  const old = h[h.length - 7];
  return old ? { vx: old.vx, vy: old.vy } : null;
};

// ------------------------------------------------------------------ page reading

const row = (page: Page, name: string) => page.locator(`[data-testid="decoders-panel"] [data-decoder-name="${name}"]`);

async function predictionsOf(page: Page, name: string): Promise<number> {
  return Number((await row(page, name).getAttribute('data-predictions')) ?? NaN);
}

async function rowNames(page: Page): Promise<string[]> {
  return page.locator('[data-testid="decoders-panel"] [data-decoder-name]').evaluateAll((els) => els.map((e) => e.getAttribute('data-decoder-name') ?? ''));
}

const hexToRgb = (hex: string): [number, number, number] => [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];

/**
 * Pixels of `color` (within a small distance: anti-aliased edges) on the canvases under the
 * element with `testId`, read from copies so the studio's own canvases are never read back.
 */
async function colorPixels(page: Page, testId: string, color: string): Promise<number> {
  const [r, g, b] = hexToRgb(color);
  return page.evaluate(`(() => {
    let n = 0;
    for (const src of document.querySelectorAll('[data-testid="${testId}"] canvas')) {
      if (!src.width || !src.height) continue;
      const c = document.createElement('canvas');
      c.width = src.width;
      c.height = src.height;
      const cx = c.getContext('2d', { willReadFrequently: true });
      cx.drawImage(src, 0, 0);
      const d = cx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 200) continue;
        if (Math.abs(d[i] - ${r}) + Math.abs(d[i + 1] - ${g}) + Math.abs(d[i + 2] - ${b}) < 40) n++;
      }
    }
    return n;
  })()`);
}

// ------------------------------------------------------------------ setup

let t: TestServer;
let service: StudioService;
let browser: Browser;
let page: Page;
let problems: string[] = [];
const decoders: AnsweringDecoder[] = [];

async function connectDecoder(url: string, name: string, answer: ConstructorParameters<typeof AnsweringDecoder>[2]): Promise<AnsweringDecoder> {
  const d = new AnsweringDecoder(url, name, answer);
  decoders.push(d);
  await d.opened;
  return d;
}

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  t = await startTestServer();
  service = new StudioService(t.engine, t.server);
  t.server.attachStudio(service);
  ({ browser, page, problems } = await openStudioPage(t.http));
}, 180_000);

afterAll(async () => {
  for (const d of decoders) d.close();
  await browser?.close();
  await t?.close();
});

describe.skipIf(missing !== null)('decoders in the studio (browser host)', () => {
  const CODE = 'e2e-decoders';
  let jsonUrl = '';

  it('a decoder that answers every packet gets a row, a colour, a decoded cursor and decoded traces', async () => {
    await createSessionInUi(page, CODE);
    jsonUrl = (await tid(page, 'stream-url-json').textContent())!;
    expect(jsonUrl).toBe(`${t.ws}/stream/${CODE}`);
    await tid(page, 'decoders-panel').waitFor();
    await expect.poll(() => tid(page, 'decoders-evaluate').textContent(), { timeout: 5000 }).toContain('every bin');

    const good = await connectDecoder(jsonUrl, 'e2e-velocity', goodVelocity());
    const r = row(page, 'e2e-velocity');
    await r.waitFor({ timeout: 10_000 });
    expect(await r.getAttribute('data-connected')).toBe('true');
    await eventually(() => predictionsOf(page, 'e2e-velocity'), (n) => n >= 40, 'the row to count its predictions', 10_000, 100);
    expect(good.answered).toBeGreaterThanOrEqual(40);
    // Its combined R² is a number, and high: it sends 95 % of the truth.
    const r2 = await eventually(() => r.locator('[data-testid="decoder-r2"]').textContent(), (s) => s !== null && /^\d\.\d\d$/.test(s), 'a combined R²', 15_000, 200);
    expect(Number(r2)).toBeGreaterThan(0.5);
    expect(await r.locator('[data-axis="vx"]').count()).toBe(1);
    expect(await r.locator('[data-axis="x"]').count()).toBe(0);

    // Its colour, on the workspace canvas (the ring of its decoded cursor and its trail) and on
    // the velocity chart (its decoded vx and vy).
    const color = (await r.locator('[data-testid="decoder-swatch"]').getAttribute('data-color'))!;
    expect(color).toMatch(/^#[0-9a-f]{6}$/);
    await eventually(() => colorPixels(page, 'workspace', color), (n) => n > 30, `the decoded cursor (${color}) in the workspace`, 10_000, 200);
    await eventually(() => colorPixels(page, 'chart-velocity', color), (n) => n > 60, `decoded traces (${color}) in the velocity chart`, 10_000, 200);
    expect(await colorPixels(page, 'chart-position', color), 'a velocity-only decoder has no position trace').toBeLessThan(10);
    await expect.poll(() => tid(page, 'chart-velocity-decoded-key').isVisible(), { timeout: 5000 }).toBe(true);
    // The legend says how a velocity-only decoder gets a cursor.
    expect(await tid(page, 'workspace-legend').textContent()).toContain('e2e-velocity');
    expect(await tid(page, 'workspace-legend-note').textContent()).toContain('velocity-only decoders are integrated from the true position at each trial start');

    // Two more: a position decoder (drawn where it says) and a late one. Eight colours, none shared.
    await connectDecoder(jsonUrl, 'e2e-position', noisyPosition());
    await connectDecoder(jsonUrl, 'e2e-lagged', laggedVelocity());
    await row(page, 'e2e-position').waitFor({ timeout: 10_000 });
    await row(page, 'e2e-lagged').waitFor({ timeout: 10_000 });
    const colors = await tid(page, 'decoders-panel').locator('[data-testid="decoder-swatch"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-color')));
    expect(new Set(colors).size).toBe(3);
    const posColor = (await row(page, 'e2e-position').locator('[data-testid="decoder-swatch"]').getAttribute('data-color'))!;
    await eventually(() => colorPixels(page, 'chart-position', posColor), (n) => n > 60, 'the position decoder’s x/y traces', 10_000, 200);
    // Into a trial with some history for the screenshot.
    await eventually(() => tid(page, 'readout-trial').textContent(), (s) => s !== '—', 'a trial on screen', 20_000, 200);
    await eventually(() => row(page, 'e2e-lagged').locator('[data-testid="trial-strip"] .trial-cell').count(), (n) => n >= 1, 'a per-trial R² cell', 20_000, 250);
    await sleep(1500);
    await page.screenshot({ path: shot('default') });
    await tid(page, 'decoders-panel').screenshot({ path: shot('panel') });
    await page.locator('.workspace-panel').screenshot({ path: shot('workspace') });
    await page.locator('section[aria-label="Velocity"]').screenshot({ path: shot('velocity') });
  }, 120_000);

  it('the table sorts by a column and back; colours stay with their decoders', async () => {
    const colorOf = (name: string) => row(page, name).locator('[data-testid="decoder-swatch"]').getAttribute('data-color');
    const before = await Promise.all(['e2e-velocity', 'e2e-position', 'e2e-lagged'].map(colorOf));
    await tid(page, 'sort-name').click();
    expect(await rowNames(page)).toEqual(['e2e-lagged', 'e2e-position', 'e2e-velocity']);
    await tid(page, 'sort-name').click();
    expect(await rowNames(page)).toEqual(['e2e-velocity', 'e2e-position', 'e2e-lagged']);
    // Best R² first: every row's R² is at least the next one's.
    await tid(page, 'sort-r2').click();
    const r2s = await tid(page, 'decoders-panel')
      .locator('[data-testid="decoder-r2"]')
      .evaluateAll((els) => els.map((e) => Number((e.textContent ?? '').replace('\u2212', '-'))));
    for (let i = 1; i < r2s.length; i++) if (Number.isFinite(r2s[i])) expect(r2s[i - 1]).toBeGreaterThanOrEqual(r2s[i] - 0.02); // a refresh may land between reads
    expect(await tid(page, 'sort-r2').locator('..').getAttribute('aria-sort')).toBe('descending');
    expect(await Promise.all(['e2e-velocity', 'e2e-position', 'e2e-lagged'].map(colorOf))).toEqual(before);
    // The last 30 s switch reads the rolling scores.
    await tid(page, 'score-window-rolling').click();
    expect(await tid(page, 'score-window-rolling').getAttribute('aria-pressed')).toBe('true');
    await tid(page, 'score-window-cumulative').click();
  }, 60_000);

  it('Reset clears every decoder’s counts, and they count up again from zero', async () => {
    await eventually(() => predictionsOf(page, 'e2e-velocity'), (n) => n >= 200, '200 predictions before the reset', 20_000, 200);
    const before = await predictionsOf(page, 'e2e-velocity');
    const resetBefore = (await api(t.http, 'GET', `/api/sessions/${CODE}/decoders`)).body.reset_at;
    await tid(page, 'scores-reset').click();
    const after = await eventually(() => predictionsOf(page, 'e2e-velocity'), (n) => n < 80, 'the count to start again', 5000, 50);
    console.log(`[e2e] reset: e2e-velocity ${before} predictions → ${after}`);
    expect(after).toBeLessThan(before);
    expect((await api(t.http, 'GET', `/api/sessions/${CODE}/decoders`)).body.reset_at).not.toBe(resetBefore);
    // Still connected, still scored.
    await eventually(() => predictionsOf(page, 'e2e-velocity'), (n) => n > after, 'counting again', 5000, 100);
    expect(await row(page, 'e2e-velocity').getAttribute('data-connected')).toBe('true');
  }, 60_000);

  it('presentation mode shows the leaderboard large', async () => {
    await tid(page, 'presentation-toggle').click();
    await waitAttr(tid(page, 'app'), 'data-presentation', 'true');
    const board = tid(page, 'leaderboard');
    await board.waitFor({ timeout: 5000 });
    await expect.poll(() => board.locator('[data-decoder-name]').count(), { timeout: 5000 }).toBe(3);
    const big = Number(await page.evaluate(`parseFloat(getComputedStyle(document.querySelector('[data-testid="leaderboard"] .leaderboard-r2')).fontSize)`));
    expect(big, 'R² numerals for a projector (px)').toBeGreaterThanOrEqual(36);
    expect(await tid(page, 'decoders-panel').count()).toBe(0);
    await sleep(1000);
    await page.screenshot({ path: shot('presentation') });
    await focusNeutral(page);
    await page.keyboard.press('Escape');
    await waitAttr(tid(page, 'app'), 'data-presentation', 'false');
  }, 60_000);

  it('a decoder that leaves stays on the board, disconnected; its cursor goes', async () => {
    const lagged = decoders.find((d) => d.name === 'e2e-lagged')!;
    const color = (await row(page, 'e2e-lagged').locator('[data-testid="decoder-swatch"]').getAttribute('data-color'))!;
    lagged.close();
    await waitAttr(row(page, 'e2e-lagged'), 'data-connected', 'false', 10_000);
    await eventually(() => colorPixels(page, 'workspace', color), (n) => n < 10, 'its cursor and trail to go', 10_000, 200);
  }, 60_000);

  it('eight decoders at once: eight colours, every row readable', async () => {
    const more = ['ridge-a', 'wiener-b', 'kalman-c', 'lstm-d', 'gru-e'];
    const extra = await Promise.all(
      more.map((name, i) => {
        const n = noise(10 + i);
        const gain = 0.5 + i * 0.1;
        return connectDecoder(jsonUrl, name, (k) => ({ vx: scaled(k.vx, gain, n, 40 + 30 * i), vy: scaled(k.vy, gain, n, 40 + 30 * i) }));
      }),
    );
    for (const name of more) await row(page, name).waitFor({ timeout: 10_000 });
    const rows = tid(page, 'decoders-panel').locator('[data-decoder-name]');
    expect(await rows.count()).toBe(8);
    const colors = await tid(page, 'decoders-panel').locator('[data-testid="decoder-swatch"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-color')));
    expect(new Set(colors).size, `colours ${colors.join(' ')}`).toBe(8);
    // Names are not cut: each fits its cell.
    const cut = await tid(page, 'decoders-panel')
      .locator('[data-testid="decoder-name"]')
      .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    expect(cut).toEqual([]);
    await sleep(2500);
    await page.screenshot({ path: shot('eight') });
    await tid(page, 'decoders-panel').screenshot({ path: shot('eight-panel') });
    for (const d of extra) d.close();
  }, 60_000);

  it('the reference decoder starts and stops from the studio', async () => {
    // A session of its own at 20×, so its 120 s of training take 6 s.
    await createSessionInUi(page, 'e2e-reference');
    await tid(page, 'speed-select').selectOption('20');
    await focusNeutral(page);
    const ref = tid(page, 'reference-decoder');
    await expect.poll(() => ref.getAttribute('data-state'), { timeout: 5000 }).toBe('off');
    await tid(page, 'reference-toggle').click();
    await eventually(() => ref.getAttribute('data-state'), (s) => s === 'starting' || s === 'training' || s === 'predicting', 'the reference decoder to start', 10_000, 100);
    // It connects as a decoder named "reference", trains, then predicts.
    await row(page, 'reference').waitFor({ timeout: 20_000 });
    await eventually(() => ref.getAttribute('data-state'), (s) => s === 'predicting', 'the reference decoder to predict', 60_000, 250);
    await eventually(() => predictionsOf(page, 'reference'), (n) => n >= 100, 'its predictions', 20_000, 250);
    expect(await tid(page, 'reference-toggle').textContent()).toContain('Stop');
    await tid(page, 'speed-select').selectOption('1');
    await focusNeutral(page);
    await sleep(2500);
    await page.screenshot({ path: shot('reference') });

    await tid(page, 'reference-toggle').click();
    await eventually(() => ref.getAttribute('data-state'), (s) => s === 'exited', 'the reference decoder to stop', 10_000, 100);
    expect(await tid(page, 'reference-status').textContent()).toContain('stopped');
    await waitAttr(row(page, 'reference'), 'data-connected', 'false', 10_000);
    expect(await tid(page, 'reference-toggle').textContent()).toContain('Reference decoder');
  }, 120_000);

  it('a blind session made in the UI: BLIND in the list and header, scored on movement, decoders get no kinematics', async () => {
    const code = 'e2e-blind';
    await tid(page, 'session-blind').check();
    await tid(page, 'session-evaluate').selectOption('movement');
    await createSessionInUi(page, code);
    await tid(page, `session-blind-${code}`).waitFor({ timeout: 5000 });
    await tid(page, 'header-blind').waitFor({ timeout: 5000 });
    expect(await tid(page, 'header-blind').textContent()).toContain(code);
    expect(await tid(page, 'readout-blind').isVisible()).toBe(true);
    await expect.poll(() => tid(page, 'decoders-evaluate').textContent(), { timeout: 5000 }).toContain('movement');
    // The form goes back to its defaults for the next session.
    await tid(page, 'session-blind').uncheck();
    await tid(page, 'session-evaluate').selectOption('all');

    const peeker = new TestClient(`${t.ws}/stream/${code}`);
    try {
      await peeker.opened;
      await peeker.packetsAtLeast(20, 10_000);
      expect(peeker.messages[0].blind).toBe(true);
      expect(peeker.packets.every((p) => p.kinematics.x === null && p.kinematics.vx === null)).toBe(true);
    } finally {
      peeker.close();
    }
    // The studio still shows the truth the decoders do not get.
    await eventually(() => tid(page, 'chart-velocity-value-vx').textContent(), (s) => s !== null && s !== '—', 'true velocity in the studio', 10_000, 200);
    await page.screenshot({ path: shot('blind') });
  }, 60_000);

  it('the page logged no errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
