/**
 * A dataset opened while recording: the event names the new file and its SHA-256 (hashed off
 * the tick), the recordings made on the new file say so in their manifest, and packets go on.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, REPO_ROOT, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { readRecording, tempRoot } from './support.ts';

const FILE = join(REPO_ROOT, '..', 'shared', 'fixtures', 'nwb', 'pynapple_A8604-211122.nwb');
const SHA = createHash('sha256').update(readFileSync(FILE)).digest('hex');
let t: TestServer;
let root: string;
beforeAll(async () => {
  root = tempRoot('swap');
  t = await startTestServer({ server: { recordings: { root } } });
});
afterAll(() => t.close());

describe('a dataset swap while recording', () => {
  it('is an event with the file and its SHA-256; a recording of the new file has both in its manifest', async () => {
    const c = new TestClient(`${t.ws}/stream/swap-rec`);
    await c.packetsAtLeast(3);
    const id = (await api(t.http, 'POST', '/api/sessions/swap-rec/recording')).body.recording.id;
    await c.packetsAtLeast(c.packets.length + 5);
    await t.engine.openDataset(FILE);
    await c.until(() => c.messages.filter((m) => m.type === 'metadata').length >= 2, 'the new metadata');
    await c.packetsAtLeast(c.packets.length + 5);
    await api(t.http, 'DELETE', '/api/sessions/swap-rec/recording');
    const rec = readRecording(join(root, id));
    expect(rec.manifest.dataset).toMatchObject({ path: null, sha256: null, synthetic: { preset: 'default', seed: 1 } });
    const swap = rec.events.find((e) => e.kind === 'dataset')!;
    expect(swap.detail).toMatchObject({ path: FILE, sha256: SHA, synthetic: null });
    // Events stay in time order though the hash came later; packets after it are bins of the new file.
    for (let i = 1; i < rec.events.length; i++) expect(rec.events[i].t_ms).toBeGreaterThanOrEqual(rec.events[i - 1].t_ms);
    expect(rec.packets.filter((p) => p.t_ms > swap.t_ms).length).toBeGreaterThan(3);

    const second = (await api(t.http, 'POST', '/api/sessions/swap-rec/recording')).body.recording.id;
    await c.packetsAtLeast(c.packets.length + 3);
    await api(t.http, 'DELETE', '/api/sessions/swap-rec/recording');
    expect(readRecording(join(root, second)).manifest.dataset).toMatchObject({ path: FILE, sha256: SHA, synthetic: null, channels: 3 });
    c.close();
  });
});
