import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { File as H5File } from 'h5wasm/node';
import { DatasetError } from '../../src/main/dataset/errors.ts';
import { loadH5wasm } from '../../src/main/dataset/h5.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { makeTempDir, nwbRoot, writeRawHdf5, writeUnits } from './helpers.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

/** Loads `path` and returns the DatasetError it must throw. */
async function refusal(path: string): Promise<DatasetError> {
  try {
    await loadDataset(path);
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error(`${path} loaded, expected a refusal`);
}

async function badNwb(name: string, build: (f: H5File) => void): Promise<string> {
  const path = join(tmp.dir, name);
  await writeRawHdf5(path, build);
  return path;
}

/** True when nothing holds the file open: HDF5 refuses to truncate a file that is still open. */
async function isClosed(path: string): Promise<boolean> {
  const h5 = await loadH5wasm();
  const f = new h5.File(path, 'w');
  if (f.file_id < 0n) return false;
  f.close();
  return true;
}

describe('files the loader refuses, with the file and the problem in the message', () => {
  it('a missing file', async () => {
    const path = join(tmp.dir, 'does-not-exist.nwb');
    const err = await refusal(path);
    expect(err.file).toBe(path);
    expect(err.message).toBe(`Cannot load ${path}: file not found`);
  });

  it('a file that is not HDF5', async () => {
    const path = join(tmp.dir, 'text.nwb');
    writeFileSync(path, 'this is not HDF5\n'.repeat(100));
    const err = await refusal(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not an HDF5 file/);
  });

  it('an NWB file without a Units table', async () => {
    const path = await badNwb('no-units.nwb', (f) => nwbRoot(f));
    const err = await refusal(path);
    expect(err.message).toBe(`Cannot load ${path}: no /units table: PhantomLink streams spike counts per unit`);
  });

  it('an HDF5 file with no NWB content', async () => {
    const path = await badNwb('plain.h5', (f) => f.create_group('something'));
    const err = await refusal(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/no NWB content .* and no \/units table/);
  });

  it('a Units table with no units', async () => {
    const path = await badNwb('zero-units.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [], ends: [] });
    });
    expect((await refusal(path)).message).toBe(`Cannot load ${path}: the /units table has no units`);
  });

  it('a spike_times_index that points past the end of spike_times', async () => {
    const path = await badNwb('index-past-end.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.1, 0.2], [0.3]], ends: [2, 5] });
    });
    const err = await refusal(path);
    expect(err.message).toBe(`Cannot load ${path}: /units/spike_times_index row 1 ends at 5, past the end of its data (3 values)`);
    expect(await isClosed(path)).toBe(true);
  });

  it('a spike_times_index that decreases', async () => {
    const path = await badNwb('index-decreasing.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.1, 0.2], [0.3]], ends: [2, 1] });
    });
    expect((await refusal(path)).message).toBe(`Cannot load ${path}: /units/spike_times_index is not non-decreasing (row 1: 1 after 2)`);
  });

  it('a NaN spike time, naming the unit', async () => {
    const path = await badNwb('nan-spike.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { ids: [3, 7], spikeTimes: [[0.1], [0.2, NaN, 0.4]] });
    });
    const err = await refusal(path);
    expect(err.message).toBe(`Cannot load ${path}: unit 1 (id 7) has a NaN spike time at spike 1`);
    expect(await isClosed(path)).toBe(true);
  });

  it('a negative spike time, naming the unit', async () => {
    const path = await badNwb('negative-spike.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { ids: [5, 6], spikeTimes: [[-0.5, 0.1], [0.2]] });
    });
    expect((await refusal(path)).message).toBe(`Cannot load ${path}: unit 0 (id 5) has a negative spike time (-0.5 s) at spike 0`);
  });

  it('a RegionReference index (NWB 2.0 beta / MatNWB)', async () => {
    const path = await badNwb('region-index.nwb', (f) => {
      nwbRoot(f);
      const g = f.create_group('units');
      g.create_dataset({ name: 'id', data: [0, 1], dtype: '<q' });
      const st = g.create_dataset({ name: 'spike_times', data: Float64Array.of(0.1, 0.2, 0.3), dtype: '<d' });
      // h5wasm 0.10 can create region references, so this old layout can be reproduced.
      const refs = [st.create_region_reference([[0, 2]]), st.create_region_reference([[2, 3]])];
      g.create_dataset({ name: 'spike_times_index', data: refs });
    });
    const err = await refusal(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/\/units\/spike_times_index is a RegionReference index \(NWB 2\.0 beta \/ MatNWB layout\), not integer offsets: not supported/);
    expect(await isClosed(path)).toBe(true);
  });

  it('a target_pos_index past the end of target_pos', async () => {
    const path = await badNwb('target-index.nwb', (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.1]] });
      const t = f.create_group('intervals').create_group('trials');
      t.create_dataset({ name: 'start_time', data: [0], dtype: '<d' });
      t.create_dataset({ name: 'stop_time', data: [1], dtype: '<d' });
      t.create_dataset({ name: 'target_pos', data: Int16Array.of(1, 2), shape: [1, 2], dtype: '<h' });
      t.create_dataset({ name: 'target_pos_index', data: [4], dtype: '<B' });
    });
    expect((await refusal(path)).message).toBe(
      `Cannot load ${path}: /intervals/trials/target_pos_index row 0 ends at 4, past the end of its data (1 values)`,
    );
  });
});
