/**
 * The decoder's own score: R² per axis exactly as scikit-learn's `r2_score`
 * (1 − Σ(y − ŷ)² / Σ(y − ȳ)²) and combined over the axes as
 * `r2_score(..., multioutput='variance_weighted')` (1 − Σ_axes SSE / Σ_axes SST), the metric the
 * server's scoreboard uses. Cumulative sums use Welford's update (no Σy² − n·ȳ² cancellation).
 */

export interface R2 {
  /** Pairs counted. */
  n: number;
  /** Per axis; NaN while the truth has no variance (fewer than 2 distinct values). */
  axes: number[];
  combined: number;
}

/** Running (cumulative) R² over pairs of q axes. */
export class RunningR2 {
  n = 0;
  private readonly mean: Float64Array;
  private readonly sst: Float64Array;
  private readonly sse: Float64Array;

  constructor(readonly q: number) {
    this.mean = new Float64Array(q);
    this.sst = new Float64Array(q);
    this.sse = new Float64Array(q);
  }

  add(truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
    this.n++;
    for (let k = 0; k < this.q; k++) {
      const y = truth[k];
      const d = y - this.mean[k];
      this.mean[k] += d / this.n;
      this.sst[k] += d * (y - this.mean[k]);
      const e = y - predicted[k];
      this.sse[k] += e * e;
    }
  }

  result(): R2 {
    return r2From(this.n, this.sse, this.sst);
  }
}

function r2From(n: number, sse: ArrayLike<number>, sst: ArrayLike<number>): R2 {
  const axes: number[] = [];
  let sumSse = 0;
  let sumSst = 0;
  for (let k = 0; k < sse.length; k++) {
    axes.push(sst[k] > 0 ? 1 - sse[k] / sst[k] : NaN);
    sumSse += sse[k];
    sumSst += sst[k];
  }
  return { n, axes, combined: sumSst > 0 ? 1 - sumSse / sumSst : NaN };
}

/** R² over explicit pairs: truth and predictions row-major n×q. */
export function r2Score(truth: ArrayLike<number>, predicted: ArrayLike<number>, q: number): R2 {
  const r = new RunningR2(q);
  const t = new Float64Array(q);
  const p = new Float64Array(q);
  for (let s = 0; (s + 1) * q <= truth.length; s++) {
    for (let k = 0; k < q; k++) {
      t[k] = truth[s * q + k];
      p[k] = predicted[s * q + k];
    }
    r.add(t, p);
  }
  return r.result();
}

/** R² over the last `capacity` pairs (a sliding window), recomputed on demand. */
export class WindowR2 {
  private readonly truth: Float64Array;
  private readonly pred: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    readonly q: number,
    readonly capacity: number,
  ) {
    this.truth = new Float64Array(capacity * q);
    this.pred = new Float64Array(capacity * q);
  }

  add(truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
    for (let k = 0; k < this.q; k++) {
      this.truth[this.next * this.q + k] = truth[k];
      this.pred[this.next * this.q + k] = predicted[k];
    }
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  result(): R2 {
    const r = new RunningR2(this.q);
    const t = new Float64Array(this.q);
    const p = new Float64Array(this.q);
    for (let s = 0; s < this.size; s++) {
      for (let k = 0; k < this.q; k++) {
        t[k] = this.truth[s * this.q + k];
        p[k] = this.pred[s * this.q + k];
      }
      r.add(t, p);
    }
    return r.result();
  }
}

/** Percentile (0–100) of the values, nearest-rank; NaN for none. */
export function percentile(values: ArrayLike<number>, pct: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1));
  return sorted[rank];
}
