/**
 * Export a recording folder (format.ts) to NWB or CSV: the one entry point the CLI, REST and
 * the studio call. The source dataset is opened again to rebuild bins and truth; when it cannot
 * be (missing, changed, a dataset swapped mid-recording), the export still writes predictions,
 * events and scores and says what it left out.
 */
import { basename, join, resolve } from 'node:path';
import { writeRecordingCsv } from './exportCsv.ts';
import { writeRecordingNwb } from './exportNwb.ts';
import { indexRecording, type ExportProgress, type ProgressFn } from './recordingIndex.ts';
import { describeLogProblems, openRecording, type LogReadStats } from './readRecording.ts';
import { openSourceDataset } from './sourceDataset.ts';

export type { ExportProgress } from './recordingIndex.ts';
export { RecordingError } from './readRecording.ts';

import type { ExportFormat } from '../../shared/studioApi.ts';
export type { ExportFormat };

export interface ExportOptions {
  format?: ExportFormat;
  /** NWB: the file (default `<recording>/<id>.nwb`); CSV: a folder (default `<recording>/csv`). */
  out?: string;
  onProgress?: (p: ExportProgress) => void;
  /** Where the built-in recording is cached (default: the engine's). */
  cacheDir?: string;
}

export interface ExportResult {
  format: ExportFormat;
  /** The NWB file, or the CSV folder. */
  path: string;
  /** The files written (one for NWB). */
  files: string[];
  decoders: { name: string; predictions: number }[];
  packets: number;
  events: number;
  /** What could not be included and why, for people (empty: everything). */
  omitted: string[];
  /** Per log: records read, bad and partial lines skipped. */
  logs: Partial<Record<'packets' | 'predictions' | 'events' | 'scores', LogReadStats>>;
}

/**
 * Exports the recording in folder `dir`. Throws RecordingError for a folder that is not a
 * readable recording; anything it can read is exported.
 */
export async function exportRecording(dir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const format = opts.format ?? 'nwb';
  const progress: ProgressFn = opts.onProgress ?? (() => {});
  const rec = openRecording(dir);
  progress({ stage: 'reading packets and events', fraction: 0 });
  const index = await indexRecording(rec);
  progress({ stage: 'opening the source dataset', fraction: 0.01 });
  const opened = await openSourceDataset(rec.manifest, { cacheDir: opts.cacheDir });
  const source = opened.ok ? opened.source : null;

  const omitted: string[] = [];
  if (!opened.ok) omitted.push(`spike times, trials and truth: ${opened.problem}`);
  if (source && index.rowsBeforeSwap < index.packets.count) {
    omitted.push(`truth and bins of the ${index.packets.count - index.rowsBeforeSwap} packets after the dataset was swapped mid-recording (only the recorded dataset is exported)`);
  }
  if (source) {
    let outside = 0;
    for (let row = 0; row < index.rowsBeforeSwap; row++) if (index.packets.bin(row) >= source.stream.numBins) outside++;
    if (outside > 0) omitted.push(`${outside} packets name bins past the end of the source dataset (damaged log?): no truth for them`);
  }
  const perturbed = rec.manifest.perturbations !== null || index.events.some((e) => e.kind === 'perturbations');
  if (perturbed && source) omitted.push('the stress perturbations applied to the streamed spikes: units hold the clean source spikes (the settings are in the manifest and the events)');

  const out = resolve(opts.out ?? join(rec.dir, format === 'nwb' ? `${basename(rec.dir)}.nwb` : 'csv'));
  const logs: ExportResult['logs'] = { ...index.stats };
  let result: Omit<ExportResult, 'omitted' | 'logs'>;
  if (format === 'nwb') {
    const s = await writeRecordingNwb(out, { rec, index, source, sourceProblem: opened.ok ? null : opened.problem, omitted, progress });
    logs.predictions = s.predictionsLog;
    result = { format, path: out, files: [out], decoders: s.decoders.map((d) => ({ name: d.name, predictions: d.predictions })), packets: index.packets.count, events: index.events.length };
  } else {
    const s = await writeRecordingCsv(out, { rec, index, source, progress });
    logs.predictions = s.predictionsLog;
    omitted.push(...s.omitted);
    result = {
      format,
      path: out,
      files: [...s.decoders.map((d) => d.file), s.events],
      decoders: s.decoders.map((d) => ({ name: d.name, predictions: d.predictions })),
      packets: index.packets.count,
      events: index.events.length,
    };
  }
  // The NWB writer has added these already (they go into the file).
  if (format === 'csv') omitted.push(...describeLogProblems(logs));
  progress({ stage: 'done', fraction: 1 });
  return { ...result, omitted, logs };
}
