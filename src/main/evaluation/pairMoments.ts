/** Where each moment sits in a PairMoments' slice of its block. */
const N = 0;
const MEAN_Y = 1;
const MEAN_P = 2;
const M2_Y = 3;
const M2_P = 4;
const C_YP = 5;
const SSE = 6;
const SSE_C = 7;
const FIELDS = 8;

/**
 * Streaming moments of (truth, prediction) pairs, from which R², Pearson r and RMSE follow
 * exactly as scikit-learn and numpy compute them on the same pairs.
 *
 * Σy² − n·ȳ² loses every digit the mean shares with the values, so the sums are centred as
 * they grow (Welford; co-moment as in Welford's covariance update) and the squared error is a
 * compensated (Kahan–Babuška) sum. Two sets merge exactly (Chan et al.), which is how rolling
 * windows are read from per-second buckets. O(1) per pair, no allocation.
 *
 * The moments are eight doubles of a Float64Array, often one block shared by many
 * (`PairMoments.block`). Not eight fields: V8 boxes each double field as a heap number of its
 * own, and a scoreboard of 640 decoders keeps ~200,000 moments (cumulative, rolling buckets,
 * recent trials), some 1.6 million objects for every full collection to mark.
 */
export class PairMoments {
  constructor(
    private readonly f: Float64Array = new Float64Array(FIELDS),
    private readonly o = 0,
  ) {}

  /** `count` moments on one block of memory, all zero. */
  static block(count: number): PairMoments[] {
    const f = new Float64Array(count * FIELDS);
    return Array.from({ length: count }, (_, i) => new PairMoments(f, i * FIELDS));
  }

  get n(): number {
    return this.f[this.o + N];
  }
  get meanY(): number {
    return this.f[this.o + MEAN_Y];
  }
  get meanP(): number {
    return this.f[this.o + MEAN_P];
  }
  /** Σ(y − ȳ)²: scikit-learn's R² denominator. */
  get m2Y(): number {
    return this.f[this.o + M2_Y];
  }
  get m2P(): number {
    return this.f[this.o + M2_P];
  }
  /** Σ(y − ȳ)(p − p̄). */
  get cYP(): number {
    return this.f[this.o + C_YP];
  }

  add(y: number, p: number): void {
    const f = this.f;
    const o = this.o;
    const n = ++f[o + N];
    const dy = y - f[o + MEAN_Y];
    const dp = p - f[o + MEAN_P];
    const meanY = (f[o + MEAN_Y] += dy / n);
    const meanP = (f[o + MEAN_P] += dp / n);
    f[o + M2_Y] += dy * (y - meanY);
    f[o + M2_P] += dp * (p - meanP);
    f[o + C_YP] += dy * (p - meanP);
    this.addSse((y - p) * (y - p));
  }

  /** Adds another set's pairs (Chan et al.'s parallel update). */
  merge(other: PairMoments): void {
    const g = other.f;
    const q = other.o;
    const on = g[q + N];
    if (on === 0) return;
    const f = this.f;
    const o = this.o;
    const tn = f[o + N];
    if (tn === 0) {
      this.copy(other);
      return;
    }
    const n = tn + on;
    const dy = g[q + MEAN_Y] - f[o + MEAN_Y];
    const dp = g[q + MEAN_P] - f[o + MEAN_P];
    const k = (tn * on) / n;
    f[o + M2_Y] += g[q + M2_Y] + dy * dy * k;
    f[o + M2_P] += g[q + M2_P] + dp * dp * k;
    f[o + C_YP] += g[q + C_YP] + dy * dp * k;
    f[o + MEAN_Y] += (dy * on) / n;
    f[o + MEAN_P] += (dp * on) / n;
    f[o + N] = n;
    this.addSse(g[q + SSE]);
    this.addSse(g[q + SSE_C]);
  }

  copy(other: PairMoments): void {
    // A loop, not set(subarray): a rolling read copies a bucket per axis, and subarray allocates.
    for (let i = 0; i < FIELDS; i++) this.f[this.o + i] = other.f[other.o + i];
  }

  reset(): void {
    this.f.fill(0, this.o, this.o + FIELDS);
  }

  /** Σ(y − p)²: scikit-learn's R² numerator. */
  get sumSquaredError(): number {
    return this.f[this.o + SSE] + this.f[this.o + SSE_C];
  }

  /** `r2_score(y, p)` for this output; null below two pairs (scikit-learn answers NaN). */
  get r2(): number | null {
    if (this.n < 2) return null;
    return r2FromParts(this.sumSquaredError, this.m2Y);
  }

  /** Pearson r; null when either side is constant. */
  get r(): number | null {
    if (this.n < 2 || this.m2Y <= 0 || this.m2P <= 0) return null;
    return Math.max(-1, Math.min(1, this.cYP / Math.sqrt(this.m2Y * this.m2P)));
  }

  get rmse(): number | null {
    return this.n === 0 ? null : Math.sqrt(this.sumSquaredError / this.n);
  }

  private addSse(v: number): void {
    const f = this.f;
    const i = this.o + SSE;
    const sse = f[i];
    const t = sse + v;
    f[i + 1] += Math.abs(sse) >= Math.abs(v) ? sse - t + v : v - t + sse;
    f[i] = t;
  }
}

/** One output's R² as scikit-learn's force_finite default has it: 1 for a perfect fit, 0 for a constant truth missed. */
function r2FromParts(numerator: number, denominator: number): number {
  if (numerator === 0) return 1;
  if (denominator === 0) return 0;
  return 1 - numerator / denominator;
}

/**
 * `r2_score(Y, P, multioutput='variance_weighted')` over several outputs (FALCON's metric): the
 * outputs' R² averaged with their truth variance as weights (uniformly when every truth is
 * constant). Null when no output has two pairs. `from`/`to`: a range of `outputs` (one trial's
 * axes in a block).
 */
export function varianceWeightedR2(outputs: readonly PairMoments[], from = 0, to = outputs.length): number | null {
  let used = 0;
  let weights = 0;
  let weighted = 0;
  let plain = 0;
  for (let i = from; i < to; i++) {
    const m = outputs[i];
    if (m.n < 2) continue;
    const score = r2FromParts(m.sumSquaredError, m.m2Y);
    used++;
    weights += m.m2Y;
    weighted += m.m2Y * score;
    plain += score;
  }
  if (used === 0) return null;
  return weights > 0 ? weighted / weights : plain / used;
}
