/** Session-timeline arithmetic shared by the scrubber, the step keys and the live readouts. */
import { BIN_MS, binOf, binStartSeconds, firstBinFrom } from '../../../shared/bins.ts';

export const BIN_S = BIN_MS / 1000;

/**
 * A position the engine accepts for `seek`: snapped down to a bin, inside [0, last bin].
 * (The engine refuses a position at or past the end of the timeline.)
 */
export function clampSeek(seconds: number, durationS: number): number {
  if (!Number.isFinite(seconds) || durationS <= 0) return 0;
  const lastBin = Math.max(0, firstBinFrom(durationS) - 1);
  return binStartSeconds(Math.min(binOf(Math.max(0, seconds)), lastBin));
}

/** The scrubber: a fraction of the track → a seekable position. */
export function fractionToSeconds(fraction: number, durationS: number): number {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return clampSeek(f * durationS, durationS);
}

export function secondsToFraction(seconds: number, durationS: number): number {
  if (!(durationS > 0)) return 0;
  return Math.min(1, Math.max(0, seconds / durationS));
}

/**
 * Is `pos` the packet after `prev` on the session timeline? A loop wrap (the end back to 0)
 * counts as continuous; anything else is a seek, a filter change or a jump, after which the
 * live plots start afresh.
 */
export function isContinuous(prevPos: number | null, pos: number, durationS: number): boolean {
  if (prevPos === null) return true;
  if (Math.abs(pos - (prevPos + BIN_S)) < 1e-6) return true;
  return pos < 1e-6 && prevPos >= durationS - BIN_S - 1e-6;
}
