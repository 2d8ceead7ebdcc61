import { describe, expect, it } from 'vitest';
import { blitParts, DEFAULT_PALETTE, dirtySpans, RasterRing, rgba } from '../../src/renderer/src/data/rasterRing.ts';

const spans = (from: number, to: number, cols: number) => {
  const out = new Int32Array(4);
  const n = dirtySpans(from, to, cols, out);
  return Array.from(out).slice(0, n * 2);
};

describe('raster columns', () => {
  it('packs RGBA little-endian, as a Uint32Array view over ImageData expects', () => {
    const px = new Uint32Array([rgba(1, 2, 3, 4)]);
    expect(Array.from(new Uint8ClampedArray(px.buffer))).toEqual([1, 2, 3, 4]);
  });

  it('writes one column per packet, one row per channel, colour by count', () => {
    const r = new RasterRing(4, 3);
    r.writeColumn([0, 1, 5], 0);
    r.writeColumn([2, 0, 0], 0);
    const { counts } = DEFAULT_PALETTE;
    const at = (col: number, ch: number) => r.pixels[ch * 4 + col];
    expect(at(0, 1)).toBe(counts[1]);
    expect(at(0, 2)).toBe(counts[counts.length - 1]); // 5 spikes: the brightest colour
    expect(at(1, 0)).toBe(counts[2]);
    expect(at(1, 1)).toBe(counts[0]);
    expect(r.nextColumn).toBe(2);
  });

  it('marks the first column of a trial and the inter-trial gap in empty cells', () => {
    const r = new RasterRing(4, 1);
    r.writeColumn([0], 7); // trial 7 starts
    r.writeColumn([0], 7);
    r.writeColumn([0], null); // between trials
    r.writeColumn([1], 8); // a spike wins over the boundary mark
    expect(Array.from(r.pixels)).toEqual([DEFAULT_PALETTE.boundary, DEFAULT_PALETTE.counts[0], DEFAULT_PALETTE.outside, DEFAULT_PALETTE.counts[1]]);
  });

  it('wraps: the oldest column is overwritten', () => {
    const r = new RasterRing(3, 1);
    for (const c of [1, 2, 3, 0]) r.writeColumn([c], 0);
    expect(r.nextColumn).toBe(1);
    expect(r.pixels[0]).toBe(DEFAULT_PALETTE.counts[0]);
    expect(r.written).toBe(4);
    expect(r.count).toBe(3);
  });

  it('uploads only the columns written since the last frame, split at the wrap', () => {
    expect(spans(10, 10, 400)).toEqual([]);
    expect(spans(10, 12, 400)).toEqual([10, 2]);
    expect(spans(398, 402, 400)).toEqual([398, 2, 0, 2]);
    expect(spans(800, 801, 400)).toEqual([0, 1]);
    // More than a full ring since the last frame (a hidden tab): every column, once.
    expect(spans(0, 1000, 400)).toEqual([0, 400]);
  });

  it('blits the ring oldest-left / newest-right, right-aligned while filling', () => {
    const out = new Int32Array(6);
    expect(Array.from(blitParts(30, 30, 400, out))).toEqual([0, 30, 370, 0, 0, 0]);
    expect(Array.from(blitParts(0, 400, 400, out))).toEqual([0, 400, 0, 0, 0, 400]);
    expect(Array.from(blitParts(150, 400, 400, out))).toEqual([150, 250, 0, 0, 150, 250]);
  });

  it('handles packets with fewer counts than channels (a dataset swap in flight)', () => {
    const r = new RasterRing(2, 3);
    r.writeColumn([4], 1);
    expect(r.pixels[2]).toBe(DEFAULT_PALETTE.boundary);
  });
});
