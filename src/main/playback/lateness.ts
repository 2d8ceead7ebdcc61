/**
 * Send lateness (sent − due, ms) over a sliding window of wall time, for /metrics.
 * A fixed ring of typed arrays: recording a packet allocates nothing.
 */
export interface LatenessSummary {
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export class LatenessWindow {
  private readonly at: Float64Array;
  private readonly lateness: Float64Array;
  private next = 0;
  private size = 0;

  /** Capacity covers a minute at 20× speed (800 packets/s). */
  constructor(
    private readonly windowMs = 60_000,
    capacity = 60 * 800,
  ) {
    this.at = new Float64Array(capacity);
    this.lateness = new Float64Array(capacity);
  }

  record(nowMs: number, latenessMs: number): void {
    this.at[this.next] = nowMs;
    this.lateness[this.next] = latenessMs;
    this.next = (this.next + 1) % this.at.length;
    if (this.size < this.at.length) this.size++;
  }

  summary(nowMs: number): LatenessSummary {
    const values: number[] = [];
    const cap = this.at.length;
    for (let i = 0; i < this.size; i++) {
      const j = (this.next - 1 - i + cap) % cap;
      if (nowMs - this.at[j] > this.windowMs) break;
      values.push(this.lateness[j]);
    }
    if (values.length === 0) return { count: 0, p50_ms: null, p99_ms: null, max_ms: null };
    values.sort((a, b) => a - b);
    return {
      count: values.length,
      p50_ms: round3(quantile(values, 0.5)),
      p99_ms: round3(quantile(values, 0.99)),
      max_ms: round3(values[values.length - 1]),
    };
  }
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
