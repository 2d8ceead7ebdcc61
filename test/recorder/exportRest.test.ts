/**
 * Exporting over REST, as a script would: record a session while a decoder answers, stop, then
 * `POST /api/recordings/{id}/export` — waiting for the file, or started (202) and followed on
 * `GET /api/exports`. Still-recording, unknown and malformed requests get clear refusals.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/dataset/loadDataset.ts';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { tempRoot } from './support.ts';

let t: TestServer;
let root: string;
let id: string;
const code = 'rest-export';

beforeAll(async () => {
  root = join(tempRoot('export-rest'), 'recordings');
  t = await startTestServer({ server: { recordings: { root } } });
  expect((await api(t.http, 'POST', '/api/sessions/create', { code, speed: 4 })).status).toBe(201);
  const decoder = new TestClient(`${t.ws}/stream/${code}?decoder=rest-decoder`);
  await decoder.opened;
  decoder.ws.on('message', () => {
    const m = decoder.messages.at(-1);
    if (m?.type === 'data') decoder.send({ type: 'prediction', sequence_number: m.sequence_number, vx: m.kinematics?.vx ?? 0, vy: 0 });
  });
  const started = await api(t.http, 'POST', `/api/sessions/${code}/recording`);
  expect(started.status).toBe(201);
  id = started.body.recording.id;

  // Still being written: refused, with what to do.
  const early = await api(t.http, 'POST', `/api/recordings/${id}/export`);
  expect(early.status).toBe(409);
  expect(early.body.error).toMatchObject({ code: 'recording_active', message: `recording "${id}" is still being written: stop it before exporting` });

  await sleep(1500);
  expect((await api(t.http, 'DELETE', `/api/sessions/${code}/recording`)).status).toBe(200);
  decoder.close();
}, 60_000);

afterAll(async () => {
  await t.close();
});

describe('REST export', () => {
  it('waits for the NWB file by default and says where it went; the file replays', async () => {
    const r = await api(t.http, 'POST', `/api/recordings/${id}/export`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.export).toMatchObject({ recording_id: id, format: 'nwb', state: 'done', fraction: 1, path: join(root, id, `${id}.nwb`), error: null });
    expect((await loadDataset(r.body.export.path)).numBins).toBeGreaterThan(0);
  }, 60_000);

  it('wait=false answers 202 at once; GET /api/exports follows it to the end', async () => {
    const r = await api(t.http, 'POST', `/api/recordings/${id}/export?format=csv&wait=false`);
    expect(r.status).toBe(202);
    expect(r.body.export).toMatchObject({ recording_id: id, format: 'csv', state: 'running' });
    let job: any;
    for (let i = 0; i < 200; i++) {
      job = (await api(t.http, 'GET', '/api/exports')).body.exports.find((j: any) => j.recording_id === id && j.format === 'csv');
      if (job.state !== 'running') break;
      await sleep(50);
    }
    expect(job).toMatchObject({ state: 'done', path: join(root, id, 'csv') });
    expect(readdirSync(job.path).sort()).toEqual(['events.csv', 'rest-decoder.csv']);
  }, 60_000);

  it('refuses a bad format or unknown fields (400), an unknown recording (404); nothing is written', async () => {
    const bad = await api(t.http, 'POST', `/api/recordings/${id}/export`, { format: 'xml' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('format must be nwb or csv (got "xml")');
    const extra = await api(t.http, 'POST', `/api/recordings/${id}/export`, { format: 'nwb', out: '/tmp/x.nwb' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/takes format and wait \(got out\)/);
    const none = await api(t.http, 'POST', '/api/recordings/nope_20261206-000000Z/export');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('recording_not_found');
    expect(existsSync('/tmp/x.nwb')).toBe(false);
  });
});
