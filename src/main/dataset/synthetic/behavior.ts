/**
 * The recorded behaviour series: what the 1 kHz tracking system would have saved.
 *
 * - timestamps: every ms from 0 to the session end, minus the planned gaps (so the grid has
 *   holes, as in MC_Maze, and readers must map times by search, not by t·rate). All four
 *   series share these timestamps.
 * - hand_pos: the planned min-jerk movements plus a slow postural sway (two sinusoids per axis,
 *   ~0.3 mm), since a real resting hand is never perfectly still.
 * - hand_vel: the exact time derivative of hand_pos (analytic, mm/s).
 * - cursor_pos: hand_pos plus a constant calibration offset of a couple of mm.
 * - eye_pos: the planned saccades plus white fixation noise (sd 0.7 mm per sample), eye-tracker-like.
 */
import type { McMazeBehavior } from '../mcMazeLayout.ts';
import type { Rng } from './rng.ts';
import type { SessionPlan } from './task.ts';
import { sampleMovements } from './trajectory.ts';

const EYE_NOISE_MM = 0.7;

export function recordBehavior(plan: SessionPlan, rng: Rng): McMazeBehavior {
  const droppedMs = plan.gaps.reduce((s, [a, b]) => s + (b - a), 0);
  const n = plan.endMs + 1 - droppedMs;
  const timestamps = new Float64Array(n);
  const hand_pos = new Float64Array(2 * n);
  const hand_vel = new Float64Array(2 * n);
  const eye_pos = new Float64Array(2 * n);
  const cursor_pos = new Float64Array(2 * n);

  // Contiguous runs of recorded samples between the gaps.
  let at = 0;
  let ms = 0;
  const runs: Array<[number, number]> = [];
  for (const [a, b] of plan.gaps) {
    runs.push([ms, a]);
    ms = b;
  }
  runs.push([ms, plan.endMs + 1]);
  for (const [a, b] of runs) {
    const len = b - a;
    sampleMovements(plan.hand, 0, 0, a, len, hand_pos, at, hand_vel);
    sampleMovements(plan.eye, 0, 0, a, len, eye_pos, at);
    // ms / 1000 is the double nearest the decimal time: the grid is exact in text form too.
    for (let i = 0; i < len; i++) timestamps[at + i] = (a + i) / 1000;
    at += len;
  }

  const sway = [0, 1].map(() => ({
    amp: [rng.range(0.1, 0.2), rng.range(0.05, 0.15)],
    omega: [2 * Math.PI * rng.range(0.3, 0.7), 2 * Math.PI * rng.range(1, 2)],
    phase: [rng.range(0, 2 * Math.PI), rng.range(0, 2 * Math.PI)],
  }));
  const offX = rng.gaussian(0, 1.5);
  const offY = rng.gaussian(0, 1.5);
  for (let i = 0; i < n; i++) {
    const t = timestamps[i];
    for (let axis = 0; axis < 2; axis++) {
      const s = sway[axis];
      const a0 = s.omega[0] * t + s.phase[0];
      const a1 = s.omega[1] * t + s.phase[1];
      const o = 2 * i + axis;
      hand_pos[o] += s.amp[0] * Math.sin(a0) + s.amp[1] * Math.sin(a1);
      hand_vel[o] += s.amp[0] * s.omega[0] * Math.cos(a0) + s.amp[1] * s.omega[1] * Math.cos(a1);
      eye_pos[o] += EYE_NOISE_MM * rng.normal();
    }
    cursor_pos[2 * i] = hand_pos[2 * i] + offX;
    cursor_pos[2 * i + 1] = hand_pos[2 * i + 1] + offY;
  }
  return { timestamps, cursor_pos, eye_pos, hand_pos, hand_vel };
}
