import { describe, expect, it } from 'vitest';
import type { McMazeRecording } from '../../src/main/dataset/mcMazeLayout.ts';
import { generateMcMazeLike, generateSyntheticSession } from '../../src/main/dataset/synthetic/model.ts';
import { angleDiff, countIn, fingerprint, sampleIndex, xyAt } from './helpers.ts';

const { recording: rec, truth } = generateSyntheticSession('default', 1);
const trials = rec.trials!;
const beh = rec.behavior!;
const numTrials = trials.start_time.length;
const activeTarget = (i: number): [number, number] => trials.target_pos[i][trials.active_target[i]];
const successful = Array.from({ length: numTrials }, (_, i) => i).filter((i) => trials.success[i]);

describe('synthetic MC_Maze-like model: determinism', () => {
  it('gives byte-identical recordings for the same preset and seed', () => {
    const again = generateMcMazeLike('default', 1);
    expect(fingerprint(again)).toBe(fingerprint(rec));
    expect(Buffer.compare(Buffer.from(again.units.spikeTimes[5].buffer), Buffer.from(rec.units.spikeTimes[5].buffer))).toBe(0);
  });

  it('gives a different session for a different seed', () => {
    const other = generateMcMazeLike('default', 2);
    expect(fingerprint(other)).not.toBe(fingerprint(rec));
    expect(Array.from(other.trials!.start_time.slice(0, 5))).not.toEqual(Array.from(trials.start_time.slice(0, 5)));
    expect(other.units.spikeTimes[0].length).not.toBe(rec.units.spikeTimes[0].length);
    expect(other.sessionDescription).toContain('seed 2');
  });

  it('refuses unknown presets and bad seeds', () => {
    expect(() => generateMcMazeLike('huge' as never)).toThrow(/unknown synthetic preset/);
    expect(() => generateMcMazeLike('default', -1)).toThrow(RangeError);
    expect(() => generateMcMazeLike('default', 1.5)).toThrow(RangeError);
  });
});

describe('synthetic MC_Maze-like model: default preset', () => {
  it('has 142 units with non-contiguous increasing int ids, 35 heldout, and ≥ 200 trials', () => {
    const ids = rec.units.ids;
    expect(ids).toHaveLength(142);
    for (let i = 1; i < ids.length; i++) {
      expect(Number.isSafeInteger(ids[i])).toBe(true);
      expect(ids[i] - ids[i - 1]).toBeGreaterThanOrEqual(2);
    }
    expect(rec.units.heldout.filter(Boolean)).toHaveLength(35);
    expect(rec.units.obsIntervals).toHaveLength(142);
    expect(rec.units.electrodes.every((e) => e.length === 1 && e[0] >= 0 && e[0] < 192)).toBe(true);
    expect(numTrials).toBeGreaterThanOrEqual(200);
  });

  it('says plainly, in the recording itself, that it is synthetic', () => {
    for (const text of [rec.sessionDescription, rec.notes]) {
      expect(text).toContain('SYNTHETIC MC_Maze-like recording (PhantomLink generative model v1, preset default, seed 1): not real neural data');
    }
    expect(rec.identifier).toMatch(/synthetic/);
  });

  it('fills every trials column with one consistent row per trial', () => {
    for (const [k, v] of Object.entries(trials)) expect(v.length, k).toBe(numTrials);
    for (let i = 0; i < numTrials; i++) {
      const [start, on, go, move, stop] = [trials.start_time[i], trials.target_on_time[i], trials.go_cue_time[i], trials.move_onset_time[i], trials.stop_time[i]];
      expect(start < on && on <= go && go < move && move < stop).toBe(true);
      if (i > 0) expect(start).toBeGreaterThan(trials.stop_time[i - 1]);
      expect(trials.delay[i]).toBe(Math.round((go - on) * 1000));
      expect(trials.rt[i]).toBe(Math.round((move - go) * 1000));
      expect(trials.delay[i]).toBeGreaterThanOrEqual(0);
      expect(trials.delay[i]).toBeLessThanOrEqual(900);
      expect(trials.rt[i]).toBeGreaterThanOrEqual(250);
      expect(trials.rt[i]).toBeLessThanOrEqual(450);
      expect(trials.target_pos[i]).toHaveLength(trials.num_targets[i]);
      expect(trials.barrier_pos[i]).toHaveLength(trials.num_barriers[i]);
      expect(trials.num_targets[i]).toBeGreaterThanOrEqual(1);
      expect(trials.num_targets[i]).toBeLessThanOrEqual(3);
      expect(trials.active_target[i]).toBeLessThan(trials.num_targets[i]);
      for (const [x, y] of trials.target_pos[i]) {
        // Integers: MC_Maze full stores target_pos as int16.
        expect(Number.isInteger(x) && Number.isInteger(y) && Math.abs(x) <= 150 && Math.abs(y) <= 150).toBe(true);
      }
      for (const bar of trials.barrier_pos[i]) expect(bar.every(Number.isInteger)).toBe(true);
      expect(['train', 'val']).toContain(trials.split[i]);
    }
    // The same maze always shows the same targets.
    const byMaze = new Map<number, string>();
    for (let i = 0; i < numTrials; i++) {
      const key = JSON.stringify(trials.target_pos[i]);
      expect(byMaze.get(trials.maze_id[i]) ?? key).toBe(key);
      byMaze.set(trials.maze_id[i], key);
    }
    expect(byMaze.size).toBeGreaterThan(20);
    expect(trials.split.filter((s) => s === 'val')).toHaveLength(numTrials / 4);
    const failures = trials.success.filter((s) => !s).length;
    expect(failures / numTrials).toBeGreaterThan(0.02);
    expect(failures / numTrials).toBeLessThan(0.14);
  });

  it('lasts about the preset length, trials well inside the behaviour record', () => {
    const last = beh.timestamps[beh.timestamps.length - 1];
    expect(Math.abs(last - 600) / 600).toBeLessThan(0.05);
    expect(trials.start_time[0]).toBeGreaterThan(beh.timestamps[0]);
    expect(trials.stop_time[numTrials - 1]).toBeLessThan(last);
  });

  it('records behaviour on a 1 kHz grid, strictly increasing, with a few 20–200 ms gaps', () => {
    const ts = beh.timestamps;
    expect(ts[0]).toBe(0);
    const gaps: number[] = [];
    let offGrid = 0;
    for (let i = 1; i < ts.length; i++) {
      const stepMs = (ts[i] - ts[i - 1]) * 1000;
      // Strictly increasing, by whole ms; every timestamp is the double nearest an integer ms.
      if (!(stepMs > 0.5 && Math.abs(stepMs - Math.round(stepMs)) < 1e-6) || ts[i] !== Math.round(ts[i] * 1000) / 1000) offGrid++;
      if (stepMs > 1.5) gaps.push(Math.round(stepMs) - 1);
    }
    expect(offGrid).toBe(0);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(20);
      expect(g).toBeLessThanOrEqual(200);
    }
    // Gaps are never inside a trial.
    for (let t = 0; t < numTrials; t++) {
      const a = sampleIndex(beh, trials.start_time[t]);
      const b = sampleIndex(beh, trials.stop_time[t]);
      expect(Math.round((ts[b] - ts[a]) * 1000)).toBe(b - a);
    }
    for (const k of ['cursor_pos', 'eye_pos', 'hand_pos', 'hand_vel'] as const) {
      expect(beh[k].length).toBe(2 * ts.length);
      expect(beh[k].every(Number.isFinite)).toBe(true);
    }
  });

  it('ends successful reaches on the active target, starting from the centre', () => {
    for (const i of successful) {
      const [tx, ty] = activeTarget(i);
      const [ex, ey] = xyAt(beh.hand_pos, sampleIndex(beh, trials.stop_time[i]));
      expect(Math.hypot(ex - tx, ey - ty)).toBeLessThan(2);
      const [sx, sy] = xyAt(beh.hand_pos, sampleIndex(beh, trials.move_onset_time[i]));
      expect(Math.hypot(sx, sy)).toBeLessThan(12);
    }
    // Failed trials miss.
    for (let i = 0; i < numTrials; i++) {
      if (trials.success[i]) continue;
      const [tx, ty] = activeTarget(i);
      const [ex, ey] = xyAt(beh.hand_pos, sampleIndex(beh, trials.stop_time[i]));
      expect(Math.hypot(ex - tx, ey - ty)).toBeGreaterThan(15);
    }
  });

  it('moves with a bell-shaped speed profile peaking mid-reach', () => {
    for (const i of successful) {
      const i0 = sampleIndex(beh, trials.move_onset_time[i]);
      const i1 = sampleIndex(beh, truth.reachEndTime[i]);
      const speed = (k: number) => Math.hypot(beh.hand_vel[2 * k], beh.hand_vel[2 * k + 1]);
      let peak = i0;
      for (let k = i0; k <= i1; k++) if (speed(k) > speed(peak)) peak = k;
      const frac = (peak - i0) / (i1 - i0);
      expect(frac).toBeGreaterThan(0.4);
      expect(frac).toBeLessThan(0.6);
      expect(speed(i0)).toBeLessThan(0.05 * speed(peak));
      expect(speed(i1)).toBeLessThan(0.05 * speed(peak));
      // Rises monotonically to the peak and falls after it (one hump), within postural sway (≤ 4 mm/s).
      for (let k = i0 + 10; k <= peak; k += 10) expect(speed(k) + 4).toBeGreaterThan(speed(k - 10));
      for (let k = peak + 10; k <= i1; k += 10) expect(speed(k)).toBeLessThan(speed(k - 10) + 4);
      expect(speed(peak)).toBeGreaterThan(150);
      expect(speed(peak)).toBeLessThan(800);
    }
  });

  it('has hand_vel = d(hand_pos)/dt, cursor = hand + a small constant offset', () => {
    const ts = beh.timestamps;
    let checked = 0;
    let worst = 0;
    for (let i = 1; i + 1 < ts.length; i++) {
      if (Math.round((ts[i + 1] - ts[i - 1]) * 1000) !== 2) continue; // not across a gap
      for (let a = 0; a < 2; a++) {
        const fd = (beh.hand_pos[2 * (i + 1) + a] - beh.hand_pos[2 * (i - 1) + a]) / (ts[i + 1] - ts[i - 1]);
        // Central differences of a min-jerk path are exact to O(dt²): well under 1 mm/s + 1 %.
        worst = Math.max(worst, Math.abs(fd - beh.hand_vel[2 * i + a]) / (0.5 + 0.01 * Math.abs(fd)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1_000_000);
    expect(worst).toBeLessThan(1);
    const dx0 = beh.cursor_pos[0] - beh.hand_pos[0];
    const dy0 = beh.cursor_pos[1] - beh.hand_pos[1];
    expect(Math.hypot(dx0, dy0)).toBeLessThan(6);
    let offsetDrift = 0;
    for (let i = 0; i < ts.length; i++) {
      offsetDrift = Math.max(offsetDrift, Math.abs(beh.cursor_pos[2 * i] - beh.hand_pos[2 * i] - dx0), Math.abs(beh.cursor_pos[2 * i + 1] - beh.hand_pos[2 * i + 1] - dy0));
    }
    expect(offsetDrift).toBeLessThan(1e-9);
  });

  it('moves the eye to the target before the hand moves', () => {
    let onTarget = 0;
    for (let i = 0; i < numTrials; i++) {
      const [tx, ty] = activeTarget(i);
      const [gx, gy] = xyAt(beh.eye_pos, sampleIndex(beh, trials.move_onset_time[i] - 0.01));
      if (Math.hypot(gx - tx, gy - ty) < 12) onTarget++;
      const [cx, cy] = xyAt(beh.eye_pos, sampleIndex(beh, trials.target_on_time[i]));
      expect(Math.hypot(cx, cy)).toBeLessThan(12);
    }
    expect(onTarget / numTrials).toBeGreaterThan(0.97);
  });

  it('produces sorted spikes inside the session, at a few Hz per unit', () => {
    const end = beh.timestamps[beh.timestamps.length - 1];
    let total = 0;
    let refractoryViolations = 0;
    for (const s of rec.units.spikeTimes) {
      // Sorted, strictly increasing, ≥ 2 ms apart (refractory period).
      for (let k = 1; k < s.length; k++) if (!(s[k] - s[k - 1] >= 0.002 - 1e-9)) refractoryViolations++;
      if (s.length) expect(s[0] >= 0 && s[s.length - 1] <= end + 0.001).toBe(true);
      total += s.length;
    }
    expect(refractoryViolations).toBe(0);
    const meanRate = total / rec.units.ids.length / end;
    expect(meanRate).toBeGreaterThan(2);
    expect(meanRate).toBeLessThan(6);
  });

  it('makes directional tuning visible in the spikes during reaches', () => {
    const tuning = truth.tuning;
    // Reach direction of each successful trial, from the trial's target.
    const dir = successful.map((i) => {
      const [x, y] = activeTarget(i);
      return Math.atan2(y, x);
    });
    // Motor cortex leads: count from 100 ms before move onset to 100 ms before the reach ends.
    const rate = (u: number, i: number) =>
      countIn(rec.units.spikeTimes[u], trials.move_onset_time[i] - 0.1, truth.reachEndTime[i] - 0.1) / (truth.reachEndTime[i] - trials.move_onset_time[i]);
    const meanRate = (u: number, toward: number) => {
      const rows = successful.filter((_, j) => angleDiff(dir[j], toward) < Math.PI / 4);
      return rows.reduce((s, i) => s + rate(u, i), 0) / rows.length;
    };
    const strong = Array.from(tuning.directionGainHz.keys()).filter((u) => tuning.directionGainHz[u] >= 5);
    expect(strong.length).toBeGreaterThan(30);
    let clear = 0;
    let recovered = 0;
    for (const u of strong) {
      const pd = tuning.preferredDirection[u];
      const pref = meanRate(u, pd);
      const anti = meanRate(u, pd + Math.PI);
      if (pref > 1.5 * anti && pref - anti > 3) clear++;
      // Population-vector estimate of the PD from the spikes alone.
      let sx = 0;
      let sy = 0;
      successful.forEach((i, j) => {
        sx += rate(u, i) * Math.cos(dir[j]);
        sy += rate(u, i) * Math.sin(dir[j]);
      });
      if (angleDiff(Math.atan2(sy, sx), pd) < Math.PI / 6) recovered++;
    }
    expect(clear / strong.length).toBeGreaterThan(0.9);
    expect(recovered / strong.length).toBeGreaterThan(0.8);
  });

  it('shows preparatory activity tuned to the target during long delays', () => {
    const tuning = truth.tuning;
    const long = successful.filter((i) => trials.delay[i] >= 500);
    const dir = (i: number) => Math.atan2(activeTarget(i)[1], activeTarget(i)[0]);
    const units = Array.from(tuning.prepGainHz.keys()).filter((u) => tuning.prepGainHz[u] >= 3);
    let clear = 0;
    for (const u of units) {
      const rateToward = (toward: number) => {
        const rows = long.filter((i) => angleDiff(dir(i), toward) < Math.PI / 4);
        // The last 300 ms of the delay: the hand is still, only preparation differs.
        return rows.reduce((s, i) => s + countIn(rec.units.spikeTimes[u], trials.go_cue_time[i] - 0.3, trials.go_cue_time[i]) / 0.3, 0) / rows.length;
      };
      if (rateToward(tuning.prepDirection[u]) > rateToward(tuning.prepDirection[u] + Math.PI)) clear++;
    }
    expect(units.length).toBeGreaterThan(20);
    expect(clear / units.length).toBeGreaterThan(0.85);
  });
});

describe('synthetic MC_Maze-like model: full preset', () => {
  let full: McMazeRecording;
  let ms = 0;

  it('generates quickly', () => {
    const t0 = performance.now();
    full = generateMcMazeLike('full', 1);
    ms = performance.now() - t0;
    console.log(`full preset generated in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
  });

  it('has the dimensions of the MC_Maze full train file', () => {
    expect(full.units.ids).toHaveLength(182);
    expect(full.units.heldout.filter(Boolean)).toHaveLength(45);
    expect(full.trials!.start_time).toHaveLength(2295);
    const ts = full.behavior!.timestamps;
    expect(Math.abs(ts[ts.length - 1] - 5400) / 5400).toBeLessThan(0.05);
    const spikes = full.units.spikeTimes.reduce((s, a) => s + a.length, 0);
    // MC_Maze full train file: 3,642,582 spikes.
    expect(Math.abs(spikes - 3_642_582) / 3_642_582).toBeLessThan(0.1);
  });
});
