/**
 * Helpers of the recorder and export tests.
 *
 * One recorded run for the export tests: a real server streams the built-in recording, two
 * real ws decoders answer (one noisy on every axis, one velocity-only every other packet, with a
 * name no file system or HDF5 accepts as is), the session is paused, its scores reset, seeked and
 * resumed, and everything is written in the recording format by the test recorder.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, PacketRecord, PredictionRecord, RecordingManifest, ScoreRecord } from '../../src/main/recorder/format.ts';
import { RECORDING_FILES } from '../../src/main/recorder/format.ts';
import { expect } from 'vitest';
import { recordSession } from '../helpers/recordSession.ts';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

export interface RecordedRun {
  server: TestServer;
  dir: string;
  /** What the decoders received, by sequence number. */
  received: Map<number, any>;
  /** The live scoreboard (REST) when the run ended. */
  board: any;
}

export const DECODER_NAMES = ['noisy', 'vel/only 2'];

/** Reads a JSONL log of a recording, every line. */
export function jsonl<T>(dir: string, file: string): T[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A seeded noise source (the same every run), so the decoders' scores are neither 0 nor 1. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export async function recordRun(dir: string, code: string, packets = 400, binMs = 25): Promise<RecordedRun> {
  const t = await startTestServer();
  const received = new Map<number, any>();
  /** A decoder answering every data packet it gets with `answer(packet)` (null: no answer). */
  const decoder = (url: string, answer: (p: any) => object | null) => {
    const client = new TestClient(url);
    let seen = 0;
    const timer = setInterval(() => {
      for (; seen < client.messages.length; seen++) {
        const m = client.messages[seen];
        if (m.type !== 'data') continue;
        received.set(m.sequence_number, m);
        const a = answer(m);
        if (a) client.ws.send(JSON.stringify({ type: 'prediction', sequence_number: m.sequence_number, ...a }));
      }
    }, 5);
    return { client, stop: () => clearInterval(timer) };
  };
  expect((await api(t.http, 'POST', '/api/sessions/create', { code, speed: 8, paused: true, bin_ms: binMs })).status).toBe(201);
  const session = t.engine.sessions.get(code)!;
  const ds = t.engine.dataset;
  const rec = recordSession(t.server, session, dir, {
    name: ds.provenance.name,
    path: null,
    sha256: null,
    synthetic: { preset: 'default', seed: 1 },
    channels: ds.numUnits,
    duration_s: ds.durationSeconds,
  });
  const rnd = noise(7);
  const kin = (p: any) => p.kinematics;
  const noisy = decoder(`${t.ws}/stream/${code}?decoder=noisy`, (p) =>
    kin(p).vx === null ? null : { vx: kin(p).vx + 80 * rnd(), vy: kin(p).vy + 80 * rnd(), x: kin(p).x + 20 * rnd(), y: kin(p).y + 20 * rnd(), latency_ms: 0.5 },
  );
  const odd = decoder(`${t.ws}/stream/binary/${code}?decoder=${encodeURIComponent(DECODER_NAMES[1])}`, (p) =>
    p.sequence_number % 2 === 0 ? { vx: 0.5 * (kin(p).vx ?? 0) + 30 * rnd(), vy: null } : null,
  );
  await noisy.client.opened;
  await odd.client.opened;
  await api(t.http, 'POST', `/api/control/${code}/resume`);
  rec.event('play');
  await noisy.client.packetsAtLeast(Math.floor(packets / 2), 10_000);
  await api(t.http, 'POST', `/api/control/${code}/pause`);
  rec.event('pause');
  await sleep(150); // paused, every answer in: the scores can be reset between two predictions
  rec.event('scores_reset');
  expect((await api(t.http, 'POST', `/api/sessions/${code}/decoders/reset`)).status).toBeLessThan(300);
  await api(t.http, 'POST', `/api/control/${code}/seek`, { position_seconds: 200 });
  rec.event('seek', { to_s: 200 });
  await api(t.http, 'POST', `/api/control/${code}/resume`);
  rec.event('play');
  rec.snapshot();
  await noisy.client.packetsAtLeast(packets, 10_000);
  await api(t.http, 'POST', `/api/control/${code}/pause`);
  rec.event('pause');
  await sleep(300); // the last answers arrive
  noisy.stop();
  odd.stop();
  const board = (await api(t.http, 'GET', `/api/sessions/${code}/decoders`)).body;
  rec.stop();
  noisy.client.close();
  odd.client.close();
  return { server: t, dir, received, board };
}

// ------------------------------------------------------------------ the recorder's tests

export const tempRoot = (label: string) => mkdtempSync(join(tmpdir(), `phantomlink-rec-${label}-`));

/** Every complete line of a log, parsed; a partial last line (no "\n") is left out, as readers must. */
export function readLog<T>(dir: string, name: Exclude<keyof typeof RECORDING_FILES, 'manifest'>): T[] {
  const path = join(dir, RECORDING_FILES[name]);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

export interface ReadRecording {
  manifest: RecordingManifest;
  packets: PacketRecord[];
  predictions: PredictionRecord[];
  events: EventRecord[];
  scores: ScoreRecord[];
}

export function readRecording(dir: string): ReadRecording {
  return {
    manifest: JSON.parse(readFileSync(join(dir, RECORDING_FILES.manifest), 'utf8')) as RecordingManifest,
    packets: readLog(dir, 'packets'),
    predictions: readLog(dir, 'predictions'),
    events: readLog(dir, 'events'),
    scores: readLog(dir, 'scores'),
  };
}

export async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
