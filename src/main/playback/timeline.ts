import type { BinnedStream, Dataset } from '../dataset/types.ts';
import { DomainError } from '../common/errors.ts';
import { BIN_US, binStartSeconds } from '../../shared/bins.ts';
import type { SessionFilters } from '../../shared/wire.ts';

/** A filter the dataset cannot honour. */
export class FilterError extends DomainError<'unknown_trial' | 'unknown_target' | 'empty_timeline'> {}

/**
 * The bins a session plays, in order: the whole recording, one trial, or every trial aimed
 * at a target. Stored as bin ranges, not one entry per bin, so an unfiltered timeline of a
 * 90-minute recording costs a few bytes per session.
 */
export class Timeline {
  /** Total number of packets in the timeline. */
  readonly length: number;
  /** starts[i]..ends[i] (exclusive) is range i; offsets[i] is its first position in the timeline. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly offsets: Int32Array;

  constructor(
    ranges: Array<readonly [number, number]>,
    /** Width of a bin (the session's), for durations. */
    private readonly binUs = BIN_US,
  ) {
    const kept = ranges.filter(([s, e]) => e > s);
    this.starts = Int32Array.from(kept, (r) => r[0]);
    this.ends = Int32Array.from(kept, (r) => r[1]);
    this.offsets = new Int32Array(kept.length);
    let total = 0;
    kept.forEach(([s, e], i) => {
      this.offsets[i] = total;
      total += e - s;
    });
    this.length = total;
  }

  /** The recording bin at timeline position `pos` (0 ≤ pos < length). */
  binAt(pos: number): number {
    // Binary search for the last range whose offset ≤ pos.
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.starts[lo] + (pos - this.offsets[lo]);
  }

  /** Timeline position of the first occurrence of a recording bin at or after `bin`, or -1. */
  positionOfBin(bin: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      if (bin < this.ends[i]) return this.offsets[i] + Math.max(0, bin - this.starts[i]);
    }
    return -1;
  }

  /** Timeline positions where a new range starts (trial boundaries when filtered). */
  rangeStarts(): number[] {
    return Array.from(this.offsets);
  }

  get durationSeconds(): number {
    return binStartSeconds(this.length, this.binUs);
  }
}

/** The timeline of `filters` over the dataset's bins at the width of `stream` (25 ms: the dataset itself). */
export function buildTimeline(ds: Dataset, filters: SessionFilters, stream: BinnedStream = ds): Timeline {
  const { trial_id: trialId, target_id: targetId } = filters;
  if (trialId === null && targetId === null) {
    if (stream.numBins === 0) throw new FilterError('empty_timeline', 'the dataset has no bins to play');
    return new Timeline([[0, stream.numBins]], stream.binUs);
  }
  if (trialId !== null && (trialId < 0 || trialId >= ds.trials.length)) {
    throw new FilterError(
      'unknown_trial',
      ds.trials.length === 0
        ? `trial_id=${trialId}: this dataset has no trials`
        : `trial_id=${trialId} does not exist (trials are 0..${ds.trials.length - 1})`,
    );
  }
  if (targetId !== null && (targetId < 0 || targetId >= ds.targets.length)) {
    throw new FilterError(
      'unknown_target',
      ds.targets.length === 0
        ? `target_id=${targetId}: this dataset has no targets`
        : `target_id=${targetId} does not exist (targets are 0..${ds.targets.length - 1})`,
    );
  }
  const trials = ds.trials.filter(
    (t) => (trialId === null || t.id === trialId) && (targetId === null || t.targetId === targetId),
  );
  const timeline = new Timeline(trials.map((t) => stream.trialRange(t.id)), stream.binUs);
  if (timeline.length === 0) {
    const what =
      trialId !== null && targetId !== null
        ? `trial ${trialId} is not aimed at target ${targetId}`
        : trialId !== null
          ? `trial ${trialId} has no bins inside the recording`
          : `no trial aimed at target ${targetId} has bins inside the recording`;
    throw new FilterError('empty_timeline', `nothing to play: ${what}`);
  }
  return timeline;
}
