import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/main/dataset/errors.ts';
import { api, REPO_ROOT, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

const FIXTURES = join(REPO_ROOT, '..', 'shared', 'fixtures', 'nwb');
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('opening another dataset while clients stream', () => {
  it('a bad file is refused with a clear error and the previous dataset keeps streaming', async () => {
    const c = new TestClient(`${t.ws}/stream/binary/keep`);
    await c.packetsAtLeast(3);
    const before = t.engine.dataset;
    for (const [file, problem] of [
      [join(FIXTURES, 'pynwb_empty.nwb'), /units/i],
      [join(FIXTURES, 'does-not-exist.nwb'), /file not found/],
      [join(REPO_ROOT, 'package.json'), /not an HDF5 file/],
    ] as const) {
      const err = await t.engine.openDataset(file).catch((e) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect(err.message).toContain(file);
      expect(err.message).toMatch(problem);
    }
    expect(t.engine.dataset).toBe(before);
    const n = c.packets.length;
    await c.packetsAtLeast(n + 5);
    expect(c.closed).toBeNull();
    expect((await api(t.http, 'GET', '/api/metadata')).body.num_channels).toBe(142);
  });

  it('a good file swaps in: clients get new metadata and the sequence continues', async () => {
    const c = new TestClient(`${t.ws}/stream/swap`);
    await c.packetsAtLeast(3);
    const file = join(FIXTURES, 'pynapple_A8604-211122.nwb');
    await t.engine.openDataset(file);
    await c.until(() => c.messages.filter((m) => m.type === 'metadata').length >= 2, 'second metadata');
    const metaIdx = c.messages.findLastIndex((m) => m.type === 'metadata');
    expect(c.messages[metaIdx]).toMatchObject({ num_channels: 3, dataset: { path: file, synthetic: false } });
    const n = c.packets.length;
    await c.packetsAtLeast(n + 3);
    const seqs = c.packets.map((p) => p.sequence_number);
    seqs.forEach((q, i) => i && expect(q).toBe(seqs[i - 1] + 1));
    const after = c.messages.slice(metaIdx + 1).filter((m) => m.type === 'data');
    expect(after[0].spikes.spike_counts).toHaveLength(3);
    expect((await api(t.http, 'GET', '/api/metadata')).body.file).toBe(file);
  });
});
