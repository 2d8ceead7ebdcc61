/**
 * Sessions at other bin widths (5, 10, 20, 25, 50 ms): every packet of a small NWB file the test
 * writes, played whole at each width, against an independent binning of the same file by
 * h5py and numpy; the packet rate follows the width on a manual clock.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN_WIDTHS_MS } from '../../src/shared/bins.ts';
import type { DataPacket } from '../../src/shared/wire.ts';
import { ParamError } from '../../src/main/common/errors.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { writeMcMazeNwb } from '../../src/main/dataset/nwbWriter.ts';
import type { Dataset } from '../../src/main/dataset/types.ts';
import { Session } from '../../src/main/playback/session.ts';
import { manualScheduler } from '../helpers/manualTime.ts';
import { pythonHas, runPythonJson } from '../helpers/python.ts';
import { makeTempDir, smallMcMaze } from '../dataset/helpers.ts';

const tmp = makeTempDir('pl-widths-');
const file = join(tmp.dir, 'widths.nwb');
let ds: Dataset;

/** A seeded recording with enough in it: 6 units, ~2 s of spikes, 1 kHz behaviour with a gap, trials with a NaN stop. */
function recording() {
  const rec = smallMcMaze();
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  rec.units = {
    ids: [1, 2, 3, 4, 5, 6],
    spikeTimes: Array.from({ length: 6 }, (_, u) => Float64Array.from({ length: 80 + 40 * u }, () => Math.round(rand() * 0.998 * 1e6) / 1e6).sort()),
    heldout: [false, false, false, false, false, false],
    obsIntervals: Array.from({ length: 6 }, () => [[0, 1]]),
    electrodes: Array.from({ length: 6 }, (_, u) => [u]),
  };
  return rec;
}

beforeAll(async () => {
  await writeMcMazeNwb(file, recording());
  ds = await loadDataset(file);
});
afterAll(() => tmp.cleanup());

/** Every packet of the whole timeline at `binMs`, loop off, on a manual clock. */
function playAll(binMs: number): DataPacket[] {
  const { time, scheduler } = manualScheduler();
  const s = new Session(`w${binMs}`, ds, { trial_id: null, target_id: null }, { bin_ms: binMs, loop: false, clock: { scheduler } });
  const out: DataPacket[] = [];
  s.attach({ onPacket: (p) => out.push(p) });
  time.advance(2000 + 2 * ds.durationSeconds * 1000);
  s.close(1001, 'done');
  return out;
}

const INDEPENDENT = `
import json, sys
import h5py, numpy as np
path, widths = sys.argv[1], json.loads(sys.argv[2])
f = h5py.File(path, "r")
st, idx = f["units/spike_times"][:], f["units/spike_times_index"][:]
units = [st[(idx[u - 1] if u else 0):idx[u]] for u in range(len(idx))]
beh = f["processing/behavior"]
ts = beh["cursor_pos/timestamps"][:]
pos = beh["cursor_pos/data"][:]
vel = beh["hand_vel/data"][:]
start = f["intervals/trials/start_time"][:]
stop = f["intervals/trials/stop_time"][:].copy()
duration = ts[-1]
for i in range(len(stop)):
    if np.isnan(stop[i]):
        stop[i] = start[i + 1] if i + 1 < len(start) else duration
us = lambda t: np.round(np.asarray(t) * 1e6).astype(np.int64)
out = {}
for w in widths:
    W = w * 1000
    n = int(us(duration) // W)
    counts = np.zeros((n, len(units)), dtype=int)
    for u, times in enumerate(units):
        b = us(times) // W
        b = b[b < n]
        np.add.at(counts[:, u], b, 1)
    sb = us(ts) // W
    def means(data):
        res = []
        for k in range(n):
            m = (sb == k) & np.isfinite(data[:, 0]) & np.isfinite(data[:, 1])
            res.append([float(v) for v in data[m].mean(axis=0)] if m.any() else [None, None])
        return res
    trial = []
    for k in range(n):
        t0 = k * W
        hit = [i for i in range(len(start)) if us(start[i]) <= t0 < us(stop[i])]
        trial.append(hit[0] if hit else None)
    out[str(w)] = {"counts": counts.tolist(), "pos": means(pos), "vel": means(vel), "trial": trial}
print(json.dumps(out))
`;

describe('bin widths', () => {
  it.skipIf(!pythonHas('h5py', 'numpy'))('at 5, 10, 20, 25 and 50 ms every packet matches an independent binning of the file (h5py + numpy)', () => {
    const ref = runPythonJson<Record<string, { counts: number[][]; pos: Array<[number | null, number | null]>; vel: Array<[number | null, number | null]>; trial: Array<number | null> }>>(
      INDEPENDENT.replace('sys.argv[1], json.loads(sys.argv[2])', `${JSON.stringify(file)}, ${JSON.stringify([...BIN_WIDTHS_MS])}`),
      '',
    );
    const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
    for (const w of BIN_WIDTHS_MS) {
      const packets = playAll(w);
      const r = ref[String(w)];
      expect(packets.length, `${w} ms: packets`).toBe(r.counts.length);
      packets.forEach((p, k) => {
        expect(p.bin_index).toBe(k);
        expect(p.spikes.bin_size_ms).toBe(w);
        expect(p.frequency_hz).toBe(1000 / w);
        expect(p.spikes.spike_counts, `${w} ms, bin ${k}`).toEqual(r.counts[k]);
        expect(close(p.kinematics.x, r.pos[k][0]) && close(p.kinematics.y, r.pos[k][1]), `${w} ms, bin ${k}: position ${JSON.stringify(p.kinematics)} vs ${r.pos[k]}`).toBe(true);
        expect(close(p.kinematics.vx, r.vel[k][0]) && close(p.kinematics.vy, r.vel[k][1]), `${w} ms, bin ${k}: velocity`).toBe(true);
        expect(p.trial_id, `${w} ms, bin ${k}: trial`).toBe(r.trial[k]);
        expect(p.time_s).toBeCloseTo((k * w) / 1000, 12);
      });
      expect(packets.reduce((n, p) => n + p.spikes.spike_counts.reduce((a, b) => a + b, 0), 0)).toBe(r.counts.flat().reduce((a, b) => a + b, 0));
    }
  });

  it('the packet rate follows the width: 200, 100, 50, 40, 20 packets a second; metadata says which', () => {
    for (const w of BIN_WIDTHS_MS) {
      const { time, scheduler } = manualScheduler();
      const s = new Session(`r${w}`, ds, { trial_id: null, target_id: null }, { bin_ms: w, clock: { scheduler } });
      let n = 0;
      s.attach({ onPacket: () => n++ });
      time.advance(1000);
      expect(n, `${w} ms`).toBeGreaterThanOrEqual(1000 / w);
      expect(n, `${w} ms`).toBeLessThanOrEqual(1000 / w + 1);
      expect(s.metadata()).toMatchObject({ bin_size_ms: w, frequency_hz: 1000 / w, total_packets: Math.floor((ds.durationSeconds * 1000) / w + 1e-9) });
      // Positions and seeks are in seconds whatever the width.
      s.seek(0.5);
      expect(s.state()).toMatchObject({ position_s: 0.5, position_packets: 500 / w, bin_ms: w });
      s.close(1001, 'done');
    }
  });

  it('a trial filter plays the trial’s bins at the session’s width', () => {
    const { time, scheduler } = manualScheduler();
    const s = new Session('tf', ds, { trial_id: 1, target_id: null }, { bin_ms: 10, loop: false, clock: { scheduler } });
    const bins: number[] = [];
    s.attach({ onPacket: (p) => bins.push(p.bin_index) });
    time.advance(2000);
    // Trial 1 is [0.2, 0.45): bins 20..44 at 10 ms.
    expect(bins).toEqual(Array.from({ length: 25 }, (_, i) => 20 + i));
    expect(s.trialStartsSeconds()).toEqual([0]);
    s.close(1001, 'done');
  });

  it('refuses any other width', () => {
    for (const w of [0, 7, 24.9, 100, -5, Number.NaN]) {
      expect(() => new Session('bad', ds, { trial_id: null, target_id: null }, { bin_ms: w, paused: true })).toThrow(ParamError);
    }
  });
});
