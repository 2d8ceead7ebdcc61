/**
 * Reads a recording folder (format.ts) for export: the manifest at once, the JSONL logs line by
 * line, so memory does not grow with a log's length. A recording may have been cut short (a
 * killed process leaves a partial last line) or damaged by hand: bad lines are counted and
 * skipped, never fatal; only a folder that is not a recording at all is refused.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AXES } from '../../shared/wire.ts';
import {
  RECORDING_FILES,
  RECORDING_FORMAT_VERSION,
  type EventRecord,
  type PacketRecord,
  type PredictionRecord,
  type RecordingManifest,
  type ScoreRecord,
  OUTCOMES,
} from './format.ts';

/** A folder that cannot be read as a recording; the message names the folder and the problem. */
export class RecordingError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`${dir}: ${problem}`);
    this.name = 'RecordingError';
  }
}

export type LogName = Exclude<keyof typeof RECORDING_FILES, 'manifest'>;

export interface LogRecordTypes {
  packets: PacketRecord;
  predictions: PredictionRecord;
  events: EventRecord;
  scores: ScoreRecord;
}

/** What reading one log found, for the export report. */
export interface LogReadStats {
  records: number;
  /** Lines that are not JSON or not a record of this log (line numbers of the first few). */
  badLines: number;
  firstBadLines: number[];
  /** The file ended without a newline: a write cut short (skipped, as format.ts says). */
  partialLastLine: boolean;
  /** The file is absent (a recording that never got that far). */
  missing: boolean;
}

export interface Recording {
  dir: string;
  manifest: RecordingManifest;
  /** Reads a log in order, calling `visit` per valid record; resolves with what it found. */
  read<K extends LogName>(log: K, visit: (record: LogRecordTypes[K]) => void, onBytes?: (bytes: number) => void): Promise<LogReadStats>;
  /** Bytes of a log (0 when absent): for progress. */
  size(log: LogName): number;
}

/** Opens a recording folder: checks it is one and that this version can read it. */
export function openRecording(path: string): Recording {
  const dir = resolve(path);
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RecordingError(dir, code === 'ENOENT' ? 'no such folder' : `cannot read it (${code ?? String(err)})`);
  }
  if (!st.isDirectory()) throw new RecordingError(dir, 'not a folder (a recording is a folder holding manifest.json and JSONL logs)');
  const manifestPath = join(dir, RECORDING_FILES.manifest);
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RecordingError(dir, code === 'ENOENT' ? 'not a recording: it has no manifest.json' : `cannot read manifest.json (${code ?? String(err)})`);
  }
  const manifest = parseManifest(dir, text);
  return {
    dir,
    manifest,
    read: (log, visit, onBytes) => readLog(join(dir, RECORDING_FILES[log]), log, visit as (r: unknown) => void, onBytes),
    size: (log) => {
      try {
        return statSync(join(dir, RECORDING_FILES[log])).size;
      } catch {
        return 0;
      }
    },
  };
}

function parseManifest(dir: string, text: string): RecordingManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new RecordingError(dir, `manifest.json is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(m)) throw new RecordingError(dir, 'manifest.json is not a JSON object');
  const version = m.format_version;
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new RecordingError(dir, 'manifest.json has no format_version: not a PhantomLink recording');
  if (version > RECORDING_FORMAT_VERSION) {
    throw new RecordingError(dir, `recording format version ${version} is newer than this PhantomLink reads (${RECORDING_FORMAT_VERSION}): update PhantomLink`);
  }
  if (version < 1) throw new RecordingError(dir, `recording format version ${version} is not one PhantomLink ever wrote`);
  const problems: string[] = [];
  if (typeof m.started_at !== 'string' || Number.isNaN(Date.parse(m.started_at))) problems.push('started_at is not an ISO time');
  if (typeof m.bin_ms !== 'number' || !(m.bin_ms > 0)) problems.push('bin_ms is not a positive number');
  if (typeof m.session_code !== 'string') problems.push('session_code is missing');
  const ds = m.dataset;
  if (!isObject(ds) || typeof ds.name !== 'string') problems.push('dataset is missing');
  if (problems.length > 0) throw new RecordingError(dir, `manifest.json is damaged: ${problems.join('; ')}`);
  return m as unknown as RecordingManifest;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown) => v === null || isNum(v);
const KNOWN_OUTCOMES = new Set<unknown>(OUTCOMES);

/** Is `r` a record of this log? Checks what export relies on, not every field. */
const VALID: Record<LogName, (r: Record<string, unknown>) => boolean> = {
  packets: (r) => Number.isSafeInteger(r.seq) && Number.isSafeInteger(r.bin) && isNum(r.t_ms) && (r.trial === null || r.trial === undefined || Number.isSafeInteger(r.trial)),
  predictions: (r) =>
    typeof r.decoder === 'string' &&
    r.decoder !== '' &&
    Number.isSafeInteger(r.seq) &&
    isNum(r.t_ms) &&
    isNumOrNull(r.latency_ms) &&
    isNumOrNull(r.reported_latency_ms ?? null) &&
    typeof r.outcome === 'string' &&
    KNOWN_OUTCOMES.has(r.outcome) &&
    isObject(r.values) &&
    Object.entries(r.values).every(([k, v]) => (AXES as readonly string[]).includes(k) && (v === null || typeof v === 'number')),
  events: (r) => isNum(r.t_ms) && typeof r.kind === 'string' && (r.position_s === undefined || r.position_s === null || typeof r.position_s === 'number'),
  scores: (r) => isNum(r.t_ms) && Array.isArray(r.decoders),
};

async function readLog(path: string, log: LogName, visit: (r: unknown) => void, onBytes?: (bytes: number) => void): Promise<LogReadStats> {
  const stats: LogReadStats = { records: 0, badLines: 0, firstBadLines: [], partialLastLine: false, missing: false };
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    stats.missing = true;
    return stats;
  }
  if (size === 0) return stats;
  // A last line without "\n" was cut short by a crash: skip it whatever it holds.
  stats.partialLastLine = lastByte(path, size) !== 0x0a;
  const valid = VALID[log];
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 }), crlfDelay: Infinity });
  let lineNo = 0;
  let pending: string | null = null;
  const take = (line: string, no: number) => {
    if (line.trim() === '') return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      r = undefined;
    }
    if (isObject(r) && valid(r)) {
      stats.records++;
      visit(r);
    } else {
      stats.badLines++;
      if (stats.firstBadLines.length < 5) stats.firstBadLines.push(no);
    }
  };
  // One line behind, so the last one can be left out when it is partial.
  for await (const line of lines) {
    lineNo++;
    onBytes?.(line.length + 1);
    if (pending !== null) take(pending, lineNo - 1);
    pending = line;
  }
  if (pending !== null && !stats.partialLastLine) take(pending, lineNo);
  return stats;
}

function lastByte(path: string, size: number): number {
  const buf = Buffer.alloc(1);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, 1, size - 1);
    return buf[0];
  } finally {
    closeSync(fd);
  }
}

/** What skipping lines cost, for people: one sentence per log that had any. */
export function describeLogProblems(logs: Partial<Record<LogName, LogReadStats>>): string[] {
  const out: string[] = [];
  for (const [log, st] of Object.entries(logs)) {
    if (!st) continue;
    if (st.badLines > 0) out.push(`${st.badLines} unreadable line(s) of ${RECORDING_FILES[log as LogName]} skipped (line ${st.firstBadLines.join(', ')}${st.badLines > st.firstBadLines.length ? ', …' : ''})`);
    if (st.partialLastLine) out.push(`the partial last line of ${RECORDING_FILES[log as LogName]} (a write cut short)`);
  }
  return out;
}
