import { describe, expect, it } from 'vitest';
import { binCount, binOf } from '../../src/shared/bins.ts';
import { BASE_BIN_US, baseBinsPer, baseIndexOf, buildSpikeBase, SeriesAccumulator } from '../../src/main/dataset/baseBins.ts';
import { Rng } from '../../src/main/dataset/synthetic/rng.ts';

/** Unit-major base indices and end offsets, as binning hands them to buildSpikeBase. */
function unitMajor(perUnit: number[][]): { bases: Uint32Array; ends: Float64Array } {
  let acc = 0;
  const ends = Float64Array.from(perUnit, (s) => (acc += s.length));
  return { bases: Uint32Array.from(perUnit.flat().map(baseIndexOf)), ends };
}

describe('the base width', () => {
  it('divides every stream width a session may use, and nothing else', () => {
    expect(BASE_BIN_US).toBe(5000);
    expect([5, 10, 20, 25, 50].map((ms) => baseBinsPer(ms * 1000))).toEqual([1, 2, 4, 5, 10]);
    expect(() => baseBinsPer(7000)).toThrow(RangeError);
    expect(() => baseBinsPer(2500)).toThrow(RangeError);
  });
});

describe('spikes per base bin (CSR)', () => {
  it('keeps every spike in its 5 ms bin, units sorted within a bin, and leaves out spikes past the end', () => {
    // Unit 1 is unsorted and fires twice in base bin 1; unit 2 is empty; unit 3's 0.0049999 s is
    // 5000 µs after rounding (base bin 1), and its 0.03 s is base bin 6, past the 6 kept (0 .. 5).
    const { bases, ends } = unitMajor([[0.001, 0.0051], [0.009, 0.0049, 0.006, 0.025], [], [0.0049999, 0.03]]);
    const s = buildSpikeBase(bases, ends, 6);
    expect(s.numBins).toBe(6);
    expect(Array.from(s.offsets)).toEqual([0, 2, 6, 6, 6, 6, 7]);
    expect(Array.from(s.units)).toEqual([0, 1, 0, 1, 1, 3, 1]);
    const out = new Array<number>(4);
    s.countsInto(0, 1, out);
    expect(out).toEqual([1, 1, 0, 0]);
    s.countsInto(1, 2, out);
    expect(out).toEqual([1, 2, 0, 1]);
    s.countsInto(5, 6, out);
    expect(out).toEqual([0, 1, 0, 0]);
    s.countsInto(0, 6, out);
    expect(out).toEqual([2, 4, 0, 1]);
    expect(s.spikesBefore(6)).toBe(7); // the spike at 0.03 s is not kept
  });

  it('gives, for every stream width, exactly the counts of binning the spike times at that width', () => {
    const rng = new Rng(7, 'base-bins');
    const durationS = 61.3;
    const perUnit = Array.from({ length: 9 }, (_, u) => {
      const times: number[] = [];
      for (let i = 0; i < 400 + 300 * u; i++) times.push(rng.range(0, durationS + 0.2));
      // Some spikes exactly on 5 ms edges, where float division would misplace them.
      for (let k = 0; k < 50; k++) times.push(k * 0.015 + u * 0.005);
      if (u % 2 === 0) times.sort((a, b) => a - b);
      return times;
    });
    const { bases, ends } = unitMajor(perUnit);
    const spikes = buildSpikeBase(bases, ends, binCount(durationS, BASE_BIN_US));
    for (const widthMs of [5, 10, 20, 25, 50]) {
      const widthUs = widthMs * 1000;
      const f = baseBinsPer(widthUs);
      const bins = binCount(durationS, widthUs);
      const expected = new Int32Array(bins * 9);
      perUnit.forEach((times, u) => {
        for (const t of times) {
          const k = binOf(t, widthUs);
          if (k < bins) expected[k * 9 + u]++;
        }
      });
      const out = new Array<number>(9);
      let mismatches = 0;
      for (let k = 0; k < bins; k++) {
        spikes.countsInto(k * f, (k + 1) * f, out);
        for (let u = 0; u < 9; u++) if (out[u] !== expected[k * 9 + u]) mismatches++;
      }
      expect(mismatches, `${widthMs} ms`).toBe(0);
    }
  });
});

describe('behaviour per base bin (sums and counts)', () => {
  it('means over any run of base bins equal the mean of the finite samples in it', () => {
    const acc = new SeriesAccumulator(4, 2);
    const bins = Float64Array.of(0, 0, 1, 1, 1, 3, -1, 7);
    // Sample 1 has y NaN (skipped whole), sample 4 x Infinity (skipped); -1 and 7 are outside.
    const data = Float64Array.of(1, 10, 2, NaN, 3, 30, 5, 50, Infinity, 1, 8, 80, 100, 100, 100, 100);
    acc.add(bins, data, 2, 0, 8);
    const s = acc.finish('cursor_pos');
    expect(s.source).toBe('cursor_pos');
    const m = new Float64Array(2);
    s.meanInto(0, 1, m);
    expect(Array.from(m)).toEqual([1, 10]);
    s.meanInto(1, 2, m);
    expect(Array.from(m)).toEqual([4, 40]);
    s.meanInto(2, 3, m);
    expect(Array.from(m).every(Number.isNaN)).toBe(true);
    s.meanInto(0, 4, m);
    expect(Array.from(m)).toEqual([(1 + 3 + 5 + 8) / 4, (10 + 30 + 50 + 80) / 4]);
  });

  it('one-column series: the second field is NaN, the first a mean of finite values', () => {
    const acc = new SeriesAccumulator(2, 1);
    acc.add(Float64Array.of(0, 0, 1), Float64Array.of(2, NaN, 6), 1, 0, 3);
    const m = new Float64Array(2);
    acc.finish('hand_vel').meanInto(0, 2, m);
    expect(m[0]).toBe(4);
    expect(Number.isNaN(m[1])).toBe(true);
  });

  it('counts past 65535 samples in one base bin (a very fast series) without wrapping', () => {
    const n = 70_000;
    const acc = new SeriesAccumulator(2, 2);
    const data = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) data.set([i % 2, 2], 2 * i);
    acc.add(new Float64Array(n), data, 2, 0, n);
    const s = acc.finish('x');
    expect(s.count[0]).toBe(n);
    const m = new Float64Array(2);
    s.meanInto(0, 1, m);
    expect(Array.from(m)).toEqual([0.5, 2]);
  });
});
