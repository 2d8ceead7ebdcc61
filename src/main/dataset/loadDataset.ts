import { basename, resolve } from 'node:path';
import { binRecording } from './binning.ts';
import { DatasetError } from './errors.ts';
import { hdf5Reason } from './h5.ts';
import { openNwb, type NwbSource } from './nwbReader.ts';
import type { Dataset } from './types.ts';

export interface LoadDatasetOptions {
  /** The file is PhantomLink's generated recording (shown as such in metadata and UI). */
  synthetic?: boolean;
  /** Shown to people; defaults to the file's session_description. */
  description?: string;
  /** Stages: open, units, trials, behavior, binning, done; fraction in [0, 1]. */
  onProgress?: (stage: string, fraction: number) => void;
}

/**
 * Reads an NWB file and bins it into an immutable `Dataset`, reading the file in slices while
 * binning (the file stays open until then, and is closed however loading ends).
 * Throws DatasetError (naming the file and the problem) for files it cannot stream.
 */
export async function loadDataset(path: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const abs = resolve(path);
  const progress = opts.onProgress ?? (() => {});
  progress('open', 0);
  let source: NwbSource | null = null;
  let dataset: Dataset;
  try {
    source = await openNwb(abs);
    dataset = binRecording(
      source,
      {
        path: abs,
        name: basename(abs),
        synthetic: opts.synthetic ?? false,
        description: opts.description ?? source.sessionDescription ?? '',
      },
      progress,
    );
  } catch (err) {
    // The HDF5 library refusing a read mid-way (damaged file): say so, naming the file.
    throw err instanceof DatasetError ? err : new DatasetError(abs, `HDF5 read failed: ${hdf5Reason(err)}`);
  } finally {
    source?.close();
  }
  if (dataset.numBins === 0) {
    throw new DatasetError(abs, `recording is shorter than one 25 ms bin (duration ${dataset.durationSeconds} s): nothing to stream`);
  }
  progress('done', 1);
  return dataset;
}
