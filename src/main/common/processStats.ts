import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

let loopDelay: IntervalHistogram | null = null;

/** The process-wide event-loop delay monitor, started on first use; it covers (roughly) the last minute. */
function eventLoopDelay(): IntervalHistogram {
  if (!loopDelay) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    setInterval(() => h.reset(), 60_000).unref();
    loopDelay = h;
  }
  return loopDelay;
}

export interface ProcessStats {
  rss_mb: number;
  heap_used_mb: number;
  external_mb: number;
  array_buffers_mb: number;
  event_loop_lag_ms: { p50: number; p99: number; max: number };
}

/** Memory and event-loop lag of this process, for /metrics and the studio's status bar. */
export function processStats(): ProcessStats {
  const mem = process.memoryUsage();
  const mb = (v: number) => Math.round(v / 1e5) / 10;
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3; // ns → ms, 3 decimals
  const d = eventLoopDelay();
  return {
    rss_mb: mb(mem.rss),
    heap_used_mb: mb(mem.heapUsed),
    external_mb: mb(mem.external),
    array_buffers_mb: mb(mem.arrayBuffers),
    event_loop_lag_ms: { p50: ms(d.percentile(50)), p99: ms(d.percentile(99)), max: ms(d.max) },
  };
}

/** Starts the event-loop monitor now, so the first report covers the time since start. */
export function startProcessStats(): void {
  eventLoopDelay();
}
