/**
 * Recording a session end to end: a real server, real decoders (a Python process and Node
 * clients) answering over real sockets, control from REST and the stream; then the folder is
 * read back as the exporter will read it and checked against what the clients saw and sent.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_VERSION } from '../../src/main/common/version.ts';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { PYTHON, pythonHas } from '../helpers/python.ts';
import { readRecording, tempRoot, until } from './support.ts';

const DECODERS = join(import.meta.dirname, '..', 'evaluation', 'decoders.py');
let t: TestServer;
let root: string;

beforeAll(async () => {
  root = tempRoot('engine');
  t = await startTestServer({ server: { recordings: { root } } });
});
afterAll(() => t.close());

function runPythonDecoder(mode: string, url: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DECODERS, mode, url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${mode} decoder exited ${code}: ${err}`))));
  });
}

describe('recording a session', () => {
  it('logs every packet, every prediction with its outcome and latency, every control event, scores and a manifest', async () => {
    const code = 'rec-main';
    expect((await api(t.http, 'POST', '/api/sessions/create', { code, speed: 2 })).status).toBe(201);
    const started = await api(t.http, 'POST', `/api/sessions/${code}/recording`);
    expect(started.status).toBe(201);
    const id: string = started.body.recording.id;
    expect(id).toMatch(new RegExp(`^${code}_\\d{8}-\\d{6}Z$`));
    expect((await api(t.http, 'POST', `/api/sessions/${code}/recording`)).body.error.code).toBe('recording_active');

    // A decoder written by hand, so we know exactly what it sent: answers, a duplicate, a
    // sequence number never sent, a malformed one.
    const dec = new TestClient(`${t.ws}/stream/${code}?decoder=hand`);
    const sent: Array<{ seq: number; vx: number }> = [];
    dec.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type !== 'data' || sent.length >= 60) return;
      const p = { seq: m.sequence_number, vx: m.sequence_number * 0.5 };
      sent.push(p);
      dec.send({ type: 'prediction', sequence_number: p.seq, vx: p.vx, vy: null, latency_ms: 0.25 });
    });
    await dec.until(() => sent.length >= 60, '60 answers', 10_000);
    const firstSeq = sent[0].seq;
    dec.send({ type: 'prediction', sequence_number: firstSeq, vx: 1 }); // duplicate
    dec.send({ type: 'prediction', sequence_number: 10_000_000, vx: 1 }); // never sent
    dec.send({ type: 'prediction', sequence_number: 5, vx: 'fast' }); // invalid
    // Control from both faces.
    dec.send({ type: 'pause' });
    await dec.until(() => dec.messages.some((m) => m.type === 'status' && m.state === 'paused'), 'paused');
    await api(t.http, 'POST', `/api/control/${code}/seek`, { position_seconds: 12.5 });
    await api(t.http, 'POST', `/api/control/${code}/speed`, { speed: 4 });
    await api(t.http, 'POST', `/api/control/${code}/loop`, { loop: false });
    await api(t.http, 'POST', `/api/sessions/${code}/perturbations`, { seed: 3, loss: { fraction: 0.3 } });
    await api(t.http, 'POST', `/api/sessions/${code}/decoders/reset`);
    await api(t.http, 'POST', `/api/control/${code}/resume`);

    // A Python decoder answers 80 packets with the truth (R² = 1), then leaves.
    if (pythonHas('numpy', 'websockets', 'msgpack')) await runPythonDecoder('truth', `${t.ws}/stream/binary/${code}`, '--packets', '80', '--binary');
    const packetsSeen = dec.packets.length;
    await dec.until(() => dec.packets.length >= packetsSeen + 20, 'more packets');
    dec.ws.close(1000, 'decoder done');
    await dec.closedWith();
    await sleep(200);

    const stopped = await api(t.http, 'DELETE', `/api/sessions/${code}/recording`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.recording).toMatchObject({ id, status: 'complete', error: null });
    const rec = readRecording(join(root, id));

    // Manifest.
    expect(rec.manifest).toMatchObject({
      format_version: 1,
      id,
      session_code: code,
      status: 'complete',
      error: null,
      bin_ms: 25,
      blind: false,
      evaluate: 'all',
      app: { name: 'PhantomLink Studio', version: APP_VERSION },
      dataset: { path: null, sha256: null, synthetic: { preset: 'default', seed: 1 }, channels: t.engine.dataset.numUnits },
      counts: { packets: rec.packets.length, predictions: rec.predictions.length, events: rec.events.length },
    });
    expect(rec.manifest.app.commit === null || /^[0-9a-f]{40}$/.test(rec.manifest.app.commit)).toBe(true);
    expect(rec.manifest.decoders.map((d) => d.name)).toContain('hand');
    expect(rec.manifest.duration_s).toBeGreaterThan(1);
    expect(Date.parse(rec.manifest.stopped_at!) - Date.parse(rec.manifest.started_at)).toBeCloseTo(rec.manifest.duration_s! * 1000, -1);

    // Packets: one line per sequence number, none missing, in order, times increasing; every
    // packet the hand decoder received is there with its bin; lost ones are marked and never arrived.
    const seqs = rec.packets.map((p) => p.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    for (let i = 1; i < rec.packets.length; i++) expect(rec.packets[i].t_ms).toBeGreaterThanOrEqual(rec.packets[i - 1].t_ms);
    const bySeq = new Map(rec.packets.map((p) => [p.seq, p]));
    for (const p of dec.packets) {
      expect(bySeq.get(p.sequence_number)).toMatchObject({ bin: p.bin_index, trial: p.trial_id });
      expect(bySeq.get(p.sequence_number)!.lost).toBeUndefined();
    }
    const lost = rec.packets.filter((p) => p.lost);
    expect(lost.length).toBeGreaterThan(0);
    const received = new Set(dec.packets.map((p) => p.sequence_number));
    for (const p of lost) expect(received.has(p.seq)).toBe(false);

    // Predictions: every one the hand decoder sent, with its values, outcome and latency on the packet clock.
    const hand = rec.predictions.filter((p) => p.decoder === 'hand');
    for (const s of sent) {
      const line = hand.find((p) => p.seq === s.seq && p.values.vx === s.vx)!;
      expect(line).toBeDefined();
      expect(['scored', 'late']).toContain(line.outcome);
      expect(line.values).toEqual({ vx: s.vx });
      expect(line.reported_latency_ms).toBe(0.25);
      // Both times on the same clock, rounded to the µs: the latency is their difference.
      expect(Math.abs(line.latency_ms! - (line.t_ms - bySeq.get(s.seq)!.t_ms))).toBeLessThanOrEqual(0.0021);
      expect(line.latency_ms!).toBeGreaterThanOrEqual(0);
    }
    expect(hand.find((p) => p.seq === firstSeq && p.values.vx === 1)?.outcome).toBe('duplicate');
    expect(hand.find((p) => p.seq === 10_000_000)).toMatchObject({ outcome: 'unknown', latency_ms: null });
    expect(hand.find((p) => p.outcome === 'invalid')).toMatchObject({ seq: 5, values: {} });
    expect(hand.length).toBe(sent.length + 3);

    if (pythonHas('numpy', 'websockets', 'msgpack')) {
      const py = rec.predictions.filter((p) => p.decoder === 'py-truth');
      expect(py.length).toBe(80);
      expect(py.every((p) => p.outcome === 'scored' || p.outcome === 'late')).toBe(true);
      expect(rec.manifest.best_score).toEqual({ decoder: 'py-truth', r2: 1 });
    }

    // Events, in order, with what each changed.
    const kinds = rec.events.map((e) => e.kind);
    expect(kinds[0]).toBe('recording_started');
    expect(kinds[kinds.length - 1]).toBe('recording_stopped');
    const after = (kind: string, from = 0) => kinds.indexOf(kind as never, from);
    const order = ['decoder_connected', 'pause', 'seek', 'speed', 'loop', 'perturbations', 'scores_reset', 'play', 'decoder_disconnected'];
    let at = 0;
    for (const k of order) {
      const i = after(k, at);
      expect(i, `${k} after position ${at} in ${kinds.join(',')}`).toBeGreaterThanOrEqual(at);
      at = i;
    }
    const ev = (kind: string) => rec.events.find((e) => e.kind === kind)!;
    expect(ev('seek').detail).toEqual({ to_s: 12.5 });
    expect(ev('seek').position_s).toBe(12.5);
    expect(ev('speed').detail).toEqual({ speed: 4 });
    expect(ev('loop').detail).toEqual({ loop: false });
    expect(ev('perturbations').detail).toMatchObject({ perturbations: { seed: 3, loss: { fraction: 0.3 } } });
    expect(ev('decoder_connected').detail).toMatchObject({ decoder: 'hand', endpoint: 'json' });
    const leftHand = rec.events.find((e) => e.kind === 'decoder_disconnected' && e.detail.decoder === 'hand')!;
    expect(leftHand.detail).toMatchObject({ code: 1000, reason: 'decoder done' });
    for (let i = 1; i < rec.events.length; i++) expect(rec.events[i].t_ms).toBeGreaterThanOrEqual(rec.events[i - 1].t_ms);
    // The pause really stopped packets: none between the pause and the resume.
    const pauseT = ev('pause').t_ms;
    const playT = ev('play').t_ms;
    expect(rec.packets.filter((p) => p.t_ms > pauseT + 1 && p.t_ms < playT - 1)).toEqual([]);

    // Scores: a snapshot at stop, with the hand decoder's row.
    expect(rec.scores.length).toBeGreaterThanOrEqual(1);
    expect(rec.scores.at(-1)!.decoders.map((d) => d.name)).toContain('hand');

    // The list and the detail show it.
    const list = await api(t.http, 'GET', '/api/recordings');
    const row = list.body.recordings.find((r: any) => r.id === id);
    expect(row).toMatchObject({ session_code: code, status: 'complete', dataset: { synthetic: true }, counts: rec.manifest.counts });
    const onDisk = readdirSync(join(root, id)).reduce((n, f) => n + statSync(join(root, id, f)).size, 0);
    expect(row.size_bytes).toBe(onDisk);
    const detail = await api(t.http, 'GET', `/api/recordings/${id}`);
    expect(detail.body.events.length).toBe(rec.events.length);
    expect(detail.body.manifest.id).toBe(id);
  }, 60_000);

  it('a session deleted while recording ends its recording complete, with a session_closed event', async () => {
    const code = 'rec-deleted';
    await api(t.http, 'POST', '/api/sessions/create', { code });
    const id = (await api(t.http, 'POST', `/api/sessions/${code}/recording`)).body.recording.id;
    await sleep(300);
    await api(t.http, 'DELETE', `/api/sessions/${code}`);
    await until(async () => (await api(t.http, 'GET', `/api/recordings/${id}`)).body.recording?.status === 'complete', 'complete');
    const rec = readRecording(join(root, id));
    expect(rec.events.map((e) => e.kind).slice(-2)).toEqual(['session_closed', 'recording_stopped']);
    expect(rec.events.find((e) => e.kind === 'session_closed')!.detail).toMatchObject({ code: 4410 });
    expect(rec.packets.length).toBeGreaterThan(5);
  });

  it('records a session nobody watches (its packets are built for the recording), and does not keep it from expiring', async () => {
    const code = 'rec-idle';
    await api(t.http, 'POST', '/api/sessions/create', { code });
    const id = (await api(t.http, 'POST', `/api/sessions/${code}/recording`)).body.recording.id;
    await sleep(400);
    const cleaned = await api(t.http, 'POST', '/api/sessions/cleanup', { max_idle_s: 0 });
    expect(cleaned.body.sessions).toContain(code);
    await until(async () => (await api(t.http, 'GET', `/api/recordings/${id}`)).body.recording?.status === 'complete', 'complete');
    expect(readRecording(join(root, id)).packets.length).toBeGreaterThan(5);
  });

  it('two recordings of one session in the same second get distinct folders; a finished one can be deleted', async () => {
    const code = 'rec-twice';
    await api(t.http, 'POST', '/api/sessions/create', { code });
    const a = (await api(t.http, 'POST', `/api/sessions/${code}/recording`)).body.recording.id;
    await api(t.http, 'DELETE', `/api/sessions/${code}/recording`);
    const b = (await api(t.http, 'POST', `/api/sessions/${code}/recording`)).body.recording.id;
    expect(b).not.toBe(a);
    expect((await api(t.http, 'DELETE', `/api/recordings/${b}`)).body.error.code).toBe('recording_active');
    await api(t.http, 'DELETE', `/api/sessions/${code}/recording`);
    expect((await api(t.http, 'DELETE', `/api/recordings/${b}`)).status).toBe(200);
    expect((await api(t.http, 'GET', `/api/recordings/${b}`)).status).toBe(404);
    expect((await api(t.http, 'DELETE', `/api/sessions/${code}/recording`)).body.error.code).toBe('not_recording');
  });
});
