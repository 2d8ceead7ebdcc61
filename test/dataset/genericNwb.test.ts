import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { kinematicsArrays, makeTempDir, nwbRoot, writeRawHdf5, writeUnits } from './helpers.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

describe('NWB files laid out unlike MC_Maze', () => {
  it('uses hand_pos with starting_time + rate, applies conversion and offset, and differentiates for velocity', async () => {
    const path = join(tmp.dir, 'hand-pos-rate.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.5]] });
      // 100 Hz for 1 s, nested in a Position container; 3 columns (x, y, z), stored in cm.
      const s = f.create_group('processing').create_group('behavior').create_group('Position').create_group('hand_pos');
      const n = 100;
      const data = new Float64Array(n * 3);
      for (let i = 0; i < n; i++) data.set([i, 5, 99], i * 3);
      const d = s.create_dataset({ name: 'data', data, shape: [n, 3], dtype: '<d' });
      d.create_attribute('unit', 'mm');
      d.create_attribute('conversion', 10, null, '<d');
      d.create_attribute('offset', 1, null, '<d');
      const st = s.create_dataset({ name: 'starting_time', data: 0, dtype: '<d' });
      st.create_attribute('rate', 100, null, '<d');
    });
    const ds = await loadDataset(path);
    // Last sample at 0.99 s → 39 bins.
    expect(ds.durationSeconds).toBe(0.99);
    expect(ds.numBins).toBe(39);
    expect(ds.kinematics!.positionSource).toBe('hand_pos');
    expect(ds.kinematics!.velocitySource).toBe('finite difference of hand_pos');
    const k = kinematicsArrays(ds);
    // Bin 0 holds samples at 0, 0.01, 0.02 s: x = 10·i + 1 → mean 11; bin 1 holds 0.03, 0.04 → 36.
    expect(k.x[0]).toBeCloseTo(11, 9);
    expect(k.x[1]).toBeCloseTo(36, 9);
    expect(k.y[0]).toBe(51);
    // x grows 10 mm per 10 ms → 1000 mm/s everywhere; y is constant.
    for (let b = 0; b < ds.numBins; b++) {
      expect(k.vx[b]).toBeCloseTo(1000, 6);
      expect(k.vy[b]).toBe(0);
    }
    expect(ds.notes).toContain('hand_pos used: no cursor_pos');
    expect(ds.notes).toContain('no hand_vel: vx, vy are the finite difference of hand_pos');
  });

  it('ends a NaN stop_time at the next trial start, and the last one at the end of the recording', async () => {
    const path = join(tmp.dir, 'nan-stops.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.2, 1.0]] });
      const t = f.create_group('intervals').create_group('trials');
      t.create_attribute('colnames', ['start_time', 'stop_time', 'outcome']);
      t.create_dataset({ name: 'id', data: [11, 12], dtype: '<i' });
      t.create_dataset({ name: 'start_time', data: [0.1, 0.5], dtype: '<d' });
      t.create_dataset({ name: 'stop_time', data: [NaN, NaN], dtype: '<d' });
      t.create_dataset({ name: 'outcome', data: ['hit', 'miss'] });
    });
    const ds = await loadDataset(path);
    // No behaviour: duration = latest of last spike (1.0) and trial starts/stops.
    expect(ds.durationSeconds).toBe(1);
    expect(ds.numBins).toBe(40);
    expect(ds.trials.map((t) => [t.nwbId, t.effectiveStopTime, t.firstBin, t.endBin])).toEqual([
      [11, 0.5, 4, 20],
      [12, 1, 20, 40],
    ]);
    expect(ds.trials.map((t) => t.success)).toEqual([null, null]);
    expect(ds.trials[1].columns).toEqual({ outcome: 'miss' });
    expect(ds.trialOfBin[3]).toBe(-1);
    expect(ds.trialOfBin[4]).toBe(0);
    expect(ds.trialOfBin[19]).toBe(0);
    expect(ds.trialOfBin[20]).toBe(1);
    expect(ds.trialOfBin[39]).toBe(1);
    expect(ds.notes).toContain('trial 0 stop_time NaN: ended at next trial start');
    expect(ds.notes).toContain('trial 1 stop_time NaN: ended at end of recording');
    expect(ds.targets).toEqual([]);
  });

  it('reports progress stages in order', async () => {
    const path = join(tmp.dir, 'progress.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.1, 0.9]] });
    });
    const stages: Array<[string, number]> = [];
    await loadDataset(path, { onProgress: (s, p) => stages.push([s, p]) });
    expect(stages.map((s) => s[0])).toEqual(['open', 'units', 'trials', 'behavior', 'binning', 'done']);
    const fractions = stages.map((s) => s[1]);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
  });

  it('resolves a relative path to an absolute provenance path', async () => {
    const path = join(tmp.dir, 'relative.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.1, 0.9]] });
    });
    const rel = join('..', ...Array(20).fill('..'), path); // climbs to / and back down
    const ds = await loadDataset(rel);
    expect(ds.provenance.path).toBe(path);
    expect(ds.provenance.name).toBe('relative.nwb');
    expect(ds.provenance.synthetic).toBe(false);
    expect(ds.provenance.description).toBe('test file');
  });
});
