import { describe, expect, it } from 'vitest';
import { SeriesRing } from '../../src/renderer/src/data/ringBuffer.ts';

const ordered = (r: SeriesRing, k = 0) => Array.from(r.copyOrdered(k, new Float64Array(r.capacity)));

describe('SeriesRing (the live plots’ preallocated buffers)', () => {
  it('right-aligns the newest samples and pads the unfilled left with NaN', () => {
    const r = new SeriesRing(1, 5);
    r.push(1);
    r.push(2);
    expect(ordered(r)).toEqual([NaN, NaN, NaN, 1, 2]);
    expect(r.count).toBe(2);
  });

  it('keeps the last `capacity` samples, oldest first, across many wraps', () => {
    const r = new SeriesRing(2, 4);
    for (let i = 1; i <= 11; i++) r.push(i, -i);
    expect(ordered(r, 0)).toEqual([8, 9, 10, 11]);
    expect(ordered(r, 1)).toEqual([-8, -9, -10, -11]);
    expect(r.count).toBe(4);
    expect(r.written).toBe(11);
  });

  it('reads back by age and reports NaN beyond what it holds', () => {
    const r = new SeriesRing(1, 3);
    r.push(5);
    r.push(6);
    expect(r.at(0, 0)).toBe(6);
    expect(r.at(0, 1)).toBe(5);
    expect(r.at(0, 2)).toBeNaN();
  });

  it('never reallocates: the same arrays before and after streaming and clearing', () => {
    const r = new SeriesRing(3, 400);
    const arrays = [...r.series];
    const out = new Float64Array(400);
    for (let i = 0; i < 5000; i++) {
      const s = r.slot;
      r.series[0][s] = i;
      r.series[1][s] = NaN;
      r.series[2][s] = -i;
      r.commit();
      r.copyOrdered(0, out);
    }
    r.clear();
    expect(r.series.every((a, i) => a === arrays[i])).toBe(true);
    expect(r.count).toBe(0);
    expect(ordered(r).every(Number.isNaN)).toBe(true);
  });

  it('max and maxAbs ignore NaN gaps', () => {
    const r = new SeriesRing(1, 4);
    r.push(NaN);
    r.push(-7);
    r.push(3);
    expect(r.max(0)).toBe(3);
    expect(r.maxAbs(0)).toBe(7);
    expect(new SeriesRing(1, 3).maxAbs(0)).toBe(0);
  });

  it('refuses a nonsense capacity and a wrong output length', () => {
    expect(() => new SeriesRing(1, 0)).toThrow(RangeError);
    expect(() => new SeriesRing(1, 3).copyOrdered(0, new Float64Array(2))).toThrow(RangeError);
  });
});
