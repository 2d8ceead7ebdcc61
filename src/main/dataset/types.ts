import type { DatasetProvenance } from '../../shared/wire.ts';
import type { BaseRecording, CountSink } from './baseBins.ts';

export type { CountSink } from './baseBins.ts';

/**
 * The recording at one bin width, as a session streams it: bin k covers [k·width, (k+1)·width).
 * Every width a session may use (5, 10, 20, 25, 50 ms) is derived from the same 5 ms base bins.
 */
export interface BinnedStream {
  readonly binMs: number;
  readonly binUs: number;
  /** Whole bins in the recording at this width: floor(duration / width). */
  readonly numBins: number;
  /** Trial row of each bin, -1 outside trials. */
  readonly trialOfBin: Int32Array;
  /** First and one-past-last bin of trial row `trial` at this width. */
  trialRange(trial: number): readonly [number, number];
  /** Spike counts of bin `bin`, unit by unit, into out[0 .. numUnits) (overwritten). Exact. */
  countsInto(bin: number, out: CountSink): void;
  /**
   * Kinematics of bin `bin`: means of the samples in the bin (a sample counts when all its
   * coordinates are finite). NaN where the bin has no such sample, and everywhere when the file
   * has no behaviour.
   */
  kinematicsAt(bin: number): BinKinematics;
}

/**
 * A recording loaded for streaming. Immutable: playback only reads it.
 * Bin k of the stream covers [k·25 ms, (k+1)·25 ms) of the NWB session clock.
 *
 * Spikes and behaviour are kept once, at a 5 ms base resolution (`base`), and a bin's counts
 * and kinematics are derived from its base bins when a packet is built: a few dozen spikes
 * per bin. Any width that is a multiple of 5 ms can be derived the same way.
 */
export interface Dataset extends BinnedStream {
  readonly provenance: DatasetProvenance;
  readonly numUnits: number;
  /** NWB unit ids in channel order. */
  readonly unitIds: number[];
  /** `total_packets` = floor(durationSeconds · 40). */
  readonly numBins: number;
  readonly durationSeconds: number;
  /** Total spikes counted into bins (spikes at or after the last bin are outside the stream). */
  readonly totalSpikes: number;
  /** Which series feed kinematics; null when the file has no behaviour (every kinematics field is then null). */
  readonly kinematics: KinematicsSources | null;
  /** Trial row of each bin, -1 outside trials. */
  readonly trialOfBin: Int32Array;
  readonly trials: Trial[];
  /** Distinct target positions, in order of first appearance. */
  readonly targets: Target[];
  /** What the loader found and what it had to assume, for the UI and logs. */
  readonly notes: string[];
  /** The recording at the base resolution, from which every bin is derived. */
  readonly base: BaseRecording;
  /** The recording at another width (made once per width; the 25 ms stream is the dataset itself). */
  at(binMs: number): BinnedStream;
}

export interface KinematicsSources {
  /** Which NWB series fed each field, e.g. `cursor_pos` or `hand_vel`; `none` when nothing did. */
  positionSource: string;
  velocitySource: string;
}

/** One bin's kinematics; NaN where there is no sample (null on the wire). */
export interface BinKinematics {
  x: number;
  y: number;
  vx: number;
  vy: number;
}

export interface Trial {
  /** 0-based trial row; this is `trial_id` on the wire. */
  id: number;
  /** The NWB `id` column of the trials table. */
  nwbId: number;
  startTime: number;
  /** As stored (may be NaN). */
  stopTime: number;
  /** Where the trial's bins end: stop_time, or the next trial's start when stop_time is NaN. */
  effectiveStopTime: number;
  /** First and one-past-last bin of the trial; firstBin == endBin for a trial shorter than a bin. */
  firstBin: number;
  endBin: number;
  /** Index into Dataset.targets of the trial's active target, or null. */
  targetId: number | null;
  success: boolean | null;
  /** Every other scalar column of the trials table, by NWB column name (NaN → null). */
  columns: Record<string, number | string | boolean | null>;
}

export interface Target {
  id: number;
  x: number;
  y: number;
  /** Trial rows whose active target this is. */
  trialIds: number[];
}
