import { performance } from 'node:perf_hooks';
import { BIN_MS } from '../../shared/bins.ts';

/**
 * Drift-free packet clocks on one process-wide scheduler.
 *
 * Packet n of a run is due at `anchor + n · width / speed` (25 ms by default): absolute deadlines, never
 * accumulated sleeps, so timer lateness never adds up (setInterval(25) falls ~0.3 ms behind per
 * tick on these machines).
 *
 * Why one scheduler for every session (bench/results/clock.md): per-session timers that poll
 * the last stretch with setImmediate cost ~54 % of a core for 10 sessions started at different
 * moments, and their garbage adds GC pauses. Instead:
 * - runs are anchored on a shared grid: multiples of the period since the scheduler's epoch,
 *   offset by one of PHASES slots, so sessions share a few wake-ups per period instead of one
 *   each. A starting clock takes the least used slot: ten sessions wake the process five times
 *   per period, two at a time, instead of ten at once (every socket write is a syscall on one
 *   thread, ~9 µs; a burst of 100 writes would make the last session ~1 ms late);
 * - setTimeout wakes it ~2 ms early; it sleeps the rest in the kernel with Atomics.wait
 *   (no allocation, no polling) and spins only the last ~0.1 ms (realTime);
 * - all clocks due at a wake first prepare their packets (build + encode), then send them, in
 *   an order that rotates every wake so no session is always served last.
 * - work that comes in bursts between turns of the event loop (each decoder message) polls
 *   the scheduler, so a packet due meanwhile goes out then rather than after the burst.
 * Every tick goes through the event loop once before the scheduler blocks again, so socket
 * I/O keeps flowing even at 20× (1.25 ms periods).
 */
export interface ClockTick {
  /** Packet index within the current run (since the last anchor). */
  n: number;
  /** When the packet was due, `performance.now()` milliseconds. */
  dueMs: number;
  /** When the scheduler fired it, `performance.now()` milliseconds. */
  firedMs: number;
}

/** A tick prepares its packet and returns how to send it (or nothing to send). */
export type TickHandler = (tick: ClockTick) => (() => void) | void;

export interface PacketClockOptions {
  /** Width of a bin: a packet is due every binMs / speed. Default 25. */
  binMs?: number;
  /** Behind by more than this (e.g. after a suspended laptop), re-anchor instead of bursting. Default 1000. */
  maxCatchUpMs?: number;
  scheduler?: TickScheduler;
}

export class PacketClock {
  private anchorMs = 0;
  private n = 0;
  private speed = 1;
  private running = false;
  private slot = 0;
  private readonly maxCatchUpMs: number;
  private readonly scheduler: TickScheduler;
  private readonly binMs: number;
  /** Times the clock gave up catching up and re-anchored. */
  reanchors = 0;

  constructor(
    private readonly onTick: TickHandler,
    opts: PacketClockOptions = {},
  ) {
    this.maxCatchUpMs = opts.maxCatchUpMs ?? 1000;
    this.binMs = opts.binMs ?? BIN_MS;
    this.scheduler = opts.scheduler ?? TickScheduler.shared;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get periodMs(): number {
    return this.binMs / this.speed;
  }

  /** The scheduler's clock (performance.now() ms in production). */
  now(): number {
    return this.scheduler.now();
  }

  /** A timer on the scheduler's clock (for packets held back by jitter); returns a cancel. */
  setTimer(fn: () => void, ms: number): () => void {
    return this.scheduler.setTimer(fn, ms);
  }

  /** Fires every clock of its scheduler that is due now (see TickScheduler.poll). */
  pollDue(): void {
    this.scheduler.poll();
  }

  /** When the next packet is due (performance.now() ms); Infinity when stopped. */
  get nextDueMs(): number {
    return this.running ? this.anchorMs + this.n * this.periodMs : Infinity;
  }

  /**
   * Starts a run at the next grid point (within one period). Resuming after a pause starts a
   * new run: never a burst of the packets "missed" while paused.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.slot = this.scheduler.takeSlot();
    this.anchorMs = this.scheduler.nextGridPoint(this.scheduler.now(), this.periodMs, this.slot);
    this.n = 0;
    this.scheduler.add(this);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.scheduler.releaseSlot(this.slot);
    this.scheduler.remove(this);
  }

  /** Changes the packet rate from the next packet on (the run re-anchors on the new grid). */
  setSpeed(speed: number): void {
    if (speed === this.speed) return;
    const nextDue = this.nextDueMs;
    this.speed = speed;
    if (this.running) {
      this.anchorMs = this.scheduler.nextGridPoint(nextDue, this.periodMs, this.slot);
      this.n = 0;
      this.scheduler.changed();
    }
  }

  /**
   * Called by the scheduler when the next packet is due: returns the send step, or null.
   * A clock far behind (the process was stalled) re-anchors instead of bursting.
   */
  fire(now: number): (() => void) | null {
    if (!this.running) return null;
    const due = this.nextDueMs;
    if (now - due > this.maxCatchUpMs) {
      this.reanchors++;
      this.anchorMs = this.scheduler.nextGridPoint(now, this.periodMs, this.slot);
      this.n = 0;
      return null;
    }
    const tick: ClockTick = { n: this.n, dueMs: due, firedMs: now };
    this.n++;
    return this.onTick(tick) ?? null;
  }
}

/** poll() fires clocks due within this long: the spin at the end of realTime's precise wait. */
const POLL_AHEAD_MS = 0.1;

/** Phase slots per period (5 ms apart at 1×). */
export const PHASES = 5;

/**
 * What the scheduler needs from the world: a monotonic clock, a timer, and a precise wait.
 * Production uses performance.now(), setTimeout/setImmediate and Atomics.wait; tests inject a
 * manual clock (test/helpers/manualTime.ts) so packet counts do not depend on a busy machine.
 */
export interface SchedulerTime {
  now(): number;
  /** Calls `fn` after about `ms` (0: on the next turn of the event loop); returns a cancel. */
  setTimer(fn: () => void, ms: number): () => void;
  /** Blocks the thread until `now() >= t`. */
  waitUntil(t: number): void;
}

/**
 * setTimeout wakes the scheduler ~2 ms early (it can fire ~1.5 ms early or late); the rest is
 * slept in the kernel with Atomics.wait (no allocation, no polling) and the last ~0.1 ms spun:
 * a timed futex wake-up lands some tens of µs late (timer slack plus the wake itself). A longer
 * spin buys nothing at the tail and burns a core's worth of time at high packet rates, which on
 * a 2-core machine is taken from the decoders and makes the engine's thread the one preempted.
 */
export function realTime(spinMs = 0.1): SchedulerTime {
  // Atomics.wait on a private cell nobody notifies: a precise sleep that allocates nothing.
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  const now = () => performance.now();
  return {
    now,
    setTimer: (fn, ms) => {
      if (ms > 0) {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      }
      const i = setImmediate(fn);
      return () => clearImmediate(i);
    },
    waitUntil: (t) => {
      const left = t - now();
      if (left > spinMs) Atomics.wait(sleepCell, 0, 0, left - spinMs);
      while (now() < t) {
        // spin the last fraction of a millisecond
      }
    },
  };
}

/** The one scheduler every PacketClock of the process runs on. */
export class TickScheduler {
  static readonly shared = new TickScheduler();

  private readonly slotLoad = new Int32Array(PHASES);

  private readonly clocks = new Set<PacketClock>();
  private readonly epoch: number;
  private cancelTimer: (() => void) | null = null;
  /** The deadline the pending wake-up is for (Infinity: none). */
  private plannedFor = Infinity;
  private firing = false;
  private rotation = 0;
  private readonly due: PacketClock[] = [];
  private readonly sends: Array<() => void> = [];

  constructor(
    private readonly time: SchedulerTime = realTime(),
    /** The timer wakes the scheduler this long before the deadline; the rest is waited precisely. */
    private readonly wakeEarlyMs = 2,
  ) {
    this.epoch = this.now();
  }

  now(): number {
    return this.time.now();
  }

  setTimer(fn: () => void, ms: number): () => void {
    return this.time.setTimer(fn, ms);
  }

  /** The first grid point of `periodMs` in phase `slot` at or after `t`. */
  nextGridPoint(t: number, periodMs: number, slot = 0): number {
    const origin = this.epoch + (slot * periodMs) / PHASES;
    return origin + Math.ceil((t - origin) / periodMs - 1e-9) * periodMs;
  }

  /** The least used phase slot, for a clock that starts a run. */
  takeSlot(): number {
    let best = 0;
    for (let i = 1; i < PHASES; i++) if (this.slotLoad[i] < this.slotLoad[best]) best = i;
    this.slotLoad[best]++;
    return best;
  }

  releaseSlot(slot: number): void {
    if (this.slotLoad[slot] > 0) this.slotLoad[slot]--;
  }

  add(clock: PacketClock): void {
    this.clocks.add(clock);
    this.changed();
  }

  remove(clock: PacketClock): void {
    this.clocks.delete(clock);
    if (this.clocks.size === 0) this.cancel();
  }

  /** A clock's next deadline moved: re-plan the wake-up. */
  changed(): void {
    this.cancel();
    this.plan();
  }

  private cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.plannedFor = Infinity;
  }

  /**
   * Fires the due clocks now if the next deadline has come (within the last spin of the
   * precise wait); otherwise returns at once. Called between units of other work, such as each
   * decoder message: under load one turn of the event loop reads hundreds of sockets before
   * the timer phase, and a tick waiting for its timer waits for all of them. Polled, a tick
   * waits for one message at most.
   */
  poll(): void {
    if (this.firing || this.time.now() < this.plannedFor - POLL_AHEAD_MS) return;
    this.cancel();
    this.wake();
  }

  private earliest(): number {
    let min = Infinity;
    for (const c of this.clocks) {
      const d = c.nextDueMs;
      if (d < min) min = d;
    }
    return min;
  }

  private plan(): void {
    const next = this.earliest();
    if (next === Infinity) return;
    this.plannedFor = next;
    this.cancelTimer = this.time.setTimer(this.wake, Math.max(0, next - this.now() - this.wakeEarlyMs));
  }

  private readonly wake = (): void => {
    this.cancelTimer = null;
    this.plannedFor = Infinity;
    const next = this.earliest();
    if (next === Infinity) return;
    if (next - this.now() > this.wakeEarlyMs + 1) {
      // Woken far too early (timer jitter): plan again rather than block the loop for long.
      this.plan();
      return;
    }
    this.time.waitUntil(next);
    const now = this.now();
    this.firing = true;
    try {
      // Phase 1: every clock due now prepares its packet (build it; subscribers encode it).
      for (const c of this.clocks) if (c.nextDueMs <= now) this.due.push(c);
      for (const c of this.due) {
        const send = c.fire(now);
        if (send) this.sends.push(send);
      }
      // Phase 2: send, starting at a rotating offset so the queueing is shared fairly.
      const k = this.sends.length;
      if (k > 0) {
        const start = this.rotation++ % k;
        for (let i = 0; i < k; i++) this.sends[(start + i) % k]();
      }
    } finally {
      this.due.length = 0;
      this.sends.length = 0;
      this.firing = false;
    }
    // Clocks still behind (a stall) catch up on the next turns of the event loop.
    this.plan();
  };
}
