/**
 * The built-in recording: a synthetic MC_Maze-like session, deterministic from a seed.
 *
 * Generative model (v1; see MODEL_VERSION in presets.ts — bump it when anything below changes):
 *
 * TASK (task.ts). A delayed-reach maze task in a workspace in mm centred on (0, 0), like
 *   MC_Maze (monkey J, Churchland et al. 2012): 27 mazes, each with its own list of 1–3 targets
 *   (integer mm, 70–140 mm from the centre, so within ±150 mm) and 0–4 barriers; the active
 *   target is chosen per trial, conditions (maze, active target) are dealt in shuffled blocks.
 *   Trial: start → 150–350 ms → target_on → delay 0–900 ms → go_cue → RT 250–450 ms →
 *   move_onset → min-jerk reach 400–700 ms → hold 200–400 ms → stop. 7 % of trials fail (the
 *   reach misses by 25–60 mm, the trial aborts; success = false). The hand returns to the centre
 *   between trials; inter-trial intervals absorb the slack so the session lasts the preset's
 *   length (default ≈ 600 s, full ≈ 5400 s).
 * BEHAVIOUR (trajectory.ts, behavior.ts). 1 kHz samples on an integer-ms grid with 20–200 ms
 *   gaps in a few inter-trial rests; the four series share the timestamps. hand_pos: min-jerk
 *   movements (bell-shaped speed, curved by a lateral bulge in mazes with barriers) + ~0.3 mm
 *   postural sway; hand_vel: its exact derivative; cursor_pos: hand_pos + a constant offset;
 *   eye_pos: saccades to the active target 180–260 ms after target_on (always before the hand
 *   moves) and back after stop, plus fixation noise.
 * UNITS (neurons.ts). Lognormal baselines (median 2.75 Hz); cosine tuning to hand velocity with a
 *   speed term (Moran & Schwartz) and a 50–150 ms neural lead; preparatory activity during the
 *   delay tuned to the target direction; inhomogeneous Poisson spikes by thinning at 1 ms
 *   resolution, 2 ms refractory period, times on a 30 kHz clock. Units get int64-style
 *   non-contiguous ids from 1000 upward; a fixed number is marked heldout as in the NLB splits.
 *
 * Columns that MC_Maze has and this model fills: trial_type = condition number (maze, active
 * target), trial_version = the active target's index within the maze, maze_id = maze 1–27,
 * active_target = index into that trial's target_pos; rt, delay in ms; split 'train' / 'val'
 * (a random quarter val).
 *
 * Determinism: every random draw comes from seeded sfc32 streams (rng.ts), one stream per model
 * part (task, behaviour, units, each unit's spikes); same preset + seed → byte-identical arrays.
 * Speed: typed arrays throughout, spikes by thinning (cost ∝ spikes, not units × ms).
 */
import type { McMazeRecording, McMazeTrials, McMazeUnits } from '../mcMazeLayout.ts';
import { recordBehavior } from './behavior.ts';
import { syntheticNotes, syntheticSummary } from './describe.ts';
import { drawUnits, generateSpikes, type UnitTuning } from './neurons.ts';
import { assertValidPreset, assertValidSeed, MODEL_VERSION, SYNTHETIC_PRESETS, type SyntheticPreset } from './presets.ts';
import { Rng } from './rng.ts';
import { planSession, type SessionPlan } from './task.ts';

/** Utah arrays of monkey J: two 96-channel arrays (PMd + M1). */
const NUM_ELECTRODES = 192;
/** A fixed, obviously-not-a-real-session date, so the file is byte-stable across runs. */
const SESSION_START_TIME = '2000-01-01T00:00:00+00:00';

/** What the model knows and a recording does not say: for tests, benches and demos. */
export interface SyntheticTruth {
  tuning: UnitTuning;
  /** Per trial, when the reach ends (s): move_onset + reach duration. */
  reachEndTime: Float64Array;
  plan: SessionPlan;
}

export function generateMcMazeLike(preset: SyntheticPreset, seed = 1): McMazeRecording {
  return generateSyntheticSession(preset, seed).recording;
}

export function generateSyntheticSession(preset: SyntheticPreset, seed = 1): { recording: McMazeRecording; truth: SyntheticTruth } {
  assertValidPreset(preset);
  assertValidSeed(seed);
  const spec = SYNTHETIC_PRESETS[preset];
  const plan = planSession(new Rng(seed, 'task'), spec.trials, spec.targetDurationS);
  const behavior = recordBehavior(plan, new Rng(seed, 'behavior'));
  const tuning = drawUnits(new Rng(seed, 'units'), spec.units);
  const spikeTimes = generateSpikes(plan, tuning, seed);
  const units = describeUnits(new Rng(seed, 'unit-ids'), spikeTimes, spec.heldoutUnits, plan.endMs / 1000);
  const trials = trialsTable(plan);
  const recording: McMazeRecording = {
    identifier: `phantomlink-synthetic-mc-maze-${preset}-seed${seed}-v${MODEL_VERSION}`,
    sessionDescription: syntheticSummary(preset, seed),
    sessionStartTime: SESSION_START_TIME,
    notes: syntheticNotes(preset, seed),
    units,
    trials,
    behavior,
  };
  const reachEndTime = Float64Array.from(plan.trials, (t) => t.reachEndMs / 1000);
  return { recording, truth: { tuning, reachEndTime, plan } };
}

function describeUnits(rng: Rng, spikeTimes: Float64Array[], heldoutCount: number, durationS: number): McMazeUnits {
  const n = spikeTimes.length;
  // Increasing, never contiguous: steps of 2, sometimes more (like sorted-unit ids with gaps).
  const ids: number[] = [];
  let id = 1000;
  for (let u = 0; u < n; u++) {
    ids.push(id);
    id += 2 + (rng.chance(0.3) ? rng.int(1, 5) : 0);
  }
  const heldout = new Array<boolean>(n).fill(false);
  for (const u of rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, heldoutCount)) heldout[u] = true;
  return {
    ids,
    spikeTimes,
    heldout,
    obsIntervals: spikeTimes.map((): Array<[number, number]> => [[0, durationS]]),
    electrodes: spikeTimes.map((_, u) => [Math.floor((u * NUM_ELECTRODES) / n)]),
  };
}

function trialsTable(plan: SessionPlan): McMazeTrials {
  const ts = plan.trials;
  const sec = (f: (t: SessionPlan['trials'][number]) => number): Float64Array => Float64Array.from(ts, (t) => f(t) / 1000);
  return {
    start_time: sec((t) => t.startMs),
    stop_time: sec((t) => t.stopMs),
    target_on_time: sec((t) => t.targetOnMs),
    go_cue_time: sec((t) => t.goMs),
    move_onset_time: sec((t) => t.moveMs),
    rt: ts.map((t) => t.moveMs - t.goMs),
    delay: ts.map((t) => t.goMs - t.targetOnMs),
    num_targets: ts.map((t) => plan.mazes[t.maze].targets.length),
    num_barriers: ts.map((t) => plan.mazes[t.maze].barriers.length),
    maze_id: ts.map((t) => plan.mazes[t.maze].mazeId),
    trial_type: ts.map((t) => plan.mazes[t.maze].condition[t.active]),
    trial_version: ts.map((t) => t.active),
    active_target: ts.map((t) => t.active),
    success: ts.map((t) => t.success),
    // Fresh arrays per trial: consumers may mutate rows without aliasing the maze definition.
    target_pos: ts.map((t) => plan.mazes[t.maze].targets.map(([x, y]): [number, number] => [x, y])),
    barrier_pos: ts.map((t) => plan.mazes[t.maze].barriers.map(([x, y, w, h]): [number, number, number, number] => [x, y, w, h])),
    split: ts.map((t) => (t.val ? 'val' : 'train')),
  };
}
