import { describe, expect, it } from 'vitest';
import type { DecoderSummary, StudioPacket, StudioPrediction } from '../../src/shared/studioApi.ts';
import { DECODER_COLORS } from '../../src/renderer/src/components/theme.ts';
import { SEQ_CAPACITY, STALE_PACKETS } from '../../src/renderer/src/data/decodedTracks.ts';
import { DecoderSlots, MAX_DECODERS, preferredSlot } from '../../src/renderer/src/data/decoderSlots.ts';
import { LiveBuffers, S_SEQ, S_VX } from '../../src/renderer/src/data/liveBuffers.ts';
import { DEFAULT_SORT, formatScore, nextSort, r2Color, R2_NEGATIVE, R2_NONE, sortDecoders } from '../../src/renderer/src/data/scoreboard.ts';
import { FrameLoop } from '../../src/renderer/src/live/frameLoop.ts';
import { LivePipeline, type LivePlayback } from '../../src/renderer/src/state/livePipeline.ts';

/** Packet `seq` of a steady playback; `trial` null = between trials. */
const packet = (seq: number, more: Partial<StudioPacket> = {}): StudioPacket => ({
  seq,
  bin: seq,
  positionS: seq / 40,
  counts: [1],
  x: 10 + seq,
  y: -5,
  vx: 40,
  vy: 0,
  trialId: 0,
  trialTimeMs: seq * 25,
  targetId: 1,
  ...more,
});

const pred = (seq: number, decoder: string, v: Partial<StudioPrediction> = {}): StudioPrediction => ({ seq, decoder, x: null, y: null, vx: null, vy: null, ...v });

const cursor = new Float64Array(2);
const cursorOf = (b: LiveBuffers, slot: number, seq: number): [number, number] => {
  b.decoded.cursorAt(slot, seq, cursor);
  return [cursor[0], cursor[1]];
};

describe('decoded tracks: predictions joined to packets by sequence number', () => {
  it('lines each prediction up with its packet’s column, whether it came before or after the packet was drawn', () => {
    const b = new LiveBuffers(8);
    b.decoded.takePredictions([pred(2, 'early', { vx: 12 })], false); // before its packet is drawn
    for (let s = 0; s < 4; s++) b.push(packet(s), 600);
    b.decoded.takePredictions([pred(0, 'early', { vx: 10 }), pred(3, 'early', { vx: 13 })], false); // after
    const slot = b.decoded.slots.peek('early');
    const seqs = b.window.copyOrdered(S_SEQ, new Float64Array(8));
    const out = new Float64Array(8);
    b.decoded.fillSeries(slot, 'vx', seqs, out);
    // Right-aligned like the true series: 4 empty columns, then packets 0..3.
    expect([...seqs.slice(4)]).toEqual([0, 1, 2, 3]);
    expect([...out]).toEqual([NaN, NaN, NaN, NaN, 10, NaN, 12, 13]);
    expect(b.window.copyOrdered(S_VX, new Float64Array(8))[7]).toBe(40); // the truth is untouched
  });

  it('never matches a prediction to a packet that only shares its ring cell', () => {
    const b = new LiveBuffers(8);
    b.decoded.takePredictions([pred(5, 'd', { vx: 1 })], false);
    b.push(packet(5 + SEQ_CAPACITY), 600);
    const slot = b.decoded.slots.peek('d');
    expect(b.decoded.value(slot, 'vx', 5 + SEQ_CAPACITY)).toBeNaN();
    expect(b.decoded.value(slot, 'vx', 5)).toBe(1);
  });

  it('a position decoder’s cursor is what it predicts', () => {
    const b = new LiveBuffers(8);
    b.push(packet(0), 600);
    b.decoded.takePredictions([pred(0, 'pos', { x: 3, y: 4, vx: 100 })], false);
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('pos');
    expect(b.decoded.isIntegrated(slot)).toBe(false);
    expect(cursorOf(b, slot, 0)).toEqual([3, 4]);
  });
});

describe('velocity-only decoders: integrated from the true position at each trial start', () => {
  /** Trial 0 at seq 0–3, trial 1 from seq 4; the true x is 10 + seq. */
  const trials = (seq: number) => packet(seq, seq < 4 ? { trialId: 0, trialTimeMs: seq * 25 } : { trialId: 1, trialTimeMs: (seq - 4) * 25 });

  it('starts at the true position, adds v·25 ms per bin, and starts again at the next trial', () => {
    const b = new LiveBuffers(16);
    for (let s = 0; s < 7; s++) {
      b.decoded.takePredictions([pred(s, 'vel', { vx: 40, vy: -80 })], false);
      b.push(trials(s), 600);
    }
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('vel');
    expect(b.decoded.isIntegrated(slot)).toBe(true);
    // seq 0 is the origin: the truth (10, −5); then +1 mm in x and −2 mm in y per bin.
    expect(cursorOf(b, slot, 0)).toEqual([10, -5]);
    expect(cursorOf(b, slot, 3)).toEqual([13, -11]);
    // Trial 1 starts at seq 4: back to the truth there (14, −5), whatever the decoder drifted to.
    expect(cursorOf(b, slot, 4)).toEqual([14, -5]);
    expect(cursorOf(b, slot, 6)).toEqual([16, -9]);
  });

  it('a prediction that comes after its packet was drawn is integrated in, and the positions after it move', () => {
    const b = new LiveBuffers(16);
    for (let s = 0; s < 4; s++) b.push(packet(s), 600);
    b.decoded.takePredictions([pred(1, 'vel', { vx: 40 }), pred(3, 'vel', { vx: 40 })], false);
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('vel');
    expect(cursorOf(b, slot, 3)[0]).toBe(12); // seq 2 not answered yet: x holds there
    b.decoded.takePredictions([pred(2, 'vel', { vx: 40 })], false);
    b.decoded.integrate();
    expect(cursorOf(b, slot, 2)[0]).toBe(12);
    expect(cursorOf(b, slot, 3)[0]).toBe(13);
  });

  it('a looping trial filter starts the trial again (same trial id, its time back to 0)', () => {
    const b = new LiveBuffers(16);
    const loop = (seq: number) => packet(seq, { trialId: 7, trialTimeMs: (seq % 3) * 25, x: 100 + (seq % 3), positionS: (seq % 3) / 40 });
    for (let s = 0; s < 5; s++) {
      b.decoded.takePredictions([pred(s, 'vel', { vx: 400 })], false);
      b.push(loop(s), 3 / 40);
    }
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('vel');
    expect(cursorOf(b, slot, 2)[0]).toBe(120); // 100 + 2 × 10
    expect(cursorOf(b, slot, 3)[0]).toBe(100); // wrapped: the truth again
    expect(cursorOf(b, slot, 4)[0]).toBe(110);
  });

  it('after a seek (the plots start afresh) integrates from the first packet drawn', () => {
    const b = new LiveBuffers(16);
    for (let s = 0; s < 3; s++) b.push(packet(s), 600);
    b.push(packet(100, { positionS: 50, trialTimeMs: 900, x: 70, y: 1 }), 600); // a jump mid-trial
    b.decoded.takePredictions([pred(101, 'vel', { vx: 40, vy: 40 })], false);
    b.push(packet(101, { positionS: 50.025, trialTimeMs: 925, x: 71, y: 1 }), 600);
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('vel');
    expect(cursorOf(b, slot, 100)).toEqual([70, 1]);
    expect(cursorOf(b, slot, 101)).toEqual([71, 2]);
  });

  it('a decoder that stopped answering has no cursor after a second', () => {
    const b = new LiveBuffers(16);
    b.decoded.takePredictions([pred(0, 'vel', { vx: 40 })], false);
    for (let s = 0; s <= STALE_PACKETS + 2; s++) b.push(packet(s, { trialTimeMs: s * 25 }), 600);
    b.decoded.integrate();
    const slot = b.decoded.slots.peek('vel');
    expect(cursorOf(b, slot, STALE_PACKETS)[0]).toBe(10); // holds while it may still answer
    expect(cursorOf(b, slot, STALE_PACKETS + 2)[0]).toBeNaN();
    expect(b.decoded.latestCursor(slot, STALE_PACKETS + 2, 8, cursor)).toBe(STALE_PACKETS);
  });

  it('a blind stream (no true position) gives no integrated cursor rather than a wrong one', () => {
    const b = new LiveBuffers(16);
    for (let s = 0; s < 3; s++) {
      b.decoded.takePredictions([pred(s, 'vel', { vx: 40 })], false);
      b.push(packet(s, { x: null, y: null }), 600);
    }
    b.decoded.integrate();
    expect(cursorOf(b, b.decoded.slots.peek('vel'), 2)[0]).toBeNaN();
  });
});

describe('the live pipeline with predictions', () => {
  it('paused, a prediction for a packet on screen makes the views draw again; playing, the next packet does', () => {
    const playback: { current: LivePlayback } = { current: { status: 'paused', speed: 1, positionS: 0, durationS: 600 } };
    const p = new LivePipeline(() => playback.current);
    const loop = new FrameLoop(p);
    let draws = 0;
    loop.add(() => draws++, { onData: true });
    p.take([packet(0), packet(1)]);
    loop.step(0);
    loop.step(16);
    expect(draws).toBe(1);
    p.takePredictions([pred(1, 'd', { vx: 1 })]);
    loop.step(32);
    expect(draws).toBe(2);
    loop.step(48);
    expect(draws).toBe(2);
    // A prediction for a packet not drawn yet changes nothing on screen.
    p.takePredictions([pred(5, 'd', { vx: 1 })]);
    loop.step(64);
    expect(draws).toBe(2);
    playback.current = { ...playback.current, status: 'playing' };
    p.takePredictions([pred(0, 'd', { vx: 1 })]);
    loop.step(80);
    expect(draws).toBe(2);
  });

  it('forgets the decoders when the studio follows another session (sequence numbers start over)', () => {
    const p = new LivePipeline(() => null);
    p.take([packet(0)]);
    p.advance(0);
    p.takePredictions([pred(0, 'd', { vx: 1 })]);
    const slot = p.live.decoded.slots.peek('d');
    expect(p.live.decoded.value(slot, 'vx', 0)).toBe(1);
    p.forgetDecoders();
    expect(p.live.decoded.slots.peek('d')).toBe(-1);
    expect(p.live.decoded.value(slot, 'vx', 0)).toBeNaN();
  });
});

describe('decoder colours: a stable slot per id', () => {
  it('a decoder keeps its slot whatever the order of the list and whoever joins', () => {
    const a = new DecoderSlots();
    const b = new DecoderSlots();
    const ids = ['ridge', 'wiener', 'kalman', 'lstm'];
    const first = a.sync(ids);
    expect(new Set(first).size).toBe(4);
    // The table sorted differently, a decoder more: nobody's slot moves.
    const again = a.sync(['lstm', 'new-one', 'kalman', 'wiener', 'ridge']);
    expect(again.slice(0, 1).concat(again.slice(2))).toEqual([first[3], first[2], first[1], first[0]]);
    // Alone, a decoder gets its preferred slot: the same colour in every window.
    expect(b.sync(['kalman'])).toEqual([preferredSlot('kalman')]);
  });

  it('up to eight decoders get eight different colours; a ninth gets none while all eight are listed', () => {
    const s = new DecoderSlots();
    const ids = Array.from({ length: 9 }, (_, i) => `decoder-${i}`);
    const slots = s.sync(ids);
    expect(new Set(slots.slice(0, 8)).size).toBe(MAX_DECODERS);
    expect(slots[8]).toBe(-1);
    expect(new Set(slots.slice(0, 8).map((k) => DECODER_COLORS[k])).size).toBe(8);
  });

  it('a decoder that left keeps its slot until a new one needs it', () => {
    const released: number[] = [];
    const s = new DecoderSlots(2, (slot) => released.push(slot));
    const [a] = s.sync(['a', 'b']);
    s.sync(['b']); // "a" disconnected and left the scoreboard
    expect(s.peek('a')).toBe(a);
    expect(s.slotOf('a')).toBe(a); // it comes back: same colour
    s.sync(['b']);
    expect(s.slotOf('c')).toBe(a); // a newcomer needs a slot: "a"'s is given up
    expect(released).toEqual([a]);
    expect(s.peek('a')).toBe(-1);
  });
});

function summary(id: string, name: string, r2: number | null, p50: number | null, more: Partial<DecoderSummary> = {}): DecoderSummary {
  const set = { axes: {}, r2, n: 10 };
  const lat = { count: 10, p50Ms: p50, p99Ms: p50 === null ? null : p50 * 2, maxMs: null };
  return {
    id,
    name,
    version: null,
    endpoint: 'json',
    address: '127.0.0.1',
    connected: true,
    axes: ['vx', 'vy'],
    counts: { predictions: 100, evaluated: 90, missing: 0, late: 0, duplicates: 0, stale: 0, unknown: 0, invalid: 0, throttled: 0 },
    cumulative: set,
    rolling: { ...set, r2: r2 === null ? null : 1 - r2 },
    latency: lat,
    rollingLatency: lat,
    reportedLatencyP50Ms: null,
    trials: [],
    ...more,
  };
}

describe('scoreboard order', () => {
  const ds = [summary('1', 'b-ridge', 0.5, 3), summary('2', 'a-kalman', null, 1), summary('3', 'c-lstm', 0.8, 9), summary('4', 'd-tie', 0.5, 2)];
  const names = (list: DecoderSummary[]) => list.map((d) => d.name);

  it('best R² first by default; no R² yet goes last; ties by name', () => {
    expect(names(sortDecoders(ds, DEFAULT_SORT, 'cumulative'))).toEqual(['c-lstm', 'b-ridge', 'd-tie', 'a-kalman']);
    // Reversed, the decoder without a score still goes last.
    expect(names(sortDecoders(ds, { key: 'r2', dir: 'asc' }, 'cumulative'))).toEqual(['b-ridge', 'd-tie', 'c-lstm', 'a-kalman']);
  });

  it('sorts by the window shown: the last 30 s can rank differently', () => {
    expect(names(sortDecoders(ds, DEFAULT_SORT, 'rolling'))).toEqual(['b-ridge', 'd-tie', 'c-lstm', 'a-kalman']);
  });

  it('a first click sorts a column best first (low latency), a second click turns it round', () => {
    const byP50 = nextSort(DEFAULT_SORT, 'p50');
    expect(byP50).toEqual({ key: 'p50', dir: 'asc' });
    expect(names(sortDecoders(ds, byP50, 'cumulative'))).toEqual(['a-kalman', 'd-tie', 'b-ridge', 'c-lstm']);
    expect(nextSort(byP50, 'p50')).toEqual({ key: 'p50', dir: 'desc' });
    expect(names(sortDecoders(ds, nextSort(DEFAULT_SORT, 'name'), 'cumulative'))).toEqual(['a-kalman', 'b-ridge', 'c-lstm', 'd-tie']);
  });

  it('never changes the list it is given', () => {
    const copy = [...ds];
    sortDecoders(ds, DEFAULT_SORT, 'cumulative');
    expect(ds).toEqual(copy);
  });

  it('colours and writes R² for the strip and the table', () => {
    expect(r2Color(null)).toBe(R2_NONE);
    expect(r2Color(-0.4)).toBe(R2_NEGATIVE);
    expect(r2Color(0.95)).not.toBe(r2Color(0.05));
    expect(formatScore(-0.5)).toBe('\u22120.50');
    expect(formatScore(-123)).toBe('<\u22129.99');
    expect(formatScore(null)).toBe('—');
  });
});
