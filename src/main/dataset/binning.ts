import { BIN_US, binCount, binOf, binStartSeconds } from '../../shared/bins.ts';
import type { DatasetProvenance } from '../../shared/wire.ts';
import { BASE_BIN_US, baseBinsPer, baseIndexOf, buildSpikeBase, SeriesAccumulator, type SeriesBase, type SpikeBase } from './baseBins.ts';
import { BinnedDataset } from './dataset.ts';
import { CHUNK_ELEMENTS, SeriesRejected, type BehaviorChoice, type RecordingSource, type RecordingTrials, type SeriesSource } from './source.ts';
import { trialBins } from './trialBins.ts';
import type { Dataset, KinematicsSources, Target, Trial } from './types.ts';

export type BinProgress = (stage: string, fraction: number) => void;

/**
 * Reads a recording and bins it into a `Dataset`, holding only the compact base representation
 * (baseBins.ts) and never a whole spike or behaviour series: spike times arrive in chunks and
 * become one base-bin index per spike (4 bytes each, dropped once they are in the CSR);
 * behaviour is summed into base bins chunk by chunk as it is read, after the CSR is built, so
 * the two big transients never coexist. `notes` extends the reader's with binning assumptions.
 * Progress stages: units (reading spike times), trials, behavior (the CSR and the behaviour
 * pass), binning (trials).
 */
export function binRecording(src: RecordingSource, provenance: DatasetProvenance, progress: BinProgress = () => {}): Dataset {
  progress('units', 0.05);
  const ends = src.unitEnds;
  const numSpikes = ends.length > 0 ? ends[ends.length - 1] : 0;
  const firstRead = readSpikeBases(src);
  const lastSpike = firstRead.lastSpike;
  // The only reference to the per-spike indices: dropped as soon as the CSR is built.
  let pending: Uint32Array | null = firstRead.baseOfSpike;
  firstRead.baseOfSpike = null;
  let spikes: SpikeBase | null = null;
  const spikesFor = (numBaseBins: number): SpikeBase => {
    if (spikes?.numBins === numBaseBins) return spikes;
    spikes = null;
    // A second read happens only when a rejected behaviour series changed the duration.
    const bases = pending ?? readSpikeBases(src).baseOfSpike!;
    pending = null;
    spikes = buildSpikeBase(bases, ends, numBaseBins);
    return spikes;
  };

  progress('trials', 0.35);
  const trialTable = src.readTrials();
  const notes = [...src.notes];

  progress('behavior', 0.45);
  const behavior = binBehavior(src, spikesAndTrialsDuration(lastSpike, trialTable), spikesFor);
  notes.push(...behavior.notes);
  const { durationSeconds, spikes: spikeBase } = behavior;
  const numBins = binCount(durationSeconds);

  progress('binning', 0.8);
  const totalSpikes = spikeBase.spikesBefore(numBins * baseBinsPer(BIN_US));
  const dropped = numSpikes - totalSpikes;
  if (dropped > 0) {
    const what = dropped === 1 ? '1 spike is' : `${dropped} spikes are`;
    notes.push(`${what} at or after the end of the last bin (${binStartSeconds(numBins)} s): outside the stream`);
  }
  if (behavior.kinematics && !behavior.velocitySeries && behavior.positionSeries) {
    notes.push(`no hand_vel: vx, vy are the finite difference of ${seriesName(behavior.positionSeries)}`);
  }
  const { trials, trialOfBin, targets } = binTrials(trialTable, numBins, durationSeconds, notes);

  return new BinnedDataset({
    provenance,
    unitIds: src.unitIds.slice(),
    numBins,
    durationSeconds,
    totalSpikes,
    kinematics: behavior.kinematics,
    trialOfBin,
    trials,
    targets,
    notes,
    base: { binUs: BASE_BIN_US, numBins: behavior.numBaseBins, spikes: spikeBase, position: behavior.position, velocity: behavior.velocity },
  });
}

/** Every spike's base bin (in the source's unit-major order) and the latest spike time (0 without spikes). */
function readSpikeBases(src: RecordingSource): { baseOfSpike: Uint32Array | null; lastSpike: number } {
  const ends = src.unitEnds;
  const baseOfSpike = new Uint32Array(ends.length > 0 ? ends[ends.length - 1] : 0);
  let lastSpike = 0;
  src.readSpikeTimes((times, first) => {
    lastSpike = Math.max(lastSpike, baseIndicesInto(times, baseOfSpike, first));
  });
  return { baseOfSpike, lastSpike };
}

/** Each spike's base bin into out[first + j]; returns the latest time (0 if none is later). */
function baseIndicesInto(times: Float64Array, out: Uint32Array, first: number): number {
  let last = 0;
  for (let j = 0; j < times.length; j++) {
    const t = times[j];
    if (t > last) last = t;
    out[first + j] = baseIndexOf(t);
  }
  return last;
}

/** Without behaviour, the duration is the latest of last spike and last trial stop (or start, where stop is NaN). */
function spikesAndTrialsDuration(lastSpike: number, t: RecordingTrials | null): number {
  let last = lastSpike;
  if (t) {
    for (let i = 0; i < t.count; i++) {
      if (t.startTime[i] > last) last = t.startTime[i];
      if (t.stopTime[i] > last) last = t.stopTime[i];
    }
  }
  return last;
}

// ------------------------------------------------------------------ behaviour

interface BinnedBehavior {
  /** The last behaviour timestamp when behaviour exists, else `fallbackDuration`. */
  durationSeconds: number;
  numBaseBins: number;
  /** The spikes in base bins of this duration. */
  spikes: SpikeBase;
  kinematics: KinematicsSources | null;
  position: SeriesBase | null;
  velocity: SeriesBase | null;
  positionSeries: SeriesSource | null;
  velocitySeries: SeriesSource | null;
  notes: string[];
}

/**
 * Chooses the behaviour series, fixes the duration from their last timestamps, has the spikes
 * put into that many base bins (`spikesFor`), and sums the series into base bins. A series whose
 * timestamps turn out not to increase is rejected mid-way; the choice is then made again
 * without it (a broken file costs a second pass, a good one none).
 */
function binBehavior(src: RecordingSource, fallbackDuration: number, spikesFor: (numBaseBins: number) => SpikeBase): BinnedBehavior {
  const rejected = new Map<string, string>();
  for (;;) {
    const choice = src.chooseBehavior(rejected);
    const { position: p, velocity: v } = choice;
    let last = -Infinity;
    for (const s of [p, v]) if (s) last = Math.max(last, s.lastTimestamp());
    const durationSeconds = Number.isFinite(last) ? Math.max(0, last) : fallbackDuration;
    const numBaseBins = binCount(durationSeconds, BASE_BIN_US);
    const spikes = spikesFor(numBaseBins);
    const result = { durationSeconds, numBaseBins, spikes, positionSeries: p, velocitySeries: v, notes: choice.notes };
    if (!p && !v) return { ...result, kinematics: null, position: null, velocity: null };
    try {
      const { position, velocity } = sumIntoBaseBins(choice, numBaseBins);
      const kinematics = {
        positionSource: p ? seriesName(p) : 'none',
        velocitySource: v ? seriesName(v) : p ? `finite difference of ${seriesName(p)}` : 'none',
      };
      return { ...result, kinematics, position, velocity };
    } catch (err) {
      if (!(err instanceof SeriesRejected)) throw err;
      for (const path of err.paths) rejected.set(path, err.why);
    }
  }
}

function seriesName(s: SeriesSource): string {
  return s.path.slice(s.path.lastIndexOf('/') + 1);
}

/** One thing summed in a pass: a series' samples, or (no hand_vel) the finite difference of a position series. */
interface Job {
  series: SeriesSource;
  acc: SeriesAccumulator;
  differentiate: boolean;
}

/** Rows per chunk of a behaviour pass (x and y of a row are two elements). */
const CHUNK_ROWS = CHUNK_ELEMENTS / 2;

function sumIntoBaseBins(choice: BehaviorChoice, numBaseBins: number): { position: SeriesBase | null; velocity: SeriesBase | null } {
  const { position: p, velocity: v } = choice;
  const jobs: Job[] = [];
  const pos = p ? { series: p, acc: new SeriesAccumulator(numBaseBins, p.columns), differentiate: false } : null;
  const vel = v
    ? { series: v, acc: new SeriesAccumulator(numBaseBins, v.columns), differentiate: false }
    : p
      ? { series: p, acc: new SeriesAccumulator(numBaseBins, p.columns), differentiate: true }
      : null;
  for (const j of [pos, vel]) if (j) jobs.push(j);
  // One pass per timestamps dataset: MC_Maze's series share one, read once for all of them.
  const passes = new Map<string, Job[]>();
  for (const j of jobs) passes.set(j.series.timestampsKey, [...(passes.get(j.series.timestampsKey) ?? []), j]);
  for (const pass of passes.values()) runPass(pass, numBaseBins);
  return {
    position: pos ? pos.acc.finish(seriesName(pos.series)) : null,
    velocity: vel ? vel.acc.finish(vel.differentiate ? `finite difference of ${seriesName(vel.series)}` : seriesName(vel.series)) : null,
  };
}

/**
 * Reads the jobs' series chunk by chunk (timestamps once, each series' data once) and sums them
 * into base bins. Samples are placed by their own timestamps through the bin rule, never by
 * t·rate: real behaviour timestamps have gaps. Checks on the way that timestamps never decrease
 * (throws SeriesRejected for the series that reach the first sample that does).
 */
function runPass(jobs: Job[], numBaseBins: number): void {
  const maxRows = Math.max(...jobs.map((j) => j.series.rows));
  const clock = jobs.find((j) => j.series.rows === maxRows)!.series;
  // The finite difference of row i needs rows i - 1 and i + 1: read one row more on each side.
  const overlap = jobs.some((j) => j.differentiate) ? 1 : 0;
  const maxCols = Math.max(...jobs.map((j) => j.series.columns));
  const bins = new Float64Array(CHUNK_ROWS);
  const derived = new Float64Array(CHUNK_ROWS * maxCols);
  // A source's arrays are valid until its next read: the finite difference keeps the times.
  const times = overlap ? new Float64Array(CHUNK_ROWS + 2) : null;
  const chunks = new Map<SeriesSource, { data: Float64Array; lo: number }>();
  let prev = NaN;
  for (let r0 = 0; r0 < maxRows; r0 += CHUNK_ROWS) {
    const r1 = Math.min(maxRows, r0 + CHUNK_ROWS);
    const lo = Math.max(0, r0 - overlap);
    let ts = clock.readTimestamps(lo, Math.min(maxRows, r1 + overlap));
    const bad = baseBinsOf(ts, r0 - lo, r1 - r0, prev, r0 > 0, bins, numBaseBins);
    if (bad >= 0) throw rejectFrom(jobs, r0 + bad);
    prev = ts[r1 - 1 - lo];
    if (times) {
      times.set(ts);
      ts = times;
    }
    // Each series' rows of this chunk, read once (with the overlap when it is differentiated)
    // and used before the next read.
    chunks.clear();
    for (const job of jobs) {
      const s = job.series;
      const n = s.rows;
      if (r0 >= n) continue;
      const e = Math.min(r1, n);
      let chunk = chunks.get(s);
      if (!chunk) {
        const dlo = Math.max(0, r0 - overlap);
        chunk = { data: s.readData(dlo, Math.min(n, e + overlap)), lo: dlo };
        chunks.set(s, chunk);
      }
      const c = s.columns;
      if (job.differentiate) {
        differentiateInto(ts, lo, chunk.data, chunk.lo, c, r0, e, n, derived);
        job.acc.add(bins, derived, c, 0, e - r0);
      } else {
        job.acc.add(bins, chunk.data.subarray((r0 - chunk.lo) * c), c, 0, e - r0);
      }
    }
  }
}

/**
 * bins[j] = base bin of ts[offset + j] for j < n (-1 outside [0, numBaseBins)). Returns the
 * first j whose time is not >= the one before it (`prev` for j = 0, compared only when
 * `hasPrev`), or -1 when they increase.
 */
function baseBinsOf(ts: Float64Array, offset: number, n: number, prev: number, hasPrev: boolean, bins: Float64Array, numBaseBins: number): number {
  for (let j = 0; j < n; j++) {
    const t = ts[offset + j];
    if (!(t >= prev) && (j > 0 || hasPrev)) return j;
    prev = t;
    const b = binOf(t, BASE_BIN_US);
    bins[j] = b >= 0 && b < numBaseBins ? b : -1;
  }
  return -1;
}

/**
 * Velocity of rows [r0, e) of a series of n rows into out (row-major from 0): central difference
 * (one-sided at the ends), in position units per second; NaN where the neighbours are not apart
 * in time. Non-finite neighbours give NaN, which the sums skip. `ts` starts at row tsLo, `data`
 * at row dataLo; both hold rows r0 - 1 .. e where they exist.
 */
function differentiateInto(ts: Float64Array, tsLo: number, data: Float64Array, dataLo: number, c: number, r0: number, e: number, n: number, out: Float64Array): void {
  for (let i = r0; i < e; i++) {
    const a = i === 0 ? 0 : i - 1;
    const b = i === n - 1 ? n - 1 : i + 1;
    const dt = ts[b - tsLo] - ts[a - tsLo];
    for (let j = 0; j < c; j++) {
      out[(i - r0) * c + j] = dt > 0 ? (data[(b - dataLo) * c + j] - data[(a - dataLo) * c + j]) / dt : NaN;
    }
  }
}

/** The series that reach sample i, where timestamps stop increasing. (Not inline: a closure over the loop would slow it.) */
function rejectFrom(jobs: Job[], i: number): SeriesRejected {
  const paths = [...new Set(jobs.filter((j) => j.series.rows > i).map((j) => j.series.path))];
  return new SeriesRejected(paths, `has timestamps that are not increasing (sample ${i})`);
}

// ------------------------------------------------------------------ trials and targets

function binTrials(
  t: RecordingTrials | null,
  numBins: number,
  durationSeconds: number,
  notes: string[],
): { trials: Trial[]; trialOfBin: Int32Array; targets: Target[] } {
  const trials: Trial[] = [];
  const targets: Target[] = [];
  if (!t) return { trials, trialOfBin: new Int32Array(numBins).fill(-1), targets };

  const targetByKey = new Map<string, Target>();
  const nanStops: number[] = [];
  const success = t.columns.find((c) => c.name === 'success') ?? null;
  const others = t.columns.filter((c) => c.name !== 'success');

  const spans = Array.from({ length: t.count }, (_, i) => {
    const stopTime = t.stopTime[i];
    if (Number.isFinite(stopTime)) return { startTime: t.startTime[i], effectiveStopTime: stopTime };
    // A NaN stop ends at the next trial's start; the last such trial at the end of the recording.
    nanStops.push(i);
    return { startTime: t.startTime[i], effectiveStopTime: i + 1 < t.count ? t.startTime[i + 1] : durationSeconds };
  });
  const bins = trialBins(spans, numBins, BIN_US);

  for (let i = 0; i < t.count; i++) {
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
      startTime: spans[i].startTime,
      stopTime: t.stopTime[i],
      effectiveStopTime: spans[i].effectiveStopTime,
      firstBin: bins.first[i],
      endBin: bins.end[i],
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
  if (bins.overlapping > 0) notes.push(`trials overlap in ${bins.overlapping} bins: such a bin belongs to the earlier trial`);
  return { trials, trialOfBin: bins.trialOfBin, targets };
}

function successOf(col: RecordingTrials['columns'][number] | null, i: number): boolean | null {
  if (!col) return null;
  const v = col.values[i];
  if (typeof v === 'boolean') return v;
  // Written as uint8 by h5wasm-based writers (h5wasm cannot write HDF5 bools).
  if (typeof v === 'number') return Number.isFinite(v) ? v !== 0 : null;
  return null;
}
