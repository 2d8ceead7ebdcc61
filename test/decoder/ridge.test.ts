/**
 * The reference decoder's maths against independent references: the ridge fit and the α choice
 * against numpy (`np.linalg.solve` on the standardised design), R² against scikit-learn, and the
 * feature window's layout and gaps.
 */
import { describe, expect, it } from 'vitest';
import { SampleSet, SpikeHistory } from '../../src/decoder/features.ts';
import { fitRidge, predictSparse, RidgeStats } from '../../src/decoder/ridge.ts';
import { RunningR2, WindowR2 } from '../../src/decoder/score.ts';
import { trainRidge } from '../../src/decoder/train.ts';
import { pythonHas, runPythonJson } from '../helpers/python.ts';

const numpyMissing = !pythonHas('numpy');
const sklearnMissing = !pythonHas('numpy', 'sklearn');
if (numpyMissing) console.warn('[skip] ridge vs numpy: /usr/bin/python3 lacks numpy');
if (sklearnMissing) console.warn('[skip] R² vs scikit-learn: /usr/bin/python3 lacks scikit-learn');

/** Deterministic uniform [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Spike-count-like data: sparse small counts, a constant column, an all-zero one, targets linear + noise. */
function dataset(n: number, p: number, seed: number) {
  const u = rng(seed);
  const trueW = Array.from({ length: p }, () => [u() * 40 - 20, u() * 40 - 20]);
  const X: number[][] = [];
  const Y: number[][] = [];
  for (let s = 0; s < n; s++) {
    const x = Array.from({ length: p }, (_, i) => (i === 0 ? 2 : i === 1 ? 0 : u() < 0.2 ? 1 + Math.floor(u() * 3) : 0));
    X.push(x);
    Y.push([0, 1].map((k) => 5 + x.reduce((acc, v, i) => acc + v * trueW[i][k], 0) + (u() - 0.5) * 30));
  }
  return { X, Y };
}

const NUMPY_RIDGE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
X, Y = np.array(d["X"], float), np.array(d["Y"], float)
def fit(X, Y, lam):
    mu, sd = X.mean(0), X.std(0)
    const = sd <= 1e-6
    sd[const] = 1.0
    Z = (X - mu) / sd
    Z[:, const] = 0.0
    W = np.linalg.solve(Z.T @ Z + lam * np.eye(X.shape[1]), Z.T @ (Y - Y.mean(0)))
    W = W / sd[:, None]
    return W, Y.mean(0) - mu @ W
def r2(Y, P):
    return 1 - ((Y - P) ** 2).sum() / ((Y - Y.mean(0)) ** 2).sum()
out = {}
W, b = fit(X, Y, d["lam"])
out["W"], out["b"] = W.tolist(), b.tolist()
cut = int(round(len(X) * 0.8))
val = {}
for a in d["alphas"]:
    Wa, ba = fit(X[:cut], Y[:cut], a * cut)
    val[str(a)] = r2(Y[cut:], X[cut:] @ Wa + ba)
best = max(d["alphas"], key=lambda a: val[str(a)])
Wf, bf = fit(X, Y, best * len(X))
out.update(val=val, best=best, Wf=Wf.tolist(), bf=bf.tolist(), insample=r2(Y, X @ Wf + bf))
print(json.dumps(out))
`;

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  const scale = Math.max(1, ...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  expect(worst, `${what}: worst relative difference`).toBeLessThan(1e-9);
}

describe('ridge fit (ml-matrix Cholesky on sufficient statistics)', () => {
  it.skipIf(numpyMissing)('matches np.linalg.solve on the same standardised design, constant columns included', () => {
    const { X, Y } = dataset(400, 24, 7);
    const lam = 12.5;
    const alphas = [0.1, 0.3, 1, 3];
    const ref = runPythonJson<{ W: number[][]; b: number[]; val: Record<string, number>; best: number; Wf: number[][]; bf: number[]; insample: number }>(
      NUMPY_RIDGE,
      JSON.stringify({ X, Y, lam, alphas }),
    );

    const model = fitRidge(RidgeStats.fromDense(X, Y), lam);
    expectClose(model.weights, ref.W.flat(), 'weights');
    expectClose(model.offset, ref.b, 'offset');
    // The constant and the all-zero column get no weight.
    expect([model.weights[0], model.weights[1], model.weights[2], model.weights[3]]).toEqual([0, 0, 0, 0]);

    // The α choice on the time-ordered 80/20 split, and the refit on everything.
    const set = new SampleSet(24, 2);
    for (let s = 0; s < X.length; s++) {
      const idx = X[s].flatMap((v, i) => (v !== 0 ? [i] : []));
      set.push({ idx: Int32Array.from(idx), val: Float64Array.from(idx.map((i) => X[s][i])), nnz: idx.length }, Y[s]);
    }
    const report = trainRidge(set.pack(), { alphas });
    for (const v of report.validation) expect(v.r2, `validation R² at α=${v.alpha}`).toBeCloseTo(ref.val[String(v.alpha)], 10);
    expect(report.alpha).toBe(ref.best);
    expectClose(report.model.weights, ref.Wf.flat(), 'refit weights');
    expectClose(report.model.offset, ref.bf, 'refit offset');
    expect(report.inSample.combined).toBeCloseTo(ref.insample, 10);

    // A sparse prediction equals the dense one.
    const out = new Float64Array(2);
    const x = X[5];
    const idx = x.flatMap((v, i) => (v !== 0 ? [i] : []));
    predictSparse(report.model, { idx: Int32Array.from(idx), val: Float64Array.from(idx.map((i) => x[i])), nnz: idx.length }, out);
    const dense = [0, 1].map((k) => ref.bf[k] + x.reduce((acc, v, i) => acc + v * ref.Wf[i][k], 0));
    expectClose(out, dense, 'prediction');
  });

  it('refuses a non-positive λ and an empty set', () => {
    expect(() => fitRidge(new RidgeStats(3, 2), 1)).toThrow(/no training samples/);
    expect(() => fitRidge(RidgeStats.fromDense([[1, 2]], [[3, 4]]), 0)).toThrow(/positive/);
  });
});

describe('running R²', () => {
  it.skipIf(sklearnMissing)('equals sklearn r2_score per axis and variance-weighted, cumulative and windowed', () => {
    const u = rng(3);
    const truth: number[][] = [];
    const pred: number[][] = [];
    for (let s = 0; s < 500; s++) {
      const t = [1e4 + u() * 300, u() * 50 - 25];
      truth.push(t);
      pred.push([t[0] + (u() - 0.5) * 200, t[1] * 0.6 + (u() - 0.5) * 20]);
    }
    const ref = runPythonJson<{ axes: number[]; combined: number; last: number }>(
      `
import json, sys
from sklearn.metrics import r2_score
d = json.load(sys.stdin)
print(json.dumps({"axes": list(r2_score(d["t"], d["p"], multioutput="raw_values")),
                  "combined": r2_score(d["t"], d["p"], multioutput="variance_weighted"),
                  "last": r2_score(d["t"][-100:], d["p"][-100:], multioutput="variance_weighted")}))`,
      JSON.stringify({ t: truth, p: pred }),
    );
    const run = new RunningR2(2);
    const win = new WindowR2(2, 100);
    truth.forEach((t, s) => (run.add(t, pred[s]), win.add(t, pred[s])));
    const r = run.result();
    expect(r.axes[0]).toBeCloseTo(ref.axes[0], 10);
    expect(r.axes[1]).toBeCloseTo(ref.axes[1], 10);
    expect(r.combined).toBeCloseTo(ref.combined, 10);
    expect(win.result().combined).toBeCloseTo(ref.last, 10);
  });
});

describe('spike history window', () => {
  it('lays out lag j of channel c at j·C + c, newest first; gaps and resets make it incomplete', () => {
    const h = new SpikeHistory(3, 2);
    const row = h.newRow();
    h.push([1, 0, 2]);
    expect(h.complete).toBe(false);
    h.push([0, 4, 0]);
    expect(h.complete).toBe(true);
    h.window(row);
    expect(Array.from(row.idx.subarray(0, row.nnz))).toEqual([1, 3, 5]);
    expect(Array.from(row.val.subarray(0, row.nnz))).toEqual([4, 1, 2]);
    h.skip(1);
    expect(h.complete).toBe(false);
    expect(h.missingLags()).toEqual([0]);
    h.window(row);
    expect(Array.from(row.idx.subarray(0, row.nnz))).toEqual([4]); // lag 1 is the [0, 4, 0] bin
    h.push([1, 1, 1]);
    expect(h.missingLags()).toEqual([1]);
    h.reset();
    expect(h.missingLags()).toEqual([0, 1]);
    expect(() => h.push([1, 2])).toThrow(/expected 3/);
  });
});
