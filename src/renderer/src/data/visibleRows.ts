/**
 * The rows of a fixed-row-height list worth rendering: those in the viewport plus `overscan`
 * on each side, as a half-open range [first, last) clamped to the list.
 */
export function visibleRows(scrollTop: number, viewH: number, rowPx: number, count: number, overscan: number): { first: number; last: number } {
  if (count <= 0 || rowPx <= 0) return { first: 0, last: 0 };
  const top = Math.max(0, Number.isFinite(scrollTop) ? scrollTop : 0);
  // Before the list has been measured (viewH 0), render a screenful rather than nothing.
  const h = viewH > 0 ? viewH : 40 * rowPx;
  const first = Math.min(count, Math.max(0, Math.floor(top / rowPx) - overscan));
  const last = Math.min(count, Math.ceil((top + h) / rowPx) + overscan);
  return { first, last: Math.max(first, last) };
}
