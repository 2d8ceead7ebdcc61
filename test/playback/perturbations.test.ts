/**
 * Seeded perturbations on the built-in recording, sessions on a manual clock: each kind's
 * effect measured on the stream against a clean session playing the same bins.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeMsgpack } from '../../src/shared/codecs.ts';
import type { DataPacket, Perturbations } from '../../src/shared/wire.ts';
import { ParamError } from '../../src/main/common/errors.ts';
import type { Dataset } from '../../src/main/dataset/types.ts';
import { loadBuiltin } from '../../src/main/playback/engine.ts';
import { Perturber, checkPerturbations } from '../../src/main/playback/perturbations.ts';
import { Session, type SessionOptions } from '../../src/main/playback/session.ts';
import { manualScheduler, type ManualTime } from '../helpers/manualTime.ts';
import { TEST_CACHE_DIR } from '../helpers/server.ts';

let ds: Dataset;
beforeAll(async () => {
  ds = await loadBuiltin('default', TEST_CACHE_DIR);
}, 60_000);

const open: Session[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close(1001, 'test over');
});

/** Plays sessions side by side on one manual clock; returns what each subscriber received. */
function play(optsList: SessionOptions[], ms: number): { packets: DataPacket[][]; at: number[][]; time: ManualTime; sessions: Session[] } {
  const { time, scheduler } = manualScheduler();
  const packets: DataPacket[][] = optsList.map(() => []);
  const at: number[][] = optsList.map(() => []);
  const sessions = optsList.map((opts, i) => {
    const s = new Session(`p${i}`, ds, { trial_id: null, target_id: null }, { ...opts, clock: { scheduler } });
    s.attach({ onPacket: (p) => (packets[i].push(p), at[i].push(time.now())) });
    open.push(s);
    return s;
  });
  time.advance(ms);
  return { packets, at, time, sessions };
}

const counts = (p: DataPacket) => p.spikes.spike_counts;

/**
 * Sessions on one clock take different phase slots, so they may have sent one packet more or
 * less when the clock stops: compare the packets both have (same sequence number, same bin).
 */
function common(...lists: DataPacket[][]): DataPacket[][] {
  const n = Math.min(...lists.map((l) => l.length));
  return lists.map((l) => l.slice(0, n));
}
const bytesWithoutTime = (p: DataPacket) => Buffer.from(encodeMsgpack({ ...p, timestamp: 0 })).toString('hex');

describe('perturbations', () => {
  it('the same seed and settings give the same packets byte for byte; another seed does not; the clean stream is untouched', () => {
    const stress: Perturbations = { seed: 7, dropout: { fraction: 0.2 }, drift: { mode: 'walk', amount: 0.5 }, noise: { mode: 'poisson', amount: 0.3 }, bursts: { rate_hz: 2, count: 3 }, shuffle: { mode: 'permute' } };
    const packets = common(...play([{ perturbations: stress }, { perturbations: stress }, { perturbations: { ...stress, seed: 8 } }, {}], 5000).packets);
    expect(packets[0].length).toBeGreaterThanOrEqual(199);
    expect(packets[0].map(bytesWithoutTime)).toEqual(packets[1].map(bytesWithoutTime));
    const differ = packets[0].filter((p, i) => bytesWithoutTime(p) !== bytesWithoutTime(packets[2][i])).length;
    expect(differ).toBeGreaterThan(190);
    const clean = packets[3];
    expect(packets[0].filter((p, i) => JSON.stringify(counts(p)) !== JSON.stringify(counts(clean[i]))).length).toBeGreaterThan(190);
    // Kinematics, intention and trial fields: never perturbed.
    packets[0].forEach((p, i) => expect({ ...p, spikes: null, timestamp: 0 }).toEqual({ ...clean[i], spikes: null, timestamp: 0 }));
  });

  it('dropout silences exactly the chosen channels (a list, or round(fraction × N) of them), from at_s on', () => {
    const n = ds.numUnits;
    const run = play([{ perturbations: { seed: 3, dropout: { channels: [0, 5, 77] } } }, { perturbations: { seed: 3, dropout: { fraction: 0.25, at_s: 2 } } }, {}], 4000);
    const sessions = run.sessions;
    const [list, fraction, clean] = common(...run.packets);
    for (let i = 0; i < list.length; i++) {
      for (let c = 0; c < n; c++) expect(counts(list[i])[c]).toBe([0, 5, 77].includes(c) ? 0 : counts(clean[i])[c]);
    }
    const silenced = new Set(sessions[1].silencedChannels());
    expect(silenced.size).toBe(Math.round(0.25 * n));
    for (let i = 80; i < fraction.length; i++) {
      for (let c = 0; c < n; c++) expect(counts(fraction[i])[c], `channel ${c}, packet ${i}`).toBe(silenced.has(c) ? 0 : counts(clean[i])[c]);
    }
    for (let i = 0; i < 80; i++) expect(counts(fraction[i])).toEqual(counts(clean[i])); // before at_s = 2 s
    expect(sessions[1].metadata().perturbations).toEqual({ seed: 3, dropout: { fraction: 0.25, at_s: 2 } });
  });

  it('loss drops a fraction within its binomial bounds over 10⁴ packets, as sequence gaps', () => {
    const { packets } = play([{ speed: 20, perturbations: { seed: 11, loss: { fraction: 0.1 } } }], 10_000 * 1.25);
    const seqs = packets[0].map((p) => p.sequence_number);
    const sentOf = seqs[seqs.length - 1] + 1;
    const lost = sentOf - seqs.length;
    const sd = Math.sqrt(sentOf * 0.1 * 0.9);
    expect(sentOf).toBeGreaterThanOrEqual(9_990);
    expect(Math.abs(lost - sentOf * 0.1)).toBeLessThan(4 * sd);
    expect(new Set(seqs).size).toBe(seqs.length);
    seqs.forEach((q, i) => i && expect(q).toBeGreaterThan(seqs[i - 1]));
  });

  it('jitter holds packets back by at most max_ms, keeping their order', () => {
    // Two runs, each alone on a fresh clock: the same phase slot, so the same due times.
    const jittered = play([{ perturbations: { seed: 5, jitter: { max_ms: 60 } } }], 6000);
    const clean = play([{}], 6000);
    const held = jittered.packets[0];
    const seqs = held.map((p) => p.sequence_number);
    seqs.forEach((q, i) => i && expect(q).toBe(seqs[i - 1] + 1));
    const cleanAt = new Map(clean.packets[0].map((p, i) => [p.sequence_number, clean.at[0][i]]));
    const delays = held.map((p, i) => jittered.at[0][i] - cleanAt.get(p.sequence_number)!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60 + 25); // its own hold, or the one ahead of it
    expect(delays.filter((d) => d > 5).length).toBeGreaterThan(held.length / 2);
  });

  it('shift moves the array by k channels; noise and bursts add what they say; drift changes rates slowly', () => {
    const run = play(
      [
        { perturbations: { seed: 1, shuffle: { mode: 'shift', shift: 2 } } },
        { perturbations: { seed: 1, noise: { mode: 'poisson', amount: 0.5 } } },
        { perturbations: { seed: 1, bursts: { rate_hz: 4, count: 10 } } },
        { perturbations: { seed: 1, drift: { mode: 'sine', amount: 1, period_s: 4 } } },
        {},
      ],
      8000,
    );
    const [shift, noise, bursts, drift, clean] = common(...run.packets);
    const n = ds.numUnits;
    shift.forEach((p, i) => {
      expect(counts(p).slice(2)).toEqual(counts(clean[i]).slice(0, n - 2));
      expect(counts(p).slice(0, 2)).toEqual([0, 0]);
    });
    const total = (ps: DataPacket[]) => ps.reduce((s, p) => s + counts(p).reduce((a, b) => a + b, 0), 0);
    const added = (total(noise) - total(clean)) / (noise.length * n);
    expect(added).toBeGreaterThan(0.45);
    expect(added).toBeLessThan(0.55);
    const burstPackets = bursts.filter((p, i) => counts(p).every((c, j) => c === counts(clean[i])[j] + 10)).length;
    expect(burstPackets / bursts.length).toBeGreaterThan(0.05); // 4 a second at 40 packets a second: 10 %
    expect(burstPackets / bursts.length).toBeLessThan(0.15);
    // A sine of period 4 s and amplitude 1: each channel's rate swings between e^−1 and e^1 of
    // the clean rate, each with its own phase. Over half-second windows the busiest channels'
    // perturbed/clean ratios must spread widely (they would stay near 1 without drift).
    const busiest = Array.from({ length: n }, (_, c) => c)
      .sort((a, b) => clean.reduce((s, p) => s + counts(p)[b], 0) - clean.reduce((s, p) => s + counts(p)[a], 0))
      .slice(0, 10);
    const spreads = busiest.map((c) => {
      const ratios: number[] = [];
      for (let i = 0; i + 20 <= clean.length; i += 20) {
        const sum = (ps: DataPacket[]) => ps.slice(i, i + 20).reduce((s, p) => s + counts(p)[c], 0);
        ratios.push((sum(drift) + 1) / (sum(clean) + 1));
      }
      return Math.max(...ratios) / Math.min(...ratios);
    });
    expect(spreads.sort((a, b) => a - b)[5]).toBeGreaterThan(2.5);
  });

  it('a walking drift is mean-reverting: its log-gain has sd `amount` after one minute as after an hour, and moves slowly', () => {
    const p = new Perturber({ seed: 9, drift: { mode: 'walk', amount: 0.3 } }, 200, 0.025);
    const sd = (t: number) => {
      const logs = Array.from({ length: 200 }, (_, c) => Math.log(p.gain(c, t)));
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      return Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    };
    for (const t of [60, 600, 3600]) {
      expect(sd(t), `sd at ${t} s`).toBeGreaterThan(0.3 * 0.8);
      expect(sd(t), `sd at ${t} s`).toBeLessThan(0.3 * 1.2);
    }
    // Over one second a channel's gain barely moves; over ten minutes it is another draw.
    const step = Array.from({ length: 200 }, (_, c) => Math.abs(Math.log(p.gain(c, 601)) - Math.log(p.gain(c, 600))));
    expect(Math.max(...step)).toBeLessThan(0.3);
    expect(new Perturber({ seed: 1 }, 4, 0.025).gain(0, 5)).toBe(1);
  });

  it('turning perturbations off restores the clean stream at once; they survive seek, pause, speed and filters', () => {
    const { packets, sessions, time } = play([{ perturbations: { seed: 2, dropout: { channels: [1, 2, 3] } } }, {}], 1000);
    const [s, clean] = sessions;
    for (const x of sessions) {
      x.seek(30);
      x.setSpeed(3);
      x.pause();
      x.setFilters({ trial_id: 4, target_id: null });
      x.play();
    }
    time.advance(500);
    const bin = (p: DataPacket) => p.bin_index;
    const after = packets[0].slice(-10);
    for (const p of after) expect(counts(p).slice(1, 4)).toEqual([0, 0, 0]);
    s.setPerturbations(null);
    const from = packets[0].length;
    time.advance(200);
    const cleanByBin = new Map(packets[1].map((p) => [bin(p), p]));
    const restored = packets[0].slice(from);
    expect(restored.length).toBeGreaterThan(10);
    for (const p of restored) expect(counts(p)).toEqual(counts(cleanByBin.get(bin(p))!));
    expect(clean.metadata().perturbations).toBeNull();
  });

  it('a blind session hides its perturbations from its metadata', () => {
    const { sessions } = play([{ blind: true, perturbations: { seed: 1, loss: { fraction: 0.5 } } }], 100);
    expect(sessions[0].metadata().perturbations).toBeNull();
    expect(sessions[0].perturbations).toEqual({ seed: 1, loss: { fraction: 0.5 } });
  });

  it('refuses every hostile value with a reason naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      ['dropout', /perturbations must be an object/],
      [{ seed: -1 }, /seed must be a number in/],
      [{ seed: 1.5 }, /seed must be an integer/],
      [{ wobble: 1 }, /unknown field\(s\) wobble/],
      [{ dropout: {} }, /dropout needs either channels/],
      [{ dropout: { fraction: 2 } }, /dropout\.fraction must be a number in \[0, 1\]/],
      [{ dropout: { channels: [1, 'x'] } }, /dropout\.channels\[1\]/],
      [{ dropout: { channels: [] } }, /dropout\.channels must be a non-empty list/],
      [{ dropout: { fraction: 0.1, at_s: -3 } }, /dropout\.at_s/],
      [{ shuffle: { mode: 'spin' } }, /shuffle\.mode must be one of shift, permute/],
      [{ drift: { mode: 'sine', amount: Number.NaN } }, /drift\.amount/],
      [{ drift: { mode: 'sine', amount: 1, period_s: 0 } }, /drift\.period_s/],
      [{ noise: { mode: 'poisson', amount: 1e9 } }, /noise\.amount/],
      [{ bursts: { rate_hz: 1, count: 0 } }, /bursts\.count/],
      [{ jitter: { max_ms: Infinity } }, /jitter\.max_ms/],
      [{ loss: { fraction: -0.1 } }, /loss\.fraction/],
      [{ loss: { fraction: 0.1, extra: 1 } }, /loss has unknown field\(s\) extra/],
      [{ noise: { mode: { toString: 1 }, amount: 1 } }, /noise\.mode/],
    ];
    for (const [v, why] of bad) {
      expect(() => checkPerturbations(v), JSON.stringify(v)).toThrow(ParamError);
      expect(() => checkPerturbations(v), JSON.stringify(v)).toThrow(why);
    }
    expect(checkPerturbations(null)).toBeNull();
    expect(checkPerturbations({ loss: { fraction: 0.1 } })).toEqual({ seed: 0, loss: { fraction: 0.1 } });
  });
});
