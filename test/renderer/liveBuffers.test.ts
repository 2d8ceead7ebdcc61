import { describe, expect, it } from 'vitest';
import type { StudioPacket } from '../../src/shared/studioApi.ts';
import { LiveBuffers, S_RATE, S_RATE_SMOOTH, S_X, S_VY, SMOOTH_BINS } from '../../src/renderer/src/data/liveBuffers.ts';
import { filterTrials, parseTrialQuery } from '../../src/renderer/src/data/trialSearch.ts';
import { fitWorkspace, toPx } from '../../src/renderer/src/data/workspace.ts';

const packet = (i: number, more: Partial<StudioPacket> = {}): StudioPacket => ({
  seq: i,
  bin: i,
  positionS: i / 40,
  counts: [1, 0, 2],
  x: i,
  y: -i,
  vx: 0,
  vy: null,
  trialId: 0,
  trialTimeMs: i * 25,
  targetId: 3,
  ...more,
});

describe('LiveBuffers (what the live views draw)', () => {
  it('turns each packet into a population rate (Hz), kinematics, a raster column and readouts', () => {
    const b = new LiveBuffers(400);
    b.push(packet(0), 600);
    expect(b.window.at(S_RATE, 0)).toBe(3 * 40); // 3 spikes in 25 ms
    expect(b.window.at(S_X, 0)).toBe(0);
    expect(b.window.at(S_VY, 0)).toBeNaN(); // null → a gap, not 0
    expect(b.raster.channels).toBe(3);
    expect(b.raster.written).toBe(1);
    expect(b.trialTimeMs).toBe(0);
    expect(b.targetId).toBe(3);
    expect(b.endOfLastPacketS).toBeCloseTo(0.025, 9);
  });

  it('smooths the rate over the last bins', () => {
    const b = new LiveBuffers(400);
    for (let i = 0; i < SMOOTH_BINS; i++) b.push(packet(i, { counts: [i % 2 === 0 ? 4 : 0] }), 600);
    expect(b.window.at(S_RATE_SMOOTH, 0)).toBe(80);
  });

  it('starts afresh on a jump in the timeline (seek), not on a loop wrap', () => {
    const b = new LiveBuffers(400);
    for (let i = 0; i < 10; i++) b.push(packet(i), 600);
    const g = b.generation;
    b.push(packet(23999, { seq: 10, positionS: 599.975 }), 600); // a seek to the end: the next packet, far on
    expect(b.generation).toBe(g + 1);
    expect(b.window.count).toBe(1);
    b.push(packet(0, { seq: 11 }), 600); // loop wrap back to 0
    expect(b.generation).toBe(g + 1);
    expect(b.window.count).toBe(2);
  });

  it('follows a change of channel count (another dataset) and of window length', () => {
    const b = new LiveBuffers(400);
    b.push(packet(0), 600);
    b.push(packet(1, { counts: new Array(182).fill(0) }), 600);
    expect(b.raster.channels).toBe(182);
    b.setWindow(5);
    expect(b.columns).toBe(200);
    expect(b.raster.columns).toBe(200);
    expect(b.window.count).toBe(0);
  });
});

describe('trial search', () => {
  const trials = [
    { id: 4, targetId: 3, success: true, startTime: 0, duration: 2 },
    { id: 41, targetId: 3, success: false, startTime: 2, duration: 2 },
    { id: 42, targetId: 7, success: true, startTime: 4, duration: 2 },
    { id: 141, targetId: null, success: null, startTime: 6, duration: 2 },
  ];
  const ids = (q: string) => filterTrials(trials, q).map((t) => t.id);

  it('matches id prefixes, targets and outcome, all terms together', () => {
    expect(ids('')).toEqual([4, 41, 42, 141]);
    expect(ids('4')).toEqual([4, 41, 42]);
    expect(ids('t3')).toEqual([4, 41]);
    expect(ids('target 3')).toEqual([4, 41]);
    expect(ids('target:7')).toEqual([42]);
    expect(ids('t3 fail')).toEqual([41]);
    expect(ids('ok')).toEqual([4, 42]);
    expect(ids('4 ok')).toEqual([4, 42]);
  });

  it('ignores words it does not know instead of hiding everything', () => {
    expect(parseTrialQuery('banana')).toEqual([]);
    expect(ids('banana 41')).toEqual([41]);
  });
});

describe('workspace fit', () => {
  it('maps mm (y up) to px (y down) with one scale, centred, inside the margin', () => {
    const fit = fitWorkspace({ xMin: -150, xMax: 150, yMin: -100, yMax: 100 }, 400, 300, 20);
    expect(fit.scale).toBeCloseTo(1.2, 9); // width-limited: (400 − 40) / 300 = 1.2 < (300 − 40) / 200 = 1.3
    const [cx, cy] = toPx(fit, 0, 0);
    expect([cx, cy]).toEqual([200, 150]);
    const [, top] = toPx(fit, 0, 100);
    expect(top).toBeLessThan(150); // +y is up the screen
    const [left] = toPx(fit, -150, 0);
    expect(left).toBeGreaterThanOrEqual(20);
  });
});
