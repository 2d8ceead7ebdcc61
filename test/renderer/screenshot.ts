/**
 * Screenshots of the studio in Chromium, for people to look at (not a test).
 *
 *   npm run build && node --import tsx test/renderer/screenshot.ts
 *
 * Starts the engine and server in-process on a free port (the built-in synthetic recording),
 * connects two decoders to the "demo" session, opens the built studio at 1600×1000, and saves
 * test-results/screenshots/studio-*.png: default, a target filter, a trial filter, a bad
 * dataset path, presentation mode. It also checks that the transport and readouts do not move
 * while data streams and prints page errors, CSP violations and the frame rate it saw.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { Engine } from '../../src/main/playback/engine.ts';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { startServer } from '../../src/main/server.ts';
import { decodeMsgpack } from '../../src/shared/codecs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** STUDIO_VIEWPORT=1280x800 checks another size; its files get a -1280x800 suffix. */
const [VW, VH] = (process.env.STUDIO_VIEWPORT ?? '1600x1000').split('x').map(Number);
const SUFFIX = VW === 1600 && VH === 1000 ? '' : `-${VW}x${VH}`;
const shot = (name: string) => join(OUT, `studio-${name}${SUFFIX}.png`);

const STABLE = [
  'transport-play-pause',
  'transport-stop',
  'scrubber',
  'position-readout',
  'duration-readout',
  'speed-select',
  'loop-toggle',
  'readout-trial',
  'readout-trial-time',
  'readout-target',
  'readout-distance',
  'raster-canvas',
  'chart-rate',
  'chart-position',
  'chart-velocity',
  'workspace',
];

async function layoutDrift(page: Page, samples = 12, everyMs = 120): Promise<Array<{ id: string; dx: number; dy: number; dw: number; dh: number }>> {
  const read = () =>
    page.evaluate((ids) => {
      const out: Record<string, number[]> = {};
      for (const id of ids) {
        const r = document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect();
        if (r) out[id] = [r.x, r.y, r.width, r.height];
      }
      return out;
    }, STABLE);
  const first = await read();
  const worst = new Map<string, number[]>();
  for (let i = 0; i < samples; i++) {
    await sleep(everyMs);
    const now = await read();
    for (const [id, r] of Object.entries(now)) {
      const f = first[id];
      const d = r.map((v, k) => Math.abs(v - f[k]));
      const w = worst.get(id) ?? [0, 0, 0, 0];
      worst.set(id, w.map((v, k) => Math.max(v, d[k])));
    }
  }
  return [...worst].map(([id, [dx, dy, dw, dh]]) => ({ id, dx, dy, dw, dh }));
}

/** rAF intervals over `ms` (the script is a string: tsx would inject helpers into a function). */
async function frameStats(page: Page, ms = 2000): Promise<{ fps: number; p95: number; max: number }> {
  return page.evaluate(`new Promise((resolve) => {
    const deltas = [];
    let last = performance.now();
    const t0 = last;
    const tick = (t) => {
      deltas.push(t - last);
      last = t;
      if (t - t0 < ${ms}) requestAnimationFrame(tick);
      else {
        deltas.sort((a, b) => a - b);
        resolve({ fps: Math.round(deltas.length / (${ms} / 1000)), p95: +deltas[Math.floor(deltas.length * 0.95)].toFixed(1), max: +deltas[deltas.length - 1].toFixed(1) });
      }
    };
    requestAnimationFrame(tick);
  })`);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const engine = await Engine.start();
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  server.attachStudio(new StudioService(engine, server));
  const ws = server.url.replace(/^http/, 'ws');
  console.log(`server ${server.url}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const problems: string[] = [];
  const decoders: WebSocket[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: VW, height: VH }, deviceScaleFactor: 1 });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${server.url}/studio/`);
    await page.locator('[data-testid="session-item-demo"]').waitFor({ timeout: 10_000 });

    // Two decoders on the demo session, as a lab would have.
    const received: any[] = [];
    for (const path of ['/stream/binary/demo', '/stream/demo']) {
      const c = new WebSocket(`${ws}${path}`);
      c.on('message', (data, isBinary) => received.push(isBinary ? decodeMsgpack(data as Buffer) : JSON.parse(String(data))));
      decoders.push(c);
    }
    await sleep(3500);
    await page.screenshot({ path: shot('default') });
    console.log(`saved ${shot('default').slice(ROOT.length + 1)}`);

    const drift = await layoutDrift(page);
    const moved = drift.filter((d) => d.dx + d.dy + d.dw + d.dh > 0.01);
    console.log(moved.length ? `LAYOUT MOVED while streaming: ${JSON.stringify(moved)}` : `layout stable while streaming (${drift.length} elements checked)`);
    console.log('frames at 1×:', await frameStats(page));

    // A target filter, chosen on the map.
    const target = engine.dataset.targets.filter((t) => t.trialIds.length > 0)[3] ?? engine.dataset.targets[0];
    await page.locator(`[data-testid="target-${target.id}"]`).click();
    const mark = received.length;
    await sleep(3000);
    const after = received.slice(mark).filter((m) => m.type === 'data');
    const wrong = after.slice(2).filter((m) => m.intention.target_id !== target.id).length;
    console.log(`target ${target.id} filter: ${after.length} decoder packets since the click, ${wrong} with another target`);
    await page.screenshot({ path: shot('target-filter') });
    console.log(`saved ${shot('target-filter').slice(ROOT.length + 1)}`);

    // A trial filter from the list (search first), then clear.
    await page.locator('[data-testid="filters-clear"]').click();
    await page.locator('[data-testid="trial-search"]').fill('1');
    await page.locator('[data-testid="trial-row-12"]').click();
    await sleep(1500);
    await page.screenshot({ path: shot('trial-filter') });
    console.log(`saved ${shot('trial-filter').slice(ROOT.length + 1)}`);
    await page.locator('[data-testid="filters-clear"]').click();
    await page.locator('[data-testid="trial-search"]').fill('');

    // A bad file: the error shows, the dataset stays.
    await page.locator('[data-testid="dataset-path-input"]').fill('/nope/missing.nwb');
    await page.locator('[data-testid="dataset-open"]').click();
    await page.locator('[data-testid="dataset-error"]').waitFor({ timeout: 5000 });
    // A refusal from the engine (an existing code) shows as a toast.
    await page.locator('[data-testid="session-code-input"]').fill('demo');
    await page.locator('[data-testid="session-create"]').click();
    await page.locator('[data-testid="toast"]').first().waitFor({ timeout: 5000 });
    console.log(`dataset still ${await page.locator('[data-testid="dataset-name"]').textContent()}; toast: ${await page.locator('[data-testid="toast"]').first().textContent()}`);
    await page.screenshot({ path: shot('dataset-error') });
    console.log(`saved ${shot('dataset-error').slice(ROOT.length + 1)}`);

    // Presentation mode with a target filter applied.
    await page.locator(`[data-testid="target-${target.id}"]`).click();
    await page.locator('[data-testid="presentation-toggle"]').click();
    await sleep(2500);
    await page.screenshot({ path: shot('presentation') });
    console.log(`saved ${shot('presentation').slice(ROOT.length + 1)}`);
    const driftP = await layoutDrift(page);
    const movedP = driftP.filter((d) => d.dx + d.dy + d.dw + d.dh > 0.01);
    console.log(movedP.length ? `LAYOUT MOVED in presentation: ${JSON.stringify(movedP)}` : 'presentation layout stable');

    // 20× for a moment: still smooth?
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="speed-select"]').selectOption('20');
    await sleep(1500);
    console.log('frames at 20×:', await frameStats(page));
    await page.screenshot({ path: shot('20x') });
    console.log(`saved ${shot('20x').slice(ROOT.length + 1)}`);
  } finally {
    for (const d of decoders) d.close();
    await browser.close();
    await server.close('screenshots done');
  }
  console.log(problems.length ? `page problems:\n  ${problems.join('\n  ')}` : 'no page errors, warnings or CSP violations');
  process.exit(0);
}

await main();
