/**
 * A BRAND-style decoder node (examples/brand_decoder_node.py: Python, redis + numpy, BRAND's
 * stream fields) runs against our replay and is scored live; the scoreboard's R² is checked with
 * scikit-learn on the very pairs the node wrote, joined to the truth the same session sent over
 * WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonHas, runPythonJson } from '../helpers/python.ts';
import { api, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { haveRedis, TestRedis } from '../helpers/redisServer.ts';
import { pairs, readOutput, runNode, scoredAll, SKLEARN_R2 } from './brandNode.ts';

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf(!haveRedis || !pythonHas('redis', 'numpy', 'sklearn'))('a BRAND decoder node scored live over Redis', () => {
  let redis: TestRedis;
  let t: TestServer;
  beforeAll(async () => {
    redis = await TestRedis.start();
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('its R² on the scoreboard equals scikit-learn’s on the pairs it wrote; latency measured on both clocks', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'bci', speed: 10 });
    await t.server.redis.connect({ url: redis.url, sessions: ['bci'], prefix: null, decoders: [{ stream: 'wiener_filter', name: 'wiener', axes: ['vx', 'vy'] }] });
    const ws = new TestClient(`${t.ws}/stream/binary/bci`);
    await runNode(['--port', String(redis.port), '--train-entries', '2000', '--predict-entries', '800']);
    await scoredAll(t.http, 'bci', 'wiener', 800);
    const out = readOutput(redis.port, redis.bind, 'wiener_filter');
    expect(out).toHaveLength(800);
    const packets = new Map(ws.messages.filter((m: any) => m.type === 'data').map((m: any) => [m.sequence_number, m]));
    const pr = pairs(packets, out);
    const ref = runPythonJson<{ vx: number; vy: number; combined: number; n: number }>(SKLEARN_R2, JSON.stringify(pr));

    const board = (await api(t.http, 'GET', '/api/sessions/bci/decoders')).body;
    const d = board.decoders.find((x: any) => x.name === 'wiener');
    expect(d.endpoint).toBe('redis');
    expect(d.counts).toMatchObject({ predictions: 800, duplicates: 0, stale: 0, unknown: 0, invalid: 0 });
    expect(d.counts.evaluated).toBe(ref.n);
    expect(relErr(d.cumulative.axes.vx.r2, ref.vx)).toBeLessThan(1e-9);
    expect(relErr(d.cumulative.axes.vy.r2, ref.vy)).toBeLessThan(1e-9);
    expect(relErr(d.cumulative.r2_combined, ref.combined)).toBeLessThan(1e-9);
    // A linear map on 5 bins of spikes decodes velocity (the reference decoder gets ~0.6).
    expect(ref.combined).toBeGreaterThan(0.3);
    // Round trip: our XADD → our XREAD of its answer; its own: its ts − our ts (same host).
    expect(d.latency_ms.count).toBe(800);
    expect(d.latency_ms.p50_ms).toBeGreaterThan(0);
    expect(d.latency_ms.p50_ms).toBeLessThan(100);
    expect(d.latency_ms.reported_p50).toBeGreaterThan(0);
    expect(d.latency_ms.reported_p50).toBeLessThanOrEqual(d.latency_ms.p50_ms);
    const st = t.server.redis.status();
    expect(st.decoders[0]).toMatchObject({ stream: 'wiener_filter', name: 'wiener', entries: 800, scored: 800, malformed: 0 });
    ws.ws.close();
    await t.server.redis.disconnect();
  }, 60_000);
});
