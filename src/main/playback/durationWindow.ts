/**
 * Durations (ms) over a sliding window of wall time: a session's send lateness (sent − due)
 * over the last minute for /metrics, a decoder's round-trip latency over the last 30 s.
 *
 * A log-scale histogram per second of wall time, plus their running sum: recording a packet
 * allocates nothing, a summary reads one histogram (not a sort of every packet), and a session
 * holds ~80 KB whatever its speed. (Keeping every value cost 768 KB per session and made
 * `GET /metrics` block the loop ~46 ms with 100 sessions: bench/results/fanout.md.)
 * Quantiles are the geometric middle of their bin: within 2.5 % of the exact value.
 */
import { BINS, bucketOf, summarize, type DurationSummary } from './logHistogram.ts';

export class DurationWindow {
  private readonly seconds: number;
  /** Per wall-clock second (ring): counts per bin, and the exact largest value. */
  private readonly perSecond: Uint32Array;
  private readonly maxPerSecond: Float64Array;
  /** Which second each ring slot holds (-1: empty). */
  private readonly secondOf: Float64Array;
  /** Sum of the ring's histograms: what a summary reads. */
  private readonly total = new Uint32Array(BINS);
  private count = 0;

  constructor(windowMs = 60_000) {
    this.seconds = Math.max(1, Math.ceil(windowMs / 1000));
    this.perSecond = new Uint32Array(this.seconds * BINS);
    this.maxPerSecond = new Float64Array(this.seconds).fill(-Infinity);
    this.secondOf = new Float64Array(this.seconds).fill(-1);
  }

  record(nowMs: number, ms: number): void {
    const slot = this.slotFor(Math.floor(nowMs / 1000));
    const bin = bucketOf(ms);
    this.perSecond[slot * BINS + bin]++;
    this.total[bin]++;
    this.count++;
    if (ms > this.maxPerSecond[slot]) this.maxPerSecond[slot] = ms;
  }

  summary(nowMs: number): DurationSummary {
    this.expire(Math.floor(nowMs / 1000));
    let max = -Infinity;
    for (let s = 0; s < this.seconds; s++) if (this.secondOf[s] >= 0 && this.maxPerSecond[s] > max) max = this.maxPerSecond[s];
    return summarize(this.total, this.count, max);
  }

  reset(): void {
    for (let s = 0; s < this.seconds; s++) this.clear(s);
  }

  /** The ring slot for `second`, emptied first if it held an older second. */
  private slotFor(second: number): number {
    const slot = second % this.seconds;
    if (this.secondOf[slot] !== second) {
      this.clear(slot);
      this.secondOf[slot] = second;
    }
    return slot;
  }

  /** Drops the seconds that have left the window (a summary after a quiet spell reads nothing stale). */
  private expire(nowSecond: number): void {
    for (let s = 0; s < this.seconds; s++) {
      if (this.secondOf[s] >= 0 && nowSecond - this.secondOf[s] >= this.seconds) this.clear(s);
    }
  }

  private clear(slot: number): void {
    if (this.secondOf[slot] < 0) return;
    const base = slot * BINS;
    for (let b = 0; b < BINS; b++) {
      const n = this.perSecond[base + b];
      if (n !== 0) {
        this.total[b] -= n;
        this.count -= n;
        this.perSecond[base + b] = 0;
      }
    }
    this.maxPerSecond[slot] = -Infinity;
    this.secondOf[slot] = -1;
  }
}
