/**
 * The live pipeline follows the followed session's bin width (PlaybackInfo.binMs): packets leave
 * the pacer at 1000 / binMs × speed a second, a plot column is binMs long, rates are per second,
 * narrow bins share a raster column, and lost packets leave empty columns.
 */
import { describe, expect, it } from 'vitest';
import type { StudioPacket } from '../../src/shared/studioApi.ts';
import { binsPerColumn, LiveBuffers, rasterColumns, S_RATE, S_RATE_SMOOTH, S_SEQ, S_X, windowColumns } from '../../src/renderer/src/data/liveBuffers.ts';
import { PacketPacer } from '../../src/renderer/src/data/pacer.ts';
import { DEFAULT_PALETTE, RasterRing } from '../../src/renderer/src/data/rasterRing.ts';
import { clampSeek, fractionToSeconds, isContinuous } from '../../src/renderer/src/data/timeline.ts';
import { LivePipeline, type LivePlayback } from '../../src/renderer/src/state/livePipeline.ts';

/** Packet `seq` of a session with bins of `binMs` (position = seq bins in). */
const packet = (seq: number, binMs: number, more: Partial<StudioPacket> = {}): StudioPacket => ({
  seq,
  bin: seq,
  positionS: (seq * binMs) / 1000,
  counts: [1, 0, 2],
  x: seq,
  y: 0,
  vx: 0,
  vy: 0,
  trialId: 0,
  trialTimeMs: seq * binMs,
  targetId: 3,
  ...more,
});

const playing = (speed = 1): LivePlayback => ({ status: 'playing', speed, positionS: 0, durationS: 600 });

describe('the live pipeline follows the session’s bin width', () => {
  it('releases a 5 ms session’s packets at 200 a second (400 at 2×), a 50 ms one’s at 20', () => {
    for (const [binMs, speed, want] of [
      [5, 1, 10],
      [5, 2, 20],
      [10, 1, 5],
      [25, 1, 2],
      [50, 1, 1],
    ] as const) {
      const pb = { current: playing(speed) };
      const p = new LivePipeline(() => pb.current);
      p.follow({ binMs, perturbations: null });
      expect(p.rateHz).toBe(1000 / binMs);
      p.take(Array.from({ length: 20 }, (_, i) => packet(i, binMs)));
      p.advance(0);
      // 50 ms later: 50 ms of packets at the session's rate.
      expect(p.advance(50), `${binMs} ms at ${speed}×`).toBe(want);
    }
  });

  it('sizes the plot window by the width (10 s: 2000 packets at 5 ms), once, and starts afresh when it changes', () => {
    const p = new LivePipeline(() => playing());
    const live = p.live;
    expect(live.columns).toBe(400);
    const window0 = live.window;
    p.follow({ binMs: 25, perturbations: null });
    expect(live.window).toBe(window0); // same width: nothing re-made
    p.follow({ binMs: 5, perturbations: null });
    expect(live.columns).toBe(2000);
    expect(live.raster.columns).toBe(400); // 25 ms columns of 5 bins each
    expect(live.raster.binsPerColumn).toBe(5);
    live.push(packet(0, 5), 600); // the first packet brings the channel count
    const generation = live.generation;
    const window5 = live.window;
    // Packets do not re-size anything.
    for (let i = 1; i < 3000; i++) live.push(packet(i, 5), 600);
    expect(live.window).toBe(window5);
    expect(live.generation).toBe(generation); // 3000 packets 5 ms apart: one continuous run
    expect(live.window.count).toBe(2000);
    // A wider window follows the width too; an unknown width is the default 25 ms.
    live.setWindow(30);
    expect(live.columns).toBe(6000);
    p.follow(null);
    expect(live.columns).toBe(1200);
    expect(live.binMs).toBe(25);
  });

  it('window columns, raster columns and bins per column for every width', () => {
    expect([5, 10, 20, 25, 50].map((w) => windowColumns(10, w))).toEqual([2000, 1000, 500, 400, 200]);
    expect([5, 10, 20, 25, 50].map((w) => binsPerColumn(w))).toEqual([5, 2, 1, 1, 1]);
    // Raster columns of 25, 20, 20, 25 and 50 ms: never more than 500 in 10 s.
    expect([5, 10, 20, 25, 50].map((w) => rasterColumns(10, w))).toEqual([400, 500, 500, 400, 200]);
  });

  it('rates are per second of the session’s bins: 3 spikes in a 5 ms bin is 600 spikes/s', () => {
    const b = new LiveBuffers();
    b.setBinMs(5);
    b.push(packet(0, 5), 600);
    expect(b.window.at(S_RATE, 0)).toBe(600);
    expect(b.endOfLastPacketS).toBeCloseTo(0.005, 9);
    // The smoothed rate is over 200 ms: 40 bins at 5 ms.
    for (let i = 1; i < 80; i++) b.push(packet(i, 5, { counts: i % 2 === 0 ? [4] : [0] }), 600);
    expect(b.window.at(S_RATE_SMOOTH, 0)).toBe(400); // 2 spikes per bin on average × 200
  });

  it('a 5 ms session’s raster column sums five bins and is drawn while it fills; the trail keeps 2 s', () => {
    const b = new LiveBuffers();
    b.setBinMs(5);
    b.push(packet(0, 5, { counts: [1, 0, 0] }), 600);
    const r = b.raster;
    expect(r.written).toBe(1);
    expect(r.partial).toBe(true);
    b.push(packet(1, 5, { counts: [1, 0, 0] }), 600);
    expect(r.written).toBe(1); // the same column…
    expect(r.binsWritten).toBe(2); // …changed
    expect(r.pixels[0]).toBe(DEFAULT_PALETTE.counts[2]); // 1 + 1 spikes
    for (let i = 2; i < 5; i++) b.push(packet(i, 5, { counts: [0, 0, 0] }), 600);
    expect(r.partial).toBe(false);
    b.push(packet(5, 5), 600);
    expect(r.written).toBe(2);
    // Trail: a point per 25 ms, its newest following the newest packet, 80 points for 2 s.
    expect(b.trail.capacity).toBe(80);
    expect(b.trail.count).toBe(2);
    b.push(packet(6, 5), 600);
    expect(b.trail.count).toBe(2);
    expect(b.trail.at(0, 0)).toBe(6); // x = seq
    expect(b.window.at(S_X, 0)).toBe(6);
  });

  it('packets the stream lost leave empty columns: the time axis stays true', () => {
    const b = new LiveBuffers();
    b.setBinMs(10);
    b.push(packet(0, 10), 600);
    b.push(packet(1, 10), 600);
    const g = b.generation;
    b.push(packet(4, 10), 600); // 2 and 3 lost (sequence gap, positions agree)
    expect(b.generation).toBe(g);
    expect(b.window.count).toBe(5);
    expect(b.window.at(S_SEQ, 0)).toBe(4);
    expect(b.window.at(S_SEQ, 1)).toBeNaN();
    expect(b.window.at(S_SEQ, 2)).toBeNaN();
    expect(b.window.at(S_RATE, 1)).toBeNaN();
    expect(b.raster.binsWritten).toBe(5);
  });

  it('a jittered session’s packets (positions up to the jitter late) are one run, not a seek each', () => {
    const p = new LivePipeline(() => ({ status: 'paused', speed: 1, positionS: 0, durationS: 600 }));
    p.follow({ binMs: 5, perturbations: { seed: 1, jitter: { max_ms: 20 } } });
    // What the studio's copy of a jittered 5 ms stream looks like (measured): held packets carry a later position.
    const positions = [0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.05, 0.06, 0.06, 0.065, 0.07];
    p.take(positions.map((pos, i) => packet(i, 5, { positionS: pos })));
    p.advance(0);
    expect(p.live.packets).toBe(positions.length); // no fresh start on the way
    // Without jitter, the same would be seeks.
    p.follow({ binMs: 5, perturbations: null });
    p.reset();
    p.take(positions.map((pos, i) => packet(100 + i, 5, { positionS: pos })));
    p.advance(16);
    expect(p.live.packets).toBeLessThan(positions.length);
  });

  it('seeks snap to the session’s bins', () => {
    expect(clampSeek(1.2345, 10, 5)).toBe(1.23);
    expect(clampSeek(10, 10, 5)).toBe(9.995);
    expect(clampSeek(1.2345, 10, 50)).toBe(1.2);
    expect(fractionToSeconds(1, 600, 10)).toBe(599.99);
    expect(isContinuous(1, 1.005, 600, 0.005)).toBe(true);
    expect(isContinuous(1, 1.025, 600, 0.005)).toBe(false);
    expect(isContinuous(1, 1.025, 600, 0.005, 5)).toBe(true); // four lost on the way
    expect(isContinuous(599.995, 0, 600, 0.005)).toBe(true); // loop wrap
    expect(isContinuous(599.99, 0.005, 600, 0.005, 3)).toBe(true); // loop wrap with one lost either side
  });

  it('the pacer keeps up with 200 packets a second at 20× (4000/s) without holding more than its lag', () => {
    const pacer = new PacketPacer<number>(8192, 120);
    pacer.setRate(4000);
    let id = 0;
    let out = 0;
    for (let t = 0; t <= 2000; t += 16) {
      if (t % 48 === 0) for (let i = 0; i < 200; i++) pacer.push(id++);
      out += pacer.release(t, () => {});
    }
    expect(pacer.pending).toBeLessThanOrEqual(Math.ceil(4000 * 0.12) + 200);
    expect(out + pacer.pending).toBe(id);
  });
});

describe('raster columns of several bins', () => {
  it('marks a trial start anywhere in the column; "between trials" only if every bin is', () => {
    const r = new RasterRing(4, 1, DEFAULT_PALETTE, 2);
    r.writeBin([0], null);
    r.writeBin([0], 7); // trial 7 starts in the second bin
    r.writeBin([0], 7);
    r.writeBin([0], 7);
    r.writeBin([0], null);
    r.writeBin([0], null);
    expect(Array.from(r.pixels.slice(0, 3))).toEqual([DEFAULT_PALETTE.boundary, DEFAULT_PALETTE.counts[0], DEFAULT_PALETTE.outside]);
    expect(r.written).toBe(3);
  });
});
