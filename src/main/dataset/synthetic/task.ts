/**
 * The task: mazes, the trial schedule, and the hand and eye movements it implies.
 *
 * Workspace in mm, centre (0, 0). Like MC_Maze (Churchland et al. 2012), a trial shows one
 * maze: 1–3 targets (one active, the others distractors) and 0–4 barriers. Each of the 27
 * mazes has its own target list; the active target is chosen per trial, so a condition is a
 * (maze, active target) pair, dealt in shuffled blocks so every condition recurs evenly.
 *
 * Trial timeline (integer ms; every event time lies on the 1 kHz grid):
 *   start ─ 150–350 ─ target_on ─ delay 0–900 ─ go_cue ─ RT 250–450 ─ move_onset
 *         ─ reach 400–700 (min-jerk, longer for farther targets) ─ hold 200–400 ─ stop
 * 7 % of trials fail: the reach lands 25–60 mm off the target and the trial is aborted after
 * 50–150 ms (success = false). Between trials the hand returns to the centre (200–300 ms, with
 * a few mm of scatter), then rests; inter-trial intervals are stretched to reach the preset's
 * session length. The eye saccades (40 ms) to the active target 180–260 ms after target_on and
 * always before the hand moves, then back to the centre 60–120 ms after stop.
 * Behaviour recording drops 20–200 ms of samples in a few inter-trial rests (≥ 3, ~4 % of them),
 * as the real 1 kHz series have missing samples.
 */
import type { Rng } from './rng.ts';
import type { Movement } from './trajectory.ts';

export const NUM_MAZES = 27;
export const FAILURE_PROBABILITY = 0.07;
export const SACCADE_MS = 40;
/** Session clock before the first trial and after the last one, hand resting at the centre. */
export const LEAD_MS = 1000;
export const TAIL_MS = 1000;
/** Rest after the return movement before the next trial may start. */
const MIN_REST_MS = 30;

export interface Maze {
  mazeId: number;
  targets: Array<[number, number]>;
  barriers: Array<[number, number, number, number]>;
  /** Per target: lateral bulge of a reach to it, as a fraction of the reach length (signed). */
  bulgeFraction: number[];
  /** Per target: condition number, reported as trial_type. */
  condition: number[];
}

export interface TrialPlan {
  startMs: number;
  targetOnMs: number;
  goMs: number;
  moveMs: number;
  reachEndMs: number;
  stopMs: number;
  maze: number;
  active: number;
  success: boolean;
  /** Where the hand starts and ends the reach (mm). */
  fromX: number;
  fromY: number;
  endX: number;
  endY: number;
  /** Unit vector from the start position to the active target: what preparatory activity encodes. */
  dirX: number;
  dirY: number;
  val: boolean;
}

export interface SessionPlan {
  mazes: Maze[];
  trials: TrialPlan[];
  /** Hand reaches and returns, sorted, non-overlapping. The hand starts at (0, 0). */
  hand: Movement[];
  /** Eye saccades, sorted, non-overlapping; fixation offsets are folded into the endpoints. */
  eye: Movement[];
  /** Dropped behaviour samples: half-open [startMs, endMs) ranges, sorted, disjoint. */
  gaps: Array<[number, number]>;
  /** Last behaviour sample (ms); behaviour covers 0..endMs minus the gaps. */
  endMs: number;
}

export function makeMazes(rng: Rng): Maze[] {
  const mazes: Maze[] = [];
  let condition = 1;
  for (let k = 0; k < NUM_MAZES; k++) {
    const nTargets = rng.int(1, 3);
    const angles = [(2 * Math.PI * k) / NUM_MAZES + rng.range(-0.1, 0.1)];
    // Distractors sit at least 60° away from every other target, so they are real alternatives.
    while (angles.length < nTargets) {
      const a = rng.range(0, 2 * Math.PI);
      if (angles.every((b) => angularDistance(a, b) >= Math.PI / 3)) angles.push(a);
    }
    const targets = angles.map((a): [number, number] => {
      const r = rng.range(70, 140);
      return [Math.round(r * Math.cos(a)), Math.round(r * Math.sin(a))];
    });
    const nBarriers = rng.int(0, 4);
    const barriers: Array<[number, number, number, number]> = [];
    for (let b = 0; b < nBarriers; b++) {
      // A barrier part-way to one of the targets, offset sideways: it is what makes reaches curve.
      const [tx, ty] = targets[rng.int(0, nTargets - 1)];
      const f = rng.range(0.35, 0.65);
      const len = Math.hypot(tx, ty);
      const side = rng.range(-15, 15);
      const cx = Math.round(f * tx - (ty / len) * side);
      const cy = Math.round(f * ty + (tx / len) * side);
      const thin = rng.int(3, 8);
      const long = rng.int(10, 30);
      barriers.push(rng.chance(0.5) ? [cx, cy, thin, long] : [cx, cy, long, thin]);
    }
    const bulgeFraction = targets.map(() => (nBarriers > 0 ? (rng.chance(0.5) ? 1 : -1) * rng.range(0.1, 0.22) : rng.range(-0.04, 0.04)));
    mazes.push({ mazeId: k + 1, targets, barriers, bulgeFraction, condition: targets.map(() => condition++) });
  }
  return mazes;
}

function angularDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

interface TrialDraft {
  maze: number;
  active: number;
  success: boolean;
  preMs: number;
  delayMs: number;
  rtMs: number;
  reachMs: number;
  holdMs: number;
  saccadeLatencyMs: number;
  eyeReturnMs: number;
  returnMs: number;
  endX: number;
  endY: number;
  restX: number;
  restY: number;
  bulgeFraction: number;
  gazeX: number;
  gazeY: number;
}

/**
 * Draws the whole session: per-trial durations first, then the layout on the clock, so the
 * inter-trial intervals can be stretched to the preset's length.
 */
export function planSession(rng: Rng, numTrials: number, targetDurationS: number): SessionPlan {
  const mazes = makeMazes(rng);
  const conditions: Array<[number, number]> = [];
  mazes.forEach((m, mi) => m.targets.forEach((_, ti) => conditions.push([mi, ti])));

  const drafts: TrialDraft[] = [];
  let deck: Array<[number, number]> = [];
  for (let i = 0; i < numTrials; i++) {
    if (deck.length === 0) deck = rng.shuffle(conditions.slice());
    const [maze, active] = deck.pop()!;
    const [tx, ty] = mazes[maze].targets[active];
    const success = !rng.chance(FAILURE_PROBABILITY);
    let endX = tx;
    let endY = ty;
    if (!success) {
      const a = rng.range(0, 2 * Math.PI);
      const miss = rng.range(25, 60);
      endX = clamp(tx + miss * Math.cos(a), -150, 150);
      endY = clamp(ty + miss * Math.sin(a), -150, 150);
    }
    const distance = Math.hypot(endX, endY);
    const delayMs = rng.int(0, 900);
    const rtMs = clamp(Math.round(rng.gaussian(340, 45)), 250, 450);
    drafts.push({
      maze,
      active,
      success,
      preMs: rng.int(150, 350),
      delayMs,
      rtMs,
      // Farther targets take longer (Fitts-like), with trial-to-trial variability.
      reachMs: clamp(Math.round(380 + 1.6 * distance + rng.gaussian(0, 40)), 400, 700),
      holdMs: success ? rng.int(200, 400) : rng.int(50, 150),
      // The eye leads the hand: its saccade always starts ≥ 60 ms before movement onset.
      saccadeLatencyMs: Math.min(rng.int(180, 260), delayMs + rtMs - 60),
      eyeReturnMs: rng.int(60, 120),
      returnMs: rng.int(200, 300),
      endX,
      endY,
      // The hand comes back to within a few mm of the centre, not exactly onto it.
      restX: rng.gaussian(0, 2),
      restY: rng.gaussian(0, 2),
      // |bulge| ≤ 25 % of the reach length keeps the path speed single-peaked (bell-shaped).
      bulgeFraction: clamp(mazes[maze].bulgeFraction[active] * (1 + rng.gaussian(0, 0.15)), -0.25, 0.25),
      gazeX: tx + rng.gaussian(0, 3),
      gazeY: ty + rng.gaussian(0, 3),
    });
  }

  // Inter-trial intervals: the minimum each needs, plus a Gamma(2)-weighted share of the slack.
  const trialMs = drafts.reduce((s, d) => s + d.preMs + d.delayMs + d.rtMs + d.reachMs + d.holdMs, 0);
  const minIti = drafts.slice(0, -1).map((d) => d.returnMs + MIN_REST_MS);
  const slack = Math.max(0, Math.round(targetDurationS * 1000) - LEAD_MS - TAIL_MS - trialMs - minIti.reduce((s, v) => s + v, 0));
  const weights = minIti.map(() => rng.exponential() + rng.exponential());
  const wsum = weights.reduce((s, v) => s + v, 0) || 1;
  const iti = minIti.map((m, i) => m + Math.floor((slack * weights[i]) / wsum));

  const trials: TrialPlan[] = [];
  const hand: Movement[] = [];
  const eye: Movement[] = [];
  let handX = 0;
  let handY = 0;
  let t = LEAD_MS;
  drafts.forEach((d, i) => {
    const startMs = t;
    const targetOnMs = startMs + d.preMs;
    const goMs = targetOnMs + d.delayMs;
    const moveMs = goMs + d.rtMs;
    const reachEndMs = moveMs + d.reachMs;
    const stopMs = reachEndMs + d.holdMs;
    const [tx, ty] = mazes[d.maze].targets[d.active];
    const dl = Math.hypot(tx - handX, ty - handY) || 1;
    const reachLen = Math.hypot(d.endX - handX, d.endY - handY);
    trials.push({
      startMs, targetOnMs, goMs, moveMs, reachEndMs, stopMs,
      maze: d.maze, active: d.active, success: d.success,
      fromX: handX, fromY: handY, endX: d.endX, endY: d.endY,
      dirX: (tx - handX) / dl, dirY: (ty - handY) / dl,
      val: false,
    });
    hand.push({ t0: moveMs, dur: d.reachMs, x0: handX, y0: handY, x1: d.endX, y1: d.endY, bulge: d.bulgeFraction * reachLen });
    eye.push({ t0: targetOnMs + d.saccadeLatencyMs, dur: SACCADE_MS, x0: eyeRestX(eye), y0: eyeRestY(eye), x1: d.gazeX, y1: d.gazeY, bulge: 0 });
    eye.push({ t0: stopMs + d.eyeReturnMs, dur: SACCADE_MS, x0: d.gazeX, y0: d.gazeY, x1: rng.gaussian(0, 1.5), y1: rng.gaussian(0, 1.5), bulge: 0 });
    if (i < drafts.length - 1) {
      hand.push({ t0: stopMs, dur: d.returnMs, x0: d.endX, y0: d.endY, x1: d.restX, y1: d.restY, bulge: 0 });
      handX = d.restX;
      handY = d.restY;
      t = stopMs + iti[i];
    } else {
      t = stopMs;
    }
  });
  const endMs = t + TAIL_MS;

  // Validation split as in the NLB train files: a random quarter of the trials is 'val'.
  const order = rng.shuffle(trials.map((_, i) => i));
  for (const i of order.slice(0, Math.round(trials.length / 4))) trials[i].val = true;

  const gaps = planGaps(rng, trials, drafts);
  return { mazes, trials, hand, eye, gaps, endMs };
}

function eyeRestX(eye: Movement[]): number {
  return eye.length ? eye[eye.length - 1].x1 : 0;
}
function eyeRestY(eye: Movement[]): number {
  return eye.length ? eye[eye.length - 1].y1 : 0;
}

/** Gaps go into inter-trial rests (hand and eye still), never into a trial. */
function planGaps(rng: Rng, trials: TrialPlan[], drafts: TrialDraft[]): Array<[number, number]> {
  const eligible: number[] = [];
  const restStart = (i: number): number => trials[i].stopMs + drafts[i].returnMs;
  for (let i = 0; i + 1 < trials.length; i++) if (trials[i + 1].startMs - restStart(i) >= 60) eligible.push(i);
  const count = Math.min(eligible.length, Math.max(3, Math.round(0.04 * (trials.length - 1))));
  const chosen = rng.shuffle(eligible).slice(0, count).sort((a, b) => a - b);
  return chosen.map((i): [number, number] => {
    const rest = trials[i + 1].startMs - restStart(i);
    const len = rng.int(20, Math.min(200, rest - 20));
    const start = restStart(i) + rng.int(10, rest - len - 10);
    return [start, start + len];
  });
}
