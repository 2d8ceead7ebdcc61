import { BIN_US, binCount, binOf, binStartSeconds, firstBinFrom, toMicros } from '../../shared/bins.ts';
import type { DatasetProvenance } from '../../shared/wire.ts';
import type { NwbRecording, NwbSeries, NwbTrials } from './nwbReader.ts';
import type { Dataset, Kinematics, Target, Trial } from './types.ts';

/** A recording binned into a `Dataset`; `notes` extends the reader's notes with binning assumptions. */
export function binRecording(rec: NwbRecording, provenance: DatasetProvenance): Dataset {
  const notes = [...rec.notes];
  const durationSeconds = recordingDuration(rec);
  const numBins = binCount(durationSeconds);
  const numUnits = rec.units.ids.length;

  const { spikeCounts, totalSpikes, dropped } = binSpikes(rec, numBins);
  if (dropped > 0) {
    const what = dropped === 1 ? '1 spike is' : `${dropped} spikes are`;
    notes.push(`${what} at or after the end of the last bin (${binStartSeconds(numBins)} s): outside the stream`);
  }

  const kinematics = rec.behavior ? binKinematics(rec.behavior.position, rec.behavior.velocity, numBins, notes) : null;
  const { trials, trialOfBin, targets } = binTrials(rec.trials, numBins, durationSeconds, notes);

  return {
    provenance,
    numUnits,
    unitIds: rec.units.ids.slice(),
    numBins,
    durationSeconds,
    spikeCounts,
    totalSpikes,
    kinematics,
    trialOfBin,
    trials,
    targets,
    notes,
  };
}

/**
 * The last behaviour timestamp when behaviour exists, else the latest of last spike and
 * last trial stop (or start, where stop is NaN).
 */
export function recordingDuration(rec: NwbRecording): number {
  const b = rec.behavior;
  if (b && (b.position || b.velocity)) {
    let last = -Infinity;
    for (const s of [b.position, b.velocity]) if (s) last = Math.max(last, lastFinite(s.timestamps));
    if (Number.isFinite(last)) return Math.max(0, last);
  }
  let last = 0;
  const st = rec.units.spikeTimes;
  for (let i = 0; i < st.length; i++) if (st[i] > last) last = st[i];
  const t = rec.trials;
  if (t) {
    for (let i = 0; i < t.count; i++) {
      if (t.startTime[i] > last) last = t.startTime[i];
      if (t.stopTime[i] > last) last = t.stopTime[i];
    }
  }
  return last;
}

function lastFinite(a: Float64Array): number {
  for (let i = a.length - 1; i >= 0; i--) if (Number.isFinite(a[i])) return a[i];
  return -Infinity;
}

/** Bins per window of the spike pass: 2048 bins × a few hundred units of Uint16 stay in cache. */
const SPIKE_WINDOW_BINS = 2048;

/**
 * One pass over all spikes into a bin-major Uint16Array (bin k's units are contiguous).
 *
 * Incrementing counts[k·N + u] unit after unit touches a new cache line for nearly every spike
 * (the full MC_Maze array is 78 MB), so the pass walks time windows that fit in cache instead,
 * with one cursor per unit. That needs each unit's times sorted; the rare unsorted unit is
 * sorted in a copy (the recording itself stays untouched).
 */
function binSpikes(rec: NwbRecording, numBins: number): { spikeCounts: Uint16Array; totalSpikes: number; dropped: number } {
  const { spikeTimes, ends } = rec.units;
  const n = ends.length;
  const counts = new Uint16Array(numBins * n);
  const perUnit: Float64Array[] = [];
  let start = 0;
  for (let u = 0; u < n; u++) {
    const times = spikeTimes.subarray(start, ends[u]);
    perUnit.push(isSorted(times) ? times : times.slice().sort());
    start = ends[u];
  }
  const cursor = new Int32Array(n);
  let total = 0;
  for (let w0 = 0; w0 < numBins; w0 += SPIKE_WINDOW_BINS) {
    const w1 = Math.min(numBins, w0 + SPIKE_WINDOW_BINS);
    for (let u = 0; u < n; u++) {
      const times = perUnit[u];
      let i = cursor[u];
      for (; i < times.length; i++) {
        const k = binOf(times[i]);
        if (k >= w1) break;
        const j = k * n + u;
        // Saturate rather than wrap: 65535 spikes of one unit in 25 ms is not physiology.
        if (counts[j] !== 0xffff) counts[j]++;
      }
      total += i - cursor[u];
      cursor[u] = i;
    }
  }
  let dropped = 0;
  for (let u = 0; u < n; u++) dropped += perUnit[u].length - cursor[u];
  return { spikeCounts: counts, totalSpikes: total, dropped };
}

function isSorted(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return false;
  return true;
}

// ------------------------------------------------------------------ kinematics

function binKinematics(position: NwbSeries | null, velocity: NwbSeries | null, numBins: number, notes: string[]): Kinematics {
  const x = new Float64Array(numBins).fill(NaN);
  const y = new Float64Array(numBins).fill(NaN);
  const vx = new Float64Array(numBins).fill(NaN);
  const vy = new Float64Array(numBins).fill(NaN);
  let positionSource = 'none';
  let velocitySource = 'none';
  if (position) {
    binMeans(position.timestamps, position.data, position.columns, numBins, x, y);
    positionSource = seriesName(position);
  }
  if (velocity) {
    binMeans(velocity.timestamps, velocity.data, velocity.columns, numBins, vx, vy);
    velocitySource = seriesName(velocity);
  } else if (position) {
    binMeans(position.timestamps, finiteDifference(position), position.columns, numBins, vx, vy);
    velocitySource = `finite difference of ${seriesName(position)}`;
    notes.push(`no hand_vel: vx, vy are the finite difference of ${seriesName(position)}`);
  }
  return { x, y, vx, vy, positionSource, velocitySource };
}

function seriesName(s: NwbSeries): string {
  return s.path.slice(s.path.lastIndexOf('/') + 1);
}

/**
 * Per-bin means of a series' first two columns into outA/outB (left NaN where a bin has no
 * finite sample). Samples are found by binary search over the timestamps in integer
 * microseconds, never by t·rate: real behaviour timestamps have gaps.
 */
function binMeans(ts: Float64Array, data: Float64Array, cols: number, numBins: number, outA: Float64Array, outB: Float64Array): void {
  const n = ts.length;
  let lo = lowerBoundUs(ts, 0, 0, n);
  for (let k = 0; k < numBins && lo < n; k++) {
    const hi = lowerBoundUs(ts, (k + 1) * BIN_US, lo, n);
    let sumA = 0;
    let sumB = 0;
    let count = 0;
    for (let i = lo; i < hi; i++) {
      const a = data[i * cols];
      const b = cols > 1 ? data[i * cols + 1] : 0;
      // A sample counts only when every coordinate is finite (x without y is not a position).
      if (Number.isFinite(a) && Number.isFinite(b)) {
        sumA += a;
        sumB += b;
        count++;
      }
    }
    if (count > 0) {
      outA[k] = sumA / count;
      if (cols > 1) outB[k] = sumB / count;
    }
    lo = hi;
  }
}

/**
 * First index i in [from, n) with round(ts[i]·1e6) >= targetUs (n if none). Gallops from
 * `from` (the previous bin's end) and then bisects: O(log gap) per bin.
 */
function lowerBoundUs(ts: Float64Array, targetUs: number, from: number, n: number): number {
  if (from >= n || toMicros(ts[from]) >= targetUs) return from;
  let lo = from; // invariant: ts[lo] < target
  let step = 1;
  let hi = from + 1;
  while (hi < n && toMicros(ts[hi]) < targetUs) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > n) hi = n;
  // ts[lo] < target; hi == n or ts[hi] >= target
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (toMicros(ts[mid]) < targetUs) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Per-sample velocity of a position series: central difference (one-sided at the ends),
 * in position units per second. Non-finite neighbours give NaN, which binning skips.
 */
function finiteDifference(s: NwbSeries): Float64Array {
  const { timestamps: t, data, columns: c } = s;
  const n = t.length;
  const out = new Float64Array(n * c).fill(NaN);
  if (n < 2) return out;
  for (let i = 0; i < n; i++) {
    const a = i === 0 ? 0 : i - 1;
    const b = i === n - 1 ? n - 1 : i + 1;
    const dt = t[b] - t[a];
    if (!(dt > 0)) continue;
    for (let j = 0; j < c; j++) out[i * c + j] = (data[b * c + j] - data[a * c + j]) / dt;
  }
  return out;
}

// ------------------------------------------------------------------ trials and targets

function binTrials(
  t: NwbTrials | null,
  numBins: number,
  durationSeconds: number,
  notes: string[],
): { trials: Trial[]; trialOfBin: Int32Array; targets: Target[] } {
  const trialOfBin = new Int32Array(numBins).fill(-1);
  const trials: Trial[] = [];
  const targets: Target[] = [];
  if (!t) return { trials, trialOfBin, targets };

  const targetByKey = new Map<string, Target>();
  const nanStops: number[] = [];
  let overlapping = 0;
  const success = t.columns.find((c) => c.name === 'success') ?? null;
  const others = t.columns.filter((c) => c.name !== 'success');

  for (let i = 0; i < t.count; i++) {
    const startTime = t.startTime[i];
    const stopTime = t.stopTime[i];
    let effectiveStopTime = stopTime;
    if (!Number.isFinite(stopTime)) {
      // A NaN stop ends at the next trial's start; the last such trial at the end of the recording.
      effectiveStopTime = i + 1 < t.count ? t.startTime[i + 1] : durationSeconds;
      nanStops.push(i);
    }
    let firstBin = 0;
    let endBin = 0;
    if (Number.isFinite(startTime) && Number.isFinite(effectiveStopTime)) {
      // Bin k is in the trial when start <= k·25 ms < stop, compared in integer microseconds.
      firstBin = clamp(firstBinFrom(startTime), 0, numBins);
      endBin = clamp(firstBinFrom(effectiveStopTime), firstBin, numBins);
      for (let k = firstBin; k < endBin; k++) {
        // Overlapping trials: the bin stays with the earlier row.
        if (trialOfBin[k] === -1) trialOfBin[k] = i;
        else overlapping++;
      }
    }

    let targetId: number | null = null;
    const tx = t.activeTarget?.x[i] ?? NaN;
    const ty = t.activeTarget?.y[i] ?? NaN;
    if (Number.isFinite(tx) && Number.isFinite(ty)) {
      const key = `${tx},${ty}`;
      let target = targetByKey.get(key);
      if (!target) {
        target = { id: targets.length, x: tx, y: ty, trialIds: [] };
        targetByKey.set(key, target);
        targets.push(target);
      }
      target.trialIds.push(i);
      targetId = target.id;
    }

    const columns: Trial['columns'] = {};
    for (const c of others) {
      const v = c.values[i];
      columns[c.name] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
    }

    trials.push({
      id: i,
      nwbId: t.ids[i],
      startTime,
      stopTime,
      effectiveStopTime,
      firstBin,
      endBin,
      targetId,
      success: successOf(success, i),
      columns,
    });
  }

  if (nanStops.length > 0 && nanStops.length <= 3) {
    for (const i of nanStops) {
      notes.push(`trial ${i} stop_time NaN: ended at ${i + 1 < t.count ? 'next trial start' : 'end of recording'}`);
    }
  } else if (nanStops.length > 3) {
    notes.push(`${nanStops.length} trials have stop_time NaN: each ends at the next trial start (the last one at the end of the recording)`);
  }
  if (overlapping > 0) notes.push(`trials overlap in ${overlapping} bins: such a bin belongs to the earlier trial`);
  return { trials, trialOfBin, targets };
}

function successOf(col: NwbTrials['columns'][number] | null, i: number): boolean | null {
  if (!col) return null;
  const v = col.values[i];
  if (typeof v === 'boolean') return v;
  // Written as uint8 by h5wasm-based writers (h5wasm cannot write HDF5 bools).
  if (typeof v === 'number') return Number.isFinite(v) ? v !== 0 : null;
  return null;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
