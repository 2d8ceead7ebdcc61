/**
 * Features of the reference decoder: the spike counts of the last `history` bins, newest first.
 * Feature j·C + c is channel c's count j bins before the current one (j = 0 is the packet being
 * decoded), so the model can use the neurons' lead over the movement (motor cortex fires
 * 50–150 ms, i.e. 2–6 bins, before the velocity it encodes).
 *
 * Counts are sparse, so a window is handed out as a sparse row (the non-zero counts only).
 */
import type { SparseRow } from './ridge.ts';

export class SpikeHistory {
  /** Ring of the last `history` bins; null marks a bin that never arrived (a sequence gap). */
  private readonly bins: Array<Float64Array | null>;
  private newest = -1;
  private filled = 0;

  constructor(
    readonly channels: number,
    readonly history: number,
  ) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`channels must be a positive integer (got ${channels})`);
    if (!Number.isInteger(history) || history < 1) throw new Error(`history must be a positive integer (got ${history})`);
    this.bins = Array.from({ length: history }, () => null);
  }

  get features(): number {
    return this.channels * this.history;
  }

  /** Appends the newest bin's counts (length `channels`). */
  push(counts: ArrayLike<number>): void {
    if (counts.length !== this.channels) throw new Error(`expected ${this.channels} spike counts, got ${counts.length}`);
    this.newest = (this.newest + 1) % this.history;
    let bin = this.bins[this.newest];
    if (!bin) bin = this.bins[this.newest] = new Float64Array(this.channels);
    for (let c = 0; c < this.channels; c++) bin[c] = Number(counts[c]) || 0;
    this.filled = Math.min(this.history, this.filled + 1);
  }

  /** `n` bins went missing (a sequence gap): they count as unknown in every window they are in. */
  skip(n: number): void {
    for (let i = 0; i < Math.min(n, this.history); i++) {
      this.newest = (this.newest + 1) % this.history;
      this.bins[this.newest] = null;
    }
    this.filled = Math.min(this.history, this.filled + n);
  }

  /** Forgets everything (e.g. the sequence went backwards: another timeline). */
  reset(): void {
    this.bins.fill(null);
    this.newest = -1;
    this.filled = 0;
  }

  /** The bin `lag` bins ago, or null if it is missing or older than what has arrived. */
  private at(lag: number): Float64Array | null {
    if (lag >= this.filled) return null;
    return this.bins[(this.newest - lag + this.history) % this.history];
  }

  /** Every bin of the window arrived: the window can be a training sample. */
  get complete(): boolean {
    if (this.filled < this.history) return false;
    for (let j = 0; j < this.history; j++) if (!this.at(j)) return false;
    return true;
  }

  /** Lags (0 = newest) whose bin is missing. */
  missingLags(): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.history; j++) if (!this.at(j)) out.push(j);
    return out;
  }

  /** A reusable sparse row big enough for this window. */
  newRow(): SparseRow {
    return { idx: new Int32Array(this.features), val: new Float64Array(this.features), nnz: 0 };
  }

  /** Writes the window's non-zero counts into `row` (missing bins contribute nothing). */
  window(row: SparseRow): SparseRow {
    row.nnz = 0;
    const C = this.channels;
    for (let j = 0; j < this.history; j++) {
      const bin = this.at(j);
      if (!bin) continue;
      for (let c = 0; c < C; c++) {
        const v = bin[c];
        if (v !== 0) {
          row.idx[row.nnz] = j * C + c;
          row.val[row.nnz++] = v;
        }
      }
    }
    return row;
  }
}

/**
 * Training samples, packed in flat typed arrays (cheap to keep and to hand to a worker thread):
 * sample s has features idx/val[start[s] .. start[s+1]) and targets y[s·q .. (s+1)·q).
 */
export interface PackedSamples {
  p: number;
  q: number;
  n: number;
  start: Int32Array;
  idx: Int32Array;
  val: Float64Array;
  y: Float64Array;
}

export class SampleSet {
  n = 0;
  private start = new Int32Array(1024);
  private idx = new Int32Array(1 << 16);
  private val = new Float64Array(1 << 16);
  private y: Float64Array;

  constructor(
    readonly p: number,
    readonly q: number,
  ) {
    this.y = new Float64Array(1024 * q);
  }

  push(row: SparseRow, target: ArrayLike<number>): void {
    const used = this.start[this.n];
    if (this.n + 2 > this.start.length) {
      this.start = grow(this.start, this.start.length * 2);
      this.y = grow(this.y, this.y.length * 2);
    }
    if (used + row.nnz > this.idx.length) {
      const size = Math.max(this.idx.length * 2, used + row.nnz);
      this.idx = grow(this.idx, size);
      this.val = grow(this.val, size);
    }
    this.idx.set(row.idx.subarray(0, row.nnz), used);
    this.val.set(row.val.subarray(0, row.nnz), used);
    for (let k = 0; k < this.q; k++) this.y[this.n * this.q + k] = target[k];
    this.n++;
    this.start[this.n] = used + row.nnz;
  }

  /** A copy trimmed to size. */
  pack(): PackedSamples {
    const total = this.start[this.n];
    return {
      p: this.p,
      q: this.q,
      n: this.n,
      start: this.start.slice(0, this.n + 1),
      idx: this.idx.slice(0, total),
      val: this.val.slice(0, total),
      y: this.y.slice(0, this.n * this.q),
    };
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as { new (n: number): T })(size);
  b.set(a);
  return b;
}

/** Sample `s` of a packed set as a sparse row view (no copy). */
export function sampleRow(set: PackedSamples, s: number): SparseRow {
  const a = set.start[s];
  const b = set.start[s + 1];
  return { idx: set.idx.subarray(a, b), val: set.val.subarray(a, b), nnz: b - a };
}
