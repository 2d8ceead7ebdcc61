/**
 * Exports started by REST or the studio: `phantomlink export --json` in a child process, its
 * progress followed as it goes, its result or its error reported, one run per recording and
 * format at a time.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { ExportJobs, type ExportJob } from '../../src/main/recorder/exportJobs.ts';
import { TEST_CACHE_DIR } from '../helpers/server.ts';
import { recordRun, type RecordedRun } from './support.ts';

let run: RecordedRun;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phantomlink-export-jobs-'));
  run = await recordRun(join(work, 'recordings'), 'jobs', 120);
  await run.server.close();
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('export jobs', () => {
  it('exports in a child process, reporting its stages as it goes; the file replays', async () => {
    const jobs = new ExportJobs(TEST_CACHE_DIR);
    const seen: ExportJob[] = [];
    jobs.onChange((j) => seen.push(j));
    const first = jobs.start(run.id, run.dir, 'nwb').done;
    const joined = jobs.start(run.id, run.dir, 'nwb').done;
    const [job, again] = await Promise.all([first, joined]);
    expect(job.state, job.error ?? '').toBe('done');
    expect(again).toEqual(job);
    expect(job.path).toBe(join(run.dir, `${run.id}.nwb`));
    expect(existsSync(job.path!)).toBe(true);
    expect(job.omitted).toEqual([]);
    expect((await loadDataset(job.path!)).numBins).toBeGreaterThan(0);

    const running = seen.filter((j) => j.state === 'running');
    expect(running.length).toBeGreaterThan(3);
    const fractions = running.map((j) => j.fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(new Set(running.map((j) => j.stage)).size).toBeGreaterThan(2);
    expect(seen.at(-1)).toMatchObject({ state: 'done', fraction: 1 });
    expect(jobs.list()).toEqual([job]);
  }, 90_000);

  it('CSV too; a folder that is not a recording fails with the reason, and the next export still works', async () => {
    const jobs = new ExportJobs(TEST_CACHE_DIR);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const bad = await jobs.start('empty', empty, 'nwb').done;
    expect(bad.state).toBe('failed');
    expect(bad.error).toBe(`${empty}: not a recording: it has no manifest.json`);
    const csv = await jobs.start(run.id, run.dir, 'csv').done;
    expect(csv.state, csv.error ?? '').toBe('done');
    expect(csv.files.map((f) => f.split('/').at(-1)).sort()).toEqual(['events.csv', 'noisy.csv', 'vel_only_2.csv']);
    expect(jobs.list().map((j) => j.state)).toEqual(['failed', 'done']);
  }, 90_000);
});
