/**
 * Training: choose the ridge penalty on a time-ordered validation split, then refit on all.
 *
 * λ is given per training sample: λ = α·n, because ZᵀZ of standardised features grows like n
 * (its diagonal is exactly n), so one α means the same shrinkage whatever the training length.
 * α is chosen from a small grid by the R² of a fit on the first 80 % of the samples predicting
 * the last 20 % (the future, as in use), then the model is refitted on every sample with the
 * chosen α. On the built-in recording the best α is 0.3–3 (more shrinkage on shorter training).
 */
import { sampleRow, type PackedSamples } from './features.ts';
import { fitRidge, predictSparse, RidgeStats, type RidgeModel } from './ridge.ts';
import { r2Score, type R2 } from './score.ts';

/** The α grid searched by default (λ = α·n). */
export const DEFAULT_ALPHAS: readonly number[] = [0.1, 0.3, 1, 3];
/** α when the training set is too small to hold out a validation part. */
export const FALLBACK_ALPHA = 1;
export const VALIDATION_FRACTION = 0.2;
/** Fewer validation samples than this: no validation, FALLBACK_ALPHA. */
const MIN_VALIDATION = 40;

export interface TrainOptions {
  /** One value: use it; several: choose by validation. */
  alphas: readonly number[];
  validationFraction?: number;
}

export interface TrainReport {
  model: RidgeModel;
  alpha: number;
  /** α → R² (combined) on the validation part; empty when α was given or nothing could be held out. */
  validation: Array<{ alpha: number; r2: number }>;
  inSample: R2;
  samples: number;
  fitMs: number;
}

function statsOf(set: PackedSamples, from: number, to: number): RidgeStats {
  const stats = new RidgeStats(set.p, set.q);
  for (let s = from; s < to; s++) stats.add(sampleRow(set, s), set.y.subarray(s * set.q, (s + 1) * set.q));
  return stats;
}

function r2On(model: RidgeModel, set: PackedSamples, from: number, to: number): R2 {
  const pred = new Float64Array((to - from) * set.q);
  const out = new Float64Array(set.q);
  for (let s = from; s < to; s++) {
    predictSparse(model, sampleRow(set, s), out);
    pred.set(out, (s - from) * set.q);
  }
  return r2Score(set.y.subarray(from * set.q, to * set.q), pred, set.q);
}

export function trainRidge(set: PackedSamples, opts: TrainOptions): TrainReport {
  const t0 = performance.now();
  if (set.n < 2) throw new Error(`need at least 2 training samples (have ${set.n})`);
  const alphas = opts.alphas.length ? opts.alphas : DEFAULT_ALPHAS;
  const cut = Math.round(set.n * (1 - (opts.validationFraction ?? VALIDATION_FRACTION)));
  const validation: TrainReport['validation'] = [];
  let alpha = alphas.length === 1 ? alphas[0] : FALLBACK_ALPHA;

  const stats = statsOf(set, 0, cut);
  if (alphas.length > 1 && set.n - cut >= MIN_VALIDATION) {
    for (const a of alphas) {
      const model = fitRidge(stats, a * stats.n);
      validation.push({ alpha: a, r2: r2On(model, set, cut, set.n).combined });
    }
    const best = validation.reduce((b, v) => (v.r2 > b.r2 ? v : b), validation[0]);
    if (Number.isFinite(best.r2)) alpha = best.alpha;
  }
  stats.merge(statsOf(set, cut, set.n));
  const model = fitRidge(stats, alpha * stats.n);
  return { model, alpha, validation, inSample: r2On(model, set, 0, set.n), samples: set.n, fitMs: performance.now() - t0 };
}
