/**
 * Main-thread work per frame from a Chromium trace of the studio page (bench/renderer.ts and
 * experiments share it). On the page's renderer main thread a frame starts at the top-level
 * task that runs the animation-frame callbacks and owns every top-level task until the next one.
 */
import type { Page } from 'playwright-core';
import { dist, quantile, round, type Dist } from './lib.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: any;
}

export interface FrameWork {
  frames: number;
  /** Wall time of main-thread tasks per frame, ms. */
  wall: Dist & { p95: number };
  /** Thread CPU time of the same tasks, ms. */
  cpu: Dist & { p95: number };
  /** Mean ms per frame by kind, from the trace's nested events. */
  breakdown: Record<string, number>;
  /** p50 / p95 over frames of each kind's ms in a frame (same trace; which part makes the tail). */
  perFrame: Record<string, { p50: number; p95: number }>;
  forcedLayoutsPerFrame: number;
  /** Each frame's wall time, ms, in order (for pooling windows; left out of the results' JSON). */
  wallMs?: number[];
  /** Each frame's thread CPU time, ms (the same frames). */
  cpuMs?: number[];
}

function withP95(values: number[]): Dist & { p95: number } {
  return { ...dist(values), p95: quantile(values, 0.95) };
}

export function analyzeTrace(buf: Buffer): FrameWork {
  const parsed = JSON.parse(buf.toString('utf8'));
  const events: TraceEvent[] = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  // The studio page's renderer main thread: the CrRendererMain with the most animation frames.
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`);
  const fafCount = new Map<string, number>();
  for (const e of events) if (e.name === 'FireAnimationFrame') fafCount.set(`${e.pid}:${e.tid}`, (fafCount.get(`${e.pid}:${e.tid}`) ?? 0) + 1);
  const main = mains.sort((a, b) => (fafCount.get(b) ?? 0) - (fafCount.get(a) ?? 0))[0];
  const mine = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === 'X').sort((a, b) => a.ts - b.ts);
  const tasks = mine.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.dur !== undefined);
  const faf = mine.filter((e) => e.name === 'FireAnimationFrame');
  // Frame-starting tasks: the top-level tasks that run animation-frame callbacks.
  const frameTaskIdx: number[] = [];
  let ti = 0;
  for (const f of faf) {
    while (ti < tasks.length && tasks[ti].ts + tasks[ti].dur! < f.ts) ti++;
    if (ti < tasks.length && tasks[ti].ts <= f.ts && frameTaskIdx[frameTaskIdx.length - 1] !== ti) frameTaskIdx.push(ti);
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k + 1 < frameTaskIdx.length; k++) {
    let w = 0;
    let c = 0;
    for (let i = frameTaskIdx[k]; i < frameTaskIdx[k + 1]; i++) {
      w += tasks[i].dur!;
      c += tasks[i].tdur ?? tasks[i].dur!;
    }
    wall.push(w / 1000);
    cpu.push(c / 1000);
  }
  const frames = wall.length;
  const KINDS = [
    ['rAF callbacks', 'FireAnimationFrame'],
    ['layout', 'Layout'],
    ['paint', 'Paint'],
    ['pre-paint', 'PrePaint'],
    ['layerize', 'Layerize'],
    ['commit to compositor', 'Commit'],
  ] as const;
  const perFrameMs: Record<string, number[]> = Object.fromEntries(KINDS.map(([label]) => [label, new Array<number>(frames).fill(0)]));
  {
    const byName = new Map<string, string>(KINDS.map(([label, name]) => [name, label]));
    let k = 0;
    for (const e of mine) {
      const label = byName.get(e.name);
      if (label === undefined || e.dur === undefined) continue;
      while (k + 1 < frameTaskIdx.length && tasks[frameTaskIdx[k + 1]].ts <= e.ts) k++;
      if (k >= frames || e.ts < tasks[frameTaskIdx[0]].ts) continue;
      perFrameMs[label][k] += e.dur / 1000;
    }
  }
  const perFrame = Object.fromEntries(KINDS.map(([label]) => [label, { p50: round(quantile(perFrameMs[label], 0.5), 3), p95: round(quantile(perFrameMs[label], 0.95), 3) }]));
  const sumOf = (name: string) => mine.filter((e) => e.name === name).reduce((s, e) => s + (e.dur ?? 0), 0) / 1000;
  const breakdown: Record<string, number> = {};
  for (const [label, name] of [
    ['rAF callbacks (the frame loop: raster, charts, readouts)', 'FireAnimationFrame'],
    ['script outside rAF (studio-channel messages, React, timers)', 'FunctionCall'],
    ['layout', 'Layout'],
    ['style recalc', 'UpdateLayoutTree'],
    ['paint', 'Paint'],
    ['pre-paint', 'PrePaint'],
    ['layerize', 'Layerize'],
    ['commit to compositor', 'Commit'],
    ['GC (minor)', 'MinorGC'],
    ['GC (major)', 'MajorGC'],
  ] as const) {
    breakdown[label] = round(sumOf(name) / Math.max(1, frames), 3);
  }
  const forced = mine.filter((e) => e.name === 'Layout' && mine.some((p) => p.name === 'FunctionCall' && p.ts <= e.ts && p.ts + (p.dur ?? 0) >= e.ts + (e.dur ?? 0))).length;
  // FunctionCall inside FireAnimationFrame would count twice: keep only top-level FunctionCalls.
  const topFc = mine.filter((e) => e.name === 'FunctionCall' && !faf.some((f) => f.ts <= e.ts && f.ts + (f.dur ?? 0) >= e.ts + (e.dur ?? 0)));
  breakdown['script outside rAF (studio-channel messages, React, timers)'] = round(topFc.reduce((s, e) => s + (e.dur ?? 0), 0) / 1000 / Math.max(1, frames), 3);
  return { frames, wall: withP95(wall), cpu: withP95(cpu), breakdown, perFrame, forcedLayoutsPerFrame: round(forced / Math.max(1, frames), 2), wallMs: wall.map((v) => round(v, 3)), cpuMs: cpu.map((v) => round(v, 3)) };
}

export async function traceWindow(page: Page, seconds: number): Promise<FrameWork> {
  const browser = page.context().browser()!;
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await sleep(seconds * 1000);
  return analyzeTrace(await browser.stopTracing());
}
