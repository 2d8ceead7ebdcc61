import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { visibleRows } from '../../src/renderer/src/data/visibleRows.ts';

describe('visibleRows: the trial list renders what is in view', () => {
  it('at the top: the rows that fit plus the overscan; at the end: the last rows', () => {
    expect(visibleRows(0, 280, 28, 2295, 10)).toEqual({ first: 0, last: 20 });
    const end = 2295 * 28 - 280;
    expect(visibleRows(end, 280, 28, 2295, 10)).toEqual({ first: 2285 - 10, last: 2295 });
  });

  it('a list shorter than the view renders every row; an empty list none', () => {
    expect(visibleRows(0, 800, 28, 12, 10)).toEqual({ first: 0, last: 12 });
    expect(visibleRows(0, 800, 28, 0, 10)).toEqual({ first: 0, last: 0 });
  });

  it('before the list is measured it renders a screenful, not nothing', () => {
    const r = visibleRows(0, 0, 28, 2295, 10);
    expect(r.first).toBe(0);
    expect(r.last).toBeGreaterThan(20);
  });

  it('every row that intersects the viewport is rendered, and the range stays within the list', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 20 }), (count, viewH, scroll, overscan) => {
        const rowPx = 28;
        const scrollTop = Math.min(scroll, Math.max(0, count * rowPx - viewH));
        const { first, last } = visibleRows(scrollTop, viewH, rowPx, count, overscan);
        expect(first).toBeGreaterThanOrEqual(0);
        expect(last).toBeLessThanOrEqual(count);
        expect(first).toBeLessThanOrEqual(last);
        for (let i = Math.floor(scrollTop / rowPx); i < Math.min(count, Math.ceil((scrollTop + viewH) / rowPx)); i++) {
          expect(i >= first && i < last).toBe(true);
        }
        // Bounded: never much more than a screenful.
        expect(last - first).toBeLessThanOrEqual(Math.ceil(viewH / rowPx) + 2 * overscan + 1);
      }),
    );
  });
});
