/**
 * The spike raster's pixels: one column per `binsPerColumn` bins (one 25 ms bin at the default
 * width), one row per channel, kept as a ring of RGBA pixels in ImageData layout (row-major,
 * `columns` wide). The view uploads only the columns written since its last frame
 * (`dirtySpans`) and blits the ring to the screen in two parts (`blitParts`), oldest on the left.
 * Nothing here touches the DOM, so the column logic is tested in plain Node.
 *
 * Narrow bins share a column: a 5 ms session's five bins make one 25 ms column (their counts
 * summed), so the raster holds as many columns a second as at 25 ms — a 10 s window still fits
 * its ~400 columns in the plot's ~700 px, instead of 2000 columns of which the scaled blit would
 * drop more than half (and different ones every frame: spikes would flicker). The column being
 * filled is drawn as it fills (`partial`), so the newest spike shows at once.
 */

/** Packs r, g, b, a (0–255) into one little-endian RGBA pixel for a Uint32Array view. */
export function rgba(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export interface RasterPalette {
  /** Colour for a count of 0, 1, 2, … (the last entry is used for anything larger). */
  counts: number[];
  /** Empty cell in the first column of a new trial: a faint vertical line marks trial starts. */
  boundary: number;
  /** Empty cell outside any trial (inter-trial interval). */
  outside: number;
}

export const DEFAULT_PALETTE: RasterPalette = {
  counts: [rgba(7, 10, 15), rgba(86, 180, 233), rgba(170, 225, 255), rgba(255, 255, 255)],
  boundary: rgba(70, 84, 102),
  outside: rgba(16, 20, 27),
};

export class RasterRing {
  readonly pixels: Uint32Array<ArrayBuffer>;
  private head = 0;
  private filled = 0;
  private total = 0;
  private lastTrial: number | null = null;
  /** Bins written into the newest column so far (0: the next bin starts a column). */
  private binInColumn = 0;
  /** The newest column's summed counts and the empty-cell colour it has so far. */
  private readonly sums: Int32Array;
  private columnEmpty = 0;
  /** Bins ever written since the last clear (monotonic): changes even when a column only fills. */
  private bins = 0;

  constructor(
    readonly columns: number,
    readonly channels: number,
    private readonly palette: RasterPalette = DEFAULT_PALETTE,
    /** Bins summed into one column (1: a column per bin). */
    readonly binsPerColumn = 1,
  ) {
    if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns must be a positive integer (got ${columns})`);
    if (!Number.isInteger(channels) || channels < 0) throw new RangeError(`channels must be an integer ≥ 0 (got ${channels})`);
    if (!Number.isInteger(binsPerColumn) || binsPerColumn < 1) throw new RangeError(`binsPerColumn must be a positive integer (got ${binsPerColumn})`);
    this.pixels = new Uint32Array(columns * Math.max(1, channels));
    this.pixels.fill(palette.counts[0]);
    this.sums = new Int32Array(Math.max(1, channels));
  }

  /** Column the next packet goes to; also the oldest column once the ring is full. */
  get nextColumn(): number {
    return this.head;
  }

  get count(): number {
    return this.filled;
  }

  /** Columns ever started since the last clear (monotonic): the view's "drawn up to" mark. */
  get written(): number {
    return this.total;
  }

  /** Bins ever written since the last clear (monotonic): the newest column may change without `written` changing. */
  get binsWritten(): number {
    return this.bins;
  }

  /** The newest column still takes bins: a view that drew it must upload it again when it changes. */
  get partial(): boolean {
    return this.binInColumn !== 0;
  }

  /**
   * Writes one bin: a column of its own, or added to the newest column until `binsPerColumn`
   * bins are in it. A trial start anywhere in the column marks it; it is "between trials" only
   * if every bin in it is.
   */
  writeBin(counts: ArrayLike<number>, trialId: number | null): void {
    if (this.binsPerColumn === 1) {
      this.writeColumn(counts, trialId);
      return;
    }
    const { counts: colours, boundary, outside } = this.palette;
    const empty = trialId === null ? outside : trialId !== this.lastTrial ? boundary : colours[0];
    this.lastTrial = trialId;
    const n = Math.min(this.channels, counts.length);
    const sums = this.sums;
    let col: number;
    if (this.binInColumn === 0) {
      col = this.head;
      for (let ch = 0; ch < n; ch++) sums[ch] = counts[ch];
      for (let ch = n; ch < this.channels; ch++) sums[ch] = 0;
      this.columnEmpty = empty;
      this.head = (col + 1) % this.columns;
      if (this.filled < this.columns) this.filled++;
      this.total++;
    } else {
      col = (this.head - 1 + this.columns) % this.columns;
      for (let ch = 0; ch < n; ch++) sums[ch] += counts[ch];
      // A trial start wins; "between trials" gives way to a trial.
      if (empty === boundary || this.columnEmpty === outside) this.columnEmpty = empty;
    }
    this.paint(col, sums, this.channels, this.columnEmpty);
    this.binInColumn = (this.binInColumn + 1) % this.binsPerColumn;
    this.bins++;
  }

  /** A bin the stream never delivered (packet loss): no spikes, in the trial of the last one. */
  writeLostBin(): void {
    this.writeBin(NO_COUNTS, this.lastTrial);
  }

  /**
   * Writes one bin. `trialId` marks trial starts (a change to a non-null trial) and
   * inter-trial gaps (null) in the empty cells, so trial structure shows in the raster.
   */
  writeColumn(counts: ArrayLike<number>, trialId: number | null): void {
    const { counts: colours, boundary, outside } = this.palette;
    const empty = trialId === null ? outside : trialId !== this.lastTrial ? boundary : colours[0];
    this.lastTrial = trialId;
    const col = this.head;
    this.paint(col, counts, Math.min(this.channels, counts.length), empty);
    this.head = (col + 1) % this.columns;
    if (this.filled < this.columns) this.filled++;
    this.total++;
    this.bins++;
    this.binInColumn = 0;
  }

  clear(): void {
    this.pixels.fill(this.palette.counts[0]);
    this.head = 0;
    this.filled = 0;
    this.total = 0;
    this.bins = 0;
    this.binInColumn = 0;
    this.lastTrial = null;
  }

  /** Column `col`'s pixels from `n` counts (channels past them are empty). */
  private paint(col: number, counts: ArrayLike<number>, n: number, empty: number): void {
    const colours = this.palette.counts;
    const last = colours.length - 1;
    const w = this.columns;
    const px = this.pixels;
    for (let ch = 0; ch < n; ch++) {
      const c = counts[ch];
      px[ch * w + col] = c <= 0 ? empty : colours[c < last ? c : last];
    }
    for (let ch = n; ch < this.channels; ch++) px[ch * w + col] = empty;
  }
}

const NO_COUNTS: ArrayLike<number> = { length: 0 };

/**
 * Which ring columns changed between `drawnUpTo` and `written` (both monotonic counts):
 * at most two spans because of the wrap. Writes [start0, len0, start1, len1] into `out`
 * (len 0 = unused) and returns the number of spans; every column when more than a full ring
 * was written since.
 */
export function dirtySpans(drawnUpTo: number, written: number, columns: number, out: Int32Array): number {
  out.fill(0);
  const n = Math.min(written - drawnUpTo, columns);
  if (n <= 0) return 0;
  if (n === columns) {
    out[0] = 0;
    out[1] = columns;
    return 1;
  }
  const start = (written - n) % columns;
  const firstLen = Math.min(n, columns - start);
  out[0] = start;
  out[1] = firstLen;
  if (firstLen === n) return 1;
  out[2] = 0;
  out[3] = n - firstLen;
  return 2;
}

/**
 * How to blit the ring so the oldest column is on the left and the newest on the right:
 * ring columns [oldest, columns) go first, then [0, oldest). Until the ring is full the
 * written columns are [0, count) and are drawn right-aligned (the left stays empty), like the
 * charts' NaN padding. Returns [srcStart0, len0, dstCol0, srcStart1, len1, dstCol1] in columns.
 */
export function blitParts(nextColumn: number, count: number, columns: number, out: Int32Array): Int32Array {
  out.fill(0);
  if (count < columns) {
    out[0] = 0;
    out[1] = count;
    out[2] = columns - count;
    return out;
  }
  out[0] = nextColumn;
  out[1] = columns - nextColumn;
  out[2] = 0;
  out[3] = 0;
  out[4] = nextColumn;
  out[5] = columns - nextColumn;
  return out;
}
