/**
 * Send lateness (sent − due, ms) over a sliding minute of wall time, for /metrics.
 *
 * A log-scale histogram per second of wall time, plus their running sum: recording a packet
 * allocates nothing, a summary reads one histogram (not a sort of every packet), and a session
 * holds ~80 KB whatever its speed. (Keeping every value cost 768 KB per session and made
 * `GET /metrics` block the loop ~46 ms with 100 sessions: bench/results/fanout.md.)
 * Quantiles are the geometric middle of their bin: within 2.5 % of the exact value.
 */
export interface LatenessSummary {
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

/** Bin edges grow by this ratio: ±2.5 % around a bin's geometric middle. */
const RATIO = 1.05;
/** Bin 0 holds everything below this (on time, or early); the last bin everything above the top edge. */
const MIN_MS = 0.01;
const BINS = 2 + Math.ceil(Math.log(1e5 / MIN_MS) / Math.log(RATIO)); // up to 100 s late
const LOG_RATIO = Math.log(RATIO);

function bucketOf(ms: number): number {
  if (!(ms >= MIN_MS)) return 0; // also NaN
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_RATIO));
}

/** A representative value for a bin: its geometric middle (0 for the "on time" bin). */
function valueOf(bin: number): number {
  return bin === 0 ? 0 : MIN_MS * RATIO ** (bin - 0.5);
}

export class LatenessWindow {
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

  record(nowMs: number, latenessMs: number): void {
    const slot = this.slotFor(Math.floor(nowMs / 1000));
    const bin = bucketOf(latenessMs);
    this.perSecond[slot * BINS + bin]++;
    this.total[bin]++;
    this.count++;
    if (latenessMs > this.maxPerSecond[slot]) this.maxPerSecond[slot] = latenessMs;
  }

  summary(nowMs: number): LatenessSummary {
    this.expire(Math.floor(nowMs / 1000));
    if (this.count === 0) return { count: 0, p50_ms: null, p99_ms: null, max_ms: null };
    let max = -Infinity;
    for (let s = 0; s < this.seconds; s++) if (this.secondOf[s] >= 0 && this.maxPerSecond[s] > max) max = this.maxPerSecond[s];
    return {
      count: this.count,
      p50_ms: round3(Math.min(max, this.quantile(0.5))),
      p99_ms: round3(Math.min(max, this.quantile(0.99))),
      max_ms: round3(max),
    };
  }

  /** Nearest-rank quantile over the window's histogram. */
  private quantile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      seen += this.total[b];
      if (seen >= rank) return valueOf(b);
    }
    return valueOf(BINS - 1);
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

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
