/**
 * Point-to-point movements (hand reaches, eye saccades) and their sampling on the 1 ms grid.
 *
 * A movement follows the minimum-jerk profile of Flash & Hogan (1985):
 *   τ(s) = 10s³ − 15s⁴ + 6s⁵,  s = (t − t0)/T ∈ [0, 1],
 * whose velocity τ'(s) = 30s²(1 − s)² is bell-shaped, zero at both ends, peaking at s = ½ with
 * 1.875·D/T. Reaches around a maze barrier are not straight: a lateral bulge
 *   n̂ · bulge · 4τ(1 − τ)
 * (n̂ the left normal of the straight path) bends the path while keeping both endpoints and the
 * bell-shaped speed (single-peaked for |bulge| ≤ ¼ of the path length); barriers are not collision-checked, the bulge only makes paths curve the way
 * maze reaches do. Between movements the effector rests at the last endpoint.
 *
 * Positions and velocities are evaluated analytically, so velocity is the exact time derivative
 * of position (mm/s), with no finite-difference noise.
 */

export interface Movement {
  /** Start, integer ms on the session clock. */
  t0: number;
  /** Duration in ms (> 0). */
  dur: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Lateral deviation at the path's midpoint, mm (positive = to the left of the direction of travel). */
  bulge: number;
}

/**
 * Samples a sequence of non-overlapping movements, sorted by `t0`, at `n` consecutive integer
 * milliseconds starting at `msStart`. Writes interleaved (x, y) into `pos` from pair index
 * `at` (i.e. `pos[2·at]`, `pos[2·at + 1]`), and the velocity likewise into `vel` when given.
 * `restX`, `restY`: where the effector is before the first movement.
 */
export function sampleMovements(
  moves: readonly Movement[],
  restX: number,
  restY: number,
  msStart: number,
  n: number,
  pos: Float64Array,
  at: number,
  vel?: Float64Array,
): void {
  // j = index of the last movement that started at or before the current ms (−1: none yet).
  let j = lastStartedAtOrBefore(moves, msStart);
  let o = 2 * at;
  for (let i = 0; i < n; i++, o += 2) {
    const ms = msStart + i;
    while (j + 1 < moves.length && moves[j + 1].t0 <= ms) j++;
    if (j < 0) {
      pos[o] = restX;
      pos[o + 1] = restY;
      if (vel) vel[o] = vel[o + 1] = 0;
      continue;
    }
    const m = moves[j];
    const s = (ms - m.t0) / m.dur;
    if (s >= 1) {
      pos[o] = m.x1;
      pos[o + 1] = m.y1;
      if (vel) vel[o] = vel[o + 1] = 0;
      continue;
    }
    const dx = m.x1 - m.x0;
    const dy = m.y1 - m.y0;
    const s2 = s * s;
    const tau = s2 * s * (10 - 15 * s + 6 * s2);
    const dtau = 30 * s2 * (1 - s) * (1 - s); // dτ/ds
    // Left normal of the straight path, scaled to unit length.
    const len = Math.hypot(dx, dy);
    const nx = len > 0 ? -dy / len : 0;
    const ny = len > 0 ? dx / len : 0;
    const lat = m.bulge * 4 * tau * (1 - tau);
    pos[o] = m.x0 + dx * tau + nx * lat;
    pos[o + 1] = m.y0 + dy * tau + ny * lat;
    if (vel) {
      const dlat = m.bulge * 4 * (1 - 2 * tau) * dtau;
      const perS = 1000 / m.dur; // d/dt = (1/T) d/ds, T in seconds
      vel[o] = (dx * dtau + nx * dlat) * perS;
      vel[o + 1] = (dy * dtau + ny * dlat) * perS;
    }
  }
}

function lastStartedAtOrBefore(moves: readonly Movement[], ms: number): number {
  let lo = 0;
  let hi = moves.length; // first index with t0 > ms
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (moves[mid].t0 <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
