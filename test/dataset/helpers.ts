import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { File as H5File, Group as H5Group } from 'h5wasm/node';
import { loadH5wasm } from '../../src/main/dataset/h5.ts';
import type { McMazeRecording } from '../../src/main/dataset/mcMazeLayout.ts';
import type { Dataset } from '../../src/main/dataset/types.ts';

/** A fresh temp directory and a cleanup function. */
export function makeTempDir(prefix = 'phantomlink-dataset-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an HDF5 file with raw h5wasm, for shapes writeMcMazeNwb cannot produce (bad files, other layouts). */
export async function writeRawHdf5(path: string, build: (f: H5File) => void): Promise<void> {
  const h5 = await loadH5wasm();
  const f = new h5.File(path, 'w');
  try {
    build(f);
  } finally {
    f.close();
  }
}

/** NWBFile root attributes, as pynwb writes them. */
export function nwbRoot(f: H5File): void {
  f.create_attribute('namespace', 'core');
  f.create_attribute('neurodata_type', 'NWBFile');
  f.create_attribute('nwb_version', '2.5.0');
  f.create_dataset({ name: 'session_description', data: 'test file' });
}

export interface UnitsSpec {
  ids?: number[];
  spikeTimes: number[][];
  /** Default '<I' (uint32). */
  indexDtype?: string;
  /** Overrides the computed end offsets (for broken-index files). */
  ends?: number[];
}

/** A /units DynamicTable with spike_times + spike_times_index (target reference attribute included). */
export function writeUnits(f: H5File, spec: UnitsSpec): H5Group {
  const g = f.create_group('units');
  g.create_attribute('colnames', ['spike_times']);
  g.create_attribute('description', 'units');
  g.create_attribute('neurodata_type', 'Units');
  g.create_attribute('namespace', 'core');
  const ids = spec.ids ?? spec.spikeTimes.map((_, i) => i);
  g.create_dataset({ name: 'id', data: BigInt64Array.from(ids, (v) => BigInt(v)), dtype: '<q' });
  const flat = Float64Array.from(spec.spikeTimes.flat());
  const st = g.create_dataset({ name: 'spike_times', data: flat, dtype: '<d' });
  let acc = 0;
  const ends = spec.ends ?? spec.spikeTimes.map((s) => (acc += s.length));
  const idx = g.create_dataset({ name: 'spike_times_index', data: ends, dtype: spec.indexDtype ?? '<I' });
  idx.create_attribute('target', st.create_reference());
  return g;
}

/** 1 kHz timestamps i/1000 for i in [0, n) except the indices in [gapFrom, gapTo). */
export function gappedTimestamps(n: number, gapFrom: number, gapTo: number): { timestamps: Float64Array; sampleIndex: number[] } {
  const sampleIndex: number[] = [];
  for (let i = 0; i < n; i++) if (i < gapFrom || i >= gapTo) sampleIndex.push(i);
  return { timestamps: Float64Array.from(sampleIndex, (i) => i / 1000), sampleIndex };
}

/**
 * A small MC_Maze-shaped recording with hand-checkable content:
 * - 3 units (ids 4, 9, 17), spike times below;
 * - behaviour at 1 kHz from 0 to 0.999 s with a gap (no samples for i in [110, 190)):
 *   cursor_pos = (i, 2i) except x NaN at i = 50; hand_pos = (i + 0.5, 0); hand_vel = (-i, 3); eye_pos = (0, 0);
 * - 4 trials: [0, 0.2), [0.2, 0.45), [0.5, NaN) (ends at the next start, 0.8), [0.8, 0.95);
 *   active targets (30,40), (30,40), (-5,7), (1,1).
 */
export function smallMcMaze(): McMazeRecording {
  const { timestamps, sampleIndex } = gappedTimestamps(1000, 110, 190);
  const n = timestamps.length;
  const cursor = new Float64Array(2 * n);
  const hand = new Float64Array(2 * n);
  const vel = new Float64Array(2 * n);
  sampleIndex.forEach((i, s) => {
    cursor[2 * s] = i === 50 ? NaN : i;
    cursor[2 * s + 1] = 2 * i;
    hand[2 * s] = i + 0.5;
    vel[2 * s] = -i;
    vel[2 * s + 1] = 3;
  });
  return {
    identifier: 'test-mc-maze',
    sessionDescription: 'small MC_Maze-shaped test recording',
    sessionStartTime: '2020-01-01T00:00:00Z',
    notes: 'TEST recording written by test/dataset/helpers.ts',
    units: {
      ids: [4, 9, 17],
      spikeTimes: [Float64Array.of(0.01, 0.3, 0.31), Float64Array.of(0.075), Float64Array.of()],
      heldout: [false, true, false],
      obsIntervals: [[[0, 1]], [[0, 0.5], [0.6, 1]], []],
      electrodes: [[0], [1, 2], [5]],
    },
    trials: {
      start_time: Float64Array.of(0, 0.2, 0.5, 0.8),
      stop_time: Float64Array.of(0.2, 0.45, NaN, 0.95),
      target_on_time: Float64Array.of(0.05, 0.25, 0.55, NaN),
      go_cue_time: Float64Array.of(0.1, 0.3, 0.6, 0.85),
      move_onset_time: Float64Array.of(0.15, 0.35, 0.65, 0.9),
      rt: [50, 60, 70, 80],
      delay: [100, 200, 300, 400],
      num_targets: [2, 1, 3, 1],
      num_barriers: [1, 0, 2, 0],
      maze_id: [7, 8, 7, 9],
      trial_type: [1, 1, 2, 2],
      trial_version: [0, 1, 0, 1],
      active_target: [1, 0, 0, 0],
      success: [true, false, true, true],
      target_pos: [
        [
          [10, 20],
          [30, 40],
        ],
        [[30, 40]],
        [
          [-5, 7],
          [30, 40],
          [1, 1],
        ],
        [[1, 1]],
      ],
      barrier_pos: [[[1, 2, 3, 4]], [], [[5, 6, 7, 8], [9, 10, 11, 12]], []],
      split: ['train', 'val', 'train', 'test'],
    },
    behavior: { timestamps, cursor_pos: cursor, eye_pos: new Float64Array(2 * n), hand_pos: hand, hand_vel: vel },
  };
}

/** Spike counts of one 25 ms bin, unit by unit. */
export function countsAt(ds: Dataset, bin: number): number[] {
  const out = new Array<number>(ds.numUnits);
  ds.countsInto(bin, out);
  return out;
}

/** Every bin's kinematics as four arrays (NaN where a bin has no sample). */
export function kinematicsArrays(ds: Dataset): { x: number[]; y: number[]; vx: number[]; vy: number[] } {
  const all = Array.from({ length: ds.numBins }, (_, k) => ds.kinematicsAt(k));
  return { x: all.map((k) => k.x), y: all.map((k) => k.y), vx: all.map((k) => k.vx), vy: all.map((k) => k.vy) };
}
