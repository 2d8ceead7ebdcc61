import { describe, expect, it } from 'vitest';
import { PacketPacer } from '../../src/renderer/src/data/pacer.ts';

/** Runs frames every `frameMs` from `t0` to `t1`, pushing batches on the way; returns release times. */
function simulate(opts: { rate: number; batchEveryMs: number; perBatch: number; frameMs: number; durationMs: number; maxLagMs?: number }) {
  const pacer = new PacketPacer<number>(8192, opts.maxLagMs ?? 120);
  pacer.setRate(opts.rate);
  const released: Array<{ t: number; id: number }> = [];
  let id = 0;
  let nextBatch = 0;
  for (let t = 0; t <= opts.durationMs; t += 1) {
    if (t >= nextBatch) {
      for (let i = 0; i < opts.perBatch; i++) pacer.push(id++);
      nextBatch += opts.batchEveryMs;
    }
    if (t % opts.frameMs === 0) pacer.release(t, (x) => released.push({ t, id: x }));
  }
  return { released, pacer, pushed: id };
}

describe('PacketPacer (smooth scrolling from coalesced batches)', () => {
  it('spreads 1× batches (2 packets / 50 ms) over frames instead of dumping them', () => {
    const { released } = simulate({ rate: 40, batchEveryMs: 50, perBatch: 2, frameMs: 16, durationMs: 2000 });
    const perFrame = new Map<number, number>();
    for (const r of released) perFrame.set(r.t, (perFrame.get(r.t) ?? 0) + 1);
    expect(Math.max(...perFrame.values())).toBe(1);
    expect(released.length).toBeGreaterThan(70); // ~80 packets in 2 s, minus what is in flight
  });

  it('keeps order and loses nothing', () => {
    const { released, pacer, pushed } = simulate({ rate: 800, batchEveryMs: 50, perBatch: 40, frameMs: 16, durationMs: 1000 });
    const ids = released.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.length + pacer.pending).toBe(pushed);
  });

  it('never holds more than maxLag worth of packets, even when told the wrong rate', () => {
    // The session runs at 20× but the pacer still thinks 1×: it must catch up, not fall behind.
    const { pacer } = simulate({ rate: 40, batchEveryMs: 50, perBatch: 40, frameMs: 16, durationMs: 3000, maxLagMs: 120 });
    expect(pacer.pending).toBeLessThanOrEqual(40 + 5);
  });

  it('drains everything at once when playback stops', () => {
    const p = new PacketPacer<number>();
    for (let i = 0; i < 5; i++) p.push(i);
    const out: number[] = [];
    expect(p.drain((x) => out.push(x))).toBe(5);
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(p.pending).toBe(0);
  });

  it('drops the oldest when its ring is full (a backgrounded tab), keeping the newest', () => {
    const p = new PacketPacer<number>(4);
    for (let i = 0; i < 6; i++) p.push(i);
    const out: number[] = [];
    p.drain((x) => out.push(x));
    expect(out).toEqual([2, 3, 4, 5]);
  });
});
