import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/main/dataset/errors.ts';
import { api, REPO_ROOT, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

const FIXTURE = join(REPO_ROOT, '..', 'shared', 'fixtures', 'nwb', 'pynapple_A8604-211122.nwb');
const dir = mkdtempSync(join(tmpdir(), 'pl-faults-'));
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('faults', () => {
  it('the NWB file deleted while it plays: streaming goes on (the recording is binned in memory)', async () => {
    const file = join(dir, 'will-vanish.nwb');
    copyFileSync(FIXTURE, file);
    await t.engine.openDataset(file);
    const c = new TestClient(`${t.ws}/stream/binary/vanish`);
    await c.packetsAtLeast(2);
    rmSync(file);
    const n = c.packets.length;
    await c.packetsAtLeast(n + 10);
    expect((await api(t.http, 'GET', '/api/metadata')).body.file).toBe(file);
    const again = await t.engine.openDataset(file).catch((e) => e);
    expect(again).toBeInstanceOf(DatasetError);
    expect(again.message).toBe(`Cannot load ${file}: file not found`);
    c.close();
  });

  it('a truncated NWB file is refused with a clear message and the current dataset stays', async () => {
    const file = join(dir, 'truncated.nwb');
    const bytes = readFileSync(FIXTURE);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const before = t.engine.dataset;
    const err = await t.engine.openDataset(file).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain(file);
    expect(err.message).toBe(`Cannot load ${file}: HDF5 cannot open it: truncated file: eof = ${Math.floor(bytes.length / 3)}, sblock->base_addr = 0, stored_eof = ${bytes.length}`);
    expect(t.engine.dataset).toBe(before);
  });

  it('graceful shutdown under load: 60 clients over 6 sessions all get 1001 and nothing hangs', async () => {
    const s = await startTestServer();
    const clients = Array.from({ length: 60 }, (_, i) => new TestClient(`${s.ws}/stream/${i % 2 ? 'binary/' : ''}load-${i % 6}`));
    await Promise.all(clients.map((c) => c.packetsAtLeast(2, 15_000)));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    const codes = await Promise.all(clients.map((c) => c.closedWith().then((x) => x.code)));
    expect(new Set(codes)).toEqual(new Set([1001]));
  });
});
