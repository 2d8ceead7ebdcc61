/**
 * The bin rule (architecture.md "Data semantics"), in one place for the engine and the studio.
 *
 * Bin k of a stream covers [k·width, (k+1)·width) of the recording's clock. Times go through
 * integer microseconds first, so 0.075 s lands in bin 3 although 0.075 / 0.025 is
 * 2.9999999999999996 in floating point. Every function takes the width in microseconds and
 * defaults to the stream's 25 ms.
 */

/** Width of one bin and one packet of the default stream (the guide's 40 Hz). */
export const BIN_MS = 25;
export const BIN_US = BIN_MS * 1000;
export const FREQUENCY_HZ = 1000 / BIN_MS;

/** The widths a session may stream at (ms); the packet rate follows (200, 100, 50, 40, 20 Hz). */
export const BIN_WIDTHS_MS = [5, 10, 20, 25, 50] as const;
export type BinWidthMs = (typeof BIN_WIDTHS_MS)[number];

export function isBinWidth(ms: unknown): ms is BinWidthMs {
  return (BIN_WIDTHS_MS as readonly unknown[]).includes(ms);
}

/** Seconds → integer microseconds, the unit every bin comparison is made in. */
export function toMicros(seconds: number): number {
  return Math.round(seconds * 1e6);
}

/** The bin that contains time `t` (seconds): floor(round(t·1e6) / width). */
export function binOf(t: number, binUs = BIN_US): number {
  return Math.floor(toMicros(t) / binUs);
}

/** The first bin that starts at or after `t`: the first bin of a trial that starts at `t`. */
export function firstBinFrom(t: number, binUs = BIN_US): number {
  return Math.ceil(toMicros(t) / binUs);
}

/** Whole bins in a recording of `durationS` seconds: floor(duration / width), float-safe. */
export function binCount(durationS: number, binUs = BIN_US): number {
  return Math.max(0, Math.floor(toMicros(durationS) / binUs));
}

/** Start of bin k (or the length of k bins), in seconds. */
export function binStartSeconds(k: number, binUs = BIN_US): number {
  return (k * binUs) / 1e6;
}
