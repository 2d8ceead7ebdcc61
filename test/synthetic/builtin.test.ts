import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { writeMcMazeNwb } from '../../src/main/dataset/nwbWriter.ts';
import { builtinCacheFileName, builtinRecordingPath, defaultCacheDir } from '../../src/main/dataset/synthetic/builtin.ts';
import { generateMcMazeLike } from '../../src/main/dataset/synthetic/model.ts';
import { MODEL_VERSION } from '../../src/main/dataset/synthetic/presets.ts';

// The real writer, wrapped so the tests can count how often a file is generated and written.
vi.mock('../../src/main/dataset/nwbWriter.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/main/dataset/nwbWriter.ts')>();
  return { ...real, writeMcMazeNwb: vi.fn(real.writeMcMazeNwb) };
});
const writes = vi.mocked(writeMcMazeNwb);

const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'phantomlink-synth-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
// Block body: a function returned from beforeEach would be run as a teardown (mockClear returns the mock).
beforeEach(() => {
  writes.mockClear();
});

describe('builtinRecordingPath', () => {
  const dir = freshDir();
  let path = '';

  it('writes the recording once, named by preset, seed and model version', async () => {
    path = await builtinRecordingPath('default', { cacheDir: dir });
    expect(path).toBe(join(dir, `mc_maze-synthetic-default-seed1-model-v${MODEL_VERSION}.nwb`));
    expect(writes).toHaveBeenCalledTimes(1);
    expect(statSync(path).size).toBeGreaterThan(10_000_000);
    // Written through a temp file and renamed: nothing else is left behind.
    expect(readdirSync(dir)).toEqual([`mc_maze-synthetic-default-seed1-model-v${MODEL_VERSION}.nwb`]);
  });

  it('reuses the cached file on the next call (no rewrite, mtime unchanged)', async () => {
    const before = statSync(path).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await builtinRecordingPath('default', { cacheDir: dir })).toBe(path);
    expect(writes).not.toHaveBeenCalled();
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('loads through the real NWB reader as the generated session', async () => {
    const rec = generateMcMazeLike('default', 1);
    const ds = await loadDataset(path, { synthetic: true });
    expect(ds.numUnits).toBe(142);
    expect(ds.unitIds).toEqual(rec.units.ids);
    expect(ds.trials).toHaveLength(rec.trials!.start_time.length);
    expect(ds.trials[7].startTime).toBe(rec.trials!.start_time[7]);
    expect(ds.trials[7].columns.maze_id).toBe(rec.trials!.maze_id[7]);
    expect(ds.durationSeconds).toBe(rec.behavior!.timestamps[rec.behavior!.timestamps.length - 1]);
    const generated = rec.units.spikeTimes.reduce((s, a) => s + a.length, 0);
    // Only the spikes in the final partial bin fall outside the stream.
    expect(ds.totalSpikes).toBeLessThanOrEqual(generated);
    expect(ds.totalSpikes).toBeGreaterThan(generated - 50);
    expect(ds.targets.length).toBeGreaterThan(20);
    expect(ds.provenance.synthetic).toBe(true);
    expect(ds.provenance.description).toContain('SYNTHETIC');
  });

  it('shares one generation between concurrent callers', async () => {
    const d = freshDir();
    const paths = await Promise.all([1, 2, 3].map(() => builtinRecordingPath('default', { cacheDir: d, seed: 2 })));
    expect(new Set(paths).size).toBe(1);
    expect(paths[0]).toContain('-seed2-');
    expect(writes).toHaveBeenCalledTimes(1);
  });

  it('regenerates a foreign or damaged file found under the cache name', async () => {
    const d = freshDir();
    const target = join(d, builtinCacheFileName('default', 3));
    writeFileSync(target, 'not an NWB file');
    expect(await builtinRecordingPath('default', { cacheDir: d, seed: 3 })).toBe(target);
    expect(writes).toHaveBeenCalledTimes(1);
    expect(statSync(target).size).toBeGreaterThan(10_000_000);
  });

  it('refuses unknown presets and bad seeds without writing anything', async () => {
    const d = freshDir();
    await expect(builtinRecordingPath('tiny' as never, { cacheDir: d })).rejects.toThrow(/unknown synthetic preset/);
    await expect(builtinRecordingPath('default', { cacheDir: d, seed: -4 })).rejects.toThrow(RangeError);
    await expect(builtinRecordingPath('default', { cacheDir: d, seed: Number.NaN })).rejects.toThrow(RangeError);
    expect(writes).not.toHaveBeenCalled();
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('defaultCacheDir', () => {
  const saved = process.env.PHANTOMLINK_CACHE_DIR;
  afterAll(() => {
    if (saved === undefined) delete process.env.PHANTOMLINK_CACHE_DIR;
    else process.env.PHANTOMLINK_CACHE_DIR = saved;
  });

  it('uses $PHANTOMLINK_CACHE_DIR, else ~/.cache/phantomlink (an empty variable counts as unset)', () => {
    process.env.PHANTOMLINK_CACHE_DIR = '/somewhere/else';
    expect(defaultCacheDir()).toBe('/somewhere/else');
    process.env.PHANTOMLINK_CACHE_DIR = '';
    expect(defaultCacheDir()).toBe(join(homedir(), '.cache', 'phantomlink'));
    delete process.env.PHANTOMLINK_CACHE_DIR;
    expect(defaultCacheDir()).toBe(join(homedir(), '.cache', 'phantomlink'));
  });

  it('names files so that a new model version never reuses an old cache', () => {
    expect(builtinCacheFileName('full', 9)).toBe(`mc_maze-synthetic-full-seed9-model-v${MODEL_VERSION}.nwb`);
    expect(builtinCacheFileName('default')).not.toBe(builtinCacheFileName('full'));
  });
});
