/**
 * CSV export of a real recorded run: one file per decoder, a row per prediction with the truth
 * it was scored against (checked against what the decoders themselves received), and events.csv.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRecording, type ExportResult } from '../../src/main/recorder/exportRecording.ts';
import type { EventRecord, PacketRecord, PredictionRecord } from '../../src/main/recorder/format.ts';
import { TEST_CACHE_DIR } from '../helpers/server.ts';
import { DECODER_NAMES, jsonl, recordRun, type RecordedRun } from './support.ts';

let run: RecordedRun;
let work: string;
let out: string;
let result: ExportResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phantomlink-csv-'));
  run = await recordRun(join(work, 'recordings'), 'rec-csv', 240);
  out = join(work, 'csv out');
  result = await exportRecording(run.dir, { format: 'csv', out, cacheDir: TEST_CACHE_DIR });
}, 60_000);

afterAll(async () => {
  await run?.server.close();
  rmSync(work, { recursive: true, force: true });
});

/** A minimal RFC 4180 reader (quoted fields with "" escapes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

describe('CSV export', () => {
  it('writes one CSV per decoder and events.csv, named so any file system takes them', () => {
    expect(readdirSync(out).sort()).toEqual(['events.csv', 'noisy.csv', 'vel_only_2.csv']);
    expect(result.files.sort()).toEqual(readdirSync(out).map((f) => join(out, f)).sort());
    expect(result.omitted).toEqual([]);
  });

  it('a row per prediction: sequence, bin, time, the truth the decoder was sent, its prediction, latency, outcome', () => {
    const preds = jsonl<PredictionRecord>(run.dir, 'predictions.jsonl');
    const binOf = new Map(jsonl<PacketRecord>(run.dir, 'packets.jsonl').map((p) => [p.seq, p.bin]));
    for (const [name, file] of [
      [DECODER_NAMES[0], 'noisy.csv'],
      [DECODER_NAMES[1], 'vel_only_2.csv'],
    ]) {
      const [header, ...rows] = parseCsv(readFileSync(join(out, file), 'utf8'));
      expect(header).toEqual(['sequence', 'bin', 'time_s', 'truth_vx', 'truth_vy', 'truth_x', 'truth_y', 'pred_vx', 'pred_vy', 'pred_x', 'pred_y', 'latency_ms', 'outcome']);
      const mine = preds.filter((p) => p.decoder === name);
      expect(rows.length).toBe(mine.length);
      expect(mine.length).toBeGreaterThan(50);
      rows.forEach((r, i) => {
        const p = mine[i];
        const sent = run.received.get(p.seq);
        expect(Number(r[0])).toBe(p.seq);
        expect(Number(r[1])).toBe(binOf.get(p.seq));
        expect(Number(r[2])).toBe(sent.time_s);
        // The truth is what the packet carried (decoders see it: the session is not blind).
        expect(r.slice(3, 7)).toEqual([sent.kinematics.vx, sent.kinematics.vy, sent.kinematics.x, sent.kinematics.y].map(cell));
        expect(r.slice(7, 11)).toEqual([p.values.vx, p.values.vy, p.values.x, p.values.y].map(cell));
        expect(r[11]).toBe(cell(p.latency_ms));
        expect(r[12]).toBe(p.outcome);
      });
    }
  });

  it('events.csv has every event at its time, with its detail as JSON', () => {
    const events = jsonl<EventRecord>(run.dir, 'events.jsonl');
    const [header, ...rows] = parseCsv(readFileSync(join(out, 'events.csv'), 'utf8'));
    expect(header).toEqual(['time_s', 'kind', 'position_s', 'detail']);
    expect(rows.map((r) => r[1])).toEqual(events.map((e) => e.kind));
    rows.forEach((r, i) => {
      expect(Number(r[0])).toBe(events[i].t_ms / 1000);
      expect(JSON.parse(r[3])).toEqual(events[i].detail);
    });
    expect(rows.find((r) => r[1] === 'seek')![3]).toBe('{"to_s":200}');
  });
});
