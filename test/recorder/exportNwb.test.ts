/**
 * Export end to end: a real server streams, real decoders (ws clients) answer, the real recorder
 * records the session (started and stopped over REST), it is exported to NWB, and the file is read back independently
 * with h5py + scikit-learn and through our own loader, which must replay the streamed bins.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { exportRecording, type ExportResult } from '../../src/main/recorder/exportRecording.ts';
import type { EventRecord, PacketRecord, PredictionRecord } from '../../src/main/recorder/format.ts';
import { PYTHON, pythonHas } from '../helpers/python.ts';
import { TEST_CACHE_DIR } from '../helpers/server.ts';
import { jsonl as readLog, recordRun, type RecordedRun } from './support.ts';

let run: RecordedRun;
let work: string;
let recDir: string;
let received: Map<number, any>;
let board: any;
let exported: ExportResult;
const jsonl = <T>(file: string): T[] => readLog<T>(recDir, file);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phantomlink-export-'));
  run = await recordRun(join(work, 'recordings'), 'rec-export');
  recDir = run.dir;
  ({ received, board } = run);
  exported = await exportRecording(recDir, { cacheDir: TEST_CACHE_DIR });
}, 60_000);

afterAll(async () => {
  await run?.server.close();
  rmSync(work, { recursive: true, force: true });
});

const READ_BACK = `
import json, sys
import h5py, numpy as np
from sklearn.metrics import r2_score
f = h5py.File(sys.argv[1], "r")
out = {"root": {k: (f[k][()].decode() if isinstance(f[k][()], bytes) else str(f[k][()])) for k in ["identifier", "session_start_time", "session_description"]}}
out["manifest"] = json.loads(f["general/data_collection"][()])
dec = f["processing/decoders"]
out["decoders"] = {}
for name in dec:
    g = dec[name]
    if g.attrs.get("neurodata_type") != "TimeSeries" or name == "truth":
        continue
    t = dec[name + "_predictions"]
    data, truth = g["data"][:], t["truth"][:]
    ev = t["evaluated"][:] == 1
    axes = {}
    for i, axis in enumerate(["x", "y", "vx", "vy"]):
        m = ev & np.isfinite(data[:, i]) & np.isfinite(truth[:, i])
        if m.sum() >= 2:
            axes[axis] = {"r2": float(r2_score(truth[m, i], data[m, i])), "n": int(m.sum())}
    pred_axes = [i for i in range(4) if np.isfinite(data[:, i]).any()]
    m = ev & np.all(np.isfinite(data[:, pred_axes]), axis=1) & np.all(np.isfinite(truth[:, pred_axes]), axis=1)
    combined = float(r2_score(truth[m][:, pred_axes], data[m][:, pred_axes], multioutput="variance_weighted"))
    labels = [l.decode() if isinstance(l, bytes) else l for l in t["outcome"].attrs["labels"]]
    out["decoders"][g.attrs["decoder_name"]] = {
        "axes": axes, "combined": combined,
        "seq": t["sequence_number"][:].tolist(), "timestamps": g["timestamps"][:].tolist(),
        "arrival": t["arrival_time"][:].tolist(), "latency": [None if np.isnan(v) else v for v in t["latency_ms"][:].tolist()],
        "outcome": [labels[i] for i in t["outcome"][:]], "evaluated": t["evaluated"][:].tolist(),
        "data": [[None if np.isnan(v) else v for v in r] for r in data.tolist()],
    }
e = f["intervals/events"]
out["events"] = {"t": e["start_time"][:].tolist(), "kind": [k.decode() if isinstance(k, bytes) else k for k in e["kind"][:]]}
p = f["processing/stream/packets"]
out["packets"] = {"seq": p["sequence_number"][:].tolist(), "bin": p["source_bin"][:].tolist(), "bin_time": p["bin_time"][:].tolist()}
out["scores"] = json.loads(f["scratch/scores"][()])
print(json.dumps(out))
`;

function readBack(file: string): any {
  const r = spawnSync(PYTHON, ['-c', READ_BACK, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf(!pythonHas('h5py', 'sklearn', 'numpy'))('NWB export read back with h5py and scikit-learn', () => {
  it('each decoder’s R² recomputed from the file equals the live scoreboard’s, axis by axis and combined', () => {
    const f = readBack(exported.path);
    expect(Object.keys(f.decoders).sort()).toEqual(['noisy', 'vel/only 2']);
    for (const name of ['noisy', 'vel/only 2']) {
      const live = board.decoders.find((d: any) => d.name === name);
      const file = f.decoders[name];
      const axes = name === 'noisy' ? ['x', 'y', 'vx', 'vy'] : ['vx'];
      expect(Object.keys(file.axes).sort()).toEqual([...axes].sort());
      for (const axis of axes) {
        expect(file.axes[axis].n).toBe(live.cumulative.axes[axis].n);
        expect(relErr(file.axes[axis].r2, live.cumulative.axes[axis].r2)).toBeLessThan(1e-9);
      }
      expect(relErr(file.combined, live.cumulative.r2_combined)).toBeLessThan(1e-9);
    }
    // Scores that are neither trivial nor broken: the check above compares real numbers.
    const noisy = board.decoders.find((d: any) => d.name === 'noisy');
    expect(noisy.cumulative.r2_combined).toBeGreaterThan(0.2);
    expect(noisy.cumulative.r2_combined).toBeLessThan(0.999);
    expect(noisy.counts.evaluated).toBeGreaterThan(150); // the second half: the scores were reset half way
  });

  it('every prediction is in the file, on the bin it answered, with its arrival time, latency and outcome', () => {
    const f = readBack(exported.path);
    const packets = jsonl<PacketRecord>('packets.jsonl');
    const packetOf = new Map(packets.map((p) => [p.seq, p]));
    const binOfSeq = new Map(packets.map((p) => [p.seq, p.bin]));
    const preds = jsonl<PredictionRecord>('predictions.jsonl');
    const reset = jsonl<EventRecord>('events.jsonl').find((e) => e.kind === 'scores_reset')!;
    for (const name of ['noisy', 'vel/only 2']) {
      const mine = preds.filter((p) => p.decoder === name);
      const file = f.decoders[name];
      // Every answer the decoder sent, in the order it sent them, with its values: none lost, none made up.
      const sent = run.sent.get(name)!;
      expect(sent.length).toBeGreaterThan(150);
      expect(file.seq).toEqual(sent.map((s) => s.seq));
      expect(file.data).toEqual(sent.map((s) => ['x', 'y', 'vx', 'vy'].map((a) => s.values[a] ?? null)));
      expect(file.seq).toEqual(mine.map((p) => p.seq));
      expect(file.outcome).toEqual(mine.map((p) => p.outcome));
      mine.forEach((p, i) => {
        expect(['scored', 'late']).toContain(p.outcome);
        expect(file.timestamps[i]).toBeCloseTo((binOfSeq.get(p.seq)! * 25) / 1000, 12);
        expect(file.arrival[i]).toBeCloseTo(p.t_ms / 1000, 12);
        expect(file.latency[i]).toBe(p.latency_ms);
        // Arrival and send time on one clock (rounded to the µs): the latency is their difference.
        expect(Math.abs(p.latency_ms! - (p.t_ms - packetOf.get(p.seq)!.t_ms))).toBeLessThanOrEqual(0.0021);
        expect(p.latency_ms!).toBeGreaterThan(0);
        expect(p.reported_latency_ms).toBe(name === 'noisy' ? 0.5 : null);
        expect(file.data[i]).toEqual(['x', 'y', 'vx', 'vy'].map((a) => (p.values as any)[a] ?? null));
        // Only answers to packets sent after the reset count in the final scores.
        if (p.seq < (reset.detail.from_seq as number)) expect(file.evaluated[i]).toBe(0);
      });
      expect(exported.decoders.find((d) => d.name === name)!.predictions).toBe(mine.length);
    }
    // The bin times are the packets' own time_s, as the decoders received them.
    f.packets.seq.forEach((seq: number, i: number) => {
      const got = received.get(seq);
      if (got) expect(f.packets.bin_time[i]).toBeCloseTo(got.time_s, 12);
    });
  });

  it('every event is in the file at its time; the manifest and the last scores are there', () => {
    const f = readBack(exported.path);
    const events = jsonl<EventRecord>('events.jsonl');
    expect(f.events.kind).toEqual(events.map((e) => e.kind));
    // What the run did, in order, as the recorder heard it from the session (not written by the test).
    expect(events.map((e) => e.kind).filter((k) => k !== 'decoder_connected')).toEqual([
      'recording_started', 'play', 'pause', 'scores_reset', 'seek', 'play', 'pause', 'recording_stopped',
    ]);
    const connected = events.filter((e) => e.kind === 'decoder_connected');
    expect(connected.map((e) => e.detail.decoder).sort()).toEqual(['noisy', 'vel/only 2']);
    expect(connected.every((e) => e.t_ms < events.find((x) => x.kind === 'play')!.t_ms)).toBe(true);
    expect(events.find((e) => e.kind === 'seek')).toMatchObject({ position_s: 200, detail: { to_s: 200 } });
    events.forEach((e, i) => expect(f.events.t[i]).toBeCloseTo(e.t_ms / 1000, 12));
    for (let i = 1; i < events.length; i++) expect(events[i].t_ms).toBeGreaterThanOrEqual(events[i - 1].t_ms);
    // Event times and packet times are on one clock: no packet was sent while paused.
    const packets = jsonl<PacketRecord>('packets.jsonl');
    const pauses = events.filter((e) => e.kind === 'pause');
    const plays = events.filter((e) => e.kind === 'play');
    expect(packets.filter((p) => p.t_ms < plays[0].t_ms - 1)).toEqual([]);
    expect(packets.filter((p) => p.t_ms > pauses[0].t_ms + 1 && p.t_ms < plays[1].t_ms - 1)).toEqual([]);
    expect(packets.filter((p) => p.t_ms > pauses[1].t_ms + 1)).toEqual([]);
    // The reset starts scoring at the first packet sent after it.
    const reset = events.find((e) => e.kind === 'scores_reset')!;
    expect(reset.detail.from_seq).toBe(packets.find((p) => p.t_ms > reset.t_ms)!.seq);
    const manifest = JSON.parse(readFileSync(join(recDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: basename(recDir), session_code: 'rec-export', status: 'complete' });
    expect([...manifest.decoders].sort((a: any, b: any) => a.name.localeCompare(b.name))).toEqual([
      { name: 'noisy', version: null, endpoint: 'json' },
      { name: 'vel/only 2', version: null, endpoint: 'binary' },
    ]);
    expect(f.manifest).toEqual(manifest);
    expect(f.root.session_start_time).toBe(manifest.started_at);
    expect(f.scores.decoders.map((d: any) => d.name).sort()).toEqual(['noisy', 'vel/only 2']);
    expect(exported.omitted).toEqual([]);
  });
});

describe('NWB export replays through our own loader', () => {
  it('loaded as a dataset, the file gives back every streamed bin: the spike counts and kinematics decoders received', async () => {
    const ds = await loadDataset(exported.path);
    const stream = ds.at(25);
    expect(ds.numUnits).toBe(run.server.engine.dataset.numUnits);
    expect(ds.unitIds).toEqual(run.server.engine.dataset.unitIds);
    const counts = new Array<number>(ds.numUnits);
    const same = (a: number | null, b: number) => (a === null ? Number.isNaN(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)));
    expect(received.size).toBeGreaterThan(300);
    for (const p of received.values()) {
      stream.countsInto(p.bin_index, counts);
      expect(counts).toEqual(p.spikes.spike_counts);
      const k = stream.kinematicsAt(p.bin_index);
      for (const axis of ['x', 'y', 'vx', 'vy'] as const) expect(same(p.kinematics[axis], k[axis]), `${axis} of bin ${p.bin_index}`).toBe(true);
      expect(stream.trialOfBin[p.bin_index]).toBe(p.trial_id ?? -1);
    }
    // Bins never streamed are empty: only what was streamed is in the file.
    const streamed = new Set([...received.values()].map((p) => p.bin_index));
    const unstreamed = [...Array(200).keys()].map((k) => k + 10).find((k) => !streamed.has(k))!;
    stream.countsInto(unstreamed, counts);
    expect(counts.every((c) => c === 0)).toBe(true);
  });
});

describe('NWB export at another bin width', () => {
  it('a session streamed in 10 ms bins exports bins that replay at 10 ms, predictions on their 10 ms bins', async () => {
    const run10 = await recordRun(join(work, 'recordings-10ms'), 'rec-10ms', 300, 10);
    const dir = run10.dir;
    try {
      const r = await exportRecording(dir, { cacheDir: TEST_CACHE_DIR });
      expect(r.omitted).toEqual([]);
      const stream = (await loadDataset(r.path)).at(10);
      const counts = new Array<number>(run10.server.engine.dataset.numUnits);
      expect(run10.received.size).toBeGreaterThan(250);
      for (const p of run10.received.values()) {
        expect(p.spikes.bin_size_ms).toBe(10);
        stream.countsInto(p.bin_index, counts);
        expect(counts).toEqual(p.spikes.spike_counts);
        const k = stream.kinematicsAt(p.bin_index);
        expect(p.kinematics.vx === null ? Number.isNaN(k.vx) : Math.abs(k.vx - p.kinematics.vx) < 1e-9).toBe(true);
      }
      if (pythonHas('h5py', 'sklearn', 'numpy')) {
        const f = readBack(r.path);
        const binOfSeq = new Map(readLog<PacketRecord>(dir, 'packets.jsonl').map((p) => [p.seq, p.bin]));
        const noisy = f.decoders.noisy;
        noisy.seq.forEach((seq: number, i: number) => expect(noisy.timestamps[i]).toBeCloseTo((binOfSeq.get(seq)! * 10) / 1000, 12));
        const live = run10.board.decoders.find((d: any) => d.name === 'noisy');
        expect(relErr(noisy.combined, live.cumulative.r2_combined)).toBeLessThan(1e-9);
      }
    } finally {
      await run10.server.close();
    }
  }, 60_000);
});
