import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationWindow } from '../../src/main/playback/durationWindow.ts';
import { quantileSorted as quantile } from '../../bench/lib.ts';

describe('send lateness over the last minute (/metrics)', () => {
  it('p50 and p99 are within 2.5 % of the exact values and max is exact, for any mix of lateness', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.02, max: 5000, noNaN: true }), { minLength: 1, maxLength: 3000 }), (values) => {
        const w = new DurationWindow();
        values.forEach((v, i) => w.record(1_000_000 + i, v));
        const s = w.summary(1_000_000 + values.length);
        const sorted = [...values].sort((a, b) => a - b);
        expect(s.count).toBe(values.length);
        expect(s.max_ms).toBeCloseTo(sorted[sorted.length - 1], 3);
        for (const [q, got] of [[0.5, s.p50_ms], [0.99, s.p99_ms]] as const) {
          const exact = quantile(sorted, q);
          expect(Math.abs(got! - exact)).toBeLessThanOrEqual(0.026 * exact + 0.001);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('forgets what is older than the window, also after a quiet spell with nothing recorded', () => {
    const w = new DurationWindow(60_000);
    for (let t = 0; t < 30_000; t += 25) w.record(t, 40); // a bad half minute
    for (let t = 30_000; t < 90_000; t += 25) w.record(t, 0.5); // then a good minute
    let s = w.summary(90_000);
    // One-second granularity: the window is the last 59–60 s.
    expect(s.count).toBeGreaterThanOrEqual(59 * 40);
    expect(s.count).toBeLessThanOrEqual(60 * 40);
    expect(s.max_ms).toBe(0.5);
    expect(s.p99_ms).toBeCloseTo(0.5, 1);
    s = w.summary(90_000 + 61_000); // nothing since: empty, not stale
    expect(s).toEqual({ count: 0, p50_ms: null, p99_ms: null, max_ms: null });
  });

  it('packets sent on time or early count as 0 ms late; a 100 s stall still counts at the top', () => {
    const w = new DurationWindow();
    for (let i = 0; i < 99; i++) w.record(5_000, i % 2 ? -0.3 : 0);
    w.record(5_000, 250_000);
    const s = w.summary(5_000);
    expect(s.p50_ms).toBe(0);
    expect(s.max_ms).toBe(250_000);
    expect(s.p99_ms).toBe(0);
    w.record(5_000, 250_000);
    expect(w.summary(5_000).p99_ms).toBeGreaterThan(90_000);
  });

});
