/**
 * What a session sent recently: for each sequence number, the bin it carried and when its tick
 * sent it (monotonic ms). Decoders' predictions join here by `sequence_number`, as BRAND's
 * `i_in` echoes `i`. A ring: recording and lookup are O(1) and allocate nothing.
 */
export class SentLog {
  /** 8192 packets: 205 s at 40 Hz, 41 s at 200 Hz. */
  static readonly CAPACITY = 8192;
  private readonly seqs = new Float64Array(SentLog.CAPACITY).fill(-1);
  private readonly bins = new Int32Array(SentLog.CAPACITY);
  private readonly sentAt = new Float64Array(SentLog.CAPACITY);
  /** Sequence number of the latest packet sent; -1 before the first. */
  last = -1;

  record(seq: number, bin: number, sentAtMs: number): void {
    const slot = seq % SentLog.CAPACITY;
    this.seqs[slot] = seq;
    this.bins[slot] = bin;
    this.sentAt[slot] = sentAtMs;
    // Held packets (jitter) are recorded when they go out, after a later one may have been lost.
    if (seq > this.last) this.last = seq;
  }

  /** A packet lost on purpose (a perturbation): its sequence number is a gap nobody received. */
  recordLost(seq: number): void {
    this.record(seq, -1, NaN);
  }

  /** Was the packet in this slot lost rather than sent? */
  isLost(slot: number): boolean {
    return this.bins[slot] < 0;
  }

  /** Has `seq` left the log (overwritten by packets CAPACITY later)? */
  hasForgotten(seq: number): boolean {
    return seq <= this.last - SentLog.CAPACITY;
  }

  /** The slot that holds `seq`, or -1 when it was never sent or has left the log. */
  slotOf(seq: number): number {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.last) return -1;
    const slot = seq % SentLog.CAPACITY;
    return this.seqs[slot] === seq ? slot : -1;
  }

  binAt(slot: number): number {
    return this.bins[slot];
  }

  sentAtMs(slot: number): number {
    return this.sentAt[slot];
  }

  /** Forgets every entry (the dataset changed: old bins mean nothing now). */
  clear(): void {
    this.seqs.fill(-1);
  }
}
