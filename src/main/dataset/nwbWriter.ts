import { randomUUID } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm/node';
import { loadH5wasm } from './h5.ts';
import type { McMazeBehavior, McMazeRecording, McMazeTrials, McMazeUnits, McMazeWriteOptions } from './mcMazeLayout.ts';

/**
 * Writes an MC_Maze train file (DANDI 000128–000140) in the layout of the real files
 * (shared/design/nwb-notes.md), so the synthetic recording and test files go through the
 * same reader as a real download.
 *
 * The file is written to a temporary name in the target directory and renamed into place,
 * so a crash never leaves a half-written file at `path`.
 */
export async function writeMcMazeNwb(path: string, rec: McMazeRecording, opts: McMazeWriteOptions = {}): Promise<void> {
  checkRecording(rec);
  await withNwbFile(path, (file) => new NwbWriter(file, opts).writeFile(rec));
}

/**
 * Creates an HDF5 file at a temporary name next to `path`, lets `write` fill it, and renames it
 * into place when `write` resolves: a crash or an error never leaves a half-written file at
 * `path` (the temporary file is removed on error).
 */
export async function withNwbFile<T>(path: string, write: (file: H5File) => T | Promise<T>): Promise<T> {
  const h5 = await loadH5wasm();
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  let file: H5File | null = null;
  try {
    try {
      file = new h5.File(tmp, 'w');
    } catch (err) {
      // The file system's reason (ENOENT, ENOTDIR, EACCES…), not an HDF5 dump.
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot create ${target}: ${code ? `${code} in ${dirname(target)}` : (err as Error).message.split('\n')[0]}`);
    }
    if (file.file_id < 0n) throw new Error(`cannot create ${target} (does the directory exist and is it writable?)`);
    const result = await write(file);
    file.close();
    file = null;
    renameSync(tmp, target);
    return result;
  } catch (err) {
    if (file) {
      try {
        file.close();
      } catch {
        // already failing; the original error matters
      }
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was created (the folder is not one): the original error matters
    }
    throw err;
  }
}

/** What every NWB file we write starts with. Times are ISO 8601. */
export interface NwbFileHeader {
  identifier: string;
  sessionDescription: string;
  sessionStartTime: string;
  /** Free text stored as /general/notes; null: the caller writes it later. */
  notes: string | null;
}

/**
 * The NWBFile root: attributes, the required datasets and groups. Returns /general.
 */
export function writeNwbHeader(f: H5File, h: NwbFileHeader): H5Group {
  f.create_attribute('namespace', 'core');
  f.create_attribute('neurodata_type', 'NWBFile');
  f.create_attribute('nwb_version', NWB_VERSION);
  f.create_attribute('object_id', randomUUID());
  f.create_dataset({ name: 'identifier', data: h.identifier });
  f.create_dataset({ name: 'session_description', data: h.sessionDescription });
  f.create_dataset({ name: 'session_start_time', data: h.sessionStartTime });
  f.create_dataset({ name: 'timestamps_reference_time', data: h.sessionStartTime });
  f.create_dataset({ name: 'file_create_date', data: [new Date().toISOString()] });
  for (const g of ['acquisition', 'analysis', 'stimulus', 'stimulus/presentation', 'stimulus/templates', 'processing']) {
    f.create_group(g);
  }
  const general = f.create_group('general');
  if (h.notes !== null) general.create_dataset({ name: 'notes', data: h.notes });
  return general;
}

/** The NWB schema version the real MC_Maze files were written with (pynwb 2.x era). */
const NWB_VERSION = '2.4.0';
const HDMF = 'hdmf-common';
/** Row chunk for compressed datasets: big enough for gzip to work, small enough to slice. */
const CHUNK_ROWS = 1 << 16;

type IntDtype = '<B' | '<H' | '<I' | '<q' | '<h';

class NwbWriter {
  private readonly compression: number;
  constructor(
    private readonly file: H5File,
    private readonly opts: McMazeWriteOptions,
  ) {
    this.compression = opts.compression ?? 0;
  }

  writeFile(rec: McMazeRecording): void {
    const general = writeNwbHeader(this.file, {
      identifier: rec.identifier,
      sessionDescription: rec.sessionDescription,
      sessionStartTime: rec.sessionStartTime,
      notes: rec.notes,
    });

    const electrodes = this.writeElectrodesTable(general, maxElectrode(rec.units) + 1);
    this.writeUnits(rec.units, electrodes);
    if (rec.trials) this.writeTrials(rec.trials);
    if (rec.behavior) this.writeBehavior(rec.behavior);
  }

  /**
   * A minimal electrodes table, so /units/electrodes (a DynamicTableRegion) has a real
   * table to reference. The real files carry more columns; nothing here reads them.
   */
  private writeElectrodesTable(general: H5Group, count: number): H5Group {
    const ecephys = general.create_group('extracellular_ephys');
    const t = ecephys.create_group('electrodes');
    tableAttrs(t, 'DynamicTable', HDMF, 'metadata about extracellular electrodes', ['location']);
    this.ids(t, count);
    const loc = t.create_dataset({ name: 'location', data: Array.from({ length: count }, () => 'unknown') });
    columnAttrs(loc, 'the location of channel within the subject e.g. brain region');
    return t;
  }

  private writeUnits(units: McMazeUnits, electrodesTable: H5Group): void {
    const g = this.file.create_group('units');
    tableAttrs(g, 'Units', 'core', 'Sorted units (synthetic or MC_Maze)', ['spike_times', 'obs_intervals', 'electrodes', 'heldout']);
    this.ids(g, units.ids);

    const total = units.spikeTimes.reduce((n, s) => n + s.length, 0);
    const spikes = new Float64Array(total);
    const ends = new Float64Array(units.spikeTimes.length);
    let off = 0;
    units.spikeTimes.forEach((s, u) => {
      spikes.set(s, off);
      off += s.length;
      ends[u] = off;
    });
    const indexDtype = this.opts.spikeTimesIndexDtype === 'uint16' ? '<H' : '<I';
    if (indexDtype === '<H' && total > 0xffff) {
      throw new Error(`spike_times_index as uint16 cannot address ${total} spikes (max 65535)`);
    }
    this.ragged(g, 'spike_times', spikes, [total], '<d', ends, indexDtype, 'the spike times for each unit in seconds');

    const obs = units.obsIntervals;
    const obsFlat = new Float64Array(obs.reduce((n, r) => n + r.length, 0) * 2);
    const obsEnds = new Float64Array(obs.length);
    let o = 0;
    obs.forEach((rows, u) => {
      for (const [a, b] of rows) {
        obsFlat[2 * o] = a;
        obsFlat[2 * o + 1] = b;
        o++;
      }
      obsEnds[u] = o;
    });
    this.ragged(g, 'obs_intervals', obsFlat, [o, 2], '<d', obsEnds, smallestUint(o), 'the observation intervals for each unit');

    const el = units.electrodes;
    const elFlat = toInt64(el.flat(), 'units electrodes');
    const elEnds = new Float64Array(el.length);
    let e = 0;
    el.forEach((rows, u) => {
      e += rows.length;
      elEnds[u] = e;
    });
    const elDs = this.ragged(g, 'electrodes', elFlat, [e], '<q', elEnds, smallestUint(e), 'the electrodes that each spike unit came from', 'DynamicTableRegion');
    elDs.create_attribute('table', electrodesTable.create_reference());

    // h5wasm cannot write HDF5 bools (h5py's enum); uint8 carries the same 0/1.
    const held = g.create_dataset({ name: 'heldout', data: Uint8Array.from(units.heldout, (b) => (b ? 1 : 0)) });
    columnAttrs(held, 'whether the unit is held out in the NLB test phase');
  }

  private writeTrials(t: McMazeTrials): void {
    const intervals = this.file.create_group('intervals');
    const g = intervals.create_group('trials');
    const n = t.start_time.length;
    const floatCols = ['start_time', 'stop_time', 'target_on_time', 'go_cue_time', 'move_onset_time'] as const;
    const intCols = ['rt', 'delay', 'num_targets', 'num_barriers', 'maze_id', 'trial_type', 'trial_version', 'active_target'] as const;
    tableAttrs(g, 'TimeIntervals', 'core', 'experimental trials', [...floatCols, ...intCols, 'success', 'target_pos', 'barrier_pos', 'split']);
    this.ids(g, n);
    for (const c of floatCols) columnAttrs(g.create_dataset({ name: c, data: Float64Array.from(t[c]), dtype: '<d' }), c.replace(/_/g, ' '));
    for (const c of intCols) columnAttrs(g.create_dataset({ name: c, data: toInt64(t[c], `trials ${c}`), dtype: '<q' }), c.replace(/_/g, ' '));
    columnAttrs(g.create_dataset({ name: 'success', data: Uint8Array.from(t.success, (b) => (b ? 1 : 0)) }), 'whether the trial was successful');

    // target_pos: rows×2 integers (int16 in full/large, int64 in medium/small).
    const tp = flattenRows(t.target_pos, 2);
    const tpDtype = this.opts.targetPosDtype === 'int16' ? '<h' : '<q';
    const tpData = tpDtype === '<h' ? toInt16(tp.flat, 'trials target_pos') : toInt64(tp.flat, 'trials target_pos');
    let tpIndex: IntDtype = this.opts.targetPosIndexDtype === 'uint16' ? '<H' : '<B';
    if (tpIndex === '<B' && tp.rows > 0xff) {
      // "uint8 (uint16 if a row needs it)": the default widens, an explicit uint8 cannot.
      if (this.opts.targetPosIndexDtype === 'uint8') throw new Error(`target_pos_index as uint8 cannot address ${tp.rows} rows (max 255)`);
      tpIndex = '<H';
    }
    if (tpIndex === '<H' && tp.rows > 0xffff) tpIndex = '<I';
    this.ragged(g, 'target_pos', tpData, [tp.rows, 2], tpDtype, tp.ends, tpIndex, 'target positions (x, y) in mm');

    const bp = flattenRows(t.barrier_pos, 4);
    this.ragged(g, 'barrier_pos', toInt64(bp.flat, 'trials barrier_pos'), [bp.rows, 4], '<q', bp.ends, smallestUint(bp.rows), 'barrier positions (x, y, half width, half height) in mm');

    columnAttrs(g.create_dataset({ name: 'split', data: t.split }), 'NLB data split');
  }

  private writeBehavior(b: McMazeBehavior): void {
    const processing = this.file.get('processing') as H5Group;
    const g = processing.create_group('behavior');
    g.create_attribute('description', 'Processed behavioral data');
    g.create_attribute('namespace', 'core');
    g.create_attribute('neurodata_type', 'ProcessingModule');
    g.create_attribute('object_id', randomUUID());
    const series: Array<[keyof McMazeBehavior, string, string, string]> = [
      ['cursor_pos', 'SpatialSeries', 'mm', 'x and y position of the cursor on the screen'],
      ['eye_pos', 'SpatialSeries', 'mm', 'x and y position of the eye on the screen'],
      ['hand_pos', 'SpatialSeries', 'mm', 'x and y position of the hand'],
      ['hand_vel', 'TimeSeries', 'mm/s', 'x and y velocity of the hand'],
    ];
    let timestampsOwner: string | null = null;
    for (const [name, type, unit, description] of series) {
      const s = g.create_group(name);
      s.create_attribute('comments', 'no comments');
      s.create_attribute('description', description);
      s.create_attribute('namespace', 'core');
      s.create_attribute('neurodata_type', type);
      s.create_attribute('object_id', randomUUID());
      const data = this.big(s, 'data', b[name], [b.timestamps.length, 2], '<d');
      data.create_attribute('conversion', 1.0, null, '<d');
      data.create_attribute('offset', 0.0, null, '<d');
      data.create_attribute('resolution', -1.0, null, '<d');
      data.create_attribute('unit', unit);
      if (timestampsOwner === null) {
        const ts = this.big(s, 'timestamps', b.timestamps, [b.timestamps.length], '<d');
        ts.create_attribute('interval', 1, null, '<i');
        ts.create_attribute('unit', 'seconds');
        timestampsOwner = ts.path;
      } else {
        // The series share one timestamps dataset, as NWB allows (a link, not a copy).
        s.create_soft_link(timestampsOwner, 'timestamps');
      }
    }
  }

  private ids(g: H5Group, ids: number[] | number): void {
    writeIds(g, ids);
  }

  /** A ragged column: values plus `<name>_index` of exclusive end offsets with a `target` reference. */
  private ragged(
    g: H5Group,
    name: string,
    data: Float64Array | BigInt64Array | Int16Array,
    shape: number[],
    dtype: string,
    ends: Float64Array,
    indexDtype: IntDtype,
    description: string,
    neurodataType = 'VectorData',
  ): H5Dataset {
    const ds = this.big(g, name, data, shape, dtype);
    columnAttrs(ds, description, neurodataType);
    const idx = g.create_dataset({ name: `${name}_index`, data: indexArray(ends, indexDtype), dtype: indexDtype });
    idx.create_attribute('description', `Index for VectorData '${name}'`);
    idx.create_attribute('namespace', HDMF);
    idx.create_attribute('neurodata_type', 'VectorIndex');
    idx.create_attribute('object_id', randomUUID());
    idx.create_attribute('target', ds.create_reference());
    return ds;
  }

  /** A possibly large dataset: chunked + gzip when compression is asked for, contiguous otherwise. */
  private big(g: H5Group, name: string, data: Float64Array | BigInt64Array | Int16Array, shape: number[], dtype: string): H5Dataset {
    if (this.compression > 0) {
      const chunks = [Math.max(1, Math.min(shape[0], CHUNK_ROWS)), ...shape.slice(1)];
      return g.create_dataset({ name, data, shape, dtype, chunks, compression: 'gzip', compression_opts: this.compression });
    }
    return g.create_dataset({ name, data, shape, dtype });
  }
}

/** The attributes of a DynamicTable (or a subtype: Units, TimeIntervals). */
export function tableAttrs(g: H5Group, type: string, namespace: string, description: string, colnames: string[]): void {
  g.create_attribute('colnames', colnames);
  g.create_attribute('description', description);
  g.create_attribute('namespace', namespace);
  g.create_attribute('neurodata_type', type);
  g.create_attribute('object_id', randomUUID());
}

/** The attributes of a table column (VectorData, or a subtype). */
export function columnAttrs(ds: H5Dataset, description: string, neurodataType = 'VectorData'): void {
  ds.create_attribute('description', description);
  ds.create_attribute('namespace', HDMF);
  ds.create_attribute('neurodata_type', neurodataType);
  ds.create_attribute('object_id', randomUUID());
}

function flattenRows(rows: number[][][], width: number): { flat: number[]; ends: Float64Array; rows: number } {
  const flat: number[] = [];
  const ends = new Float64Array(rows.length);
  let n = 0;
  rows.forEach((r, i) => {
    for (const item of r) {
      if (item.length !== width) throw new Error(`trial ${i}: a row has ${item.length} values, expected ${width}`);
      flat.push(...item);
      n++;
    }
    ends[i] = n;
  });
  return { flat, ends, rows: n };
}

function smallestUint(max: number): IntDtype {
  return max <= 0xff ? '<B' : max <= 0xffff ? '<H' : '<I';
}

function indexArray(ends: Float64Array, dtype: IntDtype): Uint8Array | Uint16Array | Uint32Array | BigInt64Array {
  switch (dtype) {
    case '<B':
      return Uint8Array.from(ends);
    case '<H':
      return Uint16Array.from(ends);
    case '<I':
      return Uint32Array.from(ends);
    default:
      return BigInt64Array.from(ends, (v) => BigInt(v));
  }
}

export function toInt64(values: ArrayLike<number>, what: string): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v)) throw new Error(`${what}[${i}] = ${v} is not an integer (written as int64)`);
    out[i] = BigInt(v);
  }
  return out;
}

function toInt16(values: ArrayLike<number>, what: string): Int16Array {
  const out = new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new Error(`${what}[${i}] = ${v} does not fit int16`);
    out[i] = v;
  }
  return out;
}

function maxElectrode(units: McMazeUnits): number {
  let max = -1;
  for (const rows of units.electrodes) for (const e of rows) if (e > max) max = e;
  return max;
}

/** A table's `id` column (ElementIdentifiers, int64): explicit ids or 0..n-1. */
export function writeIds(g: H5Group, ids: number[] | number): H5Dataset {
  const data = typeof ids === 'number' ? BigInt64Array.from({ length: ids }, (_, i) => BigInt(i)) : toInt64(ids, `${g.path} id`);
  const ds = g.create_dataset({ name: 'id', data, dtype: '<q' });
  ds.create_attribute('namespace', HDMF);
  ds.create_attribute('neurodata_type', 'ElementIdentifiers');
  ds.create_attribute('object_id', randomUUID());
  return ds;
}

/**
 * A dataset written in pieces as rows come: chunked, resizable along rows, buffered so each
 * HDF5 write covers `bufferRows` rows. Memory stays at one buffer however many rows are written.
 * Numbers are float64 (`<d`), int64 (`<q`, given as numbers) or uint8 (`<B`).
 */
export class AppendableDataset {
  readonly dataset: H5Dataset;
  private readonly buffer: Float64Array | BigInt64Array | Uint8Array;
  private buffered = 0;
  /** Rows written to the file so far (flushed ones). */
  private written = 0;

  constructor(
    g: H5Group,
    name: string,
    private readonly dtype: '<d' | '<q' | '<B',
    /** Values per row: 1 for a column, 4 for x, y, vx, vy. */
    private readonly width = 1,
    private readonly bufferRows = 1 << 14,
    /** HDF5 allocates whole chunks: small enough that a short column does not cost much. */
    chunkRows = 1 << 12,
  ) {
    const empty = dtype === '<d' ? new Float64Array(0) : dtype === '<q' ? new BigInt64Array(0) : new Uint8Array(0);
    const shape = width === 1 ? [0] : [0, width];
    const maxshape = width === 1 ? [null] : [null, width];
    const chunks = width === 1 ? [chunkRows] : [chunkRows, width];
    this.dataset = g.create_dataset({ name, data: empty, shape, maxshape, chunks, dtype });
    const n = bufferRows * width;
    this.buffer = dtype === '<d' ? new Float64Array(n) : dtype === '<q' ? new BigInt64Array(n) : new Uint8Array(n);
  }

  get rows(): number {
    return this.written + this.buffered;
  }

  /** Appends one row of `width` values. */
  push(...values: number[]): void {
    this.pushRow(values);
  }

  pushRow(values: ArrayLike<number>): void {
    const w = this.width;
    const at = this.buffered * w;
    if (this.buffer instanceof BigInt64Array) for (let i = 0; i < w; i++) this.buffer[at + i] = BigInt(values[i]);
    else for (let i = 0; i < w; i++) this.buffer[at + i] = values[i];
    if (++this.buffered === this.bufferRows) this.flush();
  }

  /** Writes the buffered rows (call once more at the end). */
  flush(): void {
    if (this.buffered === 0) return;
    const from = this.written;
    const to = from + this.buffered;
    this.dataset.resize(this.width === 1 ? [to] : [to, this.width]);
    const data = this.buffer.subarray(0, this.buffered * this.width);
    this.dataset.write_slice(this.width === 1 ? [[from, to]] : [[from, to], []], data);
    this.written = to;
    this.buffered = 0;
  }
}

/** Shape errors caught before any file is created. */
function checkRecording(rec: McMazeRecording): void {
  const u = rec.units;
  const n = u.ids.length;
  for (const [name, len] of [
    ['spikeTimes', u.spikeTimes.length],
    ['heldout', u.heldout.length],
    ['obsIntervals', u.obsIntervals.length],
    ['electrodes', u.electrodes.length],
  ] as const) {
    if (len !== n) throw new Error(`units.${name} has ${len} entries for ${n} unit ids`);
  }
  if (rec.trials) {
    const t = rec.trials;
    const rows = t.start_time.length;
    for (const [k, v] of Object.entries(t)) {
      if ((v as ArrayLike<unknown>).length !== rows) throw new Error(`trials.${k} has ${(v as ArrayLike<unknown>).length} rows, start_time has ${rows}`);
    }
  }
  if (rec.behavior) {
    const b = rec.behavior;
    const n2 = b.timestamps.length * 2;
    for (const k of ['cursor_pos', 'eye_pos', 'hand_pos', 'hand_vel'] as const) {
      if (b[k].length !== n2) throw new Error(`behavior.${k} has ${b[k].length} values, expected ${n2} (2 per timestamp)`);
    }
  }
}
