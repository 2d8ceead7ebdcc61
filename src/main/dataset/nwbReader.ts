import { posix } from 'node:path';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group, Metadata } from 'h5wasm/node';
import { DatasetError } from './errors.ts';
import { openHdf5 } from './h5.ts';

/**
 * What the NWB reader takes out of a file: the raw recording, before binning.
 * Times are seconds on the NWB session clock.
 */
export interface NwbRecording {
  /** Absolute path. */
  path: string;
  sessionDescription: string | null;
  units: NwbUnits;
  /** null: no /intervals/trials table. */
  trials: NwbTrials | null;
  /** Behaviour series that binning uses; null when the file has none of them. */
  behavior: NwbBehavior | null;
  /** What the reader found or assumed, for people. */
  notes: string[];
}

export interface NwbUnits {
  /** NWB unit ids, in table order. */
  ids: number[];
  /** Every unit's spike times, unit after unit: unit u is `spikeTimes[ends[u-1] .. ends[u])`. */
  spikeTimes: Float64Array;
  /** Exclusive end offset of each unit in spikeTimes. */
  ends: Float64Array;
  /** dtype of spike_times_index as stored, e.g. `uint16`. */
  indexDtype: string;
}

export type TrialColumn =
  | { name: string; kind: 'number'; values: Float64Array }
  | { name: string; kind: 'boolean'; values: boolean[] }
  | { name: string; kind: 'string'; values: string[] };

export interface NwbTrials {
  count: number;
  /** The NWB `id` column (0..n-1 when absent). */
  ids: number[];
  startTime: Float64Array;
  /** NaN where stop_time is NaN or the column is absent. */
  stopTime: Float64Array;
  /** Every other 1-D scalar column, in `colnames` order (start/stop_time excluded). */
  columns: TrialColumn[];
  /** Per trial, the active target `target_pos[active_target]` (NaN where unknown); null without target_pos. */
  activeTarget: { x: Float64Array; y: Float64Array } | null;
}

export interface NwbSeries {
  /** NWB path of the series group. */
  path: string;
  /** Sample times, seconds, non-decreasing (checked). */
  timestamps: Float64Array;
  /** Samples × columns, row-major, conversion and offset applied. At most 2 columns (x, y) are read. */
  data: Float64Array;
  columns: number;
  /** The `unit` attribute of data, e.g. `mm`. */
  unit: string | null;
}

export interface NwbBehavior {
  /** cursor_pos, or hand_pos when there is no cursor_pos; null when neither. */
  position: NwbSeries | null;
  /** hand_vel; null when absent (binning then differentiates position). */
  velocity: NwbSeries | null;
}

export interface ReadOptions {
  onProgress?: (stage: string, fraction: number) => void;
}

/** Elements per slice when reading a whole dataset: keeps h5wasm's WASM heap (which never shrinks) small. */
const READ_CHUNK_ELEMENTS = 1 << 22;

/** HDF5 datatype classes as h5wasm reports them in `metadata.type`. */
const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, REFERENCE: 7, ENUM: 8 } as const;

/**
 * Reads the parts of an NWB file PhantomLink streams: units (spike times), the trials table and
 * the behaviour series. Lazy: only the datasets it needs are read, big ones in slices.
 * Refuses (DatasetError) files it cannot stream honestly; tolerates missing optional parts.
 */
export async function readNwb(path: string, opts: ReadOptions = {}): Promise<NwbRecording> {
  const file = await openHdf5(path);
  const abs = file.filename;
  try {
    const r = new NwbFileReader(file, abs, opts);
    return r.read();
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(abs, `HDF5 read failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    file.close();
  }
}

class NwbFileReader {
  private readonly notes: string[] = [];
  /** Timestamps by the dataset they resolve to: MC_Maze series share one through soft links. */
  private readonly timestampsCache = new Map<string, Float64Array>();
  constructor(
    private readonly file: H5File,
    private readonly abs: string,
    private readonly opts: ReadOptions,
  ) {}

  private fail(problem: string): never {
    throw new DatasetError(this.abs, problem);
  }

  private progress(stage: string, fraction: number): void {
    this.opts.onProgress?.(stage, fraction);
  }

  read(): NwbRecording {
    const rootType = attrString(this.file, 'neurodata_type');
    this.progress('units', 0.05);
    const units = this.readUnits(rootType);
    this.progress('trials', 0.35);
    const trials = this.readTrials();
    this.progress('behavior', 0.45);
    const behavior = this.readBehavior();
    return {
      path: this.abs,
      sessionDescription: this.scalarString('session_description'),
      units,
      trials,
      behavior,
      notes: this.notes,
    };
  }

  // ---------------------------------------------------------------- units

  private readUnits(rootType: string | null): NwbUnits {
    const g = group(this.file, 'units');
    if (!g) {
      if (rootType !== 'NWBFile') {
        this.fail('no NWB content (the HDF5 root is not an NWBFile) and no /units table: PhantomLink streams spike counts per unit');
      }
      this.fail('no /units table: PhantomLink streams spike counts per unit');
    }
    if (rootType !== 'NWBFile') this.notes.push('the HDF5 root has no NWBFile attributes; read /units anyway');
    const times = dataset(g, 'spike_times');
    if (!times) this.fail('/units has no spike_times column: PhantomLink streams spike counts per unit');
    const index = dataset(g, 'spike_times_index');
    if (!index) this.fail('/units/spike_times has no spike_times_index: cannot tell which spike belongs to which unit');
    if (!isNumeric(times.metadata)) this.fail(`/units/spike_times has a non-numeric dtype (${JSON.stringify(times.dtype)})`);

    const nSpikes = length(times);
    const ends = this.readIndex(index, '/units/spike_times_index', nSpikes);
    const idDs = dataset(g, 'id');
    let ids: number[];
    if (idDs) {
      ids = Array.from(readNumbers(idDs));
      if (ids.length !== ends.length) this.fail(`/units/id has ${ids.length} rows but spike_times_index has ${ends.length}`);
    } else {
      ids = Array.from(ends, (_, i) => i);
      this.notes.push('/units has no id column: unit ids are 0..N-1');
    }
    if (ids.length === 0) this.fail('the /units table has no units');

    const spikeTimes = readNumbers(times);
    // Validate per unit so the message can say which unit is broken.
    let start = 0;
    for (let u = 0; u < ends.length; u++) {
      const end = ends[u];
      for (let i = start; i < end; i++) {
        const t = spikeTimes[i];
        if (t >= 0 && t !== Infinity) continue;
        const what = Number.isNaN(t) ? 'a NaN spike time' : t < 0 ? `a negative spike time (${t} s)` : `a non-finite spike time (${t})`;
        this.fail(`unit ${u} (id ${ids[u]}) has ${what} at spike ${i - start}`);
      }
      start = end;
    }
    if (ends.length > 0 && ends[ends.length - 1] < nSpikes) {
      this.notes.push(`${nSpikes - ends[ends.length - 1]} spike times after the last unit's index end are ignored`);
    }
    return { ids, spikeTimes, ends, indexDtype: dtypeName(index.metadata) };
  }

  /**
   * A VectorIndex: exclusive end offsets into its data. Refuses reference indexes (NWB 2.0 beta
   * and MatNWB wrote RegionReferences), offsets past the data, and decreasing offsets.
   */
  private readIndex(ds: H5Dataset, name: string, dataLength: number): Float64Array {
    const m = ds.metadata;
    if (m.type === H5T.REFERENCE || m.ref_type !== undefined) {
      const kind = m.ref_type === 'region' ? 'a RegionReference index (NWB 2.0 beta / MatNWB layout)' : 'a reference index';
      this.fail(`${name} is ${kind}, not integer offsets: not supported; re-export the file with a current pynwb or MatNWB`);
    }
    if (m.type !== H5T.INTEGER) this.fail(`${name} has dtype ${JSON.stringify(ds.dtype)}, expected integer offsets`);
    const ends = readNumbers(ds);
    let prev = 0;
    for (let i = 0; i < ends.length; i++) {
      const e = ends[i];
      if (e < prev) this.fail(`${name} is not non-decreasing (row ${i}: ${e} after ${prev})`);
      if (e > dataLength) this.fail(`${name} row ${i} ends at ${e}, past the end of its data (${dataLength} values)`);
      prev = e;
    }
    return ends;
  }

  // ---------------------------------------------------------------- trials

  private readTrials(): NwbTrials | null {
    const g = group(this.file, 'intervals/trials');
    if (!g) {
      this.notes.push('no /intervals/trials table: no trials');
      return null;
    }
    const startDs = dataset(g, 'start_time');
    if (!startDs) {
      this.notes.push('/intervals/trials has no start_time column: trials ignored');
      return null;
    }
    const startTime = readNumbers(startDs);
    const count = startTime.length;
    const stopDs = dataset(g, 'stop_time');
    let stopTime: Float64Array;
    if (stopDs && length(stopDs) === count && isNumeric(stopDs.metadata)) {
      stopTime = readNumbers(stopDs);
    } else {
      stopTime = new Float64Array(count).fill(NaN);
      this.notes.push('/intervals/trials has no usable stop_time column: each trial ends at the next trial start');
    }
    const idDs = dataset(g, 'id');
    const ids = idDs && length(idDs) === count ? Array.from(readNumbers(idDs)) : Array.from({ length: count }, (_, i) => i);

    const keys = g.keys();
    const keySet = new Set(keys);
    const colnames = attrStrings(g, 'colnames') ?? [];
    const ordered = [...colnames.filter((c) => keySet.has(c)), ...keys.filter((k) => !colnames.includes(k))];
    const columns: TrialColumn[] = [];
    for (const name of ordered) {
      if (name === 'id' || name === 'start_time' || name === 'stop_time') continue;
      // Ragged columns (X with X_index) and indexes are not scalar columns.
      if (keySet.has(`${name}_index`) || (name.endsWith('_index') && keySet.has(name.slice(0, -6)))) continue;
      const ds = dataset(g, name);
      if (!ds) continue;
      const col = readScalarColumn(ds, name, count);
      if (col) columns.push(col);
    }

    const activeTarget = this.readActiveTargets(g, count, columns);
    return { count, ids, startTime, stopTime, columns, activeTarget };
  }

  /** target_pos[active_target] per trial: target_pos is ragged rows×2 (int16 or int64 in MC_Maze). */
  private readActiveTargets(g: H5Group, count: number, columns: TrialColumn[]): NwbTrials['activeTarget'] {
    const tp = dataset(g, 'target_pos');
    if (!tp) return null;
    const shape = tp.shape ?? [];
    if (!isNumeric(tp.metadata) || shape.length !== 2 || shape[1] < 2) {
      this.notes.push(`/intervals/trials/target_pos has shape ${JSON.stringify(shape)}, expected rows×2: targets ignored`);
      return null;
    }
    const rows = shape[0];
    const values = readNumbers(tp, 2);
    const indexDs = dataset(g, 'target_pos_index');
    let ends: Float64Array;
    if (indexDs) {
      ends = this.readIndex(indexDs, '/intervals/trials/target_pos_index', rows);
      if (ends.length !== count) this.fail(`/intervals/trials/target_pos_index has ${ends.length} rows for ${count} trials`);
    } else if (rows === count) {
      ends = Float64Array.from({ length: count }, (_, i) => i + 1); // one target per trial, not ragged
    } else {
      this.notes.push('/intervals/trials/target_pos has no index and not one row per trial: targets ignored');
      return null;
    }
    const active = columns.find((c) => c.name === 'active_target');
    if (!active) this.notes.push('no active_target column: a trial with exactly one target_pos row aims at it, others have no target');
    const x = new Float64Array(count).fill(NaN);
    const y = new Float64Array(count).fill(NaN);
    for (let i = 0; i < count; i++) {
      const start = i === 0 ? 0 : ends[i - 1];
      const n = ends[i] - start;
      let k = -1;
      if (active && active.kind === 'number') k = active.values[i];
      else if (n === 1) k = 0;
      if (!Number.isInteger(k) || k < 0 || k >= n) continue;
      x[i] = values[2 * (start + k)];
      y[i] = values[2 * (start + k) + 1];
    }
    return { x, y };
  }

  // ---------------------------------------------------------------- behaviour

  private readBehavior(): NwbBehavior | null {
    const module = group(this.file, 'processing/behavior');
    if (!module) {
      this.notes.push('no behaviour (/processing/behavior): kinematics are null');
      return null;
    }
    let position = this.readSeries(module, 'cursor_pos');
    if (!position) {
      position = this.readSeries(module, 'hand_pos');
      if (position) this.notes.push('hand_pos used: no cursor_pos');
    }
    const velocity = this.readSeries(module, 'hand_vel');
    if (!position && !velocity) {
      this.notes.push('no cursor_pos, hand_pos or hand_vel in /processing/behavior: kinematics are null');
      return null;
    }
    if (!position) this.notes.push('no cursor_pos or hand_pos: x, y are null');
    for (const s of [position, velocity]) {
      if (s?.unit && s.unit !== 'mm' && s.unit !== 'mm/s') this.notes.push(`${s.path} is in ${s.unit}, not mm`);
    }
    return { position, velocity };
  }

  /** A TimeSeries directly in the module, or one level down (e.g. inside a Position container). */
  private findSeries(module: H5Group, name: string): H5Group | null {
    const direct = group(module, name);
    if (direct) return direct;
    for (const k of module.keys()) {
      const child = group(module, k);
      const nested = child && !dataset(child, 'data') ? group(child, name) : null;
      if (nested) return nested;
    }
    return null;
  }

  private readSeries(module: H5Group, name: string): NwbSeries | null {
    const g = this.findSeries(module, name);
    if (!g) return null;
    const ignore = (why: string): null => {
      this.notes.push(`${g.path} ${why}: series ignored`);
      return null;
    };
    const dataDs = dataset(g, 'data');
    if (!dataDs || !isNumeric(dataDs.metadata)) return ignore('has no numeric data');
    const shape = dataDs.shape ?? [];
    if (shape.length < 1 || shape.length > 2) return ignore(`has data of shape ${JSON.stringify(shape)}`);
    const columns = shape.length === 2 ? Math.min(2, shape[1]) : 1;
    let rows = shape[0];

    let timestamps: Float64Array;
    const tsDs = dataset(g, 'timestamps');
    const startDs = dataset(g, 'starting_time');
    if (tsDs) {
      // `timestamps` may be a soft link to another series' dataset (h5wasm follows it); read it once.
      const link = this.file.get_link(`${g.path}/timestamps`);
      const key = link ? posix.resolve(g.path, link) : `${g.path}/timestamps`;
      timestamps = this.timestampsCache.get(key) ?? readNumbers(tsDs);
      this.timestampsCache.set(key, timestamps);
    } else if (startDs) {
      const rate = attrNumber(startDs, 'rate');
      const t0 = readNumbers(startDs)[0];
      if (!(rate !== null && rate > 0) || !Number.isFinite(t0)) return ignore('has starting_time without a positive rate');
      // Materialise the sample times so binning treats every series alike (binary search).
      timestamps = Float64Array.from({ length: rows }, (_, i) => t0 + i / rate);
    } else {
      return ignore('has neither timestamps nor starting_time');
    }
    if (timestamps.length !== rows) {
      this.notes.push(`${g.path}: ${rows} samples but ${timestamps.length} timestamps; the shorter is used`);
      rows = Math.min(rows, timestamps.length);
      timestamps = timestamps.subarray(0, rows);
    }
    for (let i = 1; i < rows; i++) {
      if (!(timestamps[i] >= timestamps[i - 1])) return ignore(`has timestamps that are not increasing (sample ${i})`);
    }
    const data = readNumbers(dataDs, columns, rows);
    const conversion = attrNumber(dataDs, 'conversion') ?? 1;
    const offset = attrNumber(dataDs, 'offset') ?? 0;
    if (conversion !== 1 || offset !== 0) {
      for (let i = 0; i < data.length; i++) data[i] = data[i] * conversion + offset;
    }
    return { path: g.path, timestamps, data, columns, unit: attrString(dataDs, 'unit') };
  }

  private scalarString(name: string): string | null {
    const ds = dataset(this.file, name);
    if (!ds || ds.metadata.type !== H5T.STRING) return null;
    const v = ds.value;
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
  }
}

// -------------------------------------------------------------------- h5wasm helpers

function group(parent: H5Group, name: string): H5Group | null {
  const e = parent.get(name) as { type?: unknown } | null;
  return e && e.type === 'Group' ? (e as H5Group) : null;
}

function dataset(parent: H5Group, name: string): H5Dataset | null {
  const e = parent.get(name) as { type?: unknown } | null;
  return e && e.type === 'Dataset' ? (e as H5Dataset) : null;
}

function length(ds: H5Dataset): number {
  const s = ds.shape;
  return s && s.length > 0 ? s[0] : s ? 1 : 0;
}

function isNumeric(m: Metadata): boolean {
  return m.type === H5T.INTEGER || m.type === H5T.FLOAT;
}

function dtypeName(m: Metadata): string {
  if (m.type === H5T.FLOAT) return `float${m.size * 8}`;
  if (m.type === H5T.INTEGER) return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
  return `type${m.type}`;
}

/**
 * Reads a numeric dataset (any int/float dtype; int64 arrives as BigInt) into a Float64Array,
 * in row slices so h5wasm never allocates the whole dataset in its heap at once.
 * For 2-D data only the first `columns` columns are read (row-major in the result).
 */
function readNumbers(ds: H5Dataset, columns?: number, rowLimit?: number): Float64Array {
  const shape = ds.shape ?? [];
  if (shape.length === 0) {
    const v = ds.value;
    return Float64Array.of(typeof v === 'bigint' ? Number(v) : Number(v));
  }
  const rows = Math.min(shape[0], rowLimit ?? shape[0]);
  const width = shape.length >= 2 ? (columns ?? shape[1]) : 1;
  const out = new Float64Array(rows * width);
  const chunkRows = Math.max(1, Math.floor(READ_CHUNK_ELEMENTS / width));
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const r1 = Math.min(rows, r0 + chunkRows);
    const ranges: Array<[number, number]> = [[r0, r1]];
    if (shape.length >= 2) ranges.push([0, width]);
    const part = ds.slice(ranges);
    if (part instanceof BigInt64Array || part instanceof BigUint64Array) {
      for (let i = 0; i < part.length; i++) out[r0 * width + i] = Number(part[i]);
    } else if (ArrayBuffer.isView(part)) {
      out.set(part as unknown as ArrayLike<number>, r0 * width);
    } else {
      throw new Error(`${ds.path}: unexpected value type from h5wasm`);
    }
  }
  return out;
}

/** A 1-D column with one value per row, as numbers, booleans (h5py bool enum) or strings; null otherwise. */
function readScalarColumn(ds: H5Dataset, name: string, rows: number): TrialColumn | null {
  const m = ds.metadata;
  const shape = ds.shape ?? [];
  if (shape.length !== 1 || shape[0] !== rows) return null;
  if (isNumeric(m)) return { name, kind: 'number', values: readNumbers(ds) };
  if (m.type === H5T.ENUM) {
    const v = ds.json_value;
    if (!Array.isArray(v)) return null;
    if (v.every((x) => typeof x === 'boolean')) return { name, kind: 'boolean', values: v as boolean[] };
    return { name, kind: 'number', values: Float64Array.from(v as number[]) };
  }
  if (m.type === H5T.STRING) {
    const v = ds.json_value;
    return Array.isArray(v) ? { name, kind: 'string', values: v.map(String) } : null;
  }
  return null;
}

function attrValue(obj: H5Group | H5Dataset, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj.attrs, name)) return undefined;
  return obj.attrs[name].json_value;
}

function attrString(obj: H5Group | H5Dataset, name: string): string | null {
  const v = attrValue(obj, name);
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
}

function attrStrings(obj: H5Group, name: string): string[] | null {
  const v = attrValue(obj, name);
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : null;
}

function attrNumber(obj: H5Group | H5Dataset, name: string): number | null {
  const v = attrValue(obj, name);
  const n = Array.isArray(v) ? v[0] : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}
