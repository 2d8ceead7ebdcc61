/**
 * Recording ids come from people and programs we do not trust: traversal, separators, NUL, very
 * long names, symlinks planted in the root. Each is refused with a clear error over REST and the
 * studio command, and nothing outside the recordings root is read or deleted.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { api, startTestServer, type TestServer } from '../helpers/server.ts';
import { tempRoot } from './support.ts';

let t: TestServer;
let studio: StudioService;
let root: string;
let outside: string;

beforeAll(async () => {
  const base = tempRoot('hostile');
  root = join(base, 'recordings');
  outside = join(base, 'precious');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'manifest.json'), '{"id":"precious"}');
  // A symlink with a valid-looking name, pointing out of the root.
  symlinkSync(outside, join(root, 'evil_20260101-000000Z'));
  t = await startTestServer({ server: { recordings: { root } } });
  studio = new StudioService(t.engine, t.server, { pollMs: 50 });
});
afterAll(async () => {
  studio.close();
  await t.close();
});

const HOSTILE = [
  '..',
  '../precious',
  '..%2Fprecious',
  '%2e%2e',
  '%2e%2e%2fprecious',
  'demo_20261206-161502Z%2F..%2F..%2Fprecious',
  'a%00b',
  'demo_20261206-161502Z%00',
  'x'.repeat(5000),
  `${'a'.repeat(65)}_20261206-161502Z`,
  'demo',
  'demo_2026-12-06',
  '%252e%252e',
];

describe('hostile recording ids', () => {
  it('REST refuses each with 400 invalid_recording_id (or 404 for no such route), and touches nothing outside the root', async () => {
    for (const id of HOSTILE) {
      for (const [method, suffix] of [['GET', ''], ['DELETE', ''], ['POST', '/export']]) {
        const r = await api(t.http, method, `/api/recordings/${id}${suffix}`);
        expect([400, 404], `${method} ${id.slice(0, 60)} → ${r.status}`).toContain(r.status);
        expect(r.body.error.code, `${method} ${id.slice(0, 60)}`).toMatch(/^(invalid_recording_id|not_found|bad_path)$/);
        if (r.body.error.code === 'invalid_recording_id') expect(r.body.error.message).toMatch(/a recording id is a folder name like "demo_20261206-161502Z"/);
      }
    }
    expect(existsSync(join(outside, 'manifest.json'))).toBe(true);
  });

  it('a symlink planted in the root with a valid name is not a recording: not listed, not read, not followed on delete', async () => {
    const list = await api(t.http, 'GET', '/api/recordings');
    expect(list.body.recordings.map((r: any) => r.id)).not.toContain('evil_20260101-000000Z');
    expect((await api(t.http, 'GET', '/api/recordings/evil_20260101-000000Z')).status).toBe(404);
    expect((await api(t.http, 'DELETE', '/api/recordings/evil_20260101-000000Z')).status).toBe(404);
    expect((await api(t.http, 'POST', '/api/recordings/evil_20260101-000000Z/export')).status).toBe(404);
    expect(existsSync(join(outside, 'manifest.json'))).toBe(true);
  });

  it('a well-formed id that is not there: 404 recording_not_found', async () => {
    const r = await api(t.http, 'GET', '/api/recordings/demo_20261206-161502Z');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('recording_not_found');
  });

  it('the studio commands refuse the same ids (invalid_recording_id), and non-strings (invalid_argument)', async () => {
    for (const raw of ['..', '../precious', 'a\0b', 'x'.repeat(5000), '/etc', 'demo_20261206-161502Z/..', '']) {
      for (const command of ['getRecording', 'deleteRecording']) {
        await expect(studio.call(command, [raw]), `${command} ${raw.slice(0, 40)}`).rejects.toMatchObject({ code: 'invalid_recording_id' });
      }
      await expect(studio.call('exportRecording', [raw, 'nwb']), `exportRecording ${raw.slice(0, 40)}`).rejects.toMatchObject({ code: 'invalid_recording_id' });
    }
    for (const bad of [null, 42, {}, ['..'], { toString: () => '..' }]) {
      await expect(studio.call('deleteRecording', [bad])).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    await expect(studio.call('getRecording', ['evil_20260101-000000Z'])).rejects.toMatchObject({ code: 'recording_not_found' });
    await expect(studio.call('exportRecording', ['evil_20260101-000000Z', 'nwb'])).rejects.toMatchObject({ code: 'recording_not_found' });
    for (const format of ['xml', '', null, 'NWB']) {
      await expect(studio.call('exportRecording', ['demo_20261206-161502Z', format])).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    await expect(studio.call('startRecording', ['../x'])).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(existsSync(join(outside, 'manifest.json'))).toBe(true);
  });
});
