/**
 * `phantomlink export` as a user runs it: the real CLI (bin/phantomlink.mjs) in its own process
 * on a recorded run; progress on stderr, a summary on stdout, exit codes, one-line errors.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { recordRun, type RecordedRun } from './support.ts';

let run: RecordedRun;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phantomlink-export-cli-'));
  run = await recordRun(join(work, 'recordings'), 'demo', 120);
  await run.server.close();
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runCli(['export', ...args]);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

describe('phantomlink export', () => {
  it('exports to NWB inside the recording by default, shows progress, and says what it wrote', async () => {
    const r = await cli(run.dir);
    expect(r.code, r.stderr).toBe(0);
    // Inside the recording, named after its folder (`demo_<YYYYMMDD-HHMMSS>Z`).
    expect(basename(run.dir)).toMatch(/^demo_\d{8}-\d{6}Z$/);
    const file = join(run.dir, `${basename(run.dir)}.nwb`);
    expect(r.stdout).toContain(`exported NWB to ${file}`);
    expect(r.stdout).toMatch(/\d+ packets · \d+ predictions from 2 decoder\(s\) · \d+ events/);
    expect(r.stderr).toMatch(/predictions \d+ %/);
    expect(r.stderr).toMatch(/done 100 %/);
    expect((await loadDataset(file)).numBins).toBeGreaterThan(0);
  }, 60_000);

  it('--format csv --out DIR writes the CSV files there', async () => {
    const out = join(work, 'csv files');
    const r = await cli(run.dir, '--format', 'csv', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['events.csv', 'noisy.csv', 'vel_only_2.csv']);
  }, 60_000);

  it('bad usage exits 2 with the usage; a folder that is not a recording, or an output it cannot write, exits 1 with one line', async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/takes one recording folder[\s\S]*Usage: phantomlink export/);
    const fmt = await cli(run.dir, '--format', 'xml');
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toBe('phantomlink: --format must be nwb or csv (got xml)\n');

    const missing = await cli(join(work, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`phantomlink: export failed: ${join(work, 'nope')}: no such folder\n`);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const notRec = await cli(empty);
    expect(notRec.code).toBe(1);
    expect(notRec.stderr.trim().split('\n').at(-1)).toBe(`phantomlink: export failed: ${empty}: not a recording: it has no manifest.json`);

    // A file where a folder should be: fails for any user (root ignores permissions).
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const denied = await cli(run.dir, '--out', join(blocker, 'x.nwb'));
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim().split('\n').at(-1)).toMatch(/^phantomlink: export failed: cannot create .*a-file/);
    const deniedCsv = await cli(run.dir, '--format', 'csv', '--out', join(blocker, 'csv'));
    expect(deniedCsv.code).toBe(1);
    expect(deniedCsv.stderr.trim().split('\n').at(-1)).toMatch(/^phantomlink: export failed: .*(ENOTDIR|EEXIST).*a-file/);
  }, 60_000);
});
