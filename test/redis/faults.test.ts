/**
 * Faults a lab will meet: Redis not there at start, Redis killed and restarted mid-run, a
 * stalled Redis, decoder entries that are not what they should be. Each time the WebSocket
 * stream goes on untouched, nothing crashes, and the status says what happened.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { freePort, haveRedis, TestRedis } from '../helpers/redisServer.ts';

/** Waits until `pred` holds (polling), or fails naming `what`. */
async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The data packets a client got have consecutive sequence numbers: the stream never paused. */
function expectNoGaps(c: TestClient): number {
  const seqs = c.messages.filter((m: any) => m.type === 'data').map((m: any) => m.sequence_number);
  for (let k = 1; k < seqs.length; k++) expect(seqs[k]).toBe(seqs[k - 1] + 1);
  return seqs.length;
}

describe.skipIf(!haveRedis)('Redis faults', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it('Redis absent at start: WebSocket streaming unaffected, status retrying with the next attempt, then connects when Redis appears', async () => {
    const port = await freePort();
    const st = await t.server.redis.connect({ url: `redis://127.0.0.1:${port}/0`, sessions: ['absent'], prefix: null, decoders: [] });
    expect(['connecting', 'retrying']).toContain(st.state);
    const ws = new TestClient(`${t.ws}/stream/binary/absent`);
    await until(() => t.server.redis.status().state === 'retrying', 'retrying');
    const s1 = t.server.redis.status();
    expect(s1.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
    expect(s1.lastError).toMatch(/ECONNREFUSED/);
    await sleep(1000);
    expect(t.server.redis.status().sessions[0].failed).toBeGreaterThan(20);
    const studio = (await api(t.http, 'GET', '/api/redis')).body;
    expect(studio.state).toBe('retrying');

    const redis = await TestRedis.start({ port });
    try {
      await until(() => t.server.redis.status().state === 'connected', 'connected after Redis started', 15_000);
      const before = t.server.redis.status().sessions[0].written;
      await sleep(500);
      expect(t.server.redis.status().sessions[0].written).toBeGreaterThan(before + 10);
      const probe = new Redis(redis.url);
      expect(JSON.parse((await probe.get('phantomlink_metadata'))!).session).toBe('absent');
      probe.disconnect();
      expect(expectNoGaps(ws)).toBeGreaterThan(40);
    } finally {
      ws.ws.close();
      await t.server.redis.disconnect();
      await redis.stop();
    }
  }, 40_000);

  it('Redis killed mid-run and restarted on its port: counts what it could not write, reconnects, rewrites the metadata, reads decoders again; the stream never stalls', async () => {
    const redis = await TestRedis.start();
    await t.server.redis.connect({ url: redis.url, sessions: ['crash'], prefix: null, decoders: [{ stream: 'dec', name: 'dec', axes: ['vx', 'vy'] }] });
    const ws = new TestClient(`${t.ws}/stream/binary/crash`);
    const answer = async (r: Redis) => {
      // Answer the newest entry, BRAND's way (i copied as read).
      const [[, fields]] = (await r.xrevrangeBuffer('binned_spikes', '+', '-', 'COUNT', 1)) as any;
      const i = fields[fields.findIndex((f: Buffer) => f.toString() === 'i') + 1];
      const samples = Buffer.alloc(8);
      samples.writeFloatLE(1, 0);
      samples.writeFloatLE(2, 4);
      await r.xadd('dec', '*', 'samples', samples, 'i_in', i);
    };
    try {
      await until(() => (t.server.redis.status().sessions[0]?.written ?? 0) > 20, 'entries written');
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      await sleep(200);
      await answer(client);
      await until(() => t.server.redis.status().decoders[0].scored === 1, 'a decoder answer scored');
      client.disconnect();

      await redis.kill();
      const atKill = ws.messages.length;
      await until(() => t.server.redis.status().state === 'retrying', 'retrying after the kill');
      await sleep(1500);
      // Redis down, the stream goes on: the WebSocket client keeps receiving packets.
      expect(ws.messages.length - atKill).toBeGreaterThan(40);
      const down = t.server.redis.status().sessions[0];
      expect(down.failed).toBeGreaterThan(30);

      await redis.restart();
      await until(() => t.server.redis.status().state === 'connected', 'reconnected', 15_000);
      const back = new Redis(redis.url);
      await until(() => (t.server.redis.status().sessions[0].written ?? 0) > down.written + 20, 'written again');
      expect(JSON.parse((await back.get('phantomlink_metadata'))!).session).toBe('crash');
      // The reader is back too: a new answer is scored.
      await sleep(1500);
      await answer(back);
      await until(() => t.server.redis.status().decoders[0].scored === 2, 'an answer after the restart scored');
      back.disconnect();
      // Every packet reached the WebSocket client.
      expect(expectNoGaps(ws)).toBeGreaterThan(150);
    } finally {
      ws.ws.close();
      await t.server.redis.disconnect();
      await redis.stop();
    }
  }, 60_000);

  it('a stalled Redis: entries dropped and counted, the queue bounded, lag reported; writes resume when it answers again', async () => {
    const redis = await TestRedis.start();
    await api(t.http, 'POST', '/api/sessions/create', { code: 'stall', speed: 10 });
    await t.server.redis.connect({ url: redis.url, sessions: ['stall'], prefix: null, decoders: [] });
    const ws = new TestClient(`${t.ws}/stream/binary/stall`);
    try {
      await until(() => (t.server.redis.status().sessions[0]?.written ?? 0) > 50, 'entries written');
      redis.pause();
      await sleep(2500); // 10×: 1000 packets, far over the 256 pending
      const s = t.server.redis.status().sessions[0];
      expect(s.dropped).toBeGreaterThan(500);
      expect(s.lagMs!).toBeGreaterThan(2000);
      redis.resume();
      await until(() => t.server.redis.status().sessions[0].lagMs! < 500, 'lag back down');
      const after = t.server.redis.status().sessions[0].written;
      await sleep(500);
      expect(t.server.redis.status().sessions[0].written).toBeGreaterThan(after + 50);
      expect(expectNoGaps(ws)).toBeGreaterThan(1000);
    } finally {
      ws.ws.close();
      await t.server.redis.disconnect();
      await redis.stop();
    }
  }, 40_000);

  it('malformed decoder entries are counted, reported and skipped; good ones around them are scored', async () => {
    const redis = await TestRedis.start();
    await api(t.http, 'POST', '/api/sessions/create', { code: 'bad-a' });
    await api(t.http, 'POST', '/api/sessions/create', { code: 'bad-b' });
    await t.server.redis.connect({ url: redis.url, sessions: ['bad-a', 'bad-b'], prefix: null, decoders: [{ stream: 'out', name: 'mixed', axes: ['vx', 'vy'] }] });
    const r = new Redis(redis.url);
    try {
      await until(() => (t.server.redis.status().sessions[0]?.written ?? 0) > 10, 'entries written');
      await sleep(1200); // the reader starts from the stream's newest entry
      const [[, fields]] = (await r.xrevrangeBuffer('bad-a:binned_spikes', '+', '-', 'COUNT', 1)) as any;
      const get = (name: string) => fields[fields.findIndex((f: Buffer) => f.toString() === name) + 1] as Buffer;
      const good = Buffer.alloc(8);
      good.writeFloatLE(3, 0);
      good.writeFloatLE(4, 4);
      const bad: Array<[string, Array<string | Buffer>]> = [
        ['samples of the wrong size', ['samples', Buffer.alloc(12), 'i_in', get('i'), 'sync', get('sync')]],
        ['no i_in', ['samples', good, 'sync', get('sync')]],
        ['i_in garbage', ['samples', good, 'i_in', 'abc', 'sync', get('sync')]],
        ['sync not JSON', ['samples', good, 'i_in', get('i'), 'sync', '{oops']],
        ['no sync with two sessions', ['samples', good, 'i_in', get('i')]],
        ['an unknown session', ['samples', good, 'i_in', get('i'), 'sync', '{"session":"nope"}']],
        ['all NaN', ['samples', Buffer.from(new Float32Array([NaN, NaN]).buffer), 'i_in', get('i'), 'sync', get('sync')]],
      ];
      for (const [, f] of bad) await r.xadd('out', '*', ...f);
      await r.xadd('out', '*', 'samples', good, 'i_in', get('i'), 'sync', get('sync'), 'ts', Buffer.alloc(8));
      await until(() => t.server.redis.status().decoders[0].entries === bad.length + 1, 'every entry read');
      const d = t.server.redis.status().decoders[0];
      expect(d).toMatchObject({ malformed: bad.length, scored: 1 });
      expect(d.lastProblem).toBeTruthy();
      const board = (await api(t.http, 'GET', '/api/sessions/bad-a/decoders')).body;
      expect(board.decoders[0]).toMatchObject({ name: 'mixed', endpoint: 'redis', connected: true });
      expect(board.decoders[0].counts.evaluated + board.decoders[0].counts.predictions).toBeGreaterThan(0);
      // A ts on another clock (0 here) is not taken for the decoder's own latency.
      expect(board.decoders[0].latency_ms.reported_p50).toBeNull();
      // Streaming went on: the session is still playing.
      expect(t.engine.sessions.get('bad-a')!.state().status).toBe('playing');
    } finally {
      r.disconnect();
      await t.server.redis.disconnect();
      await redis.stop();
    }
  }, 40_000);
});
