/**
 * Sizes of the synthetic sessions, and the model version that names the cache file.
 *
 * `default` has the unit count of MC_Maze small (142, the file the original Python server
 * shipped) with more trials, so a demo has ten minutes of material; `full` has the dimensions
 * of the MC_Maze full train file (DANDI 000128: 182 units, 2295 trials, ~3.6M spikes).
 * The held-out counts are those of the Neural Latents Benchmark splits (small 35 of 142,
 * full 45 of 182).
 */

/**
 * Version of the generative model. Bump it whenever anything in `synthetic/` changes the
 * generated arrays: the cache file name contains it, so a stale cache is never reused.
 */
export const MODEL_VERSION = 1;

export type SyntheticPreset = 'default' | 'full';

export interface PresetSpec {
  readonly units: number;
  readonly heldoutUnits: number;
  readonly trials: number;
  /**
   * The session is stretched to about this length by spreading the inter-trial intervals
   * (never shorter than the trials themselves need).
   */
  readonly targetDurationS: number;
  /** MC_Maze full/large store target_pos as int16, medium/small as int64; mimic the original. */
  readonly targetPosDtype: 'int16' | 'int64';
}

export const SYNTHETIC_PRESETS: Readonly<Record<SyntheticPreset, PresetSpec>> = {
  default: { units: 142, heldoutUnits: 35, trials: 240, targetDurationS: 600, targetPosDtype: 'int64' },
  full: { units: 182, heldoutUnits: 45, trials: 2295, targetDurationS: 5400, targetPosDtype: 'int16' },
};

export function isSyntheticPreset(value: unknown): value is SyntheticPreset {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SYNTHETIC_PRESETS, value);
}

/** Seeds are 32-bit unsigned integers (the PRNG's seed width); anything else is refused. */
export function assertValidSeed(seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`synthetic seed must be an integer in [0, 4294967295], got ${String(seed)}`);
  }
}

export function assertValidPreset(preset: unknown): asserts preset is SyntheticPreset {
  if (!isSyntheticPreset(preset)) {
    throw new RangeError(`unknown synthetic preset ${JSON.stringify(preset)}; expected one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  }
}
