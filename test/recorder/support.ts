/**
 * Helpers of the recorder and export tests.
 *
 * One recorded run for the export tests: a real server streams the built-in recording and the
 * real recorder records it (started and stopped over REST, as a user does), while two real ws
 * decoders answer (one noisy on every axis, one velocity-only every other packet, with a name no
 * file system or HDF5 accepts as is); the session is paused, its scores reset, seeked and resumed.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, PacketRecord, PredictionRecord, RecordingManifest, ScoreRecord } from '../../src/main/recorder/format.ts';
import { RECORDING_FILES } from '../../src/main/recorder/format.ts';
import { expect } from 'vitest';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

export interface RecordedRun {
  server: TestServer;
  /** The recording's folder, as the recorder named it: `<root>/<CODE>_<YYYYMMDD-HHMMSS>Z`. */
  dir: string;
  /** The recording's id (the folder's name). */
  id: string;
  /** What the decoders received, by sequence number. */
  received: Map<number, any>;
  /** What each decoder sent, in order: the sequence number and the values (null: an axis not predicted). */
  sent: Map<string, Array<{ seq: number; values: Record<string, number | null> }>>;
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

/**
 * Records one run of session `code` with the real recorder into the recordings folder `root`
 * (the server's recordings root) and returns the recording's folder. The server is left running
 * (the caller closes it); the recording is stopped and complete.
 */
export async function recordRun(root: string, code: string, packets = 400, binMs = 25): Promise<RecordedRun> {
  const t = await startTestServer({ server: { recordings: { root } } });
  const received = new Map<number, any>();
  const sent = new Map<string, Array<{ seq: number; values: Record<string, number | null> }>>(DECODER_NAMES.map((n) => [n, []]));
  /** A decoder answering every data packet it gets with `answer(packet)` (null: no answer). */
  const decoder = (url: string, answer: (p: any) => Record<string, number | null> | null) => {
    const name = new URL(url).searchParams.get('decoder')!;
    const client = new TestClient(url);
    let seen = 0;
    const timer = setInterval(() => {
      for (; seen < client.messages.length; seen++) {
        const m = client.messages[seen];
        if (m.type !== 'data') continue;
        received.set(m.sequence_number, m);
        const a = answer(m);
        if (!a) continue;
        const { latency_ms: _reported, ...values } = a;
        sent.get(name)!.push({ seq: m.sequence_number, values });
        client.ws.send(JSON.stringify({ type: 'prediction', sequence_number: m.sequence_number, ...a }));
      }
    }, 5);
    return { client, stop: () => clearInterval(timer) };
  };
  expect((await api(t.http, 'POST', '/api/sessions/create', { code, speed: 8, paused: true, bin_ms: binMs })).status).toBe(201);
  const started = await api(t.http, 'POST', `/api/sessions/${code}/recording`);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const id: string = started.body.recording.id;
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
  await noisy.client.packetsAtLeast(Math.floor(packets / 2), 10_000);
  await api(t.http, 'POST', `/api/control/${code}/pause`);
  await sleep(150); // paused, every answer in: the scores can be reset between two predictions
  expect((await api(t.http, 'POST', `/api/sessions/${code}/decoders/reset`)).status).toBeLessThan(300);
  await api(t.http, 'POST', `/api/control/${code}/seek`, { position_seconds: 200 });
  await api(t.http, 'POST', `/api/control/${code}/resume`);
  await noisy.client.packetsAtLeast(packets, 10_000);
  await api(t.http, 'POST', `/api/control/${code}/pause`);
  await sleep(300); // the last answers arrive
  noisy.stop();
  odd.stop();
  const board = (await api(t.http, 'GET', `/api/sessions/${code}/decoders`)).body;
  const stopped = await api(t.http, 'DELETE', `/api/sessions/${code}/recording`);
  expect(stopped.body.recording, JSON.stringify(stopped.body)).toMatchObject({ id, status: 'complete', error: null });
  noisy.client.close();
  odd.client.close();
  return { server: t, dir: join(root, id), id, received, sent, board };
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
