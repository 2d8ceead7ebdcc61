/**
 * Ridge regression (a Wiener filter when the features are lagged spike counts), fitted from
 * sufficient statistics with ml-matrix's Cholesky solver.
 *
 * Model: y ≈ b + Σ_i w_i · z_i with z_i = (x_i − μ_i) / σ_i the standardised features (μ, σ over
 * the training samples, population σ; a constant feature gets σ = 1 and, being all zeros once
 * centred, weight 0). The intercept b is not penalised. Minimises
 *
 *     Σ_samples ‖y − b − Zw‖² + λ‖w‖²   →   (ZᵀZ + λI) W = Zᵀ(Y − ȳ),  b = ȳ
 *
 * ZᵀZ and Zᵀ(Y − ȳ) come from the raw sums (Σx, Σxxᵀ, Σxyᵀ) accumulated sample by sample; spike
 * counts are sparse (most bins of most units are 0), so a sample costs nnz² not p². The result
 * is folded back to raw-scale weights (w_i / σ_i) and one offset, so a prediction is a sparse dot
 * product over the current bin window's non-zero counts.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

/** A sparse row: the first `nnz` entries of `idx`/`val` (column index, value). */
export interface SparseRow {
  idx: Int32Array;
  val: Float64Array;
  nnz: number;
}

/** Sums over the samples that make a ridge fit (features p, targets q). */
export class RidgeStats {
  n = 0;
  readonly sumX: Float64Array;
  readonly sumY: Float64Array;
  /** Σ x xᵀ, row-major p×p; only the upper triangle (i ≤ j) is accumulated. */
  readonly gram: Float64Array;
  /** Σ x yᵀ, row-major p×q. */
  readonly cross: Float64Array;
  /** Σ y yᵀ per target (diagonal only): for R² of fits without another pass. */
  readonly sumYY: Float64Array;

  constructor(
    readonly p: number,
    readonly q: number,
  ) {
    this.sumX = new Float64Array(p);
    this.sumY = new Float64Array(q);
    this.gram = new Float64Array(p * p);
    this.cross = new Float64Array(p * q);
    this.sumYY = new Float64Array(q);
  }

  /** Adds one sample: sparse features (indices must be distinct), targets y (length q). */
  add(row: SparseRow, y: ArrayLike<number>): void {
    const { p, q, gram, cross, sumX } = this;
    const { idx, val, nnz } = row;
    this.n++;
    for (let k = 0; k < q; k++) {
      this.sumY[k] += y[k];
      this.sumYY[k] += y[k] * y[k];
    }
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      const vi = val[a];
      sumX[i] += vi;
      for (let k = 0; k < q; k++) cross[i * q + k] += vi * y[k];
      for (let b = 0; b < nnz; b++) {
        const j = idx[b];
        if (j >= i) gram[i * p + j] += vi * val[b];
      }
    }
  }

  /** Adds another set of sums over the same features (e.g. the validation part to the fit part). */
  merge(other: RidgeStats): this {
    if (other.p !== this.p || other.q !== this.q) throw new Error(`cannot merge ridge sums of ${other.p}×${other.q} into ${this.p}×${this.q}`);
    this.n += other.n;
    const addInto = (a: Float64Array, b: Float64Array) => {
      for (let i = 0; i < a.length; i++) a[i] += b[i];
    };
    addInto(this.sumX, other.sumX);
    addInto(this.sumY, other.sumY);
    addInto(this.gram, other.gram);
    addInto(this.cross, other.cross);
    addInto(this.sumYY, other.sumYY);
    return this;
  }

  /** The sums of dense rows (for tests and small problems). */
  static fromDense(rows: ArrayLike<ArrayLike<number>>, targets: ArrayLike<ArrayLike<number>>): RidgeStats {
    if (rows.length !== targets.length || rows.length === 0) throw new Error('need as many target rows as feature rows, at least one');
    const p = rows[0].length;
    const q = targets[0].length;
    const stats = new RidgeStats(p, q);
    const row: SparseRow = { idx: new Int32Array(p), val: new Float64Array(p), nnz: 0 };
    for (let s = 0; s < rows.length; s++) {
      row.nnz = 0;
      for (let i = 0; i < p; i++) {
        const v = rows[s][i];
        if (v !== 0) {
          row.idx[row.nnz] = i;
          row.val[row.nnz++] = v;
        }
      }
      stats.add(row, targets[s]);
    }
    return stats;
  }
}

/** A fitted linear map on raw features: ŷ_k = offset_k + Σ_i x_i · weights[i·q + k]. */
export interface RidgeModel {
  p: number;
  q: number;
  /** Raw-scale weights, row-major p×q. */
  weights: Float64Array;
  offset: Float64Array;
  lambda: number;
  /** Training samples the fit saw. */
  n: number;
  /** Feature means and scales used for the standardisation (σ = 1 for constant features). */
  mean: Float64Array;
  scale: Float64Array;
}

/** Relative variance under which a feature counts as constant. */
const CONSTANT_FEATURE = 1e-12;

/**
 * The ridge fit with penalty `lambda` on the standardised weights. The linear system is solved by
 * ml-matrix's Cholesky decomposition (ZᵀZ + λI is symmetric positive definite for λ > 0).
 */
export function fitRidge(stats: RidgeStats, lambda: number): RidgeModel {
  const { p, q, n } = stats;
  if (n < 1) throw new Error('no training samples');
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new Error(`lambda must be a positive number (got ${lambda})`);
  const mean = new Float64Array(p);
  const scale = new Float64Array(p).fill(1);
  const constant = new Uint8Array(p);
  for (let i = 0; i < p; i++) {
    mean[i] = stats.sumX[i] / n;
    const meanSq = stats.gram[i * p + i] / n;
    const variance = meanSq - mean[i] * mean[i];
    if (variance <= CONSTANT_FEATURE * Math.max(1, meanSq)) constant[i] = 1;
    else scale[i] = Math.sqrt(variance);
  }
  const ybar = Array.from(stats.sumY, (s) => s / n);

  // A = ZᵀZ + λI (standardised, centred Gram), B = Zᵀ(Y − ȳ).
  const A = new Matrix(p, p);
  const B = new Matrix(p, q);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const v = constant[i] || constant[j] ? 0 : (stats.gram[i * p + j] - n * mean[i] * mean[j]) / (scale[i] * scale[j]);
      A.set(i, j, i === j ? v + lambda : v);
      if (j !== i) A.set(j, i, v);
    }
    for (let k = 0; k < q; k++) {
      B.set(i, k, constant[i] ? 0 : (stats.cross[i * q + k] - n * mean[i] * ybar[k]) / scale[i]);
    }
  }
  const chol = new CholeskyDecomposition(A);
  if (!chol.isPositiveDefinite()) throw new Error(`ZᵀZ + ${lambda}·I is not positive definite (non-finite features?)`);
  const W = chol.solve(B);

  const weights = new Float64Array(p * q);
  const offset = Float64Array.from(ybar);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < q; k++) {
      const w = W.get(i, k) / scale[i];
      weights[i * q + k] = w;
      offset[k] -= mean[i] * w;
    }
  }
  return { p, q, weights, offset, lambda, n, mean, scale };
}

/** ŷ for one sparse row, written to `out` (length q). */
export function predictSparse(model: RidgeModel, row: SparseRow, out: Float64Array): Float64Array {
  const { q, weights } = model;
  for (let k = 0; k < q; k++) out[k] = model.offset[k];
  for (let a = 0; a < row.nnz; a++) {
    const base = row.idx[a] * q;
    const v = row.val[a];
    for (let k = 0; k < q; k++) out[k] += v * weights[base + k];
  }
  return out;
}
