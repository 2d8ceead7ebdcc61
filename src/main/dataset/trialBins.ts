import { firstBinFrom } from '../../shared/bins.ts';

/** A trial's time span, as the bin rule needs it. */
export interface TrialSpan {
  startTime: number;
  /** stop_time, or where a NaN stop ends (the next trial's start). */
  effectiveStopTime: number;
}

/**
 * Which bins of a stream of `binUs` wide bins belong to which trial (architecture.md): bin k is
 * in a trial when start ≤ k·width < stop, compared in integer microseconds; a bin two trials
 * overlap on stays with the earlier row. One rule for every width.
 */
export function trialBins(trials: readonly TrialSpan[], numBins: number, binUs: number): { first: Int32Array; end: Int32Array; trialOfBin: Int32Array; overlapping: number } {
  const first = new Int32Array(trials.length);
  const end = new Int32Array(trials.length);
  const trialOfBin = new Int32Array(numBins).fill(-1);
  let overlapping = 0;
  trials.forEach((t, i) => {
    if (!Number.isFinite(t.startTime) || !Number.isFinite(t.effectiveStopTime)) return;
    first[i] = clamp(firstBinFrom(t.startTime, binUs), 0, numBins);
    end[i] = clamp(firstBinFrom(t.effectiveStopTime, binUs), first[i], numBins);
    for (let k = first[i]; k < end[i]; k++) {
      if (trialOfBin[k] === -1) trialOfBin[k] = i;
      else overlapping++;
    }
  });
  return { first, end, trialOfBin, overlapping };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
