import type { DatasetProvenance } from '../../shared/wire.ts';

/**
 * A recording binned once at load into typed arrays. Immutable: playback only indexes it.
 * Bin k covers [k·25 ms, (k+1)·25 ms) of the NWB session clock.
 */
export interface Dataset {
  readonly provenance: DatasetProvenance;
  readonly numUnits: number;
  /** NWB unit ids in channel order. */
  readonly unitIds: number[];
  /** `total_packets` = floor(durationSeconds · 40). */
  readonly numBins: number;
  readonly durationSeconds: number;
  /** Bin-major counts: bin k's channels are `spikeCounts.subarray(k·numUnits, (k+1)·numUnits)`. */
  readonly spikeCounts: Uint16Array;
  /** Total spikes counted into bins (spikes at or after the last bin are outside the stream). */
  readonly totalSpikes: number;
  /** Per-bin kinematics; NaN where the bin has no finite sample; null when the file has no behaviour. */
  readonly kinematics: Kinematics | null;
  /** Trial row of each bin, -1 outside trials. */
  readonly trialOfBin: Int32Array;
  readonly trials: Trial[];
  /** Distinct target positions, in order of first appearance. */
  readonly targets: Target[];
  /** What the loader found and what it had to assume, for the UI and logs. */
  readonly notes: string[];
}

export interface Kinematics {
  x: Float64Array;
  y: Float64Array;
  vx: Float64Array;
  vy: Float64Array;
  /** Which NWB series fed each field, e.g. `cursor_pos` or `hand_vel`. */
  positionSource: string;
  velocitySource: string;
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
