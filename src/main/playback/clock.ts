import { performance } from 'node:perf_hooks';
import { BIN_MS } from '../../shared/wire.ts';

/**
 * A drift-free packet clock: packet n of a run is due at `anchor + n · 25 ms / speed`.
 *
 * Deadlines are absolute, never accumulated sleeps, so timer lateness never adds up
 * (setInterval(25) falls ~0.3 ms behind per tick on these machines). setTimeout wakes us a
 * little before the deadline (it can also fire up to ~1.5 ms early), then setImmediate polls
 * the last stretch so the packet leaves close to its deadline without burning a core.
 */
export interface ClockTick {
  /** Packet index within the current run (since the last anchor). */
  n: number;
  /** When the packet was due, `performance.now()` milliseconds. */
  dueMs: number;
  /** When the clock fired, `performance.now()` milliseconds. */
  firedMs: number;
}

export interface PacketClockOptions {
  /** Wake this many ms before a deadline and poll the rest. Default 2. */
  spinMs?: number;
  /** Behind by more than this (e.g. after a suspended laptop), re-anchor instead of bursting. Default 1000. */
  maxCatchUpMs?: number;
  now?: () => number;
}

export class PacketClock {
  private anchorMs = 0;
  private n = 0;
  private speed = 1;
  private running = false;
  private timeout: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly spinMs: number;
  private readonly maxCatchUpMs: number;
  private readonly now: () => number;
  /** Times the clock gave up catching up and re-anchored. */
  reanchors = 0;

  constructor(
    private readonly onTick: (tick: ClockTick) => void,
    opts: PacketClockOptions = {},
  ) {
    this.spinMs = opts.spinMs ?? 2;
    this.maxCatchUpMs = opts.maxCatchUpMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  get isRunning(): boolean {
    return this.running;
  }

  get periodMs(): number {
    return BIN_MS / this.speed;
  }

  /** Starts a run: the first packet is due now. Resuming after a pause starts a new run (no catch-up burst). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchorMs = this.now();
    this.n = 0;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.clearTimers();
  }

  /** Changes the packet rate from the next packet on: re-anchors at the next deadline. */
  setSpeed(speed: number): void {
    if (speed === this.speed) return;
    if (this.running) {
      const nextDue = this.dueMs(this.n);
      this.speed = speed;
      this.anchorMs = nextDue;
      this.n = 0;
      this.clearTimers();
      this.schedule();
    } else {
      this.speed = speed;
    }
  }

  private dueMs(n: number): number {
    return this.anchorMs + (n * BIN_MS) / this.speed;
  }

  private clearTimers(): void {
    if (this.timeout) clearTimeout(this.timeout);
    if (this.immediate) clearImmediate(this.immediate);
    this.timeout = null;
    this.immediate = null;
  }

  private schedule(): void {
    this.clearTimers();
    if (!this.running) return;
    const wait = this.dueMs(this.n) - this.now() - this.spinMs;
    if (wait > 0) this.timeout = setTimeout(this.wake, wait);
    else this.immediate = setImmediate(this.wake);
  }

  private readonly wake = (): void => {
    this.timeout = null;
    this.immediate = null;
    if (!this.running) return;
    let now = this.now();
    const due = this.dueMs(this.n);
    if (now < due) {
      // Close to the deadline: poll without blocking I/O.
      if (due - now > this.spinMs) this.schedule();
      else this.immediate = setImmediate(this.wake);
      return;
    }
    if (now - due > this.maxCatchUpMs) {
      // The process was stalled for long: start a new run instead of a burst of stale packets.
      this.reanchors++;
      this.anchorMs = now;
      this.n = 0;
    }
    // Send every packet that is due (normally one; a short stall sends the missed ones back to back,
    // so a decoder sees every bin in order and the stream does not drift).
    while (this.running && this.dueMs(this.n) <= now) {
      const tick: ClockTick = { n: this.n, dueMs: this.dueMs(this.n), firedMs: now };
      this.n++;
      this.onTick(tick);
      now = this.now();
    }
    this.schedule();
  };
}
