/**
 * The scores against an independent reference: scikit-learn's r2_score, numpy's corrcoef and
 * an RMSE computed by numpy, on the very same pairs (Debian's python3-sklearn).
 */
import { describe, expect, it } from 'vitest';
import { DecoderScores, TRIALS_KEPT } from '../../src/main/evaluation/decoderScores.ts';
import { PairMoments, varianceWeightedR2 } from '../../src/main/evaluation/pairMoments.ts';
import { pythonHas, runPythonJson } from '../helpers/python.ts';

const REFERENCE = `
import json, sys
import numpy as np
from sklearn.metrics import r2_score
d = json.load(sys.stdin)
f = lambda v: None if np.isnan(v) else float(v)
Y = np.array(d["y"], dtype=float).T
P = np.array(d["p"], dtype=float).T
out = {
  "r2": [float(r2_score(Y[:, i], P[:, i])) for i in range(Y.shape[1])],
  "r": [f(np.corrcoef(Y[:, i], P[:, i])[0, 1]) for i in range(Y.shape[1])],
  "rmse": [float(np.sqrt(np.mean((Y[:, i] - P[:, i]) ** 2))) for i in range(Y.shape[1])],
  "combined": float(r2_score(Y, P, multioutput="variance_weighted")),
}
print(json.dumps(out))
`;

/** scikit-learn's variance-weighted R² of each of a list of trials. */
const PER_TRIAL = `
import json, sys
import numpy as np
from sklearn.metrics import r2_score
print(json.dumps([float(r2_score(np.array(t["y"]).T, np.array(t["p"]).T, multioutput="variance_weighted")) for t in json.load(sys.stdin)]))
`;

/** A seeded generator (mulberry32 + Box–Muller), so a failure can be replayed. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u());
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe.skipIf(!pythonHas('numpy', 'sklearn'))('pair moments against scikit-learn', () => {
  it('R², r, RMSE and variance-weighted R² over 10⁵ pairs agree to 1e-9 relative (large offsets, merged halves too)', () => {
    const g = gaussian(20261206);
    const n = 100_000;
    // Velocities around an offset far from zero, so a naive Σy² − n·ȳ² would lose digits.
    const offsets = [1e4, -3e3];
    const y: number[][] = [[], []];
    const p: number[][] = [[], []];
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < 2; a++) {
        const truth = offsets[a] + 50 * Math.sin(i / 300 + a) + 5 * g();
        y[a].push(truth);
        p[a].push(truth + 12 * g() + (a === 0 ? 3 : -1));
      }
    }
    // Moments on shared blocks, as the scoreboard keeps them: neighbours must not touch.
    const whole = PairMoments.block(2);
    const halves = PairMoments.block(4);
    for (let a = 0; a < 2; a++) {
      for (let i = 0; i < n; i++) {
        whole[a].add(y[a][i], p[a][i]);
        halves[a * 2 + (i < n / 3 ? 0 : 1)].add(y[a][i], p[a][i]);
      }
    }
    const merged = [halves[0], halves[2]];
    merged[0].merge(halves[1]);
    merged[1].merge(halves[3]);

    const ref = runPythonJson<{ r2: number[]; r: number[]; rmse: number[]; combined: number }>(REFERENCE, JSON.stringify({ y, p }));
    for (const m of [whole, merged]) {
      for (let a = 0; a < 2; a++) {
        expect(relErr(m[a].r2!, ref.r2[a])).toBeLessThan(1e-9);
        expect(relErr(m[a].r!, ref.r[a])).toBeLessThan(1e-9);
        expect(relErr(m[a].rmse!, ref.rmse[a])).toBeLessThan(1e-9);
      }
      expect(relErr(varianceWeightedR2(m)!, ref.combined)).toBeLessThan(1e-9);
    }
    expect(ref.r2[0]).toBeGreaterThan(0);
    expect(ref.r2[0]).toBeLessThan(1);
  });

  it('matches scikit-learn on the edge cases: a perfect fit, a constant truth, the truth’s mean', () => {
    const cases = {
      y: [
        [1, 2, 3, 4],
        [5, 5, 5, 5],
        [1, 2, 3, 4],
      ],
      p: [
        [1, 2, 3, 4],
        [5, 6, 5, 5],
        [2.5, 2.5, 2.5, 2.5],
      ],
    };
    const ms = cases.y.map((ys, a) => {
      const m = new PairMoments();
      ys.forEach((v, i) => m.add(v, cases.p[a][i]));
      return m;
    });
    const ref = runPythonJson<{ r2: number[]; r: Array<number | null>; combined: number }>(REFERENCE, JSON.stringify(cases));
    expect(ms.map((m) => m.r2)).toEqual(ref.r2);
    expect(ms.map((m) => m.r)).toEqual(ref.r);
    expect(varianceWeightedR2(ms)).toBeCloseTo(ref.combined, 12);
    expect(ms[0].r2).toBe(1);
    expect(ms[2].r2).toBe(0);
  });

  it(`per-trial scores: the last ${TRIALS_KEPT} trials, oldest first, each trial's R² as scikit-learn has it`, () => {
    const g = gaussian(7);
    const scores = new DecoderScores();
    const trials = TRIALS_KEPT + 13;
    const pairs = new Map<number, { y: number[][]; p: number[][] }>();
    // Trials 1000, 1003, …: ids are not slots; the two axes of a trial interleave as they arrive.
    for (let k = 0; k < trials; k++) {
      const id = 1000 + 3 * k;
      const d = { y: [[], []] as number[][], p: [[], []] as number[][] };
      pairs.set(id, d);
      for (let i = 0; i < 20 + (k % 7); i++) {
        for (let a = 2; a < 4; a++) {
          const y = (a === 2 ? 40 : -15) * Math.sin(i / 4 + k) + g();
          const p = y * (0.5 + (k % 5) / 10) + 3 * g();
          scores.score(i * 25, a, id, y, p);
          d.y[a - 2].push(y);
          d.p[a - 2].push(p);
        }
      }
    }
    const list = scores.trials.list();
    const kept = [...pairs.keys()].slice(-TRIALS_KEPT);
    expect(list.map((t) => t.trialId)).toEqual(kept);
    const ref = runPythonJson<number[]>(PER_TRIAL, JSON.stringify(kept.map((id) => pairs.get(id))));
    list.forEach((t, i) => {
      expect(t.n).toBe(pairs.get(t.trialId)!.y[0].length);
      expect(relErr(t.r2!, ref[i])).toBeLessThan(1e-9);
    });
    scores.reset(0);
    expect(scores.trials.list()).toEqual([]);
    scores.score(0, 2, 5, 1, 1);
    expect(scores.trials.list()).toEqual([{ trialId: 5, r2: null, n: 1 }]);
  });
});
