import { FREQUENCY_HZ } from '../../../shared/bins.ts';

/**
 * Spreads coalesced packet batches back out over time.
 *
 * The host delivers the selected session's packets in batches (~20 a second, so 20× speed
 * does not flood the renderer). Drawing a whole batch at once would make the raster and the
 * traces jump 2 columns every 50 ms at 1×; the pacer releases packets at the session's own
 * rate (1000 / binMs × speed per second: 40 at the default 25 ms, 200 for a 5 ms session) on
 * each animation frame instead, so the plots scroll smoothly.
 * It never lets more than `maxLagMs` of packets wait: if the rate it was told is wrong (a speed
 * change not seen yet, clock drift) it catches up rather than falling behind.
 *
 * The queue is a fixed ring of references: no allocation per packet.
 */
export class PacketPacer<T> {
  private readonly queue: Array<T | undefined>;
  private head = 0;
  private size = 0;
  private credit = 0;
  private lastMs = -1;
  private ratePerS = FREQUENCY_HZ;

  constructor(
    readonly capacity = 8192,
    private readonly maxLagMs = 120,
  ) {
    this.queue = new Array<T | undefined>(capacity).fill(undefined);
  }

  get pending(): number {
    return this.size;
  }

  /** Packets per second the session plays at (1000 / binMs × speed); 40 when not positive. */
  setRate(packetsPerS: number): void {
    this.ratePerS = packetsPerS > 0 ? packetsPerS : FREQUENCY_HZ;
  }

  push(item: T): void {
    if (this.size === this.capacity) {
      // Far behind (a hidden tab at 20×): the oldest packet is dropped, the newest kept.
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    this.queue[(this.head + this.size) % this.capacity] = item;
    this.size++;
  }

  /** Releases the packets due at `nowMs` (a frame time) to `sink`; returns how many. */
  release(nowMs: number, sink: (item: T) => void): number {
    const dt = this.lastMs < 0 ? 0 : Math.min(Math.max(nowMs - this.lastMs, 0), 250);
    this.lastMs = nowMs;
    if (this.size === 0) {
      // Nothing waiting: no credit builds up, so the next batch is not dumped at once.
      this.credit = 0;
      return 0;
    }
    this.credit += (dt * this.ratePerS) / 1000;
    let n = Math.floor(this.credit);
    const maxHeld = Math.max(2, Math.ceil((this.ratePerS * this.maxLagMs) / 1000));
    if (this.size - n > maxHeld) n = this.size - maxHeld;
    if (n > this.size) n = this.size;
    this.credit = Math.max(0, this.credit - n);
    for (let i = 0; i < n; i++) sink(this.take());
    return n;
  }

  /** Releases everything now (playback paused or ended: nothing more is coming to pace). */
  drain(sink: (item: T) => void): number {
    const n = this.size;
    for (let i = 0; i < n; i++) sink(this.take());
    this.credit = 0;
    return n;
  }

  clear(): void {
    this.queue.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.credit = 0;
  }

  private take(): T {
    const item = this.queue[this.head] as T;
    this.queue[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return item;
  }
}
