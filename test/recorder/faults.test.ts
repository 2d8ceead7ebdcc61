/**
 * The disk refusing: a full disk (a 64 KiB tmpfs), a recording folder removed while written, a
 * recordings root that cannot be made. The recording stops `failed` with a clear error, in the
 * list and the log; the stream to a connected client goes on without a gap; other recordings go on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setLogLevel, setLogSink } from '../../src/main/common/log.ts';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { readRecording, tempRoot, until } from './support.ts';

const servers: TestServer[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  setLogLevel('silent');
});

const logLines: string[] = [];
setLogSink((line) => logLines.push(line));
setLogLevel('error');

async function server(root: string): Promise<TestServer> {
  const t = await startTestServer({ server: { recordings: { root } } });
  servers.push(t);
  return t;
}

/** Sequence numbers a client received, checked to have no gap: nobody upstream noticed anything. */
function expectNoGap(c: TestClient): void {
  const seqs = c.packets.map((p) => p.sequence_number as number);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i], `packet after ${seqs[i - 1]}`).toBe(seqs[i - 1] + 1);
}

async function recordingRow(t: TestServer, id: string): Promise<any> {
  return (await api(t.http, 'GET', '/api/recordings')).body.recordings.find((r: any) => r.id === id);
}

function tmpfs(sizeKiB: number): string | null {
  const dir = tempRoot('tmpfs');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  mounts.push(dir);
  return dir;
}

const full = tmpfs(64);

describe('recording faults', () => {
  it.skipIf(full === null)(`disk full: the recording fails with "disk full", the client streams on, the session stays${full === null ? ' (skipped: mount -t tmpfs was refused; it needs root)' : ''}`, async () => {
    const t = await server(full!);
    await api(t.http, 'POST', '/api/sessions/create', { code: 'full-disk', speed: 20 });
    const c = new TestClient(`${t.ws}/stream/full-disk?decoder=filler`);
    c.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'data') c.send({ type: 'prediction', sequence_number: m.sequence_number, x: 1.5, y: 2.5, vx: 3.5, vy: 4.5 });
    });
    await c.packetsAtLeast(10);
    const id = (await api(t.http, 'POST', '/api/sessions/full-disk/recording')).body.recording.id;
    await until(async () => (await recordingRow(t, id))?.status === 'failed', 'the recording to fail', 30_000);
    const row = await recordingRow(t, id);
    expect(row.error).toMatch(/^disk full: no space left to write .*full-disk_.*\.jsonl$/);
    expect(logLines.some((l) => l.includes('"recording_failed"') && l.includes('disk full'))).toBe(true);
    // The session is no longer recorded, and can be again once there is room.
    expect((await api(t.http, 'DELETE', '/api/sessions/full-disk/recording')).body.error.code).toBe('not_recording');
    const before = c.packets.length;
    await c.packetsAtLeast(before + 40);
    expectNoGap(c);
    expect((await api(t.http, 'GET', '/api/sessions/full-disk/decoders')).body.decoders[0].counts.predictions).toBeGreaterThan(before);
    // What was written before the disk filled is readable.
    const rec = readRecording(join(full!, id));
    expect(rec.packets.length).toBeGreaterThan(0);
    expect(['failed', 'recording']).toContain(rec.manifest.status);
    c.close();
  }, 60_000);

  it('a recording folder removed while written: failed with a clear error; another recording continues', async () => {
    const root = tempRoot('removed');
    const t = await server(root);
    for (const code of ['gone', 'kept']) await api(t.http, 'POST', '/api/sessions/create', { code });
    const c = new TestClient(`${t.ws}/stream/gone`);
    await c.packetsAtLeast(5);
    const gone = (await api(t.http, 'POST', '/api/sessions/gone/recording')).body.recording.id;
    const kept = (await api(t.http, 'POST', '/api/sessions/kept/recording')).body.recording.id;
    await sleep(300);
    rmSync(join(root, gone), { recursive: true });
    await until(async () => (await recordingRow(t, gone))?.status === 'failed', 'the recording to fail');
    expect((await recordingRow(t, gone)).error).toMatch(/recording folder is gone/);
    expect(logLines.some((l) => l.includes('"recording_failed"') && l.includes(gone))).toBe(true);
    const before = c.packets.length;
    await c.packetsAtLeast(before + 20);
    expectNoGap(c);
    // The other one went on and stops cleanly.
    expect((await recordingRow(t, kept)).status).toBe('recording');
    const stopped = await api(t.http, 'DELETE', '/api/sessions/kept/recording');
    expect(stopped.body.recording.status).toBe('complete');
    expect(readRecording(join(root, kept)).packets.length).toBeGreaterThan(20);
    // The failed one can be dismissed from the list.
    expect((await api(t.http, 'DELETE', `/api/recordings/${gone}`)).status).toBe(200);
    expect(await recordingRow(t, gone)).toBeUndefined();
    c.close();
  });

  it('a recordings root that cannot be made: starting is refused with the reason (503); streaming is untouched', async () => {
    const base = tempRoot('notdir');
    const file = join(base, 'a-file');
    writeFileSync(file, 'not a folder');
    const t = await server(join(file, 'recordings'));
    await api(t.http, 'POST', '/api/sessions/create', { code: 'nowhere' });
    const c = new TestClient(`${t.ws}/stream/nowhere`);
    await c.packetsAtLeast(3);
    const r = await api(t.http, 'POST', '/api/sessions/nowhere/recording');
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('recording_unavailable');
    expect(r.body.error.message).toMatch(/cannot use the recordings folder: not a folder/);
    await c.packetsAtLeast(c.packets.length + 10);
    expectNoGap(c);
    c.close();
  });

  it('--record into a folder that cannot be made: the server refuses to start, saying why', async () => {
    const base = tempRoot('notdir2');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'f'), '');
    await expect(startTestServer({ server: { recordings: { root: join(base, 'f', 'sub'), recordAll: true } } })).rejects.toThrow(
      /cannot use the recordings folder: not a folder/,
    );
  });
});
