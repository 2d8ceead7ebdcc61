/**
 * The built-in recording on disk: generated once per (preset, seed, model version), written as
 * an MC_Maze-layout NWB file in a cache directory, and then loaded like any other NWB file, so
 * the synthetic session exercises the real reader end to end.
 *
 * Cache path: `<cacheDir>/mc_maze-synthetic-<preset>-seed<seed>-model-v<MODEL_VERSION>.nwb`,
 * with cacheDir = opts.cacheDir, else $PHANTOMLINK_CACHE_DIR, else ~/.cache/phantomlink.
 * A changed model gets a new MODEL_VERSION and so a new name: a stale file is never reused
 * (old versions are left in place; they are inert).
 *
 * Concurrency: callers in this process asking for the same file share one generation. The
 * writer renames a finished temp file into place, so another process never sees a partial
 * file; two processes racing both generate the same bytes and the last rename wins.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeMcMazeNwb } from '../nwbWriter.ts';
import { generateMcMazeLike } from './model.ts';
import { assertValidPreset, assertValidSeed, isSyntheticPreset, MODEL_VERSION, SYNTHETIC_PRESETS, type SyntheticPreset } from './presets.ts';

export type { SyntheticPreset } from './presets.ts';

export interface BuiltinOptions {
  cacheDir?: string;
  /** Default 1. */
  seed?: number;
}

/** $PHANTOMLINK_CACHE_DIR when set and non-empty, else ~/.cache/phantomlink. */
export function defaultCacheDir(): string {
  // `||`, not `??`: an empty variable would otherwise resolve to the working directory.
  return process.env.PHANTOMLINK_CACHE_DIR || join(homedir(), '.cache', 'phantomlink');
}

export function builtinCacheFileName(preset: SyntheticPreset, seed = 1): string {
  assertValidPreset(preset);
  assertValidSeed(seed);
  return `mc_maze-synthetic-${preset}-seed${seed}-model-v${MODEL_VERSION}.nwb`;
}

const inFlight = new Map<string, Promise<string>>();

/** Absolute path of the cached built-in recording, generating and writing it first if absent. */
export async function builtinRecordingPath(preset: SyntheticPreset, opts: BuiltinOptions = {}): Promise<string> {
  const seed = opts.seed ?? 1;
  const file = join(resolve(opts.cacheDir ?? defaultCacheDir()), builtinCacheFileName(preset, seed));
  if (isUsableCache(file)) return file;
  let pending = inFlight.get(file);
  if (!pending) {
    pending = (async () => {
      mkdirSync(resolve(file, '..'), { recursive: true });
      const recording = generateMcMazeLike(preset, seed);
      await writeMcMazeNwb(file, recording, { targetPosDtype: SYNTHETIC_PRESETS[preset].targetPosDtype });
      return file;
    })().finally(() => inFlight.delete(file));
    inFlight.set(file, pending);
  }
  return pending;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A cache file is used only if it is a regular file starting with the HDF5 signature. Files are
 * renamed into place whole, so this only rejects something foreign or damaged at that name,
 * which is then regenerated rather than handed to the reader.
 */
function isUsableCache(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(8);
      return readSync(fd, head, 0, 8, 0) === 8 && head.equals(HDF5_SIGNATURE);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

const CACHE_NAME = /^mc_maze-synthetic-([a-z]+)-seed(\d{1,10})-model-v\d+\.nwb$/;

/**
 * The preset and seed a built-in recording was generated from, read back from its cache file
 * name (see builtinCacheFileName); null for any other file. What recordings name instead of a
 * hash: the same preset and seed regenerate the same file.
 */
export function builtinOrigin(path: string): { preset: SyntheticPreset; seed: number } | null {
  const m = CACHE_NAME.exec(path.split(/[\\/]/).pop() ?? '');
  if (!m || !isSyntheticPreset(m[1])) return null;
  const seed = Number(m[2]);
  return seed <= 0xffffffff ? { preset: m[1], seed } : null;
}
