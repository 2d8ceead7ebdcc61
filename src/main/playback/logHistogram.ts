/**
 * Log-scale histograms of durations (ms): recording allocates nothing and a quantile reads the
 * bins, not a sort of every value. Quantiles are the geometric middle of their bin, within
 * 2.5 % of the exact value; the maximum is kept exactly.
 */
export interface DurationSummary {
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

/** Bin edges grow by this ratio: ±2.5 % around a bin's geometric middle. */
const RATIO = 1.05;
/** Bin 0 holds everything below this (on time, or early); the last bin everything above the top edge. */
const MIN_MS = 0.01;
export const BINS = 2 + Math.ceil(Math.log(1e5 / MIN_MS) / Math.log(RATIO)); // up to 100 s
const LOG_RATIO = Math.log(RATIO);

export function bucketOf(ms: number): number {
  if (!(ms >= MIN_MS)) return 0; // also NaN
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_RATIO));
}

/** A representative value for a bin: its geometric middle (0 for the lowest bin). */
function valueOf(bin: number): number {
  return bin === 0 ? 0 : MIN_MS * RATIO ** (bin - 0.5);
}

/** Nearest-rank quantile of `count` values spread over `bins`. */
function quantile(bins: Uint32Array, count: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    seen += bins[b];
    if (seen >= rank) return valueOf(b);
  }
  return valueOf(BINS - 1);
}

/** The summary of a histogram whose largest value is `max`. */
export function summarize(bins: Uint32Array, count: number, max: number): DurationSummary {
  if (count === 0) return { count: 0, p50_ms: null, p99_ms: null, max_ms: null };
  return {
    count,
    p50_ms: round3(Math.min(max, quantile(bins, count, 0.5))),
    p99_ms: round3(Math.min(max, quantile(bins, count, 0.99))),
    max_ms: round3(max),
  };
}

/** Every value since the last reset. */
export class LogHistogram {
  private readonly bins = new Uint32Array(BINS);
  private count = 0;
  private max = -Infinity;

  record(ms: number): void {
    this.bins[bucketOf(ms)]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  summary(): DurationSummary {
    return summarize(this.bins, this.count, this.max);
  }

  reset(): void {
    this.bins.fill(0);
    this.count = 0;
    this.max = -Infinity;
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
