import { binOf } from '../../shared/bins.ts';

/**
 * The recording kept in memory: one compact representation at a fine base width, from which a
 * bin of any stream width that is a multiple of it is derived when a packet is built.
 *
 * 5 ms divides every width a session may stream at (5, 10, 20, 25, 50 ms), so memory does not
 * multiply with widths: a W ms bin k is base bins [k·W/5, (k+1)·W/5). Base bin b covers
 * [b·5 ms, (b+1)·5 ms) by the same rule as any bin (`binOf(t, BASE_BIN_US)`), and since
 * floor(floor(µs / 5000) / f) = floor(µs / (5000·f)), a bin derived from base bins holds exactly
 * the spikes and samples the bin rule gives it directly.
 *
 * - Spikes: per base bin, the units that spiked (CSR: `offsets` + unit indices). Full MC_Maze
 *   (3.6 M spikes, 1.08 M base bins): 4.3 + 7.3 MB, where a dense Uint16 per 5 ms bin would be 390 MB.
 * - Behaviour: per base bin, the sums of the finite samples and their count, so a bin's mean
 *   at any width is Σ sums / Σ counts over its base bins (about 19 MB per 2-column series for full).
 */
export const BASE_BIN_US = 5000;

/** Base bins per bin of `widthUs` (a whole multiple of the base width). */
export function baseBinsPer(widthUs: number): number {
  const f = widthUs / BASE_BIN_US;
  if (!Number.isInteger(f) || f < 1) throw new RangeError(`bin width ${widthUs} µs is not a multiple of the ${BASE_BIN_US} µs base bin`);
  return f;
}

/** Anything counts can be written into by index: number[] for the wire, typed arrays elsewhere. */
export interface CountSink {
  [index: number]: number;
}

export interface BaseRecording {
  /** Width of one base bin, µs. */
  readonly binUs: number;
  /** Whole base bins in the recording: binCount(durationSeconds, binUs). */
  readonly numBins: number;
  readonly spikes: SpikeBase;
  /** null when the file has no position series. */
  readonly position: SeriesBase | null;
  /** null when there is neither a velocity series nor a position to differentiate. */
  readonly velocity: SeriesBase | null;
}

/** Bytes held by a base recording's arrays (what the dataset costs in memory, trials aside). */
export function baseBytes(base: BaseRecording): number {
  return base.spikes.byteLength + (base.position?.byteLength ?? 0) + (base.velocity?.byteLength ?? 0);
}

// ------------------------------------------------------------------ spikes

/**
 * Spikes per base bin, compressed sparse rows: base bin b's spikes are
 * `units[offsets[b] .. offsets[b+1])`, one entry per spike (a unit that fires twice in a bin
 * appears twice), in increasing unit order. Spikes at or after the last base bin are not kept.
 */
export class SpikeBase {
  constructor(
    readonly numUnits: number,
    /** numBins + 1 offsets into `units`. */
    readonly offsets: Uint32Array,
    readonly units: Uint16Array | Uint32Array,
  ) {}

  get numBins(): number {
    return this.offsets.length - 1;
  }

  /** Spikes in base bins [0, b). */
  spikesBefore(b: number): number {
    return this.offsets[b];
  }

  /** Spike counts per unit over base bins [from, to) into out[0 .. numUnits), overwriting. Exact. */
  countsInto(from: number, to: number, out: CountSink): void {
    const n = this.numUnits;
    for (let u = 0; u < n; u++) out[u] = 0;
    const units = this.units;
    const end = this.offsets[to];
    for (let i = this.offsets[from]; i < end; i++) out[units[i]]++;
  }

  get byteLength(): number {
    return this.offsets.byteLength + this.units.byteLength;
  }
}

/** Base bins per window of the CSR build: a window's offsets and spikes stay in cache. */
const SPIKE_WINDOW = 4096;

/** Largest base index a spike can have in `baseOfSpike`; later spikes are clamped to it (outside any stream). */
export const BASE_INDEX_MAX = 0xffffffff;

/** A spike time's base bin for `baseOfSpike`: clamped to [0, BASE_INDEX_MAX] (times are validated ≥ 0 by the reader). */
export function baseIndexOf(t: number): number {
  const b = binOf(t, BASE_BIN_US);
  return b < BASE_INDEX_MAX ? b : BASE_INDEX_MAX;
}

/**
 * Builds the CSR from every spike's base bin, unit after unit (unit u's spikes are
 * `baseOfSpike[ends[u-1] .. ends[u])`, as NWB stores them). Sorts each unit's run in place when
 * it is not in order. Spikes in base bins >= numBins are left out.
 *
 * Filling bin after bin unit by unit would touch a new cache line for nearly every spike; the
 * build walks windows of base bins instead, with one cursor per unit (which needs each unit's
 * run sorted), counting in one pass and placing in a second.
 */
export function buildSpikeBase(baseOfSpike: Uint32Array, ends: ArrayLike<number>, numBins: number): SpikeBase {
  const n = ends.length;
  const starts = new Float64Array(n);
  for (let u = 0; u < n; u++) {
    const s = u === 0 ? 0 : ends[u - 1];
    starts[u] = s;
    const run = baseOfSpike.subarray(s, ends[u]);
    if (!isSorted(run)) run.sort();
  }
  const offsets = new Uint32Array(numBins + 1);
  const cursor = new Float64Array(n);

  // Pass 1: spikes per base bin, at offsets[b + 1].
  cursor.set(starts);
  for (let w0 = 0; w0 < numBins; w0 += SPIKE_WINDOW) countWindow(baseOfSpike, ends, cursor, Math.min(numBins, w0 + SPIKE_WINDOW), offsets);
  prefixSum(offsets);

  // Pass 2: place each spike's unit; units visited in order, so each bin's units come sorted.
  const units = n <= 0x10000 ? new Uint16Array(offsets[numBins]) : new Uint32Array(offsets[numBins]);
  const fill = new Uint32Array(SPIKE_WINDOW);
  cursor.set(starts);
  for (let w0 = 0; w0 < numBins; w0 += SPIKE_WINDOW) {
    const w1 = Math.min(numBins, w0 + SPIKE_WINDOW);
    fill.set(offsets.subarray(w0, w1));
    fillWindow(baseOfSpike, ends, cursor, w0, w1, fill, units);
  }
  return new SpikeBase(n, offsets, units);
}

/** Running totals in place: a[i] += a[i - 1]. */
function prefixSum(a: Uint32Array): void {
  for (let i = 1; i < a.length; i++) a[i] += a[i - 1];
}

/** Counts each unit's spikes before base bin w1 (from its cursor on) into offsets[b + 1], advancing the cursors. */
function countWindow(baseOfSpike: Uint32Array, ends: ArrayLike<number>, cursor: Float64Array, w1: number, offsets: Uint32Array): void {
  for (let u = 0; u < cursor.length; u++) {
    let i = cursor[u];
    const end = ends[u];
    while (i < end) {
      const b = baseOfSpike[i];
      if (b >= w1) break;
      offsets[b + 1]++;
      i++;
    }
    cursor[u] = i;
  }
}

/** Places each unit's spikes of base bins [w0, w1) at fill[b - w0] in `units`, advancing fill and the cursors. */
function fillWindow(
  baseOfSpike: Uint32Array,
  ends: ArrayLike<number>,
  cursor: Float64Array,
  w0: number,
  w1: number,
  fill: Uint32Array,
  units: Uint16Array | Uint32Array,
): void {
  for (let u = 0; u < cursor.length; u++) {
    let i = cursor[u];
    const end = ends[u];
    while (i < end) {
      const b = baseOfSpike[i];
      if (b >= w1) break;
      units[fill[b - w0]++] = u;
      i++;
    }
    cursor[u] = i;
  }
}

function isSorted(a: Uint32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return false;
  return true;
}

// ------------------------------------------------------------------ behaviour

/**
 * One behaviour series per base bin: the sums of its first one or two columns over the samples
 * whose every coordinate is finite, and how many such samples there were.
 */
export class SeriesBase {
  constructor(
    /** What fed it, e.g. `cursor_pos`, `hand_vel`, `finite difference of hand_pos`. */
    readonly source: string,
    readonly sumA: Float64Array,
    /** null for a one-column series (its second field is then always NaN). */
    readonly sumB: Float64Array | null,
    readonly count: Uint16Array | Uint32Array,
  ) {}

  /**
   * Means over base bins [from, to) into out[0] (first column) and out[1] (second column);
   * NaN where there is no finite sample, and out[1] NaN for a one-column series.
   */
  meanInto(from: number, to: number, out: Float64Array): void {
    let a = 0;
    let b = 0;
    let c = 0;
    const { sumA, sumB, count } = this;
    for (let i = from; i < to; i++) {
      c += count[i];
      a += sumA[i];
      if (sumB) b += sumB[i];
    }
    out[0] = c > 0 ? a / c : NaN;
    out[1] = c > 0 && sumB ? b / c : NaN;
  }

  get byteLength(): number {
    return this.sumA.byteLength + (this.sumB?.byteLength ?? 0) + this.count.byteLength;
  }
}

/** Sums samples into base bins, chunk by chunk, in time order. */
export class SeriesAccumulator {
  private readonly sumA: Float64Array;
  private readonly sumB: Float64Array | null;
  private count: Uint16Array | Uint32Array;

  constructor(
    readonly numBins: number,
    readonly columns: 1 | 2,
  ) {
    this.sumA = new Float64Array(numBins);
    this.sumB = columns === 2 ? new Float64Array(numBins) : null;
    this.count = new Uint16Array(numBins);
  }

  /**
   * Adds samples i in [from, to): base bin `bins[i]` (skipped when outside [0, numBins)),
   * values data[i·stride] and, for two columns, data[i·stride + 1]. A sample counts only when
   * every coordinate is finite (x without y is not a position). Samples come in time order, so
   * a base bin's samples are consecutive: they are summed in locals and stored once per bin.
   */
  add(bins: Float64Array, data: Float64Array, stride: number, from: number, to: number): void {
    const twoColumns = this.sumB !== null;
    let k = -1;
    let a = 0;
    let b = 0;
    let c = 0;
    // One step past the end stores the last run: all the work stays inside the loop, which is
    // where V8 optimises it (code after an OSR-compiled loop would be deoptimised on every call).
    for (let i = from; i <= to; i++) {
      const bin = i < to ? bins[i] : NaN;
      if (bin !== k) {
        if (c > 0) this.store(k, a, b, c);
        if (i === to) break;
        k = bin;
        a = 0;
        b = 0;
        c = 0;
      }
      const x = data[i * stride];
      const y = twoColumns ? data[i * stride + 1] : 0;
      if (Number.isFinite(x) && Number.isFinite(y)) {
        a += x;
        b += y;
        c++;
      }
    }
  }

  private store(k: number, a: number, b: number, c: number): void {
    if (!(k >= 0 && k < this.numBins)) return;
    this.sumA[k] += a;
    if (this.sumB) this.sumB[k] += b;
    let count = this.count;
    if (count[k] + c > 0xffff && count instanceof Uint16Array) count = this.count = Uint32Array.from(count);
    count[k] += c;
  }

  finish(source: string): SeriesBase {
    return new SeriesBase(source, this.sumA, this.sumB, this.count);
  }
}
