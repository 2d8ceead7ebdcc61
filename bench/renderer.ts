/**
 * The studio renderer in Chromium: frame rate, main-thread work per frame, JS heap over time,
 * and input-to-visible-change latency at 20× (not a test: a missed goal is reported, not failed).
 *
 *   npm run build && node --import tsx bench/renderer.ts [--quick] [--decoders N] [--pairs K]
 *   node --import tsx bench/renderer.ts --side-by-side-only --decoders 8 [--build-b DIR] [--pairs K]
 *
 * `--decoders N` (0–8, default 0): N real decoder clients in a separate process
 * (bench/renderer-decoders.ts) answer every packet of the session the studio follows with a
 * prediction (the truth plus noise; one velocity-only, one position-only), so the studio draws
 * N decoded cursors and their traces for the whole run. Then, side by side (K pairs of 5 s
 * traced windows, in A B B A order, after a 12 s settle each: a decoded window filled), the
 * studio follows that session (N decoders) and a second one no decoder answers (0).
 * `--side-by-side-only` runs only that comparison; with `--build-b DIR` it compares two builds
 * instead (out/renderer and DIR, the page reloaded from one or the other, N decoders in both).
 * Those runs write bench/results/renderer-side.md / .json (not committed), unless --out says.
 * Without options the run is the one before decoders answered (one listening decoder).
 *
 * Setup: the engine and server in this process with the studio channel attached (as
 * `phantomlink serve` wires them), the built renderer at /studio/ in Debian's Chromium
 * (headless, software rendering: --disable-gpu), 1600×1000 at DPR 1, the first-load "demo"
 * session streaming at 1× with one MessagePack decoder connected (and N answering ones), the raster, the charts
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
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import { Engine } from '../src/main/playback/engine.ts';
import { StudioService } from '../src/main/studio/studioService.ts';
import { startServer } from '../src/main/server.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, arg, dist, fmt, hostSample, hostUsage, machineInfo, machineLine, mdTable, metOrNot, quantile, round, writeResults } from './lib.ts';
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

/** Answering decoders on the followed session (bench/renderer-decoders.ts has 8 kinds). */
const DECODERS = Math.max(0, Math.min(8, Math.floor(Number(arg('decoders') ?? 0))));
const SIDE_ONLY = process.argv.includes('--side-by-side-only');
/** A second renderer build to compare with out/renderer, side by side. */
const BUILD_B = arg('build-b') ? resolve(arg('build-b')!) : null;
/** Side-by-side pairs of traced windows (one window of each condition per pair). */
const PAIRS = Math.max(1, Number(arg('pairs') ?? (QUICK ? 2 : 4)));
/** After a switch: the decoded traces fill the 10 s plot window, the JIT settles. */
const SETTLE_S = 12;
/** The session no decoder answers, for the side-by-side comparison. */
const PLAIN_SESSION = 'bench-plain';

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

  // A page whose files come through a route counts as public to Chromium, which then refuses
  // its WebSocket to the local server (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS): for a
  // build comparison only, both builds run without that check.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BUILD_B ? [...CHROMIUM_ARGS, '--disable-features=LocalNetworkAccessChecks'] : CHROMIUM_ARGS });
  const problems: string[] = [];
  let decoderPackets = 0;
  let decoder: WebSocket | null = null;
  let decoders: DecoderProcess | null = null;
  let decodersResult: DecodersResult | null = null;
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
    if (DECODERS > 0) {
      decoders = await spawnDecoders(wsBase, 'demo', DECODERS);
      await waitForOverlays(page, DECODERS);
      log(`${DECODERS} answering decoders on "demo": ${decoders.names.join(', ')}`);
    }
    // A session no decoder answers, for the side-by-side comparison (made now, so both
    // conditions run with the same sessions on the server).
    if (DECODERS > 0 && !BUILD_B) await createSession(server.url, PLAIN_SESSION);

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

    if (SIDE_ONLY) {
      const side = await sideBySide(page, sideConditions(page, server.url, BUILD_B), PAIRS);
      decodersResult = decoders ? await decoders.stop() : null;
      const md = [`# Renderer: side by side${QUICK ? ' (quick)' : ''}`, '', machineLine(machine), '', sideMarkdown(side, browser.version(), visible, decodersResult), ''];
      md.push(problems.length ? `Page problems: ${problems.join('; ')}` : 'No page errors or console warnings during the run.', '');
      const path = writeResults('renderer-side', md.join('\n'), { machine, quick: QUICK, decoders: DECODERS, build_b: BUILD_B, side: slimSide(side), decoders_result: decodersResult, problems });
      console.log(`\n${md.join('\n')}\n`);
      log(`wrote ${path.slice(REPO_ROOT.length + 1)}`);
      return;
    }

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

    // ---------------------------------------------------------------- side by side: 0 vs N decoders
    const side = DECODERS > 0 ? await sideBySide(page, sideConditions(page, server.url, null), PAIRS) : null;
    if (side) await follow(page, 'demo', DECODERS);

    // ---------------------------------------------------------------- 20×
    await page.locator('[data-testid="speed-select"]').selectOption('20');
    await page.locator('[data-testid="speed-select"]').evaluate('(el) => el.blur()');
    for (const deadline = Date.now() + 10_000; (await page.locator('[data-testid="speed-select"]').inputValue()) !== '20'; await sleep(50)) {
      if (Date.now() > deadline) throw new Error('the speed select does not show 20×');
    }
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

    decodersResult = decoders ? await decoders.stop() : null;

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
        `engine + server in the benchmark process; the "demo" session streaming at 1× for ${Math.round(steadyS)} s with one MessagePack decoder connected (${fmt(decoderRate, 1)} packets/s received)` +
        (decodersResult ? ` and ${DECODERS} decoders answering every packet (${decodersLine(decodersResult)}), so the studio draws ${DECODERS} decoded cursors and their traces` : ', no decoder answering') +
        '; ' +
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

    if (side) md.push(sideMarkdown(side, browser.version(), visible, null), '');
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
      decoders: DECODERS,
      decoders_result: decodersResult,
      side_by_side: side ? slimSide(side) : null,
      steady_s: round(steadyS, 1),
      visible,
      fps: { ...fps, p5: fpsP5, per_second: fpsPerSecond.map((v) => round(v, 2)) },
      frame_interval_ms: iv,
      traces: traces.map((t) => ({ at: t.at, work: slim(t.work) })),
      trace_20x: slim(work20),
      trace_paused: slim(workPaused),
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
    if (decoders && !decodersResult) await decoders.stop().catch(() => null);
    await browser.close();
    await server.close('benchmark done');
  }
}

// ------------------------------------------------------------------ answering decoders (a child process)

interface DecodersResult {
  names: string[];
  answered: number[];
  packets: number[];
  errors: string[];
}

interface DecoderProcess {
  names: string[];
  stop(): Promise<DecodersResult>;
}

/** N decoder clients (bench/renderer-decoders.ts) answering every packet of `session`. */
async function spawnDecoders(wsBase: string, session: string, n: number): Promise<DecoderProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'renderer-decoders.ts'), '--url', wsBase, '--session', session, '--decoders', String(n)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const names = await new Promise<string[]>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('decoder clients: no "ready" in 60 s')), 60_000);
    child.once('message', (m: { type: string; names: string[] }) => (clearTimeout(timer), res(m.names)));
    child.once('exit', (code) => (clearTimeout(timer), rej(new Error(`decoder clients exited (${code}) before "ready"`))));
  });
  let result: Promise<DecodersResult> | null = null;
  return {
    names,
    stop: () =>
      (result ??= new Promise<DecodersResult>((res, rej) => {
        const timer = setTimeout(() => (child.kill(), rej(new Error('decoder clients: no "done" in 10 s'))), 10_000);
        child.once('message', (m: Omit<DecodersResult, 'names'>) => (clearTimeout(timer), res({ names, ...m })));
        child.send({ type: 'stop' });
      })),
  };
}

function decodersLine(r: DecodersResult): string {
  const per = r.answered.map((a, i) => (r.packets[i] > 0 ? a / r.packets[i] : NaN));
  return `${r.names.join(', ')}; they answered ${fmt(Math.min(...per) * 100, 1)}–${fmt(Math.max(...per) * 100, 1)} % of the packets they got${r.errors.length ? `; errors: ${r.errors.join('; ')}` : ''}`;
}

async function createSession(base: string, code: string): Promise<void> {
  const res = await fetch(`${base}/api/sessions/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  if (res.status !== 201) throw new Error(`create ${code}: ${res.status} ${await res.text()}`);
}

/** The studio shows `n` decoders: the workspace legend has "true" and one item each. */
async function waitForOverlays(page: Page, n: number): Promise<void> {
  const want = n > 0 ? n + 1 : 0;
  const items = page.locator('[data-testid="workspace-legend"] .legend-item');
  const deadline = Date.now() + 30_000;
  for (let got = await items.count(); got !== want; got = await items.count()) {
    if (Date.now() > deadline) throw new Error(`the studio shows ${Math.max(0, got - 1)} decoders, not ${n}`);
    await sleep(100);
  }
}

/** Follows session `code` in the studio (a click in the session list), playing, with `n` decoders shown. */
async function follow(page: Page, code: string, n: number): Promise<void> {
  await page.locator(`[data-testid="session-item-${code}"]`).click();
  await page.locator(`[data-testid="session-item-${code}"].selected`).waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="transport-play-pause"][data-status="playing"]').waitFor({ timeout: 10_000 });
  await waitForOverlays(page, n);
  await page.evaluate(`document.activeElement && document.activeElement.blur && document.activeElement.blur()`);
}

// ------------------------------------------------------------------ side by side

interface SideCondition {
  name: string;
  /** Puts the page in this condition (and the frame counter in the page). */
  enter(): Promise<void>;
}

interface SideWindow {
  cond: string;
  /** Seconds since the side-by-side phase began. */
  at: number;
  work: FrameWork;
  fps: number;
}

interface SideResult {
  conditions: string[];
  windows: SideWindow[];
  host: ReturnType<typeof hostUsage>;
  pressureBefore: string;
  pressureAfter: string;
}

/**
 * 0 vs N decoders (follow the plain session or "demo"), or build A vs B (the page reloaded from
 * out/renderer or from `buildB`, N decoders in both).
 */
function sideConditions(page: Page, base: string, buildB: string | null): SideCondition[] {
  if (!buildB) {
    return [
      { name: `${DECODERS} decoders`, enter: () => follow(page, 'demo', DECODERS) },
      { name: '0 decoders', enter: () => follow(page, PLAIN_SESSION, 0) },
    ];
  }
  let serveB = false;
  let routed = false;
  const load = async (b: boolean) => {
    if (!routed) {
      routed = true;
      // Both builds go through the route (it disables the HTTP cache): B's files from its directory.
      await page.route(
        (url) => url.pathname.startsWith('/studio/') && url.pathname !== '/studio/channel',
        async (route) => {
          const rel = decodeURIComponent(new URL(route.request().url()).pathname.slice('/studio/'.length)) || 'index.html';
          const file = normalize(join(buildB, rel));
          if (serveB && file.startsWith(buildB) && existsSync(file) && statSync(file).isFile()) await route.fulfill({ path: file });
          else await route.continue();
        },
      );
    }
    serveB = b;
    await page.goto(`${base}/studio/`);
    await page.locator('[data-testid="session-item-demo"].selected').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="transport-play-pause"][data-status="playing"]').waitFor({ timeout: 30_000 });
    await waitForOverlays(page, DECODERS);
    await page.evaluate(FRAME_COUNTER);
  };
  return [
    { name: 'A (out/renderer)', enter: () => load(false) },
    { name: `B (${buildB.startsWith(REPO_ROOT) ? buildB.slice(REPO_ROOT.length + 1) : buildB})`, enter: () => load(true) },
  ];
}

async function sideBySide(page: Page, conds: SideCondition[], pairs: number): Promise<SideResult> {
  const windows: SideWindow[] = [];
  const h0 = hostSample();
  const pressureBefore = readPressure();
  const t0 = performance.now();
  for (let p = 0; p < pairs; p++) {
    // A B, B A, A B, …: a drift in the machine's load falls on both alike.
    for (const c of p % 2 === 0 ? conds : [...conds].reverse()) {
      await c.enter();
      await sleep(SETTLE_S * 1000);
      await page.evaluate('window.__bench.take()');
      const at = (performance.now() - t0) / 1000;
      const work = await traceWindow(page, TRACE_S);
      const frames = (await page.evaluate('window.__bench.take()')) as { perSecond: number[]; intervals: number[] };
      const fps = (frames.intervals.length * 1000) / Math.max(1, frames.intervals.reduce((a, b) => a + b, 0));
      windows.push({ cond: c.name, at: round(at, 1), work, fps });
      log(`side by side, ${c.name}: ${work.frames} frames, p50 ${fmt(work.wall.p50)} p95 ${fmt(work.wall.p95)} ms, ${fmt(fps, 1)} fps`);
    }
  }
  return { conditions: conds.map((c) => c.name), windows, host: hostUsage(h0, hostSample()), pressureBefore, pressureAfter: readPressure() };
}

function readPressure(): string {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
  } catch {
    return 'n/a';
  }
}

function sideMarkdown(side: SideResult, chromiumVersion: string, visible: Record<string, boolean>, decodersResult: DecodersResult | null): string {
  const md: string[] = [];
  const builds = BUILD_B !== null;
  md.push(`## Side by side: ${builds ? `two builds, ${DECODERS} decoders in both` : `0 vs ${DECODERS} decoders`} (1×)`, '');
  md.push(
    (builds
      ? `The page is reloaded from one build or the other (out/renderer, or ${BUILD_B} through a Playwright route), following the "demo" session that ${DECODERS} decoders answer. `
      : `The studio follows, in turn, the "demo" session that ${DECODERS} decoders answer (${DECODERS} decoded cursors in the workspace, their traces in the position and velocity charts) and "${PLAIN_SESSION}", which no decoder answers; both sessions play all along, the decoders answer all along. `) +
      `${PAIRS} pairs of ${TRACE_S} s traced windows in A B, B A, … order, each after a ${SETTLE_S} s settle (the decoded traces fill the 10 s window). ` +
      `Chromium ${chromiumVersion}, ${VIEWPORT.width}×${VIEWPORT.height}, software rendering; on screen: ${Object.entries(visible)
        .filter(([, v]) => v)
        .map(([k]) => k)
        .join(', ')}. ` +
      `The machine during these windows: ${fmt(side.host.machine_busy_cores)} of 2 cores busy (all processes), CPU pressure ${side.host.cpu_pressure_some_percent ?? '–'} %; /proc/pressure/cpu before: \`${side.pressureBefore}\`, after: \`${side.pressureAfter}\`.` +
      (decodersResult ? ` Decoders: ${decodersLine(decodersResult)}.` : ''),
    '',
  );
  const rows = side.conditions.map((c) => {
    const ws = side.windows.filter((w) => w.cond === c);
    const pooled = ws.flatMap((w) => w.work.wallMs ?? []);
    const cpu = ws.flatMap((w) => w.work.cpuMs ?? []);
    return [
      c,
      ws.length,
      fmt(quantile(pooled, 0.5)),
      `**${fmt(quantile(pooled, 0.95))}**`,
      `${fmt(quantile(cpu, 0.5))} / ${fmt(quantile(cpu, 0.95))}`,
      ws.map((w) => fmt(w.work.wall.p95)).join(' / '),
      fmt(quantile(ws.map((w) => w.work.wall.p95), 0.5)),
      fmt(dist(ws.map((w) => w.fps)).mean, 1),
      fmt(Math.min(...ws.map((w) => w.fps)), 1),
    ];
  });
  md.push(mdTable(['condition', 'windows', 'work p50, pooled (ms)', 'work p95, pooled (ms)', 'CPU p50 / p95, pooled (ms)', 'p95 per window (ms, in order)', 'median window p95', 'fps, mean', 'fps, worst window'], rows), '');
  // Where the time goes, per condition (mean ms per frame over its windows).
  const kinds = Object.keys(side.windows[0]?.work.breakdown ?? {});
  md.push(
    mdTable(
      ['kind (mean ms per frame)', ...side.conditions],
      kinds.map((k) => [k, ...side.conditions.map((c) => fmt(dist(side.windows.filter((w) => w.cond === c).map((w) => w.work.breakdown[k])).mean, 3))]),
    ),
    '',
  );
  return md.join('\n');
}

/** A FrameWork without its per-frame values (kept out of the JSON). */
function slim(w: FrameWork): FrameWork {
  const { wallMs: _wall, cpuMs: _cpu, ...rest } = w;
  return rest;
}

function slimSide(side: SideResult) {
  return { ...side, windows: side.windows.map((w) => ({ ...w, work: slim(w.work) })) };
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
