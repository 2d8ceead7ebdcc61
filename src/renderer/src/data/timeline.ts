/**
 * Session-timeline arithmetic shared by the scrubber, the step keys and the live readouts.
 *
 * Every function takes the session's bin width (PlaybackInfo.binMs: 5, 10, 20, 25 or 50 ms) and
 * defaults to the stream's 25 ms: positions are whole bins of that width, and a session sends
 * 1000 / binMs packets a second at 1×.
 */
import { BIN_MS, binOf, binStartSeconds, firstBinFrom, isBinWidth } from '../../../shared/bins.ts';

export const BIN_S = BIN_MS / 1000;

/** The session's bin width, or the default 25 ms for an engine that does not say (older hosts, tests). */
export function binMsOf(info: { binMs?: number } | null | undefined): number {
  const ms = info?.binMs;
  return isBinWidth(ms) ? ms : BIN_MS;
}

/** Packets a second at 1× for bins of `binMs`. */
export function packetRateHz(binMs = BIN_MS): number {
  return 1000 / binMs;
}

/**
 * A position the engine accepts for `seek`: snapped down to a bin, inside [0, last bin].
 * (The engine refuses a position at or past the end of the timeline.)
 */
export function clampSeek(seconds: number, durationS: number, binMs = BIN_MS): number {
  if (!Number.isFinite(seconds) || durationS <= 0) return 0;
  const binUs = binMs * 1000;
  const lastBin = Math.max(0, firstBinFrom(durationS, binUs) - 1);
  return binStartSeconds(Math.min(binOf(Math.max(0, seconds), binUs), lastBin), binUs);
}

/** The scrubber: a fraction of the track → a seekable position. */
export function fractionToSeconds(fraction: number, durationS: number, binMs = BIN_MS): number {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return clampSeek(f * durationS, durationS, binMs);
}

export function secondsToFraction(seconds: number, durationS: number): number {
  if (!(durationS > 0)) return 0;
  return Math.min(1, Math.max(0, seconds / durationS));
}

/**
 * Is `pos` the packet `steps` packets after the one at `prevPos` on the session timeline (steps
 * > 1: packets lost on the way, as sequence-number gaps say)? A loop wrap (the end back to 0)
 * counts as continuous; anything else is a seek, a filter change or a jump, after which the
 * live plots start afresh. `slackS` widens the match for a stream whose packets are held back
 * by jitter (the studio's copy then carries a position up to that much late).
 */
export function isContinuous(prevPos: number | null, pos: number, durationS: number, binS = BIN_S, steps = 1, slackS = 0): boolean {
  if (prevPos === null) return true;
  if (!(steps >= 1)) return false;
  const tol = 1e-6 + slackS;
  if (Math.abs(pos - (prevPos + steps * binS)) <= tol) return true;
  return pos <= (steps - 1) * binS + tol && prevPos >= durationS - steps * binS - tol;
}
