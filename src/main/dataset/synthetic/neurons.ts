/**
 * Units: firing-rate model and spike generation.
 *
 * Rate of unit u at time t (Hz), rectified at 0:
 *   λ_u(t) = b_u
 *          + [ s_u·|v(t+L_u)| + m_u·(v(t+L_u) · d_u) ] / V_REF        movement (Moran & Schwartz 1999)
 *          + q_u · P(t) · (r_trial · e_u)                               preparatory (delay period)
 * - b_u baseline, lognormal (median 2.75 Hz, σ_ln 0.8, clipped to 0.3–40 Hz): most units fire a
 *   few Hz, a few fire tens of Hz, matching MC_Maze's ~3.7 spikes/s/unit on average.
 * - v hand velocity (mm/s), d_u the preferred direction (unit vector, uniform angle): cosine
 *   tuning to reach direction, scaled by speed; s_u an untuned speed term; V_REF = 300 mm/s
 *   (about a typical peak reach speed). 85 % of units are tuned (m_u = (2 + b_u)·U(0.5, 1.3) Hz),
 *   the rest weakly (a tenth of that).
 * - L_u ∈ [50, 150] ms: motor cortex leads the movement it drives.
 * - P(t) preparatory envelope of the trial: 0 until 80 ms after target_on, then rises as
 *   1 − exp(−Δt/120 ms) until move onset, then decays with τ = 150 ms. r_trial is the unit vector
 *   from the hand to the active target, e_u the unit's preparatory preferred direction
 *   (d_u rotated by N(0, 0.5 rad)), q_u = m_u·U(0.4, 1.2).
 *
 * Spikes: an inhomogeneous Poisson process with the rate held constant over each 1 ms, drawn by
 * thinning (Lewis & Shedler 1979): candidates from a homogeneous process at the epoch's rate
 * bound, each kept with probability λ(t)/λmax. Cost is proportional to the number of candidates
 * (a few per spike), not to units × milliseconds. A 2 ms absolute refractory period is applied,
 * and times are quantised to a 30 kHz acquisition clock, so every unit's times strictly increase.
 * Epochs run from one trial start to the next (the first from 0, the last to the session end).
 */
import { Rng } from './rng.ts';
import type { SessionPlan } from './task.ts';
import { sampleMovements } from './trajectory.ts';

export const V_REF_MM_S = 300;
export const REFRACTORY_MS = 2;
export const SPIKE_CLOCK_HZ = 30_000;
const MAX_LEAD_MS = 150;
const PREP_LATENCY_MS = 80;
const PREP_RISE_MS = 120;
const PREP_DECAY_MS = 150;

/** The ground truth of each unit's tuning (what a decoder would try to recover). */
export interface UnitTuning {
  baselineHz: Float64Array;
  /** Movement preferred direction, radians (0 = +x, counter-clockwise). */
  preferredDirection: Float64Array;
  directionGainHz: Float64Array;
  speedGainHz: Float64Array;
  prepDirection: Float64Array;
  prepGainHz: Float64Array;
  leadMs: Int32Array;
}

export function drawUnits(rng: Rng, n: number): UnitTuning {
  const t: UnitTuning = {
    baselineHz: new Float64Array(n),
    preferredDirection: new Float64Array(n),
    directionGainHz: new Float64Array(n),
    speedGainHz: new Float64Array(n),
    prepDirection: new Float64Array(n),
    prepGainHz: new Float64Array(n),
    leadMs: new Int32Array(n),
  };
  for (let u = 0; u < n; u++) {
    const b = Math.min(40, Math.max(0.3, rng.logNormal(Math.log(2.75), 0.8)));
    const m = (2 + b) * rng.range(0.5, 1.3) * (rng.chance(0.85) ? 1 : 0.1);
    const pd = rng.range(0, 2 * Math.PI);
    t.baselineHz[u] = b;
    t.directionGainHz[u] = m;
    t.speedGainHz[u] = m * rng.range(-0.2, 0.6);
    t.preferredDirection[u] = pd;
    t.prepDirection[u] = pd + rng.gaussian(0, 0.5);
    t.prepGainHz[u] = m * rng.range(0.4, 1.2);
    t.leadMs[u] = rng.int(50, MAX_LEAD_MS);
  }
  return t;
}

/** Growable per-unit spike list (doubling), so no per-spike objects are ever made. */
class SpikeList {
  data: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** One sorted Float64Array of spike times (s) per unit. */
export function generateSpikes(plan: SessionPlan, tuning: UnitTuning, seed: number): Float64Array[] {
  const n = tuning.baselineHz.length;
  const rngs = Array.from({ length: n }, (_, u) => new Rng(seed, 'spikes', u));
  const lists = Array.from({ length: n }, (_, u) => new SpikeList(Math.ceil(tuning.baselineHz[u] * (plan.endMs / 1000) * 1.3)));
  const lastSample = new Float64Array(n).fill(-Infinity);
  const cosD = tuning.preferredDirection.map(Math.cos);
  const sinD = tuning.preferredDirection.map(Math.sin);
  const cosE = tuning.prepDirection.map(Math.cos);
  const sinE = tuning.prepDirection.map(Math.sin);
  const samplesPerMs = SPIKE_CLOCK_HZ / 1000;
  const refractorySamples = REFRACTORY_MS * samplesPerMs;

  const bounds = [0, ...plan.trials.map((t) => t.startMs), plan.endMs];
  let maxLen = 0;
  for (let e = 0; e + 1 < bounds.length; e++) maxLen = Math.max(maxLen, bounds[e + 1] - bounds[e]);
  const win = maxLen + MAX_LEAD_MS;
  const pos = new Float64Array(2 * win);
  const vel = new Float64Array(2 * win);
  const speed = new Float64Array(win);
  const prepX = new Float64Array(maxLen);
  const prepY = new Float64Array(maxLen);

  for (let e = 0; e + 1 < bounds.length; e++) {
    const e0 = bounds[e];
    const e1 = bounds[e + 1];
    const len = e1 - e0;
    if (len <= 0) continue;
    // Kinematics over the epoch plus the longest lead, so λ(t) can look ahead to v(t + L).
    sampleMovements(plan.hand, 0, 0, e0, len + MAX_LEAD_MS, pos, 0, vel);
    let maxSpeed = 0;
    for (let k = 0; k < len + MAX_LEAD_MS; k++) {
      const sp = Math.hypot(vel[2 * k], vel[2 * k + 1]);
      speed[k] = sp;
      if (sp > maxSpeed) maxSpeed = sp;
    }
    const maxPrep = fillPrep(e === 0 ? null : plan.trials[e - 1], e0, len, prepX, prepY);

    for (let u = 0; u < n; u++) {
      const b = tuning.baselineHz[u];
      const m = tuning.directionGainHz[u];
      const s = tuning.speedGainHz[u];
      const q = tuning.prepGainHz[u];
      const lead = tuning.leadMs[u];
      const cd = cosD[u], sd = sinD[u], ce = cosE[u], se = sinE[u];
      // |v·d| ≤ |v| and |P·r·e| ≤ P, so this bounds λ over the epoch.
      const lamMax = b + ((Math.abs(s) + Math.abs(m)) * maxSpeed) / V_REF_MM_S + Math.abs(q) * maxPrep;
      const perMs = lamMax / 1000;
      const rng = rngs[u];
      const list = lists[u];
      let last = lastSample[u];
      let t = e0 + rng.exponential() / perMs;
      while (t < e1) {
        const k = Math.floor(t) - e0;
        const kk = k + lead;
        const lam =
          b +
          (s * speed[kk] + m * (vel[2 * kk] * cd + vel[2 * kk + 1] * sd)) / V_REF_MM_S +
          q * (prepX[k] * ce + prepY[k] * se);
        if (rng.uniform() * lamMax < lam) {
          const sample = Math.round(t * samplesPerMs);
          if (sample - last >= refractorySamples) {
            list.push(sample / SPIKE_CLOCK_HZ);
            last = sample;
          }
        }
        t += rng.exponential() / perMs;
      }
      lastSample[u] = last;
    }
  }
  return lists.map((l) => l.toArray());
}

/** Preparatory envelope × target direction for one epoch; returns max P (0 outside trials). */
function fillPrep(
  trial: SessionPlan['trials'][number] | null,
  e0: number,
  len: number,
  outX: Float64Array,
  outY: Float64Array,
): number {
  if (!trial) {
    outX.fill(0, 0, len);
    outY.fill(0, 0, len);
    return 0;
  }
  const on = trial.targetOnMs + PREP_LATENCY_MS;
  const atMove = trial.moveMs > on ? 1 - Math.exp(-(trial.moveMs - on) / PREP_RISE_MS) : 0;
  let max = 0;
  for (let k = 0; k < len; k++) {
    const ms = e0 + k;
    let p: number;
    if (ms < on) p = 0;
    else if (ms < trial.moveMs) p = 1 - Math.exp(-(ms - on) / PREP_RISE_MS);
    else p = atMove * Math.exp(-(ms - trial.moveMs) / PREP_DECAY_MS);
    outX[k] = p * trial.dirX;
    outY[k] = p * trial.dirY;
    if (p > max) max = p;
  }
  return max;
}
