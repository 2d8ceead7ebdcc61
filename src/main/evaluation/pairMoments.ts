/**
 * Streaming moments of (truth, prediction) pairs, from which R², Pearson r and RMSE follow
 * exactly as scikit-learn and numpy compute them on the same pairs.
 *
 * Σy² − n·ȳ² loses every digit the mean shares with the values, so the sums are centred as
 * they grow (Welford; co-moment as in Welford's covariance update) and the squared error is a
 * compensated (Kahan–Babuška) sum. Two sets merge exactly (Chan et al.), which is how rolling
 * windows are read from per-second buckets. O(1) per pair, no allocation.
 */
export class PairMoments {
  n = 0;
  meanY = 0;
  meanP = 0;
  /** Σ(y − ȳ)²: scikit-learn's R² denominator. */
  m2Y = 0;
  m2P = 0;
  /** Σ(y − ȳ)(p − p̄). */
  cYP = 0;
  /** Σ(y − p)², with its compensation term. */
  private sse = 0;
  private sseC = 0;

  add(y: number, p: number): void {
    const n = ++this.n;
    const dy = y - this.meanY;
    const dp = p - this.meanP;
    this.meanY += dy / n;
    this.meanP += dp / n;
    this.m2Y += dy * (y - this.meanY);
    this.m2P += dp * (p - this.meanP);
    this.cYP += dy * (p - this.meanP);
    this.addSse((y - p) * (y - p));
  }

  /** Adds another set's pairs (Chan et al.'s parallel update). */
  merge(o: PairMoments): void {
    if (o.n === 0) return;
    if (this.n === 0) {
      this.copy(o);
      return;
    }
    const n = this.n + o.n;
    const dy = o.meanY - this.meanY;
    const dp = o.meanP - this.meanP;
    const f = (this.n * o.n) / n;
    this.m2Y += o.m2Y + dy * dy * f;
    this.m2P += o.m2P + dp * dp * f;
    this.cYP += o.cYP + dy * dp * f;
    this.meanY += (dy * o.n) / n;
    this.meanP += (dp * o.n) / n;
    this.n = n;
    this.addSse(o.sse);
    this.addSse(o.sseC);
  }

  copy(o: PairMoments): void {
    this.n = o.n;
    this.meanY = o.meanY;
    this.meanP = o.meanP;
    this.m2Y = o.m2Y;
    this.m2P = o.m2P;
    this.cYP = o.cYP;
    this.sse = o.sse;
    this.sseC = o.sseC;
  }

  reset(): void {
    this.n = this.meanY = this.meanP = this.m2Y = this.m2P = this.cYP = this.sse = this.sseC = 0;
  }

  /** Σ(y − p)²: scikit-learn's R² numerator. */
  get sumSquaredError(): number {
    return this.sse + this.sseC;
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
    const t = this.sse + v;
    this.sseC += Math.abs(this.sse) >= Math.abs(v) ? this.sse - t + v : v - t + this.sse;
    this.sse = t;
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
 * constant). Null when no output has two pairs.
 */
export function varianceWeightedR2(outputs: readonly PairMoments[]): number | null {
  const used = outputs.filter((m) => m.n >= 2);
  if (used.length === 0) return null;
  let weights = 0;
  let weighted = 0;
  let plain = 0;
  for (const m of used) {
    const score = r2FromParts(m.sumSquaredError, m.m2Y);
    weights += m.m2Y;
    weighted += m.m2Y * score;
    plain += score;
  }
  return weights > 0 ? weighted / weights : plain / used.length;
}
