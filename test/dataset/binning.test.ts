import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { binCount, binOf } from '../../src/shared/bins.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { countsAt, makeTempDir, nwbRoot, writeRawHdf5, writeUnits } from './helpers.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

/**
 * Three units whose spikes sit on and around bin edges. Expected counts are worked out by hand
 * from the rule "bin = floor(round(t·1e6) / 25000)":
 * - unit 0 (id 10): one spike exactly on each edge 0, 0.025 … 0.175 → one per bin 0..7.
 *   0.075, 0.15 and 0.175 are the edges where t / 0.025 falls just below an integer.
 * - unit 1 (id 20), unsorted on purpose: 0.0249994 → 24999 µs → bin 0; 0.0249996 → 25000 µs → bin 1;
 *   0.05 twice → bin 2 (2); 0.07499999 → 75000 µs → bin 3; 0.1749999 → 175000 µs → bin 7.
 * - unit 2 (id 30): 0.024 → bin 0; 0.026 → bin 1; 0.2 → bin 8, which does not exist: the
 *   recording lasts 0.2 s (its last spike), so there are floor(0.2·40) = 8 bins.
 */
const SPIKES = [
  [0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175],
  [0.1749999, 0.05, 0.0249996, 0.07499999, 0.0249994, 0.05],
  [0.024, 0.026, 0.2],
];
const EXPECTED = [
  // unit: 0  1  2
  [1, 1, 1], // bin 0
  [1, 1, 1], // bin 1
  [1, 2, 0], // bin 2
  [1, 1, 0], // bin 3
  [1, 0, 0], // bin 4
  [1, 0, 0], // bin 5
  [1, 0, 0], // bin 6
  [1, 1, 0], // bin 7
];

describe('binning rule', () => {
  it('puts times exactly on a bin edge into the bin that starts there', () => {
    // The trap this rule avoids: plain float division puts 0.075 s into bin 2.
    expect(Math.floor(0.075 / 0.025)).toBe(2);
    expect(binOf(0.075)).toBe(3);
    expect([0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.3, 0.6].map((t) => binOf(t))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 12, 24]);
    expect(binOf(0.0249994)).toBe(0);
    expect(binOf(0.0249996)).toBe(1);
  });

  it('counts whole bins only', () => {
    expect(binCount(0.2)).toBe(8);
    expect(binCount(0.2249)).toBe(8);
    expect(binCount(0.225)).toBe(9);
    expect(binCount(294.999)).toBe(11799);
    expect(binCount(5400)).toBe(216000);
  });
});

describe('spike counts from an NWB file', () => {
  for (const indexDtype of ['<B', '<H', '<I', '<i', '<q']) {
    it(`match hand-computed per-bin counts (spike_times_index ${indexDtype})`, async () => {
      const path = join(tmp.dir, `edges${indexDtype.replace('<', '_')}.nwb`);
      await writeRawHdf5(path, (f) => {
        nwbRoot(f);
        writeUnits(f, { ids: [10, 20, 30], spikeTimes: SPIKES, indexDtype });
      });
      const ds = await loadDataset(path);
      expect(ds.unitIds).toEqual([10, 20, 30]);
      expect(ds.numUnits).toBe(3);
      expect(ds.durationSeconds).toBe(0.2);
      expect(ds.numBins).toBe(8);
      const perBin = Array.from({ length: ds.numBins }, (_, k) => countsAt(ds, k));
      expect(perBin).toEqual(EXPECTED);
      expect(ds.totalSpikes).toBe(16);
      expect(ds.notes.some((n) => n.startsWith('1 spike is at or after the end of the last bin'))).toBe(true);
      expect(ds.kinematics).toBeNull();
      expect(ds.trials).toEqual([]);
      expect(ds.trialOfBin).toEqual(new Int32Array(8).fill(-1));
    });
  }

  it('takes the duration from the last trial stop when it is later than the last spike', async () => {
    const path = join(tmp.dir, 'trial-duration.nwb');
    await writeRawHdf5(path, (f) => {
      nwbRoot(f);
      writeUnits(f, { spikeTimes: [[0.01, 0.5]] });
      const t = f.create_group('intervals').create_group('trials');
      t.create_dataset({ name: 'id', data: [0], dtype: '<q' });
      t.create_dataset({ name: 'start_time', data: [0.1], dtype: '<d' });
      t.create_dataset({ name: 'stop_time', data: [1.01], dtype: '<d' });
    });
    const ds = await loadDataset(path);
    expect(ds.durationSeconds).toBe(1.01);
    expect(ds.numBins).toBe(40);
    expect(ds.totalSpikes).toBe(2);
    // [0.1, 1.01): bins 4 (0.1 s) .. 39 (0.975 s); bin 40 would start at 1.0 but does not exist.
    expect(ds.trials[0].firstBin).toBe(4);
    expect(ds.trials[0].endBin).toBe(40);
    expect(Array.from(ds.trialOfBin.subarray(0, 5))).toEqual([-1, -1, -1, -1, 0]);
  });
});
