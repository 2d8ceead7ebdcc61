/**
 * Y ranges for the live charts. Autoscaling every frame makes a trace's axis breathe at
 * 40 Hz; these ranges snap to "nice" numbers, grow at once when data would clip, and shrink
 * only when the data has fallen well below them.
 */

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (v > 0); 1 for v ≤ 0. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) {
    const c = m * base;
    if (c >= v * (1 - 1e-12)) return c;
  }
  return 10 * base;
}

/**
 * Next range maximum given the current one and the largest value on screen. Grows to the
 * nice ceiling of `observed` × `headroom` as soon as it is exceeded; shrinks only when
 * `observed` is below `shrinkBelow` of the current range.
 */
export function nextRangeMax(current: number, observed: number, minimum = 1, headroom = 1.1, shrinkBelow = 0.4): number {
  const want = Math.max(minimum, niceCeil(observed * headroom));
  if (!(current > 0) || want > current) return want;
  if (observed < current * shrinkBelow) return want;
  return current;
}
