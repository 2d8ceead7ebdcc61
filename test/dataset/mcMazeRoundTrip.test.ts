import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset as H5Dataset, Group as H5Group, Reference } from 'h5wasm/node';
import { loadH5wasm } from '../../src/main/dataset/h5.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import type { McMazeWriteOptions } from '../../src/main/dataset/mcMazeLayout.ts';
import { writeMcMazeNwb } from '../../src/main/dataset/nwbWriter.ts';
import { openNwb } from '../../src/main/dataset/nwbReader.ts';
import { countsAt, kinematicsArrays, makeTempDir, smallMcMaze } from './helpers.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const VARIANTS: Array<{ opts: McMazeWriteOptions; targetPos: string; spikeIndex: string }> = [
  { opts: { targetPosDtype: 'int16', spikeTimesIndexDtype: 'uint16' }, targetPos: '<h', spikeIndex: '<H' },
  { opts: { targetPosDtype: 'int64', spikeTimesIndexDtype: 'uint32' }, targetPos: '<q', spikeIndex: '<I' },
  { opts: { compression: 4 }, targetPos: '<q', spikeIndex: '<I' },
];

describe.each(VARIANTS)('writeMcMazeNwb + loadDataset round trip ($opts)', ({ opts, targetPos, spikeIndex }) => {
  const path = join(tmp.dir, `maze-${targetPos.slice(1)}-${spikeIndex.slice(1)}-${opts.compression ?? 0}.nwb`);

  it('writes the MC_Maze train layout', async () => {
    await writeMcMazeNwb(path, smallMcMaze(), opts);
    const h5 = await loadH5wasm();
    const f = new h5.File(path, 'r');
    try {
      const attr = (o: H5Group | H5Dataset, name: string) => o.attrs[name]?.json_value;
      const ds = (p: string) => f.get(p) as H5Dataset;
      const grp = (p: string) => f.get(p) as H5Group;

      expect(attr(f, 'neurodata_type')).toBe('NWBFile');
      expect(attr(f, 'namespace')).toBe('core');
      expect(String(attr(f, 'nwb_version'))).toMatch(/^2\./);
      expect(typeof attr(f, 'object_id')).toBe('string');
      for (const p of ['identifier', 'session_description', 'session_start_time', 'timestamps_reference_time', 'file_create_date', 'general/notes']) {
        expect(f.get(p), p).not.toBeNull();
      }
      expect(ds('general/notes').value).toContain('TEST recording');

      const units = grp('units');
      expect(attr(units, 'neurodata_type')).toBe('Units');
      expect(attr(units, 'colnames')).toEqual(['spike_times', 'obs_intervals', 'electrodes', 'heldout']);
      for (const a of ['description', 'namespace', 'object_id']) expect(attr(units, a), a).toBeDefined();
      expect(ds('units/id').dtype).toBe('<q');
      expect(ds('units/spike_times').dtype).toBe('<d');
      expect(ds('units/spike_times_index').dtype).toBe(spikeIndex);
      const target = (ds('units/spike_times_index').attrs.target.value as Reference[])[0];
      expect((f.dereference(target) as unknown as H5Dataset).path).toBe('/units/spike_times');
      expect(ds('units/obs_intervals').shape).toEqual([3, 2]);
      expect(Array.from(ds('units/obs_intervals_index').value as Uint8Array)).toEqual([1, 3, 3]);
      expect(Array.from(ds('units/electrodes_index').value as Uint8Array)).toEqual([1, 3, 4]);
      expect(ds('units/heldout').dtype).toBe('<B');
      expect(Array.from(ds('units/heldout').value as Uint8Array)).toEqual([0, 1, 0]);

      const trials = grp('intervals/trials');
      expect(attr(trials, 'neurodata_type')).toBe('TimeIntervals');
      for (const c of ['start_time', 'stop_time', 'target_on_time', 'go_cue_time', 'move_onset_time']) expect(ds(`intervals/trials/${c}`).dtype, c).toBe('<d');
      for (const c of ['rt', 'delay', 'num_targets', 'num_barriers', 'maze_id', 'trial_type', 'trial_version', 'active_target', 'id']) {
        expect(ds(`intervals/trials/${c}`).dtype, c).toBe('<q');
      }
      expect(ds('intervals/trials/success').dtype).toBe('<B');
      expect(ds('intervals/trials/target_pos').dtype).toBe(targetPos);
      expect(ds('intervals/trials/target_pos').shape).toEqual([7, 2]);
      expect(ds('intervals/trials/target_pos_index').dtype).toBe('<B');
      expect(Array.from(ds('intervals/trials/target_pos_index').value as Uint8Array)).toEqual([2, 3, 6, 7]);
      expect(ds('intervals/trials/barrier_pos').shape).toEqual([3, 4]);
      expect(Array.from(ds('intervals/trials/barrier_pos_index').value as Uint8Array)).toEqual([1, 1, 3, 3]);
      expect(ds('intervals/trials/split').value).toEqual(['train', 'val', 'train', 'test']);

      const behavior = grp('processing/behavior');
      expect(attr(behavior, 'neurodata_type')).toBe('ProcessingModule');
      const types = { cursor_pos: 'SpatialSeries', eye_pos: 'SpatialSeries', hand_pos: 'SpatialSeries', hand_vel: 'TimeSeries' };
      for (const [name, type] of Object.entries(types)) {
        const s = grp(`processing/behavior/${name}`);
        expect(attr(s, 'neurodata_type'), name).toBe(type);
        const data = ds(`processing/behavior/${name}/data`);
        expect(data.shape).toEqual([920, 2]);
        expect(attr(data, 'unit')).toBe(name === 'hand_vel' ? 'mm/s' : 'mm');
        expect(attr(data, 'conversion')).toBe(1);
        expect(data.attrs.conversion.dtype).toBe('<d');
        expect(attr(data, 'offset')).toBe(0);
        expect(attr(data, 'resolution')).toBe(-1);
        expect(ds(`processing/behavior/${name}/timestamps`).shape).toEqual([920]);
      }
      // cursor_pos owns the timestamps; the others share them through soft links.
      expect(f.get_link('/processing/behavior/cursor_pos/timestamps')).toBeNull();
      for (const name of ['eye_pos', 'hand_pos', 'hand_vel']) {
        expect(f.get_link(`/processing/behavior/${name}/timestamps`)).toBe('/processing/behavior/cursor_pos/timestamps');
      }
      if (opts.compression) expect(ds('processing/behavior/hand_pos/data').filters.map((x) => x.id)).toContain(1);
    } finally {
      f.close();
    }
  });

  it('reads back units, targets and index dtypes', async () => {
    const src = await openNwb(path);
    try {
      expect(src.unitIds).toEqual([4, 9, 17]);
      expect(src.indexDtype).toBe(spikeIndex === '<H' ? 'uint16' : 'uint32');
      expect(Array.from(src.unitEnds)).toEqual([3, 4, 4]);
      const trials = src.readTrials();
      expect(Array.from(trials!.activeTarget!.x)).toEqual([30, 30, -5, 1]);
      expect(Array.from(trials!.activeTarget!.y)).toEqual([40, 40, 7, 1]);
      const behavior = src.chooseBehavior(new Map());
      expect(behavior.position!.path).toBe('/processing/behavior/cursor_pos');
      expect(behavior.velocity!.path).toBe('/processing/behavior/hand_vel');
      // hand_vel's timestamps are a soft link to cursor_pos's: one key, so one read per chunk serves both.
      expect(behavior.velocity!.timestampsKey).toBe(behavior.position!.timestampsKey);
      expect(behavior.position!.rows).toBe(920);
    } finally {
      src.close();
    }
  });

  it('bins spikes, gapped kinematics, trials and targets as the contract says', async () => {
    const ds = await loadDataset(path, { synthetic: true, description: 'round trip' });
    expect(ds.provenance).toEqual({ path, name: path.split('/').pop(), synthetic: true, description: 'round trip' });
    // Duration = last behaviour timestamp (0.999 s) → floor(39.96) = 39 bins.
    expect(ds.durationSeconds).toBe(0.999);
    expect(ds.numBins).toBe(39);
    expect(ds.unitIds).toEqual([4, 9, 17]);
    const count = (bin: number, unit: number) => countsAt(ds, bin)[unit];
    expect(count(0, 0)).toBe(1); // 0.01
    expect(count(12, 0)).toBe(2); // 0.3 (an edge) and 0.31
    expect(count(3, 1)).toBe(1); // 0.075 (an edge)
    expect(ds.totalSpikes).toBe(4);

    expect(ds.kinematics!.positionSource).toBe('cursor_pos');
    expect(ds.kinematics!.velocitySource).toBe('hand_vel');
    const k = kinematicsArrays(ds);
    expect(k.x[0]).toBe(12); // samples 0..24: mean of i
    expect(k.y[0]).toBe(24);
    // Bin 2 holds samples 50..74; sample 50 has x = NaN and is skipped.
    expect(k.x[2]).toBe(62.5);
    expect(k.y[2]).toBe(125);
    // Bin 4 is next to the gap (no samples 110..189): only samples 100..109 count.
    expect(k.x[4]).toBe(104.5);
    expect(k.y[4]).toBe(209);
    expect(k.vx[4]).toBe(-104.5);
    expect(k.vy[4]).toBe(3);
    // Bins 5 and 6 lie inside the gap: no sample, NaN for every field.
    for (const b of [5, 6]) {
      expect([k.x[b], k.y[b], k.vx[b], k.vy[b]].every(Number.isNaN), `bin ${b}`).toBe(true);
    }
    // Bin 7 resumes at sample 190: samples 190..199.
    expect(k.x[7]).toBe(194.5);
    expect(k.x[38]).toBe(962);

    // Trials: [0, 0.2) → bins 0..7, [0.2, 0.45) → 8..17, [0.5, NaN→0.8) → 20..31, [0.8, 0.95) → 32..37.
    const expected = new Int32Array(39).fill(-1);
    expected.fill(0, 0, 8).fill(1, 8, 18).fill(2, 20, 32).fill(3, 32, 38);
    expect(ds.trialOfBin).toEqual(expected);
    expect(ds.trials.map((t) => [t.firstBin, t.endBin])).toEqual([
      [0, 8],
      [8, 18],
      [20, 32],
      [32, 38],
    ]);
    expect(Number.isNaN(ds.trials[2].stopTime)).toBe(true);
    expect(ds.trials[2].effectiveStopTime).toBe(0.8);
    expect(ds.notes).toContain('trial 2 stop_time NaN: ended at next trial start');
    expect(ds.trials.map((t) => t.success)).toEqual([true, false, true, true]);
    expect(ds.trials.map((t) => t.nwbId)).toEqual([0, 1, 2, 3]);

    expect(ds.targets).toEqual([
      { id: 0, x: 30, y: 40, trialIds: [0, 1] },
      { id: 1, x: -5, y: 7, trialIds: [2] },
      { id: 2, x: 1, y: 1, trialIds: [3] },
    ]);
    expect(ds.trials.map((t) => t.targetId)).toEqual([0, 0, 1, 2]);
    expect(ds.trials[3].columns).toEqual({
      target_on_time: null,
      go_cue_time: 0.85,
      move_onset_time: 0.9,
      rt: 80,
      delay: 400,
      num_targets: 1,
      num_barriers: 0,
      maze_id: 9,
      trial_type: 2,
      trial_version: 1,
      active_target: 0,
      split: 'test',
    });
  });
});

describe('writeMcMazeNwb', () => {
  it('omits trials and behaviour when they are null, and the loader says what that means', async () => {
    const path = join(tmp.dir, 'units-only.nwb');
    await writeMcMazeNwb(path, { ...smallMcMaze(), trials: null, behavior: null });
    const h5 = await loadH5wasm();
    const f = new h5.File(path, 'r');
    try {
      expect(f.get('intervals')).toBeNull();
      expect(f.get('processing/behavior')).toBeNull();
    } finally {
      f.close();
    }
    const ds = await loadDataset(path);
    expect(ds.kinematics).toBeNull();
    expect(ds.trials).toEqual([]);
    expect(ds.notes).toContain('no behaviour (/processing/behavior): kinematics are null');
    expect(ds.notes).toContain('no /intervals/trials table: no trials');
    // Duration falls back to the last spike (0.31 s) → 12 bins; that spike (bin 12) is outside.
    expect(ds.numBins).toBe(12);
    expect(ds.totalSpikes).toBe(2);
  });

  it('writes atomically: a failed write leaves neither the target nor a temp file', async () => {
    const { dir, cleanup } = makeTempDir('phantomlink-atomic-');
    try {
      const path = join(dir, 'out.nwb');
      writeFileSync(path, 'previous content');
      const bad = smallMcMaze();
      bad.trials!.rt[1] = 1.5; // int64 column: the writer refuses mid-file
      await expect(writeMcMazeNwb(path, bad)).rejects.toThrow(/trials rt\[1\] = 1.5 is not an integer/);
      expect(readFileSync(path, 'utf8')).toBe('previous content');
      expect(readdirSync(dir)).toEqual(['out.nwb']);

      await writeMcMazeNwb(path, smallMcMaze());
      expect(readdirSync(dir)).toEqual(['out.nwb']);
      expect((await loadDataset(path)).numUnits).toBe(3);
    } finally {
      cleanup();
    }
  });

  it('refuses a uint16 spike index that cannot address every spike', async () => {
    const rec = smallMcMaze();
    rec.units.spikeTimes[2] = new Float64Array(70_000).map((_, i) => i / 1e5);
    const path = join(tmp.dir, 'overflow.nwb');
    await expect(writeMcMazeNwb(path, rec, { spikeTimesIndexDtype: 'uint16' })).rejects.toThrow(/uint16 cannot address 70004 spikes/);
    expect(existsSync(path)).toBe(false);
  });
});
