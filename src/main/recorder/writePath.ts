import { log } from '../common/log.ts';

/**
 * Where a recording's logs write. On the event loop while writes are quick: a local disk takes
 * half a second of lines into the page cache in tens of µs, less than the thread pool's hand-off
 * costs, and that hand-off wakes a second thread for every write, which on a busy 2-core machine
 * preempts the thread the stream runs on. A write slower than SLOW_WRITE_MS (a disk busy with a
 * journal commit, a slow stick, a network share) sends every log to the thread pool for
 * POOL_FOR_MS, twice as long after each further one (up to POOL_FOR_MAX_MS); a write slower than
 * HUNG_WRITE_MS, for good. Ordinary ext4 delays a few writes by 2–9 ms now and then (journal
 * commits; on the benchmarks' VM up to three in a few minutes): those cost a few slow writes,
 * not the rest of the run in the pool. A disk that is always slow holds the stream up about
 * eight times in its first hour, then once an hour. (A
 * disk that hangs outright holds up the write in hand for as long as it hangs: the recordings
 * root belongs on a local disk, as the README says.)
 */
export const SLOW_WRITE_MS = 2;
export const HUNG_WRITE_MS = 100;
export const POOL_FOR_MS = 30_000;
export const POOL_FOR_MAX_MS = 3_600_000;

export class WritePath {
  private slowWrites = 0;
  private hung = false;
  private poolUntil = -Infinity;
  /** Event-loop writes since the last `takeStats`: how many, how many over 1 ms, the slowest (ms). */
  private stats = { count: 0, over1ms: 0, maxMs: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether the next write goes on the event loop. */
  get onEventLoop(): boolean {
    return !this.hung && this.now() >= this.poolUntil;
  }

  /** A write made on the event loop took `ms`. */
  wrote(ms: number, file: string, bytes: number): void {
    const s = this.stats;
    s.count++;
    if (ms > 1) s.over1ms++;
    if (ms > s.maxMs) s.maxMs = ms;
    if (ms <= SLOW_WRITE_MS) return;
    this.hung ||= ms > HUNG_WRITE_MS;
    const poolForMs = Math.min(POOL_FOR_MS * 2 ** this.slowWrites++, POOL_FOR_MAX_MS);
    this.poolUntil = this.now() + poolForMs;
    log.warn('recording_writes_slow', {
      file,
      bytes,
      write_ms: Math.round(ms * 10) / 10,
      logs_write: this.hung ? 'through the thread pool from now on' : `through the thread pool for ${poolForMs / 1000} s`,
    });
  }

  /** What the event-loop writes have cost since the last call (benchmarks). */
  takeStats(): { count: number; over1ms: number; maxMs: number } {
    const taken = this.stats;
    this.stats = { count: 0, over1ms: 0, maxMs: 0 };
    return taken;
  }
}

/** The process's: every recording's logs share one disk's verdict. */
export const writePath = new WritePath();
