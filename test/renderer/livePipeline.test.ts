import { describe, expect, it } from 'vitest';
import type { StudioPacket } from '../../src/shared/studioApi.ts';
import { FrameLoop } from '../../src/renderer/src/live/frameLoop.ts';
import { LivePipeline, PACKET_POSITION_MS, type LivePlayback } from '../../src/renderer/src/state/livePipeline.ts';

const packet = (seq: number, positionS = seq / 40): StudioPacket => ({
  seq,
  bin: seq,
  positionS,
  counts: [1, 2],
  x: 1,
  y: 2,
  vx: 0,
  vy: 0,
  trialId: 0,
  trialTimeMs: 0,
  targetId: 3,
});

/** A pipeline reading a playback the test changes by hand. */
function pipeline(pb: LivePlayback | null = { status: 'playing', speed: 1, positionS: 0, durationS: 600 }) {
  const playback = { current: pb };
  return { p: new LivePipeline(() => playback.current), playback };
}

const run = (n: number) => Array.from({ length: n }, (_, i) => packet(i));

describe('LivePipeline (packets on their way to the live views)', () => {
  it('while playing, lets packets out at the session’s rate, so a batch scrolls instead of jumping', () => {
    const { p } = pipeline();
    p.take(run(4)); // one 100 ms batch at 1×
    expect(p.advance(0)).toBe(0);
    expect(p.advance(25)).toBe(1);
    expect(p.advance(50)).toBe(1);
    expect(p.live.packets).toBe(2);
  });

  it('follows the speed: 20× releases twenty times as many per frame', () => {
    const { p } = pipeline({ status: 'playing', speed: 20, positionS: 0, durationS: 600 });
    p.take(run(200));
    p.advance(0);
    expect(p.advance(50)).toBe(40);
  });

  it('when not playing, draws whatever is queued at once', () => {
    const { p } = pipeline({ status: 'paused', speed: 1, positionS: 0, durationS: 600 });
    p.take(run(5));
    expect(p.advance(0)).toBe(5);
    expect(p.live.packets).toBe(5);
  });

  it('after a reset with a floor, drops the packets sent before it; a raised floor never goes down', () => {
    const { p, playback } = pipeline({ status: 'paused', speed: 1, positionS: 0, durationS: 600 });
    p.take(run(3));
    p.advance(0);
    const generation = p.live.generation;
    p.reset(10); // a seek when the engine had sent 10
    expect(p.live.packets).toBe(0);
    expect(p.live.generation).toBeGreaterThan(generation);
    p.raiseFloor(5); // lower than the floor: no effect
    p.take([packet(9, 1), packet(10, 100)]);
    expect(p.advance(16)).toBe(1);
    expect(p.live.seq).toBe(10);
    p.raiseFloor(20);
    p.take([packet(11, 100.025)]);
    expect(p.advance(32)).toBe(0);
    // A new session counts from 0 again.
    playback.current = null;
    p.reset(0);
    p.take([packet(0, 0)]);
    expect(p.advance(48)).toBe(1);
  });

  it('a reset without a floor clears the plots and the queue but keeps the floor', () => {
    const { p } = pipeline({ status: 'paused', speed: 1, positionS: 0, durationS: 600 });
    p.reset(10);
    p.take([packet(10, 0.25), packet(11, 0.275)]);
    p.reset(); // a new dataset
    expect(p.advance(0)).toBe(0);
    p.take([packet(3, 0)]);
    expect(p.advance(16)).toBe(0);
  });

  it('treats the loop wrap (the end back to 0) as continuous, using the playback’s duration', () => {
    const { p, playback } = pipeline({ status: 'paused', speed: 1, positionS: 0, durationS: 600 });
    p.take([packet(23999, 599.975)]);
    p.advance(0);
    const generation = p.live.generation;
    p.take([packet(24000, 0)]);
    p.advance(16);
    expect(p.live.generation).toBe(generation); // no fresh start
    expect(p.live.packets).toBe(2);
    // With no playback known, nothing wraps: the same jump starts the plots afresh.
    playback.current = null;
    p.take([packet(24001, 599.975), packet(24002, 0)]);
    p.advance(32);
    expect(p.live.packets).toBe(1);
  });

  it('shows the position from packets while they flow, from the snapshot otherwise, 0 with no playback', () => {
    const { p, playback } = pipeline({ status: 'playing', speed: 1, positionS: 5, durationS: 600 });
    expect(p.positionAt(0)).toBe(5); // nothing drawn yet
    p.take([packet(200, 5), packet(201, 5.025)]);
    p.advance(0);
    p.advance(1000);
    expect(p.positionAt(1000)).toBeCloseTo(5.05, 9); // the end of the last bin drawn
    expect(p.positionAt(1000 + PACKET_POSITION_MS)).toBe(5); // packets stopped coming
    playback.current = { status: 'playing', speed: 1, positionS: 5, durationS: 5.03 };
    expect(p.positionAt(1000)).toBe(5.03); // never past the end
    playback.current = { status: 'paused', speed: 1, positionS: 7, durationS: 600 };
    expect(p.positionAt(1000)).toBe(7);
    playback.current = null;
    expect(p.positionAt(1000)).toBe(0);
  });

  it('is what the frame loop runs on: a frame takes the due packets and the views see them', () => {
    const { p } = pipeline({ status: 'paused', speed: 1, positionS: 0, durationS: 600 });
    const loop = new FrameLoop(p);
    const seen: number[] = [];
    loop.add(({ store, taken }) => seen.push(taken, store.live.packets), { onData: true });
    p.take(run(3));
    loop.step(0);
    loop.step(16); // nothing new: no draw
    expect(seen).toEqual([3, 3]);
  });
});
