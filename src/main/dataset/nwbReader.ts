import { posix } from 'node:path';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group, Metadata } from 'h5wasm/node';
import { DatasetError } from './errors.ts';
import { loadH5wasm, openHdf5 } from './h5.ts';
import { CHUNK_ELEMENTS, spikeTimesProblem, type BehaviorChoice, type RecordingSource, type RecordingTrials, type SeriesSource, type TrialColumn } from './source.ts';

/**
 * Elements per slice of a big dataset (spike times, behaviour series): 2 MB of float64, so
 * neither h5wasm's WASM heap (which never shrinks) nor the JS buffers grow with the recording.
 */
const READ_CHUNK_ELEMENTS = CHUNK_ELEMENTS;

/** h5wasm's WASM module (what `h5wasm.ready` resolves to): its low-level read into a buffer of ours. */
type H5Module = Awaited<Awaited<ReturnType<typeof loadH5wasm>>['ready']>;

/** HDF5 datatype classes as h5wasm reports them in `metadata.type`. */
const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, REFERENCE: 7, ENUM: 8 } as const;

/**
 * Opens an NWB file as a RecordingSource: the parts PhantomLink streams are units (spike times),
 * the trials table and the behaviour series. Lazy: the units table's index is read at open,
 * everything else when binning asks for it, big datasets in slices.
 * Refuses (DatasetError) files it cannot stream honestly; tolerates missing optional parts.
 * The caller closes it.
 */
export async function openNwb(path: string): Promise<NwbSource> {
  const file = await openHdf5(path);
  try {
    const module = await (await loadH5wasm()).ready;
    return new NwbSource(file, file.filename, module);
  } catch (err) {
    file.close();
    throw err;
  }
}

export class NwbSource implements RecordingSource {
  readonly path: string;
  readonly notes: string[] = [];
  readonly sessionDescription: string | null;
  readonly unitIds: number[];
  readonly unitEnds: Float64Array;
  /** dtype of spike_times_index as stored, e.g. `uint16`. */
  readonly indexDtype: string;
  private readonly spikeTimes: H5Dataset;
  /** Every RowReader handed out, to free their buffers on close. */
  private readonly readers: RowReader[] = [];
  private closed = false;

  constructor(
    private readonly file: H5File,
    abs: string,
    private readonly module: H5Module,
  ) {
    this.path = abs;
    const rootType = attrString(file, 'neurodata_type');
    const g = group(file, 'units');
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
    if (ends.length > 0 && ends[ends.length - 1] < nSpikes) {
      this.notes.push(`${nSpikes - ends[ends.length - 1]} spike times after the last unit's index end are ignored`);
    }
    this.unitIds = ids;
    this.unitEnds = ends;
    this.indexDtype = dtypeName(index.metadata);
    this.spikeTimes = times;
    this.sessionDescription = this.scalarString('session_description');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers) r.free();
    this.file.close();
  }

  private rowReader(ds: H5Dataset, columns: number): RowReader {
    const r = new RowReader(this.module, ds, columns);
    this.readers.push(r);
    return r;
  }

  private fail(problem: string): never {
    throw new DatasetError(this.path, problem);
  }

  // ---------------------------------------------------------------- units

  readSpikeTimes(visit: (times: Float64Array, first: number) => void): void {
    const ends = this.unitEnds;
    const n = ends.length > 0 ? ends[ends.length - 1] : 0;
    const reader = this.rowReader(this.spikeTimes, 1);
    try {
      for (let first = 0; first < n; first += READ_CHUNK_ELEMENTS) {
        const times = reader.read(first, Math.min(n, first + READ_CHUNK_ELEMENTS));
        // Checked per chunk so the message can say which unit is broken.
        const problem = spikeTimesProblem(times, first, ends, this.unitIds);
        if (problem) this.fail(problem);
        visit(times, first);
      }
    } finally {
      reader.free(); // its WASM buffer is reused by the behaviour reads that follow
    }
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

  readTrials(): RecordingTrials | null {
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
  private readActiveTargets(g: H5Group, count: number, columns: TrialColumn[]): RecordingTrials['activeTarget'] {
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

  /**
   * Which series feed kinematics. Looks only at the file's structure (groups, shapes, attributes);
   * the samples are read by binning, which rejects a series whose timestamps do not increase
   * and then asks again with that series in `rejected`.
   */
  chooseBehavior(rejected: ReadonlyMap<string, string>): BehaviorChoice {
    const notes: string[] = [];
    const module = group(this.file, 'processing/behavior');
    if (!module) {
      notes.push('no behaviour (/processing/behavior): kinematics are null');
      return { position: null, velocity: null, notes };
    }
    let position = this.series(module, 'cursor_pos', rejected, notes);
    if (!position) {
      position = this.series(module, 'hand_pos', rejected, notes);
      if (position) notes.push('hand_pos used: no cursor_pos');
    }
    const velocity = this.series(module, 'hand_vel', rejected, notes);
    if (!position && !velocity) {
      notes.push('no cursor_pos, hand_pos or hand_vel in /processing/behavior: kinematics are null');
      return { position: null, velocity: null, notes };
    }
    if (!position) notes.push('no cursor_pos or hand_pos: x, y are null');
    for (const s of [position, velocity]) {
      if (s?.unit && s.unit !== 'mm' && s.unit !== 'mm/s') notes.push(`${s.path} is in ${s.unit}, not mm`);
    }
    return { position, velocity, notes };
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

  private series(module: H5Group, name: string, rejected: ReadonlyMap<string, string>, notes: string[]): SeriesSource | null {
    const g = this.findSeries(module, name);
    if (!g) return null;
    const ignore = (why: string): null => {
      notes.push(`${g.path} ${why}: series ignored`);
      return null;
    };
    const dataDs = dataset(g, 'data');
    if (!dataDs || !isNumeric(dataDs.metadata)) return ignore('has no numeric data');
    const shape = dataDs.shape ?? [];
    if (shape.length < 1 || shape.length > 2 || shape[1] === 0) return ignore(`has data of shape ${JSON.stringify(shape)}`);
    const columns: 1 | 2 = shape.length === 2 && shape[1] >= 2 ? 2 : 1;
    let rows = shape[0];

    let times: SeriesTimes;
    const tsDs = dataset(g, 'timestamps');
    const startDs = dataset(g, 'starting_time');
    if (tsDs) {
      // `timestamps` may be a soft link to another series' dataset (h5wasm follows it): one key, read once per pass.
      const link = this.file.get_link(`${g.path}/timestamps`);
      const key = link ? posix.resolve(g.path, link) : `${g.path}/timestamps`;
      times = { kind: 'dataset', ds: tsDs, key, length: length(tsDs) };
    } else if (startDs) {
      const rate = attrNumber(startDs, 'rate');
      const t0 = readNumbers(startDs)[0];
      if (!(rate !== null && rate > 0) || !Number.isFinite(t0)) return ignore('has starting_time without a positive rate');
      times = { kind: 'rate', t0, rate, key: `${g.path}/starting_time`, length: rows };
    } else {
      return ignore('has neither timestamps nor starting_time');
    }
    if (times.length !== rows) {
      notes.push(`${g.path}: ${rows} samples but ${times.length} timestamps; the shorter is used`);
      rows = Math.min(rows, times.length);
    }
    const why = rejected.get(g.path);
    if (why !== undefined) return ignore(why);
    const conversion = attrNumber(dataDs, 'conversion') ?? 1;
    const offset = attrNumber(dataDs, 'offset') ?? 0;
    const data = this.rowReader(dataDs, columns);
    const stamps = times.kind === 'dataset' ? this.rowReader(times.ds, 1) : null;
    return new NwbSeries(g.path, data, stamps, columns, rows, attrString(dataDs, 'unit'), conversion, offset, times);
  }

  private scalarString(name: string): string | null {
    const ds = dataset(this.file, name);
    if (!ds || ds.metadata.type !== H5T.STRING) return null;
    const v = ds.value;
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
  }
}

type SeriesTimes =
  | { kind: 'dataset'; ds: H5Dataset; key: string; length: number }
  | { kind: 'rate'; t0: number; rate: number; key: string; length: number };

/** A behaviour series of an open NWB file, read by row slices. */
class NwbSeries implements SeriesSource {
  readonly timestampsKey: string;

  constructor(
    readonly path: string,
    private readonly data: RowReader,
    /** null for a series timed by starting_time + rate. */
    private readonly stamps: RowReader | null,
    readonly columns: 1 | 2,
    readonly rows: number,
    readonly unit: string | null,
    private readonly conversion: number,
    private readonly offset: number,
    private readonly times: SeriesTimes,
  ) {
    this.timestampsKey = times.key;
  }

  readTimestamps(from: number, to: number): Float64Array {
    const t = this.times;
    if (this.stamps) return this.stamps.read(from, to);
    if (t.kind !== 'rate') throw new Error('unreachable');
    // Sample times of a regularly sampled series, exactly as t0 + i / rate for every i.
    const out = new Float64Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = t.t0 + i / t.rate;
    return out;
  }

  readData(from: number, to: number): Float64Array {
    const data = this.data.read(from, to);
    const { conversion, offset } = this;
    if (conversion !== 1 || offset !== 0) {
      for (let i = 0; i < data.length; i++) data[i] = data[i] * conversion + offset;
    }
    return data;
  }

  lastTimestamp(): number {
    const t = this.times;
    if (this.rows === 0) return -Infinity;
    if (t.kind === 'rate') return t.t0 + (this.rows - 1) / t.rate;
    // Backwards in slices until a finite time (normally the very last one).
    for (let end = this.rows, step = 1024; end > 0; step = READ_CHUNK_ELEMENTS) {
      const start = Math.max(0, end - step);
      const part = this.stamps!.read(start, end);
      for (let i = part.length - 1; i >= 0; i--) if (Number.isFinite(part[i])) return part[i];
      end = start;
    }
    return -Infinity;
  }
}

/**
 * Reads row slices of one dataset. Float64 data (what MC_Maze stores) goes straight from HDF5
 * into a WASM buffer allocated once, and the returned array is a view of it: no copy, nothing
 * allocated per slice. The view is valid until the next read through h5wasm (a read may grow
 * the WASM memory, which detaches every view of it). Other dtypes go through h5wasm's `slice`
 * and are converted into a fresh array.
 */
class RowReader {
  private ptr = 0;
  private capacity = 0;
  private readonly direct: boolean;
  private readonly twoD: boolean;

  constructor(
    private readonly module: H5Module,
    private readonly ds: H5Dataset,
    private readonly columns: number,
  ) {
    const m = ds.metadata;
    const shape = ds.shape ?? [];
    this.twoD = shape.length >= 2;
    this.direct = m.type === H5T.FLOAT && m.size === 8 && shape.length >= 1 && shape.length <= 2;
  }

  read(from: number, to: number): Float64Array {
    const n = (to - from) * this.columns;
    if (n <= 0) return new Float64Array(0);
    if (!this.direct) return readRows(this.ds, from, to, this.columns);
    if (n > this.capacity) {
      this.free();
      this.ptr = this.module._malloc(n * 8);
      if (this.ptr === 0) throw new Error(`${this.ds.path}: cannot allocate ${n * 8} bytes in the WASM heap`);
      this.capacity = n;
    }
    const rows = BigInt(to - from);
    const count = this.twoD ? [rows, BigInt(this.columns)] : [rows];
    const offset = this.twoD ? [BigInt(from), 0n] : [BigInt(from)];
    const strides = this.twoD ? [1n, 1n] : [1n];
    this.module.get_dataset_data(this.ds.file_id, this.ds.path, count, offset, strides, BigInt(this.ptr));
    // A fresh view after the read: the WASM memory may have grown (and moved) meanwhile.
    return new Float64Array(this.module.HEAPU8.buffer, this.ptr, n);
  }

  /** Releases the buffer (a later read allocates it again). */
  free(): void {
    if (this.ptr !== 0) this.module._free(this.ptr);
    this.ptr = 0;
    this.capacity = 0;
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
 * Rows [from, to) of a numeric dataset as a Float64Array (for 2-D data, the first `columns`
 * columns, row-major). Float64 data comes back as h5wasm's own copy, without another one.
 */
function readRows(ds: H5Dataset, from: number, to: number, columns?: number): Float64Array {
  const shape = ds.shape ?? [];
  const ranges: Array<[number, number]> = [[from, to]];
  if (shape.length >= 2) ranges.push([0, columns ?? shape[1]]);
  const part = ds.slice(ranges);
  if (part instanceof Float64Array) return part;
  if (part instanceof BigInt64Array || part instanceof BigUint64Array) return Float64Array.from(part, Number);
  if (ArrayBuffer.isView(part)) return Float64Array.from(part as unknown as ArrayLike<number>);
  throw new Error(`${ds.path}: unexpected value type from h5wasm`);
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
