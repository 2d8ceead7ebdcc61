/**
 * A Redis decoder's answers are recorded like a WebSocket decoder's: a session published to a
 * real redis-server is recorded by the real recorder while the BRAND-style Python node
 * (examples/brand_decoder_node.py) answers; its predictions land in predictions.jsonl with their
 * outcomes and latencies, and the manifest lists it with endpoint `redis`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord, PacketRecord, PredictionRecord } from '../../src/main/recorder/format.ts';
import { pythonHas } from '../helpers/python.ts';
import { api, startTestServer, type TestServer } from '../helpers/server.ts';
import { haveRedis, TestRedis } from '../helpers/redisServer.ts';
import { readRecording, tempRoot } from '../recorder/support.ts';
import { readOutput, runNode, scoredAll } from './brandNode.ts';

describe.skipIf(!haveRedis || !pythonHas('redis', 'numpy'))('recording a session a Redis decoder answers', () => {
  let redis: TestRedis;
  let t: TestServer;
  let root: string;
  beforeAll(async () => {
    redis = await TestRedis.start();
    root = tempRoot('redis');
    t = await startTestServer({ server: { recordings: { root } } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('the BRAND node’s predictions are in predictions.jsonl with outcomes and latencies; the manifest lists it with endpoint redis', async () => {
    const code = 'rec-brand';
    await api(t.http, 'POST', '/api/sessions/create', { code, speed: 10 });
    const started = await api(t.http, 'POST', `/api/sessions/${code}/recording`);
    expect(started.status).toBe(201);
    const id: string = started.body.recording.id;
    // The decoder joins while the recording runs.
    await t.server.redis.connect({ url: redis.url, sessions: [code], prefix: null, decoders: [{ stream: 'wiener_filter', name: 'wiener', axes: ['vx', 'vy'] }] });
    await runNode(['--port', String(redis.port), '--train-entries', '400', '--predict-entries', '300']);
    await scoredAll(t.http, code, 'wiener', 300);
    const board = (await api(t.http, 'GET', `/api/sessions/${code}/decoders`)).body;
    const stopped = await api(t.http, 'DELETE', `/api/sessions/${code}/recording`);
    expect(stopped.body.recording).toMatchObject({ id, status: 'complete', error: null });
    await t.server.redis.disconnect();

    const rec = readRecording(join(root, id));
    const out = readOutput(redis.port, redis.bind, 'wiener_filter');
    expect(out).toHaveLength(300);
    const mine = rec.predictions.filter((p: PredictionRecord) => p.decoder === 'wiener');
    // Every answer the node wrote, in its order, for the packet it names, with its float32 values.
    expect(mine.map((p) => p.seq)).toEqual(out.map((o) => o.i_in));
    mine.forEach((p, i) => {
      expect(p.values).toEqual({ vx: out[i].vx, vy: out[i].vy });
      expect(['scored', 'late']).toContain(p.outcome);
    });
    // Latency as the scoreboard measures a Redis decoder's: from our XADD of the packet (on the
    // recording's clock, at or a little after the packet's send time t_ms) to our read of the answer.
    const packetOf = new Map(rec.packets.map((p: PacketRecord) => [p.seq, p]));
    const gaps = mine.map((p) => p.t_ms - packetOf.get(p.seq)!.t_ms - p.latency_ms!);
    for (const [i, p] of mine.entries()) {
      expect(p.latency_ms).toBeGreaterThan(0);
      expect(p.latency_ms).toBeLessThan(1000);
      expect(gaps[i]).toBeGreaterThanOrEqual(-0.0021);
      expect(gaps[i]).toBeLessThan(250); // publishing is batched off the tick; a clock mix-up would be far off
    }
    expect(mine.some((p) => p.reported_latency_ms !== null && p.reported_latency_ms > 0)).toBe(true);
    // The same predictions the live scoreboard counted.
    const live = board.decoders.find((d: any) => d.name === 'wiener');
    expect(live.counts.predictions).toBe(mine.length);

    expect(rec.manifest.decoders).toContainEqual({ name: 'wiener', version: null, endpoint: 'redis' });
    expect(rec.manifest.counts.predictions).toBe(rec.predictions.length);
    const joined = rec.events.find((e: EventRecord) => e.kind === 'decoder_connected' && e.detail.decoder === 'wiener');
    expect(joined?.detail).toMatchObject({ endpoint: 'redis' });
    expect(rec.scores.at(-1)!.decoders.map((d) => d.name)).toContain('wiener');
  }, 60_000);
});
