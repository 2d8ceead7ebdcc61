/**
 * The spike raster's pixels: one column per 25 ms bin, one row per channel, kept as a ring
 * of RGBA pixels in ImageData layout (row-major, `columns` wide). A packet writes exactly one
 * column; the view uploads only the columns written since its last frame (`dirtySpans`) and
 * blits the ring to the screen in two parts (`blitParts`), oldest on the left. Nothing here
 * touches the DOM, so the column logic is tested in plain Node.
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

  constructor(
    readonly columns: number,
    readonly channels: number,
    private readonly palette: RasterPalette = DEFAULT_PALETTE,
  ) {
    if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns must be a positive integer (got ${columns})`);
    if (!Number.isInteger(channels) || channels < 0) throw new RangeError(`channels must be an integer ≥ 0 (got ${channels})`);
    this.pixels = new Uint32Array(columns * Math.max(1, channels));
    this.pixels.fill(palette.counts[0]);
  }

  /** Column the next packet goes to; also the oldest column once the ring is full. */
  get nextColumn(): number {
    return this.head;
  }

  get count(): number {
    return this.filled;
  }

  /** Columns ever written since the last clear (monotonic): the view's "drawn up to" mark. */
  get written(): number {
    return this.total;
  }

  /**
   * Writes one bin. `trialId` marks trial starts (a change to a non-null trial) and
   * inter-trial gaps (null) in the empty cells, so trial structure shows in the raster.
   */
  writeColumn(counts: ArrayLike<number>, trialId: number | null): void {
    const { counts: colours, boundary, outside } = this.palette;
    const last = colours.length - 1;
    const empty = trialId === null ? outside : trialId !== this.lastTrial ? boundary : colours[0];
    this.lastTrial = trialId;
    const col = this.head;
    const w = this.columns;
    const n = Math.min(this.channels, counts.length);
    const px = this.pixels;
    for (let ch = 0; ch < n; ch++) {
      const c = counts[ch];
      px[ch * w + col] = c <= 0 ? empty : colours[c < last ? c : last];
    }
    for (let ch = n; ch < this.channels; ch++) px[ch * w + col] = empty;
    this.head = (col + 1) % w;
    if (this.filled < w) this.filled++;
    this.total++;
  }

  clear(): void {
    this.pixels.fill(this.palette.counts[0]);
    this.head = 0;
    this.filled = 0;
    this.total = 0;
    this.lastTrial = null;
  }
}

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
