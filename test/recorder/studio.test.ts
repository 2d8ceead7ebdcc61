/**
 * Recording from the studio: the commands, and the events the UI updates from (the session's
 * red dot, the recordings list, a failure showing up at once).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import type { RecordingSummary, SessionSummary } from '../../src/shared/studioApi.ts';
import { startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { tempRoot, until } from './support.ts';

let t: TestServer;
let studio: StudioService;
let root: string;
beforeAll(async () => {
  root = tempRoot('studio');
  t = await startTestServer({ server: { recordings: { root } } });
  studio = new StudioService(t.engine, t.server, { pollMs: 50 });
});
afterAll(async () => {
  studio.close();
  await t.close();
});

describe('recording from the studio', () => {
  it('start, watch, open, stop and delete, with the sessions and recordings events following', async () => {
    const lists: RecordingSummary[][] = [];
    let sessions: SessionSummary[] = [];
    const offList = studio.subscribe('recordings', [], (l) => lists.push(l as RecordingSummary[]));
    const offSessions = studio.subscribe('sessions', [], (s) => (sessions = s as SessionSummary[]));
    await studio.invoke('createSession', { code: 'studio-rec' });
    const c = new TestClient(`${t.ws}/stream/studio-rec?decoder=watcher`);
    await c.packetsAtLeast(3);

    const started = await studio.invoke('startRecording', 'studio-rec');
    expect(started).toMatchObject({ sessionCode: 'studio-rec', status: 'recording', dataset: { synthetic: true } });
    await until(() => sessions.find((s) => s.code === 'studio-rec')?.recording?.id === started.id, 'the red dot');
    await until(() => lists.at(-1)?.some((r) => r.id === started.id && r.status === 'recording') ?? false, 'the list to show it');
    // While it records, the list updates on its own (duration, size).
    const n = lists.length;
    await until(() => lists.length > n + 1, 'the list to tick');
    expect(lists.at(-1)!.find((r) => r.id === started.id)!.decoders).toEqual(['watcher']);

    const stopped = await studio.invoke('stopRecording', 'studio-rec');
    expect(stopped).toMatchObject({ id: started.id, status: 'complete' });
    expect(stopped.durationS).toBeGreaterThan(0.1);
    await until(() => sessions.find((s) => s.code === 'studio-rec')?.recording === null, 'the red dot to go');
    const detail = await studio.invoke('getRecording', started.id);
    expect(detail.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['recording_started', 'recording_stopped']));
    expect(detail.scores.at(-1)!.decoders.map((d) => d.name)).toEqual(['watcher']);
    expect((await studio.invoke('listRecordings')).map((r) => r.id)).toContain(started.id);

    await studio.invoke('deleteRecording', started.id);
    await until(() => !(lists.at(-1) ?? []).some((r) => r.id === started.id), 'the list to drop it');
    await expect(studio.invoke('stopRecording', 'studio-rec')).rejects.toMatchObject({ code: 'not_recording' });
    offList();
    offSessions();
    c.close();
  });

  it('a recording that fails shows in the recordings event at once, with its error', async () => {
    const lists: RecordingSummary[][] = [];
    const off = studio.subscribe('recordings', [], (l) => lists.push(l as RecordingSummary[]));
    await studio.invoke('createSession', { code: 'studio-fail' });
    const { id } = await studio.invoke('startRecording', 'studio-fail');
    rmSync(join(root, id), { recursive: true });
    await until(() => lists.at(-1)?.some((r) => r.id === id && r.status === 'failed') ?? false, 'the failure to show');
    expect(lists.at(-1)!.find((r) => r.id === id)!.error).toMatch(/recording folder is gone/);
    off();
  });
});
