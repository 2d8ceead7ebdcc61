import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { createWsStudioClient, StudioCallError } from '../../src/renderer/src/host/wsStudioClient.ts';
import type { PacketBatch, StudioApi } from '../../src/shared/studioApi.ts';
import { api, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let studio: StudioApi;
beforeAll(async () => {
  t = await startTestServer();
  t.server.attachStudio(new StudioService(t.engine, t.server, { pollMs: 50 }));
  studio = createWsStudioClient(`${t.ws}/studio/channel`, { WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
});
afterAll(async () => {
  await t.close();
});

describe('StudioApi over the browser host’s studio channel', () => {
  it('reads the dataset and server info', async () => {
    const ds = await studio.getDataset();
    expect(ds).toMatchObject({ numUnits: 142, synthetic: true });
    expect(ds.bounds).not.toBeNull();
    expect((await studio.serverInfo()).httpUrl).toBe(t.http);
    expect((await studio.getTrials()).length).toBe(ds.numTrials);
  });

  it('creates a session and streams the same packets a decoder receives', async () => {
    const s = await studio.createSession({ code: 'studio-a' });
    expect(s.binaryStreamUrl).toBe(`${t.ws}/stream/binary/studio-a`);
    const batches: PacketBatch[] = [];
    const off = studio.subscribe('packets', ['studio-a'], (b) => batches.push(b));
    const decoder = new TestClient(s.binaryStreamUrl);
    await decoder.packetsAtLeast(20);
    off();
    const ui = new Map(batches.flatMap((b) => b.packets).map((p) => [p.seq, p]));
    let matched = 0;
    for (const p of decoder.packets) {
      const u = ui.get(p.sequence_number);
      if (!u) continue;
      matched++;
      expect(u.counts).toEqual(p.spikes.spike_counts);
      expect(u.bin).toBe(p.bin_index);
      expect(u.targetId).toBe(p.intention.target_id);
    }
    expect(matched).toBeGreaterThan(10);
    decoder.close();
  });

  it('setting filters applies to the session, so connected decoders see it at once', async () => {
    await studio.createSession({ code: 'studio-f' });
    const decoder = new TestClient(`${t.ws}/stream/binary/studio-f`);
    await decoder.packetsAtLeast(2);
    const targets = await studio.getTargets();
    const target = targets.find((x) => x.numTrials > 0)!;
    const snap = await studio.setFilters('studio-f', { trial_id: null, target_id: target.id });
    expect(snap.filters.target_id).toBe(target.id);
    await decoder.until(() => decoder.messages.filter((m) => m.type === 'metadata').length === 2, 'new metadata');
    const idx = decoder.messages.findLastIndex((m) => m.type === 'metadata');
    await decoder.until(() => decoder.messages.length > idx + 10, 'packets after the filter');
    for (const p of decoder.messages.slice(idx + 1)) expect(p.intention.target_id).toBe(target.id);
    decoder.close();
  });

  it('refuses bad arguments with a clear error, and the channel stays usable', async () => {
    const err = await studio.seek('no such session!', 1).catch((e) => e);
    expect(err).toBeInstanceOf(StudioCallError);
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/session code/);
    const bad = await (studio as any).seek('studio-a', 'soon').catch((e: Error) => e);
    expect(bad.message).toMatch(/finite number/);
    const missing = await studio.pause('nobody').catch((e) => e);
    expect(missing.code).toBe('session_not_found');
    const badFile = await studio.openDataset('/nope.nwb').catch((e) => e);
    expect(badFile.code).toBe('dataset_error');
    expect(badFile.message).toMatch(/file not found/);
    expect((await studio.getDataset()).numUnits).toBe(142);
  });

  it('refuses a studio connection from another site’s page', async () => {
    const ws = new WebSocket(`${t.ws}/studio/channel`, { headers: { origin: 'http://evil.example' } });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(403);
  });
});

describe('a window that stops reading', () => {
  it('costs the server a bounded queue: past 4 MB its packet events are dropped', async () => {
    const t2 = await startTestServer();
    const channel = t2.server.attachStudio(new StudioService(t2.engine, t2.server, { packetFlushMs: 50 }));
    const ws = new WebSocket(`${t2.ws}/studio/channel`);
    await new Promise((r) => ws.once('open', r));
    // Eight sessions at 20×: ~4 MB of packet events a second, more than the kernel's socket buffers hold for long.
    for (let i = 1; i <= 8; i++) {
      await api(t2.http, 'POST', '/api/sessions/create', { code: `frozen-${i}`, speed: 20 });
      ws.send(JSON.stringify({ kind: 'subscribe', id: i, event: 'packets', args: [`frozen-${i}`] }));
    }
    await new Promise((r) => setTimeout(r, 200));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // the window freezes
    let peak = 0;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, channel.bufferedBytes());
    }
    expect(peak).toBeGreaterThan(1024 * 1024); // it did fill up
    expect(peak).toBeLessThan(4 * 1024 * 1024 + 512 * 1024); // and stopped there
    ws.terminate();
    await t2.close();
  }, 30_000);
});
