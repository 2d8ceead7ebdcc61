import { describe, expect, it } from 'vitest';
import { PacketClock, type ClockTick } from '../../src/main/playback/clock.ts';
import { manualScheduler } from '../helpers/manualTime.ts';

describe('TickScheduler.poll: ticks between units of other work', () => {
  function running() {
    const { time, scheduler } = manualScheduler();
    const ticks: Array<ClockTick & { at: number }> = [];
    const clock = new PacketClock((t) => void ticks.push({ ...t, at: time.now() }), { scheduler });
    clock.start();
    time.advance(0); // the first packet of the run goes out on its timer, at once
    expect(ticks).toHaveLength(1);
    return { time, clock, ticks };
  }

  it('a packet that falls due while the event loop is busy goes out at the next poll, not after the burst', () => {
    const { time, clock, ticks } = running();
    const due = ticks[0].dueMs + 25;
    time.skip(due - time.now() - 1); // busy with messages; 1 ms before the deadline
    clock.pollDue();
    expect(ticks).toHaveLength(1); // not yet: a poll never sends early
    time.skip(1.5); // the burst goes on past the deadline, the timer cannot run
    clock.pollDue();
    expect(ticks).toHaveLength(2);
    expect(ticks[1]).toMatchObject({ n: 1, dueMs: due });
    expect(ticks[1].at - due).toBeCloseTo(0.5, 6); // as late as the poll, not as the burst
    clock.pollDue(); // polled again at once: nothing more is due
    expect(ticks).toHaveLength(2);
  });

  it('the timer planned for a polled packet does not send it again; the run keeps its grid', () => {
    const { time, clock, ticks } = running();
    time.skip(26); // 1 ms late, still inside the burst
    clock.pollDue();
    time.advance(100); // the event loop turns again: only timers now
    expect(ticks.map((t) => t.n)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const t of ticks) expect(t.dueMs - ticks[0].dueMs).toBe(25 * t.n);
    for (const t of ticks.slice(2)) expect(t.at).toBe(t.dueMs); // on time again
  });

  it('a poll from inside a tick does not start another round of ticks within it', () => {
    const { time, scheduler } = manualScheduler();
    const seen: string[] = [];
    let b!: PacketClock;
    const a = new PacketClock((t) => {
      seen.push(`a${t.n}`);
      if (t.n === 0) {
        b.start(); // a clock that starts during a tick (in the next phase slot: due in 5 ms)…
        time.skip(6);
        a.pollDue(); // …and work inside the tick that runs past that and polls
        seen.push('a0 done');
      }
    }, { scheduler });
    b = new PacketClock((t) => void seen.push(`b${t.n}`), { scheduler });
    a.start();
    time.advance(0);
    expect(seen).toEqual(['a0', 'a0 done']);
    time.advance(0);
    expect(seen).toEqual(['a0', 'a0 done', 'b0']);
  });
});
