import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { binCount, binOf } from '../../src/shared/bins.ts';
import { binRecording } from '../../src/main/dataset/binning.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { memoryRecordingSource, type MemorySeries } from '../../src/main/dataset/memorySource.ts';
import { Rng } from '../../src/main/dataset/synthetic/rng.ts';
import type { Dataset } from '../../src/main/dataset/types.ts';
import { countsAt, kinematicsArrays, makeTempDir, nwbRoot, writeRawHdf5, writeUnits } from './helpers.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const PROVENANCE = { path: '/memory/streamed.nwb', name: 'streamed.nwb', synthetic: true, description: 'test' };

/**
 * Reference binning, written the plain way: every sample's 25 ms bin by the bin rule, summed in
 * sample order (what the loader did before it kept 5 ms base bins).
 */
function referenceMeans(ts: Float64Array, data: Float64Array, cols: number, numBins: number): { a: number[]; b: number[] } {
  const sa = new Float64Array(numBins);
  const sb = new Float64Array(numBins);
  const n = new Float64Array(numBins);
  for (let i = 0; i < ts.length; i++) {
    const k = binOf(ts[i]);
    if (!(k >= 0 && k < numBins)) continue;
    const a = data[i * cols];
    const b = cols > 1 ? data[i * cols + 1] : 0;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    sa[k] += a;
    sb[k] += b;
    n[k]++;
  }
  return {
    a: Array.from(n, (c, k) => (c > 0 ? sa[k] / c : NaN)),
    b: Array.from(n, (c, k) => (c > 0 && cols > 1 ? sb[k] / c : NaN)),
  };
}

/** Central difference per sample (one-sided at the ends), NaN where neighbours are not apart in time. */
function referenceDifference(ts: Float64Array, data: Float64Array, cols: number): Float64Array {
  const n = ts.length;
  const out = new Float64Array(n * cols).fill(NaN);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - 1);
    const b = Math.min(n - 1, i + 1);
    const dt = ts[b] - ts[a];
    if (dt > 0) for (let j = 0; j < cols; j++) out[i * cols + j] = (data[b * cols + j] - data[a * cols + j]) / dt;
  }
  return out;
}

/**
 * Kinematics from 5 ms partial sums differ from one sequential sum in the last bits, so they are
 * compared to 1e-12 relative to the value (or to 1 near zero); NaN must match NaN exactly.
 */
function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let bad = 0;
  for (let k = 0; k < actual.length; k++) {
    const e = expected[k];
    const a = actual[k];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e));
    if (!ok && bad++ < 3) expect.soft(a, `${what}[${k}]`).toBe(e);
  }
  expect(bad, `${what}: bins off`).toBe(0);
}

/**
 * 400 s of 1 kHz behaviour (more than three read chunks) with gaps, NaN stretches and a
 * one-sample dropout on a chunk edge; 12 units of random spikes.
 */
function recording(seed: number) {
  const rng = new Rng(seed, 'streamed-binning');
  const t: number[] = [];
  for (let i = 0; i < 400_000; i++) {
    if (i % 50_000 >= 49_000) continue; // a 1 s gap every 50 s
    if (i === 131_073) continue;
    t.push(i / 1000 + rng.range(-2e-4, 2e-4));
  }
  const timestamps = Float64Array.from(t);
  const n = timestamps.length;
  const pos = new Float64Array(2 * n);
  const vel = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    pos[2 * i] = 100 * Math.sin(timestamps[i] / 3) + rng.range(-1, 1);
    pos[2 * i + 1] = 80 * Math.cos(timestamps[i] / 5);
    vel[2 * i] = rng.range(-500, 500);
    vel[2 * i + 1] = rng.range(-500, 500);
    if (i % 997 < 30) pos[2 * i + (i % 2)] = NaN; // x or y missing: the whole sample is skipped
    if (i % 1503 < 7) vel[2 * i + 1] = NaN;
  }
  const spikeTimes = Array.from({ length: 12 }, (_, u) => {
    const s = Float64Array.from({ length: 2000 + 1500 * u }, () => rng.range(0, 401));
    return u % 3 === 0 ? s : s.sort();
  });
  return { timestamps, pos, vel, spikeTimes };
}

function expectCountsMatch(ds: Dataset, spikeTimes: Float64Array[]): void {
  const expected = new Int32Array(ds.numBins * spikeTimes.length);
  let total = 0;
  spikeTimes.forEach((times, u) => {
    for (const t of times) {
      const k = binOf(t);
      if (k < ds.numBins) {
        expected[k * spikeTimes.length + u]++;
        total++;
      }
    }
  });
  let mismatches = 0;
  for (let k = 0; k < ds.numBins; k++) {
    const c = countsAt(ds, k);
    for (let u = 0; u < c.length; u++) if (c[u] !== expected[k * spikeTimes.length + u]) mismatches++;
  }
  expect(mismatches).toBe(0);
  expect(ds.totalSpikes).toBe(total);
}

describe('binning a recording read in chunks', () => {
  const rec = recording(11);
  const cursor: MemorySeries = { path: '/processing/behavior/cursor_pos', timestamps: rec.timestamps, data: rec.pos, columns: 2, unit: 'mm' };
  const handVel: MemorySeries = { path: '/processing/behavior/hand_vel', timestamps: rec.timestamps, data: rec.vel, columns: 2, unit: 'mm/s' };
  const unitIds = rec.spikeTimes.map((_, u) => 100 + u);

  it('gives the counts and bin means of binning every sample and spike directly', () => {
    const ds = binRecording(memoryRecordingSource({ path: PROVENANCE.path, unitIds, spikeTimes: rec.spikeTimes, position: cursor, velocity: handVel }), PROVENANCE);
    const last = rec.timestamps[rec.timestamps.length - 1];
    expect(ds.durationSeconds).toBe(last);
    expect(ds.numBins).toBe(binCount(last));
    expect(ds.base.numBins).toBe(binCount(last, 5000));
    expectCountsMatch(ds, rec.spikeTimes);
    const k = kinematicsArrays(ds);
    const p = referenceMeans(rec.timestamps, rec.pos, 2, ds.numBins);
    const v = referenceMeans(rec.timestamps, rec.vel, 2, ds.numBins);
    expectClose(k.x, p.a, 'x');
    expectClose(k.y, p.b, 'y');
    expectClose(k.vx, v.a, 'vx');
    expectClose(k.vy, v.b, 'vy');
    // The gaps leave bins with no sample at all.
    expect(k.x.filter(Number.isNaN).length).toBeGreaterThan(200);
  });

  it('differentiates position across chunk edges when there is no hand_vel', () => {
    const ds = binRecording(memoryRecordingSource({ path: PROVENANCE.path, unitIds, spikeTimes: rec.spikeTimes, position: cursor }), PROVENANCE);
    expect(ds.kinematics).toEqual({ positionSource: 'cursor_pos', velocitySource: 'finite difference of cursor_pos' });
    expect(ds.notes).toContain('no hand_vel: vx, vy are the finite difference of cursor_pos');
    const k = kinematicsArrays(ds);
    const v = referenceMeans(rec.timestamps, referenceDifference(rec.timestamps, rec.pos, 2), 2, ds.numBins);
    expectClose(k.vx, v.a, 'vx');
    expectClose(k.vy, v.b, 'vy');
  });

  it('with velocity only, x and y are NaN and the duration comes from the velocity series', () => {
    const ds = binRecording(memoryRecordingSource({ path: PROVENANCE.path, unitIds, spikeTimes: rec.spikeTimes, velocity: handVel }), PROVENANCE);
    expect(ds.kinematics).toEqual({ positionSource: 'none', velocitySource: 'hand_vel' });
    const k = ds.kinematicsAt(100);
    expect(Number.isNaN(k.x) && Number.isNaN(k.y)).toBe(true);
    expect(Number.isFinite(k.vx)).toBe(true);
    expect(ds.durationSeconds).toBe(rec.timestamps[rec.timestamps.length - 1]);
  });

  it('without behaviour, kinematics are NaN and the duration is the last spike', () => {
    const ds = binRecording(memoryRecordingSource({ path: PROVENANCE.path, unitIds, spikeTimes: rec.spikeTimes }), PROVENANCE);
    expect(ds.kinematics).toBeNull();
    expect(ds.base.position).toBeNull();
    expect(ds.base.velocity).toBeNull();
    expect(ds.durationSeconds).toBe(Math.max(...rec.spikeTimes.map((s) => Math.max(...s))));
    expect(Object.values(ds.kinematicsAt(5)).every(Number.isNaN)).toBe(true);
    expectCountsMatch(ds, rec.spikeTimes);
  });
});

describe('a behaviour series whose timestamps stop increasing', () => {
  it('is rejected mid-read and the next choice is binned, with the duration and spikes it implies', async () => {
    const path = join(tmp.dir, 'decreasing-cursor.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      // 1.2 s lies past the cursor's 0.999 s but inside hand_pos's 1.499 s.
      writeUnits(f, { spikeTimes: [[0.1, 0.6, 1.2]] });
      const b = f.create_group('processing').create_group('behavior');
      const series = (name: string, n: number, at: (i: number) => number, x: (i: number) => number) => {
        const g = b.create_group(name);
        const data = new Float64Array(2 * n);
        for (let i = 0; i < n; i++) data.set([x(i), 0], 2 * i);
        g.create_dataset({ name: 'data', data, shape: [n, 2], dtype: '<d' }).create_attribute('unit', 'mm');
        g.create_dataset({ name: 'timestamps', data: Float64Array.from({ length: n }, (_, i) => at(i)), dtype: '<d' });
      };
      series('cursor_pos', 1000, (i) => (i === 500 ? 0.3 : i / 1000), () => 1);
      series('hand_pos', 1500, (i) => i / 1000, (i) => i);
    });
    const ds = await loadDataset(path);
    expect(ds.notes).toEqual([
      'no /intervals/trials table: no trials',
      '/processing/behavior/cursor_pos has timestamps that are not increasing (sample 500): series ignored',
      'hand_pos used: no cursor_pos',
      'no hand_vel: vx, vy are the finite difference of hand_pos',
    ]);
    expect(ds.kinematics).toEqual({ positionSource: 'hand_pos', velocitySource: 'finite difference of hand_pos' });
    expect(ds.durationSeconds).toBe(1.499);
    expect(ds.numBins).toBe(59);
    expect(ds.totalSpikes).toBe(3);
    expect(countsAt(ds, 48)).toEqual([1]); // 1.2 s: binned although the first choice ended at 0.999 s
    // hand_pos x = i at i ms: bin 10 holds samples 250 .. 274; velocity is 1000 mm/s.
    const k = ds.kinematicsAt(10);
    expect([k.x, k.y, k.vy]).toEqual([262, 0, 0]);
    expect(k.vx).toBeCloseTo(1000, 6);
  });
});
