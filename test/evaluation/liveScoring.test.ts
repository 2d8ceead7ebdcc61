/**
 * Live scoring end to end: real decoders (Python processes, and Node clients) answer a real
 * server over real sockets; the scoreboard is checked against scikit-learn on the very pairs
 * each decoder sent.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { PYTHON, pythonHas, runPythonJson } from '../helpers/python.ts';
import { StudioService } from '../../src/main/studio/studioService.ts';
import type { Scoreboard } from '../../src/shared/studioApi.ts';

const DECODERS = join(import.meta.dirname, 'decoders.py');
type Pairs = Record<string, { y: number[]; p: number[] }>;

let t: TestServer;
let studio: StudioService;
beforeAll(async () => {
  t = await startTestServer();
  studio = new StudioService(t.engine, t.server, { pollMs: 50 });
});
afterAll(() => t.close());

/** Runs a Python decoder to its end; resolves with the pairs it sent. */
function runDecoder(mode: string, url: string, ...args: string[]): Promise<Pairs> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DECODERS, mode, url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} decoder exited ${code}: ${err}`))));
  });
}

async function scoreboard(code: string): Promise<any> {
  const r = await api(t.http, 'GET', `/api/sessions/${code}/decoders`);
  expect(r.status).toBe(200);
  return r.body;
}

const decoder = (board: any, name: string) => board.decoders.find((d: any) => d.name === name);

const SKLEARN = `
import json, sys
import numpy as np
from sklearn.metrics import r2_score
pairs = json.load(sys.stdin)
out = {}
for axis, v in pairs.items():
    y, p = np.array(v["y"]), np.array(v["p"])
    out[axis] = {"r2": float(r2_score(y, p)), "r": float(np.corrcoef(y, p)[0, 1]), "rmse": float(np.sqrt(np.mean((y - p) ** 2))), "n": len(y)}
axes = sorted(pairs)
Y = np.array([pairs[a]["y"] for a in axes]).T
P = np.array([pairs[a]["p"] for a in axes]).T
out["combined"] = float(r2_score(Y, P, multioutput="variance_weighted"))
print(json.dumps(out))
`;

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf(!pythonHas('numpy', 'sklearn', 'websockets', 'msgpack'))('live scoring with Python decoders', () => {
  it('a decoder that answers with the truth scores R² = 1 on every axis, with no missing packet', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'py-truth', speed: 4 });
    await runDecoder('truth', `${t.ws}/stream/binary/py-truth`, '--packets', '200', '--binary');
    const d = decoder(await scoreboard('py-truth'), 'py-truth');
    expect(d.counts).toMatchObject({ predictions: 200, missing: 0, duplicates: 0, stale: 0, unknown: 0, invalid: 0 });
    expect(d.counts.evaluated).toBeGreaterThan(150);
    for (const axis of ['x', 'y', 'vx', 'vy']) expect(d.cumulative.axes[axis].r2).toBe(1);
    expect(d.cumulative.r2_combined).toBe(1);
  }, 30_000);

  it('a decoder that answers with the mean of the truth scores R² = 0 (one full loop of a trial)', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'py-mean', trial_id: 3, speed: 4 });
    const pairs = await runDecoder('mean', `${t.ws}/stream/py-mean`);
    const d = decoder(await scoreboard('py-mean'), 'py-mean');
    expect(d.counts.evaluated).toBe(pairs.vx.y.length);
    for (const axis of ['x', 'y', 'vx', 'vy']) expect(Math.abs(d.cumulative.axes[axis].r2)).toBeLessThan(1e-9);
  }, 30_000);

  it('truth + seeded noise: R², r and RMSE equal scikit-learn’s on the pairs the decoder sent (JSON and MessagePack)', async () => {
    for (const [code, binary] of [
      ['py-noise-json', []],
      ['py-noise-bin', ['--binary']],
    ] as const) {
      await api(t.http, 'POST', '/api/sessions/create', { code, speed: 8 });
      const pairs = await runDecoder('noise', `${t.ws}/stream/${binary.length ? 'binary/' : ''}${code}`, '--packets', '600', '--seed', '7', ...binary);
      const ref = runPythonJson<Record<string, { r2: number; r: number; rmse: number; n: number }> & { combined: number }>(SKLEARN, JSON.stringify(pairs));
      const d = decoder(await scoreboard(code), 'py-noise');
      for (const axis of ['vx', 'vy']) {
        const ours = d.cumulative.axes[axis];
        expect(ours.n).toBe(ref[axis].n);
        expect(relErr(ours.r2, ref[axis].r2)).toBeLessThan(1e-9);
        expect(relErr(ours.pearson_r, ref[axis].r)).toBeLessThan(1e-9);
        expect(relErr(ours.rmse, ref[axis].rmse)).toBeLessThan(1e-9);
      }
      expect(relErr(d.cumulative.r2_combined, ref.combined)).toBeLessThan(1e-9);
      expect(ref.combined).toBeGreaterThan(0.3);
      expect(ref.combined).toBeLessThan(0.99);
      expect(d.axes).toEqual(['vx', 'vy']);
    }
  }, 60_000);

  it('round-trip latency: a decoder that sleeps 15 ms before answering measures a p50 a few ms above 15', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'py-sleep' });
    await runDecoder('sleep', `${t.ws}/stream/binary/py-sleep`, '--packets', '80', '--sleep-ms', '15', '--binary');
    const d = decoder(await scoreboard('py-sleep'), 'py-sleep');
    expect(d.latency_ms.count).toBe(80);
    expect(d.latency_ms.p50_ms).toBeGreaterThanOrEqual(15);
    expect(d.latency_ms.p50_ms).toBeLessThan(15 + 8);
  }, 30_000);
});

/** A Node decoder: answers every packet with `answer(packet)` until stopped. */
function nodeDecoder(url: string, answer: (p: any) => object | null): { client: TestClient; stop: () => void } {
  const client = new TestClient(url);
  let on = true;
  let seen = 0;
  const timer = setInterval(() => {
    for (; seen < client.messages.length; seen++) {
      const m = client.messages[seen];
      if (!on || m.type !== 'data') continue;
      const a = answer(m);
      if (a) client.ws.send(JSON.stringify({ type: 'prediction', sequence_number: m.sequence_number, ...a }));
    }
  }, 5);
  return {
    client,
    stop: () => {
      on = false;
      clearInterval(timer);
    },
  };
}

/** Sends a ping and waits for its status: every earlier message on this socket has been handled. */
async function settled(c: TestClient): Promise<void> {
  const before = c.messages.filter((m) => m.type === 'status').length;
  c.ws.send(JSON.stringify({ type: 'ping' }));
  await c.until(() => c.messages.filter((m) => m.type === 'status').length > before, 'status after ping');
}

describe('live scoring protocol', () => {
  it('duplicates, stale, unknown and malformed predictions are counted and reported at most once a second; the stream goes on', async () => {
    const c = new TestClient(`${t.ws}/stream/bad-preds?decoder=bad`);
    await c.until(() => c.messages.filter((m) => m.type === 'data').length >= 3, 'three packets');
    const seq = c.messages.find((m) => m.type === 'data').sequence_number;
    const send = (m: object) => c.ws.send(JSON.stringify({ type: 'prediction', ...m }));
    send({ sequence_number: seq, vx: 1 });
    send({ sequence_number: seq, vx: 2 }); // duplicate: the first counts
    send({ sequence_number: seq + 100_000, vx: 1 }); // never sent
    send({ sequence_number: seq, vx: 'fast' }); // malformed
    send({ sequence_number: -1, vx: 1 }); // malformed
    send({ sequence_number: seq + 1 }); // no axis
    await c.until(() => c.messages.some((m) => m.type === 'error' && m.code === 'bad_prediction'), 'a report of refused predictions');
    await sleep(1300);
    const reports = c.messages.filter((m) => m.type === 'error' && m.code === 'bad_prediction');
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(2); // at most one a second
    expect(reports.reduce((n, m) => n + m.count, 0)).toBe(5);
    expect(reports.at(-1).message).toMatch(/refused/);
    const before = c.messages.filter((m) => m.type === 'data').length;
    await sleep(200);
    expect(c.messages.filter((m) => m.type === 'data').length).toBeGreaterThan(before); // still streaming
    await settled(c);
    const d = decoder(await scoreboard('bad-preds'), 'bad');
    expect(d.counts).toMatchObject({ predictions: 6, duplicates: 1, unknown: 1, invalid: 3, stale: 0 });
    c.ws.close();
  });

  it('missing counts the packets left unanswered for a second after the first answer; a decoder still training misses nothing', async () => {
    const training = new TestClient(`${t.ws}/stream/missing?decoder=trainee`);
    const stopping = new TestClient(`${t.ws}/stream/missing?decoder=quitter`);
    await stopping.until(() => stopping.packets.length >= 10, '10 packets');
    for (const p of stopping.packets.slice(0, 10)) stopping.send({ type: 'prediction', sequence_number: p.sequence_number, vx: 0 });
    const answeredUpTo = stopping.packets[9].sequence_number;
    await sleep(2500);
    await settled(stopping);
    const board = await scoreboard('missing');
    expect(decoder(board, 'trainee').counts.missing).toBe(0);
    const lastSent = Math.max(...stopping.packets.map((p) => p.sequence_number));
    const missing = decoder(board, 'quitter').counts.missing;
    // Every packet after the tenth, but those of the last second: 40 a second at 1×.
    expect(missing).toBeGreaterThanOrEqual(lastSent - answeredUpTo - 45);
    expect(missing).toBeLessThanOrEqual(lastSent - answeredUpTo);
    // Answers that come over a second late are scored, and are missing no more.
    const late = stopping.packets.slice(10, 30);
    for (const p of late) stopping.send({ type: 'prediction', sequence_number: p.sequence_number, vx: 0 });
    await settled(stopping);
    const after = decoder(await scoreboard('missing'), 'quitter');
    expect(after.counts.predictions).toBe(30);
    expect(after.latency_ms.count).toBe(30);
    expect(after.counts.missing).toBeLessThanOrEqual(missing - 20 + 40); // 20 no longer missing; at most a second more packets went unanswered meanwhile
    expect(after.counts.missing).toBeGreaterThanOrEqual(missing - 20);
    training.ws.close();
    stopping.ws.close();
  });

  it('Prometheus shows each decoder’s R², predictions, missing and latency histogram', async () => {
    const d = nodeDecoder(`${t.ws}/stream/prom-scores?decoder=promd`, (p) => ({ vx: p.kinematics.vx }));
    await d.client.until(() => d.client.packets.length >= 20, '20 packets');
    d.stop();
    await settled(d.client);
    const n = decoder(await scoreboard('prom-scores'), 'promd').counts.predictions;
    const res = await fetch(`${t.http}/metrics/prometheus`);
    const text = await res.text();
    const labels = 'session="prom-scores",decoder="promd"';
    expect(text).toContain(`phantomlink_decoder_predictions_total{${labels}} ${n}`);
    expect(text).toContain(`phantomlink_decoder_r2{${labels}} 1`);
    expect(text).toMatch(new RegExp(`phantomlink_decoder_missing_total\\{${labels}\\} \\d+`));
    expect(text).toContain('# TYPE phantomlink_decoder_latency_seconds histogram');
    expect(text).toContain(`phantomlink_decoder_latency_seconds_bucket{${labels},le="+Inf"} ${n}`);
    expect(text).toContain(`phantomlink_decoder_latency_seconds_count{${labels}} ${n}`);
    const le1 = Number(new RegExp(`phantomlink_decoder_latency_seconds_bucket\\{${labels},le="1"\\} (\\d+)`).exec(text)![1]);
    expect(le1).toBe(n); // loopback: every answer under a second
    d.client.ws.close();
  });

  it('predictions for packets sent before the decoder connected or before a reset are stale', async () => {
    const first = new TestClient(`${t.ws}/stream/stale-preds`);
    await first.until(() => first.messages.filter((m) => m.type === 'data').length >= 2, 'packets');
    const old = first.messages.find((m) => m.type === 'data').sequence_number;
    const late = new TestClient(`${t.ws}/stream/stale-preds?decoder=latecomer`);
    await late.until(() => late.messages.some((m) => m.type === 'data'), 'a packet');
    late.ws.send(JSON.stringify({ type: 'prediction', sequence_number: old, vx: 0 }));
    await settled(late);
    expect(decoder(await scoreboard('stale-preds'), 'latecomer').counts).toMatchObject({ predictions: 1, stale: 1 });
    first.ws.close();
    late.ws.close();
  });

  it('a blind session carries no truth, says so in its metadata, and is scored as usual', async () => {
    const r = await api(t.http, 'POST', '/api/sessions/create', { code: 'blind-1', blind: true, speed: 4 });
    expect(r.status).toBe(201);
    expect(r.body.blind).toBe(true);
    const dataset = (await api(t.http, 'GET', '/api/metadata')).body;
    expect(dataset.has_kinematics).toBe(true);
    const c = new TestClient(`${t.ws}/stream/binary/blind-1?decoder=blindfold`);
    await c.until(() => c.messages.filter((m) => m.type === 'data').length >= 120, '120 packets');
    const meta = c.messages[0];
    expect(meta).toMatchObject({ type: 'metadata', blind: true, data: { blind: true } });
    const data = c.messages.filter((m) => m.type === 'data');
    for (const p of data) {
      expect(p.kinematics).toEqual({ x: null, y: null, vx: null, vy: null });
      expect(p.intention).toEqual({ target_id: null, target_x: null, target_y: null, distance_to_target: null });
    }
    expect(data.some((p) => p.trial_id !== null)).toBe(true);
    expect(data.some((p) => p.spikes.spike_counts.some((n: number) => n > 0))).toBe(true);
    for (const p of data) c.ws.send(JSON.stringify({ type: 'prediction', sequence_number: p.sequence_number, vx: 0, vy: 0 }));
    await settled(c);
    const d = decoder(await scoreboard('blind-1'), 'blindfold');
    expect(d.counts.evaluated).toBeGreaterThan(100);
    expect(d.cumulative.axes.vx.r2).toBeLessThan(0.05); // scored against the withheld truth
    expect(d.cumulative.axes.vx.n).toBe(d.counts.evaluated);
    c.ws.close();
  });

  it('scores survive seek, pause, speed and filter changes; many decoders on one session are scored independently', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'many', speed: 2 });
    const truth = nodeDecoder(`${t.ws}/stream/many?decoder=truthful`, (p) => ({ vx: p.kinematics.vx, vy: p.kinematics.vy }));
    const zero = nodeDecoder(`${t.ws}/stream/binary/many?decoder=zeros`, () => ({ vx: 0, vy: 0 }));
    const half = nodeDecoder(`${t.ws}/stream/many?decoder=half`, (p) => (p.sequence_number % 2 ? { vx: p.kinematics.vx } : null));
    const count = () => truth.client.messages.filter((m) => m.type === 'data').length;
    const waitPackets = async (n: number) => {
      const target = count() + n;
      await truth.client.until(() => count() >= target, `${n} more packets`);
    };
    await waitPackets(40);
    await api(t.http, 'POST', '/api/control/many/seek', { position_seconds: 30 });
    await waitPackets(20);
    await api(t.http, 'POST', '/api/control/many/pause');
    await sleep(300);
    await api(t.http, 'POST', '/api/control/many/resume');
    await api(t.http, 'POST', '/api/control/many/speed', { speed: 6 });
    await waitPackets(40);
    await api(t.http, 'POST', '/api/control/many/speed', { speed: 2 });
    await studio.invoke('setFilters', 'many', { trial_id: 4, target_id: null });
    await truth.client.until(() => truth.client.messages.filter((m) => m.type === 'data').at(-1)?.trial_id === 4, 'packets of trial 4');
    await waitPackets(20);
    truth.client.ws.send(JSON.stringify({ type: 'pause' }));
    await settled(truth.client);
    for (const d of [truth, zero, half]) await settled(d.client);
    await sleep(100);
    for (const d of [truth, zero, half]) d.stop();
    const board = await scoreboard('many');
    const [a, b, c] = ['truthful', 'zeros', 'half'].map((n) => decoder(board, n));
    expect(a.cumulative.r2_combined).toBe(1);
    expect(a.counts.stale + a.counts.unknown + a.counts.duplicates + a.counts.invalid).toBe(0);
    expect(b.cumulative.r2_combined).toBeLessThan(0.05);
    expect(c.axes).toEqual(['vx']);
    expect(c.cumulative.axes.vx.r2).toBe(1);
    expect(c.counts.predictions).toBeLessThan(a.counts.predictions * 0.7); // it answered every other packet
    expect(a.counts.predictions).toBeGreaterThanOrEqual(100);
    expect(a.per_trial.map((x: any) => x.trial_id)).toContain(4);
    for (const d of [truth, zero, half]) d.client.ws.close();
  }, 30_000);

  it('a client that floods (over 10× the packet rate) is throttled, then closed with 1008 and a reason; others lose nothing', async () => {
    const healthy = new TestClient(`${t.ws}/stream/binary/flooded`);
    const flood = new TestClient(`${t.ws}/stream/flooded?decoder=flooder`);
    await flood.until(() => flood.messages.some((m) => m.type === 'data'), 'a packet');
    const seq = flood.messages.find((m) => m.type === 'data').sequence_number;
    const burst = JSON.stringify({ type: 'prediction', sequence_number: seq, vx: 1 });
    const started = Date.now();
    while (!flood.closed && Date.now() - started < 10_000) {
      for (let i = 0; i < 150; i++) flood.ws.send(burst); // 3,000 a second against a limit of 400
      await sleep(50);
    }
    expect(flood.closed?.code).toBe(1008);
    expect(flood.closed?.reason).toMatch(/flooding/);
    expect(Date.now() - started).toBeGreaterThan(4500);
    const d = decoder(await scoreboard('flooded'), 'flooder');
    expect(d.counts.throttled).toBeGreaterThan(1000);
    expect(d.connected).toBe(false);
    const seqs = healthy.messages.filter((m) => m.type === 'data').map((m) => m.sequence_number);
    expect(seqs.length).toBeGreaterThan(150);
    seqs.forEach((q, i) => i && expect(q).toBe(seqs[i - 1] + 1));
    healthy.ws.close();
  }, 20_000);

  it('a reset starts every decoder afresh (REST, studio, client message), and the studio’s scoreboard is the same data', async () => {
    const d = nodeDecoder(`${t.ws}/stream/resettable?decoder=r1`, (p) => ({ vx: p.kinematics.vx }));
    await d.client.until(() => d.client.messages.filter((m) => m.type === 'data').length >= 30, '30 packets');
    d.stop(); // answers no more: both faces must show the same counts
    await settled(d.client);
    expect(decoder(await scoreboard('resettable'), 'r1').counts.predictions).toBeGreaterThan(20);
    const viaStudio = await new Promise<Scoreboard>((resolve) => {
      // The first scoreboard arrives during subscribe itself.
      const off = studio.subscribe('scoreboard', ['resettable'], (b) => {
        queueMicrotask(() => off());
        resolve(b as Scoreboard);
      });
    });
    const viaRest = decoder(await scoreboard('resettable'), 'r1');
    const row = viaStudio.decoders.find((x) => x.name === 'r1')!;
    expect(row.counts.predictions).toBe(viaRest.counts.predictions);
    expect(row.cumulative.r2).toBe(viaRest.cumulative.r2_combined);
    const r = await api(t.http, 'POST', '/api/sessions/resettable/decoders/reset');
    expect(r.status).toBe(200);
    expect(decoder(r.body, 'r1').counts.predictions).toBe(0);
    await studio.invoke('resetScores', 'resettable');
    expect(decoder(await scoreboard('resettable'), 'r1').counts.predictions).toBe(0);
    d.client.ws.send(JSON.stringify({ type: 'reset_scores' }));
    await settled(d.client);
    expect(decoder(await scoreboard('resettable'), 'r1').counts.predictions).toBe(0);
    d.client.ws.close();
  });
});
