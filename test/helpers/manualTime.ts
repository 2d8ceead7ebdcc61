import type { SchedulerTime } from '../../src/main/playback/clock.ts';
import { TickScheduler } from '../../src/main/playback/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/**
 * A clock that moves only when a test says so: `advance(500)` runs, in order, every timer that
 * falls due in the next 500 ms (and the timers they set). A session on a scheduler with this
 * clock sends exactly 20 packets in 500 ms at 1×, however busy the machine is.
 */
export class ManualTime implements SchedulerTime {
  private t = 1000;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  waitUntil(t: number): void {
    if (t > this.t) this.t = t;
  }

  /** Moves the clock without running any timer: what a busy event loop looks like to a timer. */
  skip(ms: number): void {
    this.t += ms;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      next.live = false;
      if (next.at > this.t) this.t = next.at;
      next.fn();
    }
    this.t = Math.max(this.t, end);
  }
}

/** A scheduler on a manual clock, for sessions under test. */
export function manualScheduler(): { time: ManualTime; scheduler: TickScheduler } {
  const time = new ManualTime();
  return { time, scheduler: new TickScheduler(time) };
}
