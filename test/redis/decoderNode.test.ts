/**
 * A BRAND-style decoder node (examples/brand_decoder_node.py: Python, redis + numpy, BRAND's
 * stream fields) runs against our replay and is scored live; the scoreboard's R² is checked with
 * scikit-learn on the very pairs the node wrote, joined to the truth the same session sent over
 * WebSocket.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, pythonHas, runPythonJson } from '../helpers/python.ts';
import { api, REPO_ROOT, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { haveRedis, TestRedis } from './redisServer.ts';

export const NODE = join(REPO_ROOT, 'examples', 'brand_decoder_node.py');

/** Runs the node to its end (it stops after --predict-entries); rejects with its stderr. */
export function runNode(args: string[], wrap: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = wrap.length ? wrap : [PYTHON];
    const child = spawn(cmd, [...pre, ...(wrap.length ? [PYTHON] : []), NODE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`decoder node exited ${code}: ${err}`))));
  });
}

/** The node's output stream, read back in Python: i_in and float32 samples per entry. */
export function readOutput(port: number, host: string, stream: string): Array<{ i_in: number; vx: number; vy: number; ts: number }> {
  const script = `
import json, sys
import numpy as np, redis
r = redis.Redis(host=sys.argv[2], port=int(sys.argv[1]))
out = []
for _id, e in r.xrange(sys.argv[3]):
    s = np.frombuffer(e[b"samples"], dtype=np.float32)
    out.append({"i_in": int(np.frombuffer(e[b"i_in"], dtype=np.uint64)[0]), "vx": float(s[0]), "vy": float(s[1]), "ts": int(np.frombuffer(e[b"ts"], dtype=np.uint64)[0])})
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script, String(port), host, stream], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

export const SKLEARN_R2 = `
import json, sys
import numpy as np
from sklearn.metrics import r2_score
d = json.load(sys.stdin)
Y, P = np.array(d["y"]), np.array(d["p"])
print(json.dumps({"vx": r2_score(Y[:, 0], P[:, 0]), "vy": r2_score(Y[:, 1], P[:, 1]), "combined": r2_score(Y, P, multioutput="variance_weighted"), "n": len(Y)}))
`;

/** Joins the node's answers to the WebSocket packets' truth, as the scoreboard should. */
export function pairs(packets: Map<number, any>, out: ReturnType<typeof readOutput>): { y: number[][]; p: number[][] } {
  const y: number[][] = [];
  const p: number[][] = [];
  for (const o of out) {
    const k = packets.get(o.i_in)?.kinematics;
    if (!k || k.vx === null || k.vy === null) continue;
    y.push([k.vx, k.vy]);
    p.push([o.vx, o.vy]);
  }
  return { y, p };
}

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
    await sleep(300);
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
