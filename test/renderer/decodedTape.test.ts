import { describe, expect, it } from 'vitest';
import type { StudioPacket, StudioPrediction } from '../../src/shared/studioApi.ts';
import { LiveBuffers } from '../../src/renderer/src/data/liveBuffers.ts';
import { DECODED_DASH, DecodedTape, type DecodedTrace, type TapeCanvas, type TapeContext, type TapeGeometry } from '../../src/renderer/src/live/decodedTape.ts';

const packet = (seq: number): StudioPacket => ({ seq, bin: seq, positionS: seq / 40, counts: [1], x: 0, y: 0, vx: 0, vy: 0, trialId: 0, trialTimeMs: seq * 25, targetId: 1 });
const pred = (seq: number, decoder: string, v: Partial<StudioPrediction>): StudioPrediction => ({ seq, decoder, x: null, y: null, vx: null, vy: null, ...v });

type Call = [string, ...unknown[]];

/** A 2-D context that records what is drawn (and the state each stroke is drawn with). */
class FakeContext implements TapeContext {
  calls: Call[] = [];
  globalCompositeOperation = 'source-over';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  lineDashOffset = 0;
  lineCap: CanvasLineCap = 'butt';
  lineJoin: CanvasLineJoin = 'miter';
  dash: number[] = [];
  setLineDash(d: number[]) {
    this.dash = [...d];
  }
  beginPath() {
    this.calls.push(['beginPath']);
  }
  moveTo(x: number, y: number) {
    this.calls.push(['moveTo', x, y]);
  }
  lineTo(x: number, y: number) {
    this.calls.push(['lineTo', x, y]);
  }
  stroke() {
    this.calls.push(['stroke', this.strokeStyle, this.lineWidth, this.dash.join(','), this.lineDashOffset]);
  }
  clearRect(x: number, y: number, w: number, h: number) {
    this.calls.push(['clearRect', x, y, w, h]);
  }
  drawImage(_img: CanvasImageSource, ...args: number[]) {
    this.calls.push(['drawImage', this.globalCompositeOperation, ...args]);
  }
  take(): Call[] {
    return this.calls.splice(0);
  }
}

function fakeCanvas() {
  const made: Array<TapeCanvas & { ctx: FakeContext }> = [];
  const make = (width: number, height: number) => {
    const c = { width, height, ctx: new FakeContext(), source: {} as CanvasImageSource };
    made.push(c);
    return c;
  };
  return { made, make };
}

/** Plot box 400 px wide at (50, 10), 100 px tall, y from -100 to 100: 1 px per packet in a 10 s window. */
const GEOMETRY: TapeGeometry = { left: 50, top: 10, width: 400, height: 100, yMin: -100, yMax: 100, windowS: 10, dpr: 1 };
const VX: DecodedTrace = { id: 'd', slot: 0, axis: 'vx', color: '#ff5c8a', dashed: false };
const VY: DecodedTrace = { id: 'd', slot: 0, axis: 'vy', color: '#ff5c8a', dashed: true };

function setup(traces: DecodedTrace[] = [VX]) {
  const live = new LiveBuffers(400);
  const { made, make } = fakeCanvas();
  const tape = new DecodedTape(make);
  tape.setTraces(traces);
  const target = new FakeContext();
  // The decoder answers first, so it has slot 0 (its preferred slot may be another).
  const slot = live.decoded.slots.slotOf('d');
  const traced = traces.map((t) => ({ ...t, slot }));
  tape.setTraces(traced);
  return { live, tape, target, made, slot };
}

const segments = (calls: Call[]) => calls.filter((c) => c[0] === 'lineTo').length;

describe('decoded traces on a tape', () => {
  it('draws each packet’s segment once, where uPlot puts that column, and copies the visible window over the plot box', () => {
    const { live, tape, target, made } = setup();
    for (let s = 0; s < 3; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vx: 10 * s })], false);
    }
    tape.draw(target, live, GEOMETRY);
    const ctx = made[0].ctx;
    const first = ctx.take();
    // A fresh tape: cleared, then one path through the 3 points; the newest at the plot width.
    expect(first.filter((c) => c[0] === 'moveTo')).toEqual([['moveTo', 398, 50]]);
    expect(first.filter((c) => c[0] === 'lineTo')).toEqual([
      ['lineTo', 399, 45],
      ['lineTo', 400, 40],
    ]);
    expect(target.take()).toEqual([['drawImage', 'source-over', 0, 0, 400, 100, 50, 10, 400, 100]]);

    // The next packet: one more segment, from the last point; the copy moves a pixel right.
    live.push(packet(3), 600);
    live.decoded.takePredictions([pred(3, 'd', { vx: 30 })], false);
    tape.draw(target, live, GEOMETRY);
    expect(ctx.take().filter((c) => c[0] !== 'beginPath')).toEqual([
      ['moveTo', 400, 40],
      ['lineTo', 401, 35],
      ['stroke', '#ff5c8a', 1, '', 0],
    ]);
    expect(target.take()).toEqual([['drawImage', 'source-over', 1, 0, 400, 100, 50, 10, 400, 100]]);
    // Nothing new: nothing drawn on the tape, the same window copied.
    tape.draw(target, live, GEOMETRY);
    expect(segments(ctx.take())).toBe(0);
    expect(tape.stats.restarts).toBe(1);
  });

  it('waits for a prediction that comes after its packet, and leaves a gap for one that never comes', () => {
    const { live, tape, target, made } = setup();
    for (let s = 0; s < 4; s++) live.push(packet(s), 600);
    live.decoded.takePredictions([pred(0, 'd', { vx: 0 }), pred(1, 'd', { vx: 0 })], false);
    tape.draw(target, live, GEOMETRY);
    const ctx = made[0].ctx;
    expect(segments(ctx.take())).toBe(1); // 0 → 1; 2 and 3 not answered yet
    // 3 comes, 2 never does: a gap, then the line goes on from 3.
    live.decoded.takePredictions([pred(3, 'd', { vx: 0 })], false);
    tape.draw(target, live, GEOMETRY);
    expect(segments(ctx.take())).toBe(0);
    live.push(packet(4), 600);
    live.decoded.takePredictions([pred(4, 'd', { vx: 0 })], false);
    tape.draw(target, live, GEOMETRY);
    // (Tape x: the 4th packet was the newest at the first draw, at the plot width.)
    expect(ctx.take().filter((c) => c[0] === 'moveTo' || c[0] === 'lineTo')).toEqual([
      ['moveTo', 400, 50],
      ['lineTo', 401, 50],
    ]);
    // No estimate on the axis (null) is a gap too.
    live.push(packet(5), 600);
    live.push(packet(6), 600);
    live.decoded.takePredictions([pred(5, 'd', { vy: 3 }), pred(6, 'd', { vx: 0 })], false);
    tape.draw(target, live, GEOMETRY);
    expect(segments(ctx.take())).toBe(0);
  });

  it('starts again when the y range, the plot box, the window or the traces change, or the plots reset', () => {
    const { live, tape, target, made, slot } = setup();
    for (let s = 0; s < 10; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vx: s })], false);
    }
    tape.draw(target, live, GEOMETRY);
    const ctx = made[0].ctx;
    ctx.take();
    const redraws = (g: TapeGeometry) => {
      tape.draw(target, live, g);
      const calls = ctx.take();
      return { cleared: calls.some((c) => c[0] === 'clearRect'), segments: segments(calls) };
    };
    expect(redraws(GEOMETRY)).toEqual({ cleared: false, segments: 0 });
    expect(redraws({ ...GEOMETRY, yMin: -200, yMax: 200 })).toEqual({ cleared: true, segments: 9 });
    expect(redraws({ ...GEOMETRY, yMin: -200, yMax: 200 })).toEqual({ cleared: false, segments: 0 });
    expect(redraws({ ...GEOMETRY, top: 12 })).toEqual({ cleared: true, segments: 9 });
    tape.setTraces([{ ...VX, slot, color: '#3ddc84' }]);
    expect(redraws({ ...GEOMETRY, top: 12 })).toEqual({ cleared: true, segments: 9 });
    live.reset();
    live.push(packet(10), 600);
    expect(redraws({ ...GEOMETRY, top: 12 })).toEqual({ cleared: true, segments: 0 });
    // A new size: a new backing store (which starts cleared).
    for (let s = 11; s < 14; s++) live.push(packet(s), 600);
    live.decoded.takePredictions([11, 12, 13].map((s) => pred(s, 'd', { vx: s })), false);
    tape.draw(target, live, { ...GEOMETRY, width: 200 });
    expect(made[0].width).toBe(200 * 2 + 64);
    expect(segments(ctx.take())).toBe(2);
  });

  it('moves what is on screen back to the left end of the tape before it runs out, and the lines go on', () => {
    const { live, tape, target, made } = setup();
    const ctx = () => made[0].ctx;
    let last: Call[] = [];
    for (let s = 0; s < 1000; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vx: s % 7 })], false);
      tape.draw(target, live, GEOMETRY);
      last = ctx().take();
      // The copy shows the newest packet at the plot's right end.
      const copy = target.take()[0];
      const sx = copy[2] as number;
      const lines = last.filter((c) => c[0] === 'lineTo');
      if (s > 0) expect((lines[lines.length - 1][1] as number) - sx).toBeCloseTo(400, 6);
    }
    expect(tape.stats.rebases).toBeGreaterThanOrEqual(2);
    expect(tape.stats.restarts).toBe(1);
    // Every packet after the first drew exactly one segment.
    expect(tape.stats.segments).toBe(999);
    expect(last.filter((c) => c[0] === 'moveTo')).toHaveLength(1);
  });

  it('a rebase copies the tape onto itself, then clears what it vacated', () => {
    const { live, tape, target, made } = setup();
    let rebase: Call[] = [];
    for (let s = 0; s < 600 && rebase.length === 0; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vx: 0 })], false);
      tape.draw(target, live, GEOMETRY);
      rebase = made[0].ctx.take().filter((c) => c[0] === 'drawImage' || c[0] === 'clearRect');
    }
    const [copy, clear] = rebase;
    expect(copy[1]).toBe('copy');
    const shift = copy[2] as number;
    expect(Number.isInteger(shift) && shift > 0).toBe(true);
    expect(clear).toEqual(['clearRect', made[0].width - shift, 0, shift, 100]);
  });

  it('a dashed trace’s dashes run on from one frame’s stroke to the next', () => {
    const { live, tape, target, made } = setup([VY]);
    live.push(packet(0), 600);
    live.decoded.takePredictions([pred(0, 'd', { vy: 0 })], false);
    tape.draw(target, live, GEOMETRY);
    const strokes: Call[] = [];
    for (let s = 1; s < 4; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vy: 0 })], false);
      tape.draw(target, live, GEOMETRY);
      strokes.push(...made[0].ctx.take().filter((c) => c[0] === 'stroke'));
    }
    // Flat: each segment 1 px long, so the phase grows by 1 a frame; the pattern is DECODED_DASH.
    expect(strokes.map((c) => c[4])).toEqual([0, 1, 2]);
    expect(strokes.every((c) => c[3] === DECODED_DASH.join(','))).toBe(true);
  });

  it('scales line widths and dashes with the device pixel ratio; draws nothing without traces', () => {
    const { live, tape, target, made } = setup([VY]);
    for (let s = 0; s < 2; s++) {
      live.push(packet(s), 600);
      live.decoded.takePredictions([pred(s, 'd', { vy: 0 })], false);
    }
    tape.draw(target, live, { ...GEOMETRY, dpr: 2 });
    const stroke = made[0].ctx.take().find((c) => c[0] === 'stroke')!;
    expect(stroke[2]).toBe(2);
    expect(stroke[3]).toBe(DECODED_DASH.map((d) => d * 2).join(','));
    tape.setTraces([]);
    target.take();
    tape.draw(target, live, GEOMETRY);
    expect(target.take()).toEqual([]);
  });
});
