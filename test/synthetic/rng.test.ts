import { describe, expect, it } from 'vitest';
import { logFactorial, Rng } from '../../src/main/dataset/synthetic/rng.ts';

function stats(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

describe('seeded Rng', () => {
  it('repeats exactly for the same seed and stream, and differs otherwise', () => {
    const seq = (r: Rng) => Array.from({ length: 8 }, () => r.uint32());
    expect(seq(new Rng(1, 'a', 3))).toEqual(seq(new Rng(1, 'a', 3)));
    expect(seq(new Rng(1, 'a', 3))).not.toEqual(seq(new Rng(2, 'a', 3)));
    expect(seq(new Rng(1, 'a', 3))).not.toEqual(seq(new Rng(1, 'a', 4)));
    expect(seq(new Rng(1, 'a'))).not.toEqual(seq(new Rng(1, 'b')));
  });

  it('draws uniforms strictly inside (0, 1) and integers inside their bounds', () => {
    const r = new Rng(7);
    let bad = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const u = r.uniform();
      const k = r.int(-2, 3);
      if (!(u > 0 && u < 1) || !(k >= -2 && k <= 3 && Number.isInteger(k))) bad++;
      seen.add(k);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(6);
  });

  it('has the right moments for normal, exponential and Poisson draws', () => {
    const r = new Rng(11);
    const n = 200_000;
    const z = stats(() => r.normal(), n);
    expect(z.mean).toBeCloseTo(0, 1);
    expect(z.variance).toBeCloseTo(1, 1);
    const e = stats(() => r.exponential(), n);
    expect(e.mean).toBeCloseTo(1, 1);
    for (const lambda of [0.3, 4, 25, 400]) {
      const p = stats(() => r.poisson(lambda), n);
      // Poisson: mean = variance = λ; tolerances are ~6 standard errors.
      expect(Math.abs(p.mean - lambda)).toBeLessThan(6 * Math.sqrt(lambda / n) + 1e-9);
      expect(Math.abs(p.variance / lambda - 1)).toBeLessThan(0.03);
    }
    expect(() => r.poisson(-1)).toThrow(RangeError);
    expect(r.poisson(0)).toBe(0);
  });

  it('computes ln k! accurately on both sides of the Stirling switch', () => {
    let exact = 0;
    for (let k = 1; k <= 60; k++) {
      exact += Math.log(k);
      expect(logFactorial(k)).toBeCloseTo(exact, 8);
    }
  });
});
