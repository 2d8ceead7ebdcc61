/**
 * The dataset a recording streamed, opened again for export: the packets store bin indices,
 * not payloads, so spikes and truth are rebuilt from the source. A file must be the very file
 * recorded (its SHA-256 checked); the built-in recording is regenerated from preset and seed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DatasetError } from '../dataset/errors.ts';
import { loadDataset } from '../dataset/loadDataset.ts';
import { builtinRecordingPath } from '../dataset/synthetic/builtin.ts';
import { isSyntheticPreset } from '../dataset/synthetic/presets.ts';
import type { BinnedStream, Dataset } from '../dataset/types.ts';
import type { RecordingManifest } from './format.ts';

export interface SourceDataset {
  /** The NWB file read (for the built-in recording, its cache file). */
  path: string;
  dataset: Dataset;
  /** The dataset at the recording's bin width. */
  stream: BinnedStream;
}

/** The source, or why it cannot be used (the export then leaves out what needs it). */
export type SourceResult = { ok: true; source: SourceDataset } | { ok: false; problem: string };

export async function openSourceDataset(manifest: RecordingManifest, opts: { cacheDir?: string } = {}): Promise<SourceResult> {
  const ref = manifest.dataset;
  let path: string;
  let synthetic = false;
  try {
    if (ref.synthetic) {
      const { preset, seed } = ref.synthetic;
      if (!isSyntheticPreset(preset)) return { ok: false, problem: `the built-in recording preset "${String(preset)}" is unknown to this version` };
      path = await builtinRecordingPath(preset, { seed, cacheDir: opts.cacheDir });
      synthetic = true;
    } else if (ref.path) {
      path = ref.path;
      if (!ref.sha256) return { ok: false, problem: `the manifest gives no SHA-256 for ${path}: cannot tell it is the file recorded` };
      let actual: string;
      try {
        actual = await fileSha256(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { ok: false, problem: `the source file ${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? String(err)})`}` };
      }
      if (actual !== ref.sha256.toLowerCase()) {
        return { ok: false, problem: `the source file ${path} has changed since the recording (SHA-256 ${actual.slice(0, 12)}…, recorded ${ref.sha256.slice(0, 12)}…)` };
      }
    } else {
      return { ok: false, problem: 'the manifest names no source file and no built-in preset' };
    }
    const dataset = await loadDataset(path, { synthetic });
    const stream = dataset.at(manifest.bin_ms);
    return { ok: true, source: { path, dataset, stream } };
  } catch (err) {
    if (err instanceof DatasetError || err instanceof RangeError) return { ok: false, problem: `the source cannot be loaded: ${err.message}` };
    throw err;
  }
}

/** SHA-256 of a file, hex, read as a stream. */
export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
