/**
 * The studio renderer in Chromium: frame rate, main-thread work per frame, JS heap over time,
 * and input-to-visible-change latency at 20× (not a test: a missed goal is reported, not failed).
 *
 *   npm run build && node --import tsx bench/renderer.ts [--quick]
 *
 * Setup: the engine and server in this process with the studio channel attached (as
 * `phantomlink serve` wires them), the built renderer at /studio/ in Debian's Chromium
 * (headless, software rendering: --disable-gpu), 1600×1000 at DPR 1, the first-load "demo"
 * session streaming at 1× with one MessagePack decoder connected, the raster, the charts
 * (rate, position, velocity) and the 2-D view on screen.
 *
 * Methods (see the Method section of the results):
 * - fps: an in-page requestAnimationFrame counter, frames per wall second, every second of the run.
 * - main-thread work per frame: Chromium traces (categories toplevel + devtools.timeline) of
 *   5 s windows spread over the run. The renderer main thread's top-level tasks are grouped
 *   into frames: a frame starts at the task that runs the animation-frame callbacks and owns
 *   every task up to the next one (packet messages, React, timers, rendering). Tracing costs a
 *   little itself, so a cross-check without tracing is reported too: CDP Performance.getMetrics
 *   TaskDuration over the whole run divided by the frames counted (a mean, not a p95).
 * - JS heap: CDP Runtime.getHeapUsage every 10 s (as is), and after a forced GC
 *   (HeapProfiler.collectGarbage) at the start, every 2 min (30 s with --quick) and at the end.
 * - latency at 20×: a keydown on the page (Space: play/pause; "[" / "]": speed preset down/up,
 *   the keys the studio gives for it), timed from the keydown event's timeStamp (its dispatch
 *   into the page) to the end of the first frame whose DOM shows the change (the play/pause
 *   button's data-status, the speed select's value): a rAF callback sees the changed DOM and
 *   posts a message; that message runs after the frame's rendering work.
 */
import { chromium, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/main/playback/engine.ts';
import { StudioService } from '../src/main/studio/studioService.ts';
import { startServer } from '../src/main/server.ts';
import { QUICK, REPO_ROOT, dist, fmt, hostSample, hostUsage, machineInfo, machineLine, mdTable, metOrNot, quantile, round, writeResults } from './lib.ts';
import { traceWindow, type FrameWork } from './frameTrace.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEWPORT = { width: 1600, height: 1000 };

const STEADY_S = QUICK ? 60 : 600;
const SAMPLE_EVERY_S = 10;
const GC_EVERY_S = QUICK ? 30 : 120;
/** Seconds into the steady run at which a 5 s trace is taken. */
const TRACE_AT_S = QUICK ? [20] : [60, 300, 540];
const TRACE_S = 5;
const LATENCY_TRIALS = QUICK ? 10 : 30;

const GOALS = { fps: 55, frameWorkP95Ms: 4, latencyMs: 100 };
/** "No growth": post-GC heap at the end within this of the start (allocator noise). */
const HEAP_TOLERANCE_MB = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;
const log = (s: string) => console.log(`[renderer bench] ${s}`);

// ------------------------------------------------------------------ in-page probes (strings: no transpiler helpers in the page)

const FRAME_COUNTER = `(() => {
  if (window.__bench) return;
  const perSecond = [];
  const intervals = [];
  let count = 0, secStart = -1, last = -1;
  const tick = (t) => {
    if (last >= 0) intervals.push(t - last);
    last = t;
    if (secStart < 0) secStart = t;
    count++;
    if (t - secStart >= 1000) { perSecond.push((count * 1000) / (t - secStart)); count = 0; secStart = t; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__bench = { take: () => ({ perSecond: perSecond.splice(0), intervals: intervals.splice(0) }) };
})()`;

/**
 * Arms a one-shot latency probe: the next keydown's timeStamp, then a rAF poll until `kind`'s
 * DOM state differs from now, then a message posted from that frame (runs after its rendering).
 */
const ARM_LATENCY = (kind: 'status' | 'speed') => `(() => {
  const read = ${kind === 'status' ? `() => document.querySelector('[data-testid="transport-play-pause"]').getAttribute('data-status')` : `() => document.querySelector('[data-testid="speed-select"]').value`};
  const before = read();
  let keyTs = null, domTs = null;
  window.addEventListener('keydown', (e) => { keyTs = e.timeStamp; }, { capture: true, once: true });
  const target = document.querySelector(${kind === 'status' ? `'[data-testid="transport-play-pause"]'` : `'[data-testid="speed-select"]'`});
  const mo = new MutationObserver(() => { if (domTs === null && read() !== before) domTs = performance.now(); });
  mo.observe(target, { attributes: true, childList: true, subtree: true, characterData: true });
  window.__latency = new Promise((resolve) => {
    const timeout = setTimeout(() => { mo.disconnect(); resolve({ before, after: read(), keyTs, domTs, frameTs: null, paintedTs: null }); }, 5000);
    const poll = (t) => {
      if (keyTs !== null && read() !== before) {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { clearTimeout(timeout); mo.disconnect(); resolve({ before, after: read(), keyTs, domTs, frameTs: t, paintedTs: performance.now() }); };
        ch.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
})()`;

interface LatencyResult {
  before: string;
  after: string;
  keyTs: number | null;
  domTs: number | null;
  frameTs: number | null;
  paintedTs: number | null;
}

// ------------------------------------------------------------------ the run

async function main(): Promise<void> {
  if (!existsSync(join(REPO_ROOT, 'out', 'renderer', 'index.html'))) throw new Error('out/renderer is missing: npm run build first');
  const machine = machineInfo();
  const engine = await Engine.start();
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  server.attachStudio(new StudioService(engine, server));
  const wsBase = server.url.replace(/^http/, 'ws');
  log(`server ${server.url}; ${QUICK ? 'quick' : 'full'} run: ${STEADY_S} s at 1×`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const problems: string[] = [];
  let decoderPackets = 0;
  let decoder: WebSocket | null = null;
  try {
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await page.goto(`${server.url}/studio/`);
    await page.locator('[data-testid="session-item-demo"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="transport-play-pause"][data-status="playing"]').waitFor({ timeout: 30_000 });

    decoder = new WebSocket(`${wsBase}/stream/binary/demo`);
    decoder.on('message', () => decoderPackets++);
    await new Promise((r, j) => (decoder!.once('open', r), decoder!.once('error', j)));

    // Everything the goal names is on screen.
    const visible: Record<string, boolean> = {};
    for (const id of ['raster-canvas', 'chart-rate', 'chart-position', 'chart-velocity', 'workspace-canvas', 'target-map']) {
      const b = await page.locator(`[data-testid="${id}"]`).boundingBox();
      visible[id] = !!b && b.width > 50 && b.height > 30 && b.x >= 0 && b.y >= 0 && b.x + b.width <= VIEWPORT.width + 1 && b.y + b.height <= VIEWPORT.height + 1;
    }
    log(`on screen: ${JSON.stringify(visible)}`);
    await page.evaluate(FRAME_COUNTER);
    await sleep(5000); // warm-up: JIT, first trial, plots filled
    await page.evaluate('window.__bench.take()');

    const heapNow = async () => (await cdp.send('Runtime.getHeapUsage')).usedSize as number;
    const heapAfterGc = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return heapNow();
    };
    const metricsNow = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m: { name: string; value: number }) => [m.name, m.value]));

    // ---------------------------------------------------------------- steady state at 1×
    const gcSamples: Array<{ t: number; mb: number }> = [{ t: 0, mb: (await heapAfterGc()) / MB }];
    const heapSamples: Array<{ t: number; mb: number }> = [];
    const fpsPerSecond: number[] = [];
    const intervals: number[] = [];
    const traces: Array<{ at: number; work: FrameWork }> = [];
    const m0 = await metricsNow();
    const host0 = hostSample();
    const packets0 = decoderPackets;
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    let nextSample = SAMPLE_EVERY_S;
    let nextGc = GC_EVERY_S;
    const pendingTraces = [...TRACE_AT_S];
    while (elapsed() < STEADY_S) {
      const wait = Math.min(nextSample, pendingTraces[0] ?? Infinity) - elapsed();
      if (wait > 0) await sleep(wait * 1000);
      if (pendingTraces.length && elapsed() >= pendingTraces[0]) {
        const at = pendingTraces.shift()!;
        traces.push({ at, work: await traceWindow(page, TRACE_S) });
        const w = traces[traces.length - 1].work;
        log(`trace at ${at} s: ${w.frames} frames, work per frame p50 ${fmt(w.wall.p50)} p95 ${fmt(w.wall.p95)} max ${fmt(w.wall.max)} ms`);
      }
      if (elapsed() >= nextSample) {
        const t = Math.round(elapsed());
        const frames = (await page.evaluate('window.__bench.take()')) as { perSecond: number[]; intervals: number[] };
        fpsPerSecond.push(...frames.perSecond);
        intervals.push(...frames.intervals);
        heapSamples.push({ t, mb: (await heapNow()) / MB });
        if (elapsed() >= nextGc && elapsed() < STEADY_S - SAMPLE_EVERY_S / 2) {
          gcSamples.push({ t, mb: (await heapAfterGc()) / MB });
          nextGc += GC_EVERY_S;
        }
        const fpsNow = frames.perSecond.length ? frames.perSecond.reduce((a, b) => a + b, 0) / frames.perSecond.length : NaN;
        log(`${t} s: ${fmt(fpsNow, 1)} fps, heap ${fmt(heapSamples[heapSamples.length - 1].mb)} MB`);
        nextSample += SAMPLE_EVERY_S;
      }
    }
    const steadyS = elapsed();
    const m1 = await metricsNow();
    const host1 = hostSample();
    gcSamples.push({ t: Math.round(steadyS), mb: (await heapAfterGc()) / MB });
    const framesCounted = intervals.length;
    const taskMsPerFrame = ((m1.TaskDuration - m0.TaskDuration) * 1000) / Math.max(1, framesCounted);
    const scriptMsPerFrame = ((m1.ScriptDuration - m0.ScriptDuration) * 1000) / Math.max(1, framesCounted);
    const layoutMsPerFrame = ((m1.LayoutDuration - m0.LayoutDuration + m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000) / Math.max(1, framesCounted);
    const decoderRate = (decoderPackets - packets0) / steadyS;
    const usage = hostUsage(host0, host1);

    // ---------------------------------------------------------------- 20×
    await page.locator('[data-testid="speed-select"]').selectOption('20');
    await page.locator('[data-testid="speed-select"]').evaluate('(el) => el.blur()');
    await page.waitForFunction(`document.querySelector('[data-testid="speed-select"]').value === '20'`, null, { timeout: 10_000 });
    await sleep(3000);
    await page.evaluate('window.__bench.take()');
    const work20 = await traceWindow(page, TRACE_S);
    await sleep(5000);
    const frames20 = (await page.evaluate('window.__bench.take()')) as { perSecond: number[]; intervals: number[] };
    log(`20×: ${fmt(dist(frames20.perSecond).mean, 1)} fps, work per frame p95 ${fmt(work20.wall.p95)} ms`);

    await page.evaluate(`document.activeElement && document.activeElement.blur && document.activeElement.blur()`);
    const measure = async (kind: 'status' | 'speed', key: string): Promise<LatencyResult> => {
      await page.evaluate(ARM_LATENCY(kind));
      await page.keyboard.press(key);
      return (await page.evaluate('window.__latency')) as LatencyResult;
    };
    const spaceLat: number[] = [];
    const spaceDom: number[] = [];
    const speedLat: number[] = [];
    const failures: string[] = [];
    for (let i = 0; i < LATENCY_TRIALS; i++) {
      // Space: pause (odd trials: play again).
      const r = await measure('status', ' ');
      if (r.paintedTs === null || r.keyTs === null) failures.push(`space #${i}: no visible change (${r.before} → ${r.after})`);
      else {
        spaceLat.push(r.paintedTs - r.keyTs);
        if (r.domTs !== null) spaceDom.push(r.domTs - r.keyTs);
      }
      await sleep(400 + Math.random() * 200);
    }
    // Make sure it plays at 20× for the speed trials.
    if ((await page.locator('[data-testid="transport-play-pause"]').getAttribute('data-status')) !== 'playing') {
      await page.keyboard.press(' ');
      await page.locator('[data-testid="transport-play-pause"][data-status="playing"]').waitFor();
    }
    await sleep(1000);
    for (let i = 0; i < LATENCY_TRIALS; i++) {
      // "[" from 20× → 10×, "]" back to 20×.
      const r = await measure('speed', i % 2 === 0 ? '[' : ']');
      if (r.paintedTs === null || r.keyTs === null) failures.push(`speed #${i}: no visible change (${r.before} → ${r.after})`);
      else speedLat.push(r.paintedTs - r.keyTs);
      await sleep(400 + Math.random() * 200);
    }
    // Reference: the same page with the session paused (the frame loop runs, nothing new to draw).
    if ((await page.locator('[data-testid="transport-play-pause"]').getAttribute('data-status')) === 'playing') await page.keyboard.press(' ');
    await page.locator('[data-testid="transport-play-pause"][data-status="paused"]').waitFor();
    await sleep(2000);
    const workPaused = await traceWindow(page, TRACE_S);
    log(`latency: space p50 ${fmt(quantile(spaceLat, 0.5), 1)} p95 ${fmt(quantile(spaceLat, 0.95), 1)} ms; speed p50 ${fmt(quantile(speedLat, 0.5), 1)} p95 ${fmt(quantile(speedLat, 0.95), 1)} ms`);

    // ---------------------------------------------------------------- results
    const fps = dist(fpsPerSecond);
    const fpsP5 = quantile(fpsPerSecond, 0.05);
    const iv = dist(intervals);
    const slowFrames = intervals.filter((x) => x > 1000 / 60 * 1.5).length;
    const allWall = traces.flatMap((t) => [t.work.wall.p95]);
    const worstTraceP95 = Math.max(...allWall);
    const pooledFrames = traces.reduce((s, t) => s + t.work.frames, 0);
    const heapStart = gcSamples[0].mb;
    const heapEnd = gcSamples[gcSamples.length - 1].mb;
    const heapGrowth = heapEnd - heapStart;
    const slope = linearSlope(heapSamples.map((s) => s.t), heapSamples.map((s) => s.mb)); // MB/s
    const spaceP95 = quantile(spaceLat, 0.95);
    const speedP95 = quantile(speedLat, 0.95);

    const md: string[] = [];
    md.push(`# Renderer benchmark${QUICK ? ' (quick)' : ''}`, '');
    md.push(machineLine(machine), '');
    md.push(
      `Run: the studio (built renderer, browser host) in Chromium ${browser.version()} headless with --disable-gpu (software rendering), ${VIEWPORT.width}×${VIEWPORT.height} at DPR 1; ` +
        `engine + server in the benchmark process; the "demo" session streaming at 1× for ${Math.round(steadyS)} s with one MessagePack decoder connected (${fmt(decoderRate, 1)} packets/s received); ` +
        `raster, rate/position/velocity charts and the 2-D view on screen (${Object.entries(visible).map(([k, v]) => `${k} ${v ? 'visible' : 'NOT visible'}`).join(', ')}). ` +
        `Then 20× for the latency trials. The machine during the 1× run: ${fmt(usage.machine_busy_cores)} of ${machine.cpus} cores busy (all processes), CPU pressure ${usage.cpu_pressure_some_percent ?? '–'} %.`,
      '',
    );
    md.push('## Goals', '');
    md.push(
      mdTable(
        ['goal', 'measured', 'verdict'],
        [
          [`≥ ${GOALS.fps} fps at 1×`, `mean ${fmt(fps.mean, 1)} fps; worst 5 % of seconds ≤ ${fmt(fpsP5, 1)} fps; min ${fmt(fps.min, 1)} (${fps.n} one-second windows)`, metOrNot(fps.mean >= GOALS.fps && fpsP5 >= GOALS.fps)],
          [
            `main-thread work per frame ≤ ${GOALS.frameWorkP95Ms} ms p95 at 1×`,
            `p95 ${traces.map((t) => `${fmt(t.work.wall.p95)} ms (at ${t.at} s)`).join(', ')}; p50 ${traces.map((t) => fmt(t.work.wall.p50)).join(', ')} ms; ${pooledFrames} traced frames. Without tracing: mean ${fmt(taskMsPerFrame)} ms/frame (CDP TaskDuration)`,
            metOrNot(worstTraceP95 <= GOALS.frameWorkP95Ms),
          ],
          [
            `no JS heap growth over ${Math.round(steadyS / 60)} min`,
            `after GC: ${fmt(heapStart)} → ${fmt(heapEnd)} MB (${heapGrowth >= 0 ? '+' : ''}${fmt(heapGrowth)} MB); raw samples' trend ${slope * 60 >= 0 ? '+' : ''}${fmt(slope * 60, 3)} MB/min`,
            metOrNot(heapGrowth <= HEAP_TOLERANCE_MB),
          ],
          [
            `input → visible change ≤ ${GOALS.latencyMs} ms at 20×`,
            `Space (play/pause) p50 ${fmt(quantile(spaceLat, 0.5), 1)} / p95 ${fmt(spaceP95, 1)} / max ${fmt(Math.max(...spaceLat), 1)} ms; speed key p50 ${fmt(quantile(speedLat, 0.5), 1)} / p95 ${fmt(speedP95, 1)} / max ${fmt(Math.max(...speedLat), 1)} ms (${spaceLat.length} + ${speedLat.length} trials${failures.length ? `; ${failures.length} without a visible change` : ''})`,
            metOrNot(spaceP95 <= GOALS.latencyMs && speedP95 <= GOALS.latencyMs && failures.length === 0),
          ],
        ],
      ),
      '',
    );
    md.push(`Heap "no growth" means the post-GC heap at the end is within ${HEAP_TOLERANCE_MB} MB of the start.`, '');

    md.push('## Frames at 1×', '');
    md.push(
      mdTable(
        ['measure', 'value'],
        [
          ['frame interval (rAF) p50 / p99 / max', `${fmt(iv.p50)} / ${fmt(iv.p99)} / ${fmt(iv.max)} ms`],
          ['frames later than 1.5 × 16.7 ms', `${slowFrames} of ${intervals.length} (${fmt((slowFrames / Math.max(1, intervals.length)) * 100)} %)`],
          ['main-thread task time per frame, whole run, no tracing (CDP TaskDuration / frames)', `${fmt(taskMsPerFrame)} ms (script ${fmt(scriptMsPerFrame)} ms, style + layout ${fmt(layoutMsPerFrame)} ms)`],
        ],
      ),
      '',
    );
    md.push('### Main-thread work per frame (traced windows)', '');
    md.push(
      mdTable(
        ['window', 'frames', 'wall p50', 'wall p95', 'wall max', 'CPU p95', 'forced layouts / frame'],
        [
          ...traces.map((t) => [`1×, ${TRACE_S} s at ${t.at} s`, t.work.frames, fmt(t.work.wall.p50), fmt(t.work.wall.p95), fmt(t.work.wall.max), fmt(t.work.cpu.p95), fmt(t.work.forcedLayoutsPerFrame)]),
          [`20×, ${TRACE_S} s`, work20.frames, fmt(work20.wall.p50), fmt(work20.wall.p95), fmt(work20.wall.max), fmt(work20.cpu.p95), fmt(work20.forcedLayoutsPerFrame)],
          [`paused (reference: nothing streams), ${TRACE_S} s`, workPaused.frames, fmt(workPaused.wall.p50), fmt(workPaused.wall.p95), fmt(workPaused.wall.max), fmt(workPaused.cpu.p95), fmt(workPaused.forcedLayoutsPerFrame)],
        ],
      ),
      '',
    );
    md.push('Where a frame\'s main-thread time goes (mean ms per frame, last 1× window, 20×, paused):', '');
    const last = traces[traces.length - 1].work.breakdown;
    md.push(mdTable(['kind', '1×', '20×', 'paused'], Object.keys(last).map((k) => [k, fmt(last[k], 3), fmt(work20.breakdown[k], 3), fmt(workPaused.breakdown[k], 3)])), '');
    const lastPf = traces[traces.length - 1].work.perFrame;
    md.push(
      'The same per frame, p50 / p95 over frames (1×, last window). At 40 packets/s on a 60 Hz display about two frames in three bring a packet and redraw the canvases; the third draws the values people read (clock, readouts, chart values, each on its own small canvas: live/liveText.ts) and moves the scrubber. Their DOM copies, the trial and target React shows and the server’s session list, clients and metrics are brought up to date together in one frame every 500 ms (main.tsx; 3 % of frames, a few ms each), so layout and paint are 0 at the median and at the p95:',
      '',
    );
    md.push(mdTable(['kind', 'p50 (ms)', 'p95 (ms)'], Object.keys(lastPf).map((k) => [k, fmt(lastPf[k].p50, 3), fmt(lastPf[k].p95, 3)])), '');

    md.push('## JS heap over time (1×)', '');
    md.push(
      mdTable(
        ['t (s)', 'used (MB)', 'after GC (MB)'],
        [[0, '', fmt(gcSamples[0].mb)] as Array<string | number>].concat(
          heapSamples.map((s) => [s.t, fmt(s.mb), gcSamples.find((g) => g.t === s.t) ? fmt(gcSamples.find((g) => g.t === s.t)!.mb) : '']),
        ),
      ),
      '',
    );
    md.push(`After GC at 0 s: ${fmt(gcSamples[0].mb)} MB; at the end (${gcSamples[gcSamples.length - 1].t} s): ${fmt(heapEnd)} MB.`, '');

    md.push('## 20×', '');
    md.push(
      mdTable(
        ['measure', 'value'],
        [
          ['fps', `mean ${fmt(dist(frames20.perSecond).mean, 1)}, min ${fmt(dist(frames20.perSecond).min, 1)} (${frames20.perSecond.length} s)`],
          ['Space → play/pause button changed (DOM)', `p50 ${fmt(quantile(spaceDom, 0.5), 1)} / p95 ${fmt(quantile(spaceDom, 0.95), 1)} ms`],
          ['Space → that change painted', `p50 ${fmt(quantile(spaceLat, 0.5), 1)} / p95 ${fmt(spaceP95, 1)} / max ${fmt(Math.max(...spaceLat), 1)} ms`],
          ['[ / ] → speed select shows the new speed, painted', `p50 ${fmt(quantile(speedLat, 0.5), 1)} / p95 ${fmt(speedP95, 1)} / max ${fmt(Math.max(...speedLat), 1)} ms`],
        ],
      ),
      '',
    );
    if (failures.length) md.push(`Trials without a visible change within 5 s: ${failures.join('; ')}`, '');
    md.push('## Method', '');
    md.push(
      [
        '- **fps**: an in-page `requestAnimationFrame` counter: frames per wall second, every second of the run.',
        `- **Main-thread work per frame**: Chromium traces (categories \`toplevel\`, \`devtools.timeline\`, \`disabled-by-default-devtools.timeline\`) of ${TRACE_S} s windows at ${TRACE_AT_S.join(', ')} s. On the page's renderer main thread, a frame starts at the top-level task that runs the animation-frame callbacks and owns every top-level task until the next one (studio-channel messages, React, timers, and the frame's own style, layout, paint and commit); its work is the sum of those tasks' wall durations (CPU time also shown). \`long-animation-frame\` entries were not used: Chromium reports only frames over 50 ms, which says nothing about a 4 ms p95. Tracing itself adds some cost, so the whole-run mean from CDP \`Performance.getMetrics\` TaskDuration (no tracing) is shown as a cross-check.`,
        `- **JS heap**: CDP \`Runtime.getHeapUsage\` (usedSize of the page's V8 heap) every ${SAMPLE_EVERY_S} s as is, and after \`HeapProfiler.collectGarbage\` at the start, every ${GC_EVERY_S} s and at the end.`,
        '- **Latency**: the key is sent with Playwright (CDP Input.dispatchKeyEvent). Timed from the keydown event\'s `timeStamp` in the page to the end of the first frame whose DOM shows the change (the play/pause button\'s `data-status`; the speed select\'s value): a rAF callback sees the changed DOM and posts a MessageChannel message, which runs after that frame\'s rendering. This includes the round trip over the studio channel to the engine and back.',
        '- Everything shares 2 cores with the engine, the benchmark process and whatever else runs on the machine; software rendering (no GPU) puts raster and compositing work on the CPU too.',
      ].join('\n'),
      '',
    );
    md.push(problems.length ? `Page problems: ${problems.join('; ')}` : 'No page errors or console warnings during the run.', '');
    const markdown = md.join('\n');
    const path = writeResults('renderer', markdown, {
      machine,
      quick: QUICK,
      steady_s: round(steadyS, 1),
      visible,
      fps: { ...fps, p5: fpsP5, per_second: fpsPerSecond.map((v) => round(v, 2)) },
      frame_interval_ms: iv,
      traces,
      trace_20x: work20,
      trace_paused: workPaused,
      task_ms_per_frame_cdp: round(taskMsPerFrame, 3),
      heap_mb: { samples: heapSamples, after_gc: gcSamples, growth_after_gc: round(heapGrowth, 3), slope_mb_per_min: round(slope * 60, 4) },
      latency_ms: { space: spaceLat.map((v) => round(v, 1)), space_dom: spaceDom.map((v) => round(v, 1)), speed: speedLat.map((v) => round(v, 1)), failures },
      decoder_packets_per_s: round(decoderRate, 2),
      host: usage,
      problems,
    });
    console.log(`\n${markdown}\n`);
    log(`wrote ${path.slice(REPO_ROOT.length + 1)}`);
  } finally {
    decoder?.close();
    await browser.close();
    await server.close('benchmark done');
  }
}

function linearSlope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

await main();
process.exit(0);
