/**
 * Recordings as they come in the field: cut short by a crash, damaged by hand, moved without
 * their source file, or not recordings at all. Export writes what it can and says what it
 * left out; a folder it cannot read at all gets one clear error.
 */
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { exportRecording, RecordingError } from '../../src/main/recorder/exportRecording.ts';
import { fileSha256 } from '../../src/main/recorder/sourceDataset.ts';
import type { PredictionRecord, RecordingManifest } from '../../src/main/recorder/format.ts';
import { TEST_CACHE_DIR } from '../helpers/server.ts';
import { jsonl, recordRun, type RecordedRun } from './support.ts';

let run: RecordedRun;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phantomlink-export-input-'));
  run = await recordRun(join(work, 'recordings'), 'rec-input', 200);
}, 60_000);

afterAll(async () => {
  await run?.server.close();
  rmSync(work, { recursive: true, force: true });
});

/** A copy of the recorded run to damage. */
function copy(name: string): string {
  const dir = join(work, name);
  cpSync(run.dir, dir, { recursive: true });
  rmSync(join(dir, `${run.id}.nwb`), { force: true });
  return dir;
}

const exportTo = (dir: string, format: 'nwb' | 'csv' = 'nwb') => exportRecording(dir, { format, cacheDir: TEST_CACHE_DIR, out: join(dir, format === 'nwb' ? 'out.nwb' : 'csv') });

function editManifest(dir: string, edit: (m: RecordingManifest) => void): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m));
}

describe('a recording cut short', () => {
  it('partial last lines (a killed process) are skipped and reported; everything before them is exported', async () => {
    const dir = copy('killed');
    editManifest(dir, (m) => ((m.status = 'recording'), (m.stopped_at = null)));
    const preds = jsonl<PredictionRecord>(dir, 'predictions.jsonl');
    // Cut the last prediction line and the last packet line in the middle.
    for (const f of ['predictions.jsonl', 'packets.jsonl']) truncateSync(join(dir, f), statSync(join(dir, f)).size - 7);
    const r = await exportTo(dir);
    const total = r.decoders.reduce((n, d) => n + d.predictions, 0);
    expect(total).toBe(preds.length - 1);
    expect(r.omitted).toEqual(expect.arrayContaining([expect.stringMatching(/partial last line of predictions\.jsonl/), expect.stringMatching(/partial last line of packets\.jsonl/)]));
    // Still a file our loader plays.
    const ds = await loadDataset(r.path);
    expect(ds.numBins).toBeGreaterThan(0);
  });

  it('a recording with no predictions or events yet (killed at once) exports its packets', async () => {
    const dir = copy('early');
    rmSync(join(dir, 'predictions.jsonl'));
    rmSync(join(dir, 'scores.jsonl'));
    writeFileSync(join(dir, 'events.jsonl'), '');
    const r = await exportTo(dir);
    expect(r.decoders).toEqual([]);
    expect(r.events).toBe(0);
    expect(r.packets).toBe(jsonl(dir, 'packets.jsonl').length);
  });
});

describe('damaged logs', () => {
  it('garbage lines are counted, named by line number and skipped; the rest is exported', async () => {
    const dir = copy('garbage');
    const n = jsonl(dir, 'predictions.jsonl').length;
    appendFileSync(join(dir, 'predictions.jsonl'), 'not json at all\n{"decoder":"noisy","seq":"12"}\n\u0000\u0001binary\n[1,2,3]\n');
    appendFileSync(join(dir, 'events.jsonl'), '{"kind":"pause"}\n');
    for (const format of ['nwb', 'csv'] as const) {
      const r = await exportTo(dir, format);
      expect(r.decoders.reduce((s, d) => s + d.predictions, 0)).toBe(n);
      expect(r.logs.predictions).toMatchObject({ badLines: 4, partialLastLine: false });
      expect(r.omitted).toEqual(expect.arrayContaining([`4 unreadable line(s) of predictions.jsonl skipped (line ${n + 1}, ${n + 2}, ${n + 3}, ${n + 4})`, expect.stringMatching(/1 unreadable line\(s\) of events\.jsonl/)]));
    }
  });
});

describe('hostile logs', () => {
  it('a decoder named like another’s table, a sequence number far ahead, 300 decoders: exported within bounds, the excess listed', async () => {
    const dir = copy('hostile');
    const seq = jsonl<{ seq: number }>(dir, 'packets.jsonl')[5].seq;
    // The two real decoders, in the order their first answers arrived (two sockets: either may be first).
    const real = [...new Set(jsonl<PredictionRecord>(dir, 'predictions.jsonl').map((p) => p.decoder))];
    expect([...real].sort()).toEqual(['noisy', 'vel/only 2']);
    const lines = [
      { decoder: 'noisy_predictions', seq, t_ms: 1, latency_ms: 1, reported_latency_ms: null, values: { vx: 1 }, outcome: 'scored' },
      { decoder: 'noisy', seq: 2 ** 40, t_ms: 2, latency_ms: null, reported_latency_ms: null, values: { vx: 1 }, outcome: 'unknown' },
      ...Array.from({ length: 300 }, (_, i) => ({ decoder: `flood-${i}`, seq, t_ms: 3, latency_ms: 1, reported_latency_ms: null, values: { vy: i }, outcome: 'scored' })),
    ];
    appendFileSync(join(dir, 'packets.jsonl'), JSON.stringify({ seq: 2 ** 40, bin: 3, t_ms: 9e6, trial: null }) + '\n');
    appendFileSync(join(dir, 'predictions.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    for (const format of ['nwb', 'csv'] as const) {
      const r = await exportTo(dir, format);
      // The two real decoders and the look-alike come first; the cap is 256 decoders in all.
      expect(r.decoders).toHaveLength(256);
      expect(r.decoders.slice(0, 3).map((d) => d.name)).toEqual([...real, 'noisy_predictions']);
      expect(r.omitted).toContain('the predictions of 47 decoder(s) beyond the first 256 ("flood-253", "flood-254", "flood-255", …)');
    }
  }, 60_000);
});

describe('the source dataset', () => {
  /** The recording re-pointed at a copy of the built-in recording's file, as a file dataset. */
  async function fileRecording(name: string): Promise<{ dir: string; file: string }> {
    const dir = copy(name);
    const file = join(work, `${name}-source.nwb`);
    copyFileSync(run.server.engine.dataset.provenance.path, file);
    const sha256 = await fileSha256(file);
    editManifest(dir, (m) => (m.dataset = { ...m.dataset, path: file, sha256, synthetic: null }));
    return { dir, file };
  }

  it('a file source with the recorded SHA-256 is used', async () => {
    const { dir } = await fileRecording('file-ok');
    const r = await exportTo(dir);
    expect(r.omitted).toEqual([]);
    expect((await loadDataset(r.path)).numUnits).toBe(run.server.engine.dataset.numUnits);
  });

  it('missing or changed: predictions, events and scores are still exported, and the export says what it left out', async () => {
    const missing = await fileRecording('file-missing');
    rmSync(missing.file);
    const changed = await fileRecording('file-changed');
    appendFileSync(changed.file, 'x');
    for (const [{ dir, file }, why] of [
      [missing, 'is missing'],
      [changed, 'has changed since the recording'],
    ] as const) {
      const r = await exportTo(dir);
      expect(r.omitted).toHaveLength(1);
      expect(r.omitted[0].startsWith(`spike times, trials and truth: the source file ${file} ${why}`)).toBe(true);
      const preds = jsonl<PredictionRecord>(dir, 'predictions.jsonl');
      expect(r.decoders.map((d) => d.predictions)).toEqual(r.decoders.map((d) => preds.filter((p) => p.decoder === d.name).length));
      expect(r.decoders.reduce((n, d) => n + d.predictions, 0)).toBe(preds.length);
      expect(r.events).toBe(jsonl(dir, 'events.jsonl').length);
      // No units: not a file our loader can play, and it says why.
      await expect(loadDataset(r.path)).rejects.toThrow(/Units/i);
    }
  });
});

describe('not a recording', () => {
  it('a missing folder, a file, a folder without manifest, a damaged or newer manifest: one clear error each', async () => {
    const plain = join(work, 'plain');
    mkdirSync(plain);
    const file = join(work, 'a-file.txt');
    writeFileSync(file, 'hello');
    const garbage = copy('bad-manifest');
    writeFileSync(join(garbage, 'manifest.json'), '{"format_version": 1, "started_at": ');
    const newer = copy('newer');
    editManifest(newer, (m) => ((m as any).format_version = 2));
    const foreign = copy('foreign');
    writeFileSync(join(foreign, 'manifest.json'), JSON.stringify({ name: 'some other tool' }));
    const cases: Array<[string, RegExp]> = [
      [join(work, 'nope'), /no such folder/],
      [file, /not a folder/],
      [plain, /not a recording: it has no manifest\.json/],
      [garbage, /manifest\.json is not valid JSON/],
      [newer, /format version 2 is newer than this PhantomLink reads \(1\): update PhantomLink/],
      [foreign, /no format_version: not a PhantomLink recording/],
    ];
    for (const [dir, message] of cases) {
      const err = await exportTo(dir).catch((e) => e);
      expect(err).toBeInstanceOf(RecordingError);
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(dir)).toBe(true);
    }
  });
});
