import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset as H5Dataset } from 'h5wasm/node';
import { binOf } from '../../src/shared/bins.ts';
import { DatasetError } from '../../src/main/dataset/errors.ts';
import { loadH5wasm } from '../../src/main/dataset/h5.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { openNwb } from '../../src/main/dataset/nwbReader.ts';
import { countsAt } from './helpers.ts';

// The shared fixtures are read in place (never copied): /work/shared/fixtures/nwb next to the repo.
const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../shared/fixtures/nwb');

/** Spike times straight from the file, independent of the reader. */
async function rawSpikeTimes(path: string): Promise<Float64Array> {
  const h5 = await loadH5wasm();
  const f = new h5.File(path, 'r');
  try {
    return Float64Array.from((f.get('units/spike_times') as H5Dataset).value as Float64Array);
  } finally {
    f.close();
  }
}

interface Loads {
  file: string;
  units: number;
  spikes: number;
  indexDtype: string;
  trials: number;
}

const LOADS: Loads[] = [
  { file: 'dandi-cli_sub-anm369963_ses-20170228.nwb', units: 1, spikes: 1679, indexDtype: 'int32', trials: 178 },
  { file: 'neuroconv_ecephys_tutorial_v2.5.0.nwb', units: 10, spikes: 195, indexDtype: 'uint8', trials: 0 },
  { file: 'pynapple_A8604-211122.nwb', units: 3, spikes: 21354, indexDtype: 'uint16', trials: 0 },
];

const REFUSED: Array<{ file: string; problem: RegExp }> = [
  { file: 'pynwb_timestamps_linking.nwb', problem: /^no \/units table: PhantomLink streams spike counts per unit$/ },
  { file: 'pynwb_empty.nwb', problem: /^no NWB content \(the HDF5 root is not an NWBFile\) and no \/units table/ },
];

describe('shared NWB fixtures (shared/fixtures/nwb, see SOURCES.md)', () => {
  it('every fixture file is covered by a case here', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.nwb')).sort();
    expect(files).toEqual([...LOADS.map((l) => l.file), ...REFUSED.map((r) => r.file)].sort());
  });

  for (const c of LOADS) {
    it(`${c.file} loads: ${c.units} units, ${c.spikes} spikes, ${c.indexDtype} index, ${c.trials} trials`, async () => {
      const path = join(FIXTURES, c.file);
      const src = await openNwb(path);
      try {
        expect(src.indexDtype).toBe(c.indexDtype);
        expect(src.unitEnds.at(-1)).toBe(c.spikes);
      } finally {
        src.close();
      }

      const ds = await loadDataset(path);
      expect(ds.provenance.path).toBe(path);
      expect(ds.numUnits).toBe(c.units);
      expect(ds.unitIds).toHaveLength(c.units);
      expect(ds.trials).toHaveLength(c.trials);
      expect(ds.kinematics).toBeNull();
      expect(ds.numBins).toBe(Math.floor(Math.round(ds.durationSeconds * 1e6) / 25_000));

      // Spike totals against the raw file: every spike is counted unless it falls at or
      // after the end of the last whole bin.
      const raw = await rawSpikeTimes(path);
      expect(raw.length).toBe(c.spikes);
      const inStream = raw.filter((t) => binOf(t) < ds.numBins).length;
      expect(ds.totalSpikes).toBe(inStream);
      let counted = 0;
      for (let k = 0; k < ds.numBins; k++) for (const n of countsAt(ds, k)) counted += n;
      expect(counted).toBe(inStream);
      expect(inStream).toBeGreaterThanOrEqual(c.spikes - 1); // the duration ends at the last spike here
    });
  }

  it('dandi-cli: NaN stop_times end at the next trial start, the last at the end of the recording', async () => {
    const ds = await loadDataset(join(FIXTURES, 'dandi-cli_sub-anm369963_ses-20170228.nwb'));
    expect(ds.trials.every((t) => Number.isNaN(t.stopTime))).toBe(true);
    for (let i = 0; i + 1 < ds.trials.length; i++) {
      expect(ds.trials[i].effectiveStopTime).toBe(ds.trials[i + 1].startTime);
      expect(ds.trials[i].endBin).toBe(ds.trials[i + 1].firstBin);
    }
    expect(ds.trials.at(-1)!.effectiveStopTime).toBe(ds.durationSeconds);
    expect(ds.trials.at(-1)!.endBin).toBe(ds.numBins);
    expect(ds.notes).toContain('178 trials have stop_time NaN: each ends at the next trial start (the last one at the end of the recording)');
    // Bins before the first trial belong to no trial; the first trial's first bin to trial 0.
    const first = ds.trials[0];
    expect(ds.trialOfBin[first.firstBin - 1]).toBe(-1);
    expect(ds.trialOfBin[first.firstBin]).toBe(0);
    // Other scalar columns come through (strings, ints and floats).
    expect(Object.keys(first.columns).sort()).toEqual(['cue_start_time', 'is_good', 'pole_in_time', 'pole_out_time', 'response', 'stim_present', 'type']);
  });

  for (const c of REFUSED) {
    it(`${c.file} is refused with a clear message`, async () => {
      const path = join(FIXTURES, c.file);
      const err = await loadDataset(path).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DatasetError);
      const e = err as DatasetError;
      expect(e.file).toBe(path);
      expect(e.message.startsWith(`Cannot load ${path}: `)).toBe(true);
      expect(e.problem).toMatch(c.problem);
    });
  }
});
