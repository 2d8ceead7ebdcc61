import type { AxisScore, DecoderCounts, ScoreSet } from '../../shared/studioApi.ts';
import { AXES } from '../../shared/wire.ts';
import { DurationWindow } from '../playback/durationWindow.ts';
import { LogHistogram } from '../playback/logHistogram.ts';
import { SentLog } from '../playback/sentLog.ts';
import { PairMoments, varianceWeightedR2 } from './pairMoments.ts';

/**
 * Upper bounds (s) of the latency buckets exported to Prometheus: counted here as predictions
 * arrive (a scan of ten bounds), read at scrape time. prom-client's own histogram hashed its
 * labels on every prediction: ~5 µs each, 15 % of ingesting a prediction (bench/README.md, ingest).
 */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1] as const;

/** The rolling scores cover this much wall time. */
export const ROLLING_S = 30;
/** Per-trial scores are kept for this many recent trials. */
export const TRIALS_KEPT = 50;

const AXIS_COUNT = AXES.length;
const axisMoments = () => PairMoments.block(AXIS_COUNT);

/**
 * Pair moments per axis over the last ROLLING_S seconds: one bucket per second of wall time,
 * merged when read (exactly: PairMoments.merge), so adding a pair stays O(1).
 */
class RollingMoments {
  /** Second s's moment of axis a: all[s * AXIS_COUNT + a], on one block. */
  private readonly all = PairMoments.block(ROLLING_S * AXIS_COUNT);
  private readonly secondOf = new Float64Array(ROLLING_S).fill(-1);
  private readonly merged = axisMoments();

  add(nowMs: number, axis: number, y: number, p: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % ROLLING_S;
    if (this.secondOf[slot] !== second) {
      for (let a = 0; a < AXIS_COUNT; a++) this.all[slot * AXIS_COUNT + a].reset();
      this.secondOf[slot] = second;
    }
    this.all[slot * AXIS_COUNT + axis].add(y, p);
  }

  /** The merged moments of the window ending now (valid until the next read). */
  read(nowMs: number): PairMoments[] {
    const now = Math.floor(nowMs / 1000);
    for (const m of this.merged) m.reset();
    for (let s = 0; s < ROLLING_S; s++) {
      if (this.secondOf[s] < 0 || now - this.secondOf[s] >= ROLLING_S) continue;
      for (let a = 0; a < AXIS_COUNT; a++) this.merged[a].merge(this.all[s * AXIS_COUNT + a]);
    }
    return this.merged;
  }

  reset(): void {
    this.secondOf.fill(-1);
  }
}

/**
 * Pair moments per axis for each of the most recent trials: TRIALS_KEPT slots used in turn, so
 * a new trial takes the oldest one's place and nothing is allocated as trials come and go.
 */
class TrialMoments {
  /** Slot s's moment of axis a: moments[s * AXIS_COUNT + a], on one block. */
  private readonly moments = PairMoments.block(TRIALS_KEPT * AXIS_COUNT);
  private readonly trialOf = new Float64Array(TRIALS_KEPT);
  private readonly slotOf = new Map<number, number>();
  /** The slot the next new trial takes: the oldest one's once all are used. */
  private next = 0;

  add(trial: number, axis: number, y: number, p: number): void {
    let s = this.slotOf.get(trial);
    if (s === undefined) {
      s = this.next;
      this.next = (s + 1) % TRIALS_KEPT;
      if (this.slotOf.size === TRIALS_KEPT) this.slotOf.delete(this.trialOf[s]);
      this.trialOf[s] = trial;
      this.slotOf.set(trial, s);
      for (let a = 0; a < AXIS_COUNT; a++) this.moments[s * AXIS_COUNT + a].reset();
    }
    this.moments[s * AXIS_COUNT + axis].add(y, p);
  }

  /** Oldest first, in the order the trials were first scored. */
  list(): Array<{ trialId: number; r2: number | null; n: number }> {
    const used = this.slotOf.size;
    const first = used === TRIALS_KEPT ? this.next : 0;
    const out = new Array<{ trialId: number; r2: number | null; n: number }>(used);
    for (let k = 0; k < used; k++) {
      const s = (first + k) % TRIALS_KEPT;
      const from = s * AXIS_COUNT;
      let n = 0;
      for (let a = 0; a < AXIS_COUNT; a++) n = Math.max(n, this.moments[from + a].n);
      out[k] = { trialId: this.trialOf[s], r2: varianceWeightedR2(this.moments, from, from + AXIS_COUNT), n };
    }
    return out;
  }

  reset(): void {
    this.slotOf.clear();
    this.next = 0;
  }
}

const zeroCounts = (): DecoderCounts => ({
  predictions: 0,
  evaluated: 0,
  missing: 0,
  late: 0,
  duplicates: 0,
  stale: 0,
  unknown: 0,
  invalid: 0,
  throttled: 0,
});

/**
 * Everything one decoder has earned since the last reset: counts, scores (cumulative, rolling,
 * per trial) and latencies, and which packets it has answered.
 */
export class DecoderScores {
  counts = zeroCounts();
  /** Which axes it has predicted (a finite value at least once). */
  readonly predicted = new Uint8Array(AXES.length);
  readonly cumulative = axisMoments();
  readonly rolling = new RollingMoments();
  readonly trials = new TrialMoments();
  readonly latency = new LogHistogram();
  readonly latencyWindow = new DurationWindow(ROLLING_S * 1000);
  readonly reported = new LogHistogram();
  /** Predictions per latency bucket (the last slot: over the top bound), and their sum (s). */
  readonly latencyBuckets = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  latencySumS = 0;
  /** answered[seq % capacity] = seq of the packet answered there (the first prediction wins). */
  readonly answered = new Float64Array(SentLog.CAPACITY).fill(-1);
  /** Predictions for packets before this one are stale: sent before it connected or before a reset. */
  sinceSeq = 0;
  /**
   * Packets before this one have been checked for a missing answer; -1 until the decoder
   * answers its first packet (a decoder that trains first is not missing anything yet).
   */
  checkedUpTo = -1;
  /** The first packet checked for a missing answer (the first one it answered). */
  countedFrom = -1;

  /** Starts afresh from packet `sinceSeq` on. */
  reset(sinceSeq: number): void {
    this.counts = zeroCounts();
    this.predicted.fill(0);
    for (const m of this.cumulative) m.reset();
    this.rolling.reset();
    this.trials.reset();
    this.latency.reset();
    this.latencyWindow.reset();
    this.reported.reset();
    this.latencyBuckets.fill(0);
    this.latencySumS = 0;
    this.restartAt(sinceSeq);
  }

  /** A new connection under this decoder's name: its counts go on, its packets start at `sinceSeq`. */
  restartAt(sinceSeq: number): void {
    this.answered.fill(-1);
    this.sinceSeq = sinceSeq;
    this.checkedUpTo = -1;
    this.countedFrom = -1;
  }

  /** Records one prediction's round-trip latency everywhere it is reported. */
  recordLatency(arrivalMs: number, ms: number): void {
    this.latency.record(ms);
    this.latencyWindow.record(arrivalMs, ms);
    const s = ms / 1000;
    let b = 0;
    while (b < LATENCY_BUCKETS_S.length && s > LATENCY_BUCKETS_S[b]) b++;
    this.latencyBuckets[b]++;
    this.latencySumS += s;
  }

  /** Scores one axis of one prediction. */
  score(nowMs: number, axis: number, trial: number, y: number, p: number): void {
    this.cumulative[axis].add(y, p);
    this.rolling.add(nowMs, axis, y, p);
    if (trial >= 0) this.trials.add(trial, axis, y, p);
  }

  scoreSet(moments: readonly PairMoments[]): ScoreSet {
    const axes: ScoreSet['axes'] = {};
    const used: PairMoments[] = [];
    let n = 0;
    AXES.forEach((axis, a) => {
      if (!this.predicted[a]) return;
      const m = moments[a];
      axes[axis] = { r2: m.r2, r: m.r, rmse: m.rmse, n: m.n } satisfies AxisScore;
      used.push(m);
      n = Math.max(n, m.n);
    });
    return { axes, r2: varianceWeightedR2(used), n };
  }
}
