/**
 * A recording as CSV for quick looks: one file per decoder (a row per prediction, in arrival
 * order, with the truth it was scored against) and events.csv. Written as predictions stream by,
 * through a small buffer per file.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PredictionRecord } from './format.ts';
import { binTime, MAX_DECODERS, predictedInto, skippedDecoders, Truth, type ProgressFn, type RecordingIndex } from './recordingIndex.ts';
import type { LogReadStats, Recording } from './readRecording.ts';
import type { SourceDataset } from './sourceDataset.ts';

export const DECODER_CSV_HEADER =
  'sequence,bin,time_s,truth_vx,truth_vy,truth_x,truth_y,pred_vx,pred_vy,pred_x,pred_y,latency_ms,outcome';
export const EVENTS_CSV_HEADER = 'time_s,kind,position_s,detail';

export interface CsvExportSummary {
  decoders: { name: string; file: string; predictions: number }[];
  events: string;
  predictionsLog: LogReadStats;
  omitted: string[];
}

/** Buffered appends to one file: one write per 64 KiB. */
class CsvFile {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  rows = 0;
  constructor(readonly path: string, header: string) {
    this.fd = openSync(path, 'w');
    this.line(header);
    this.rows = 0;
  }
  line(text: string): void {
    this.buf.push(text);
    this.rows++;
    this.size += text.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A number as CSV: empty where there is none (NaN, null). Full precision (JSON's shortest round trip). */
const num = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');

/** RFC 4180 quoting where needed. */
const text = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A file name from a decoder name: letters, digits, - _ . only; unique in the folder. */
function fileName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  if (base === '' || /^\.+$/.test(base) || base === 'events') base = `decoder_${base.replace(/\./g, '')}`;
  let out = base;
  for (let i = 2; taken.has(out.toLowerCase()); i++) out = `${base}-${i}`;
  taken.add(out.toLowerCase());
  return `${out}.csv`;
}

export async function writeRecordingCsv(
  outDir: string,
  input: { rec: Recording; index: RecordingIndex; source: SourceDataset | null; progress: ProgressFn },
): Promise<CsvExportSummary> {
  const { rec, index, source, progress } = input;
  mkdirSync(outDir, { recursive: true });
  const truth = new Truth(source, rec.manifest.evaluate ?? 'all', index.rowsBeforeSwap);
  const files = new Map<string, CsvFile>();
  const skipped = new Set<string>();
  const taken = new Set<string>(['events']);
  const pred = new Float64Array(4);
  const tru = new Float64Array(4);
  const total = Math.max(1, rec.size('predictions'));
  let bytes = 0;
  let lastReport = 0;
  try {
    const stats = await rec.read(
      'predictions',
      (p: PredictionRecord) => {
        let f = files.get(p.decoder);
        if (!f) {
          if (files.size >= MAX_DECODERS) {
            skipped.add(p.decoder);
            return;
          }
          files.set(p.decoder, (f = new CsvFile(join(outDir, fileName(p.decoder, taken)), DECODER_CSV_HEADER)));
        }
        const row = index.packets.rowOf(p.seq);
        const bin = row >= 0 ? index.packets.bin(row) : -1;
        predictedInto(p, pred);
        truth.into(row, bin, tru);
        // truth/pred arrays are x, y, vx, vy; the CSV puts velocity first, as decoders predict it.
        f.line(
          [p.seq, bin < 0 ? '' : bin, num(binTime(bin, rec.manifest.bin_ms)), num(tru[2]), num(tru[3]), num(tru[0]), num(tru[1]), num(pred[2]), num(pred[3]), num(pred[0]), num(pred[1]), num(p.latency_ms), p.outcome].join(','),
        );
      },
      (n) => {
        bytes += n;
        if (bytes - lastReport > total / 50) {
          lastReport = bytes;
          progress({ stage: 'predictions', fraction: 0.1 + 0.85 * Math.min(1, bytes / total) });
        }
      },
    );
    const events = new CsvFile(join(outDir, 'events.csv'), EVENTS_CSV_HEADER);
    for (const e of index.events) events.line([num(e.t_ms / 1000), text(e.kind), num(e.position_s), text(JSON.stringify(e.detail ?? {}))].join(','));
    events.close();
    const decoders = [...files.entries()].map(([name, f]) => ({ name, file: f.path, predictions: f.rows }));
    return { decoders, events: events.path, predictionsLog: stats, omitted: skipped.size ? [skippedDecoders(skipped)] : [] };
  } finally {
    for (const f of files.values()) f.close();
  }
}
