/**
 * Fixed-capacity rings of Float64 samples for the live plots.
 *
 * Every array is allocated once (per window size); a packet writes one slot per series and
 * advances the shared head, so streaming at any speed allocates nothing. Missing values are
 * NaN (a bin without a behaviour sample), which the plots draw as "no point".
 */
export class SeriesRing {
  readonly series: Float64Array[];
  private head = 0;
  private filled = 0;
  private total = 0;

  constructor(
    numSeries: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
    this.series = Array.from({ length: numSeries }, () => new Float64Array(capacity).fill(NaN));
  }

  /** Samples currently held (≤ capacity). */
  get count(): number {
    return this.filled;
  }

  /** Samples ever pushed since the last clear (monotonic). */
  get written(): number {
    return this.total;
  }

  /** The slot the next sample goes to: write `series[k][slot]` for each k, then `commit()`. */
  get slot(): number {
    return this.head;
  }

  commit(): void {
    this.head = (this.head + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    this.total++;
  }

  /** Overwrites series k's newest sample (a sample that is still being updated); nothing if empty. */
  setNewest(k: number, value: number): void {
    if (this.filled === 0) return;
    this.series[k][(this.head - 1 + this.capacity) % this.capacity] = value;
  }

  /** Convenience for tests and small rings; allocation-free callers use `slot` + `commit`. */
  push(...values: number[]): void {
    const s = this.head;
    for (let k = 0; k < this.series.length; k++) this.series[k][s] = values[k] ?? NaN;
    this.commit();
  }

  /** Series k, `age` samples back (0 = newest); NaN if not held. */
  at(k: number, age: number): number {
    if (age < 0 || age >= this.filled) return NaN;
    const i = (this.head - 1 - age + this.capacity * 2) % this.capacity;
    return this.series[k][i];
  }

  /**
   * Copies series k oldest → newest into `out` (length = capacity), right-aligned: the newest
   * sample lands in the last element and slots not yet filled are NaN. This is what a chart
   * with a fixed "seconds ago" x axis wants.
   */
  copyOrdered(k: number, out: Float64Array): Float64Array {
    if (out.length !== this.capacity) throw new RangeError(`out must have length ${this.capacity}`);
    const src = this.series[k];
    const pad = this.capacity - this.filled;
    if (pad > 0) out.fill(NaN, 0, pad);
    // The oldest held sample sits at head when full, at 0 while filling.
    const start = this.filled === this.capacity ? this.head : 0;
    // Plain loops, not subarray(): no view objects per frame.
    let o = pad;
    for (let i = start; i < this.capacity && o < this.capacity; i++) out[o++] = src[i];
    for (let i = 0; o < this.capacity; i++) out[o++] = src[i];
    return out;
  }

  /** Largest |value| of series k over the held samples (NaN ignored); 0 if none. */
  maxAbs(k: number): number {
    const src = this.series[k];
    let m = 0;
    for (let i = 0; i < this.capacity; i++) {
      const v = src[i];
      if (v > m) m = v;
      else if (-v > m) m = -v;
    }
    return m;
  }

  /** Largest value of series k over the held samples (NaN ignored); 0 if none. */
  max(k: number): number {
    const src = this.series[k];
    let m = 0;
    for (let i = 0; i < this.capacity; i++) if (src[i] > m) m = src[i];
    return m;
  }

  clear(): void {
    for (const s of this.series) s.fill(NaN);
    this.head = 0;
    this.filled = 0;
    this.total = 0;
  }
}
