/** Running examples/brand_decoder_node.py and reading what it wrote, for the Redis tests. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON } from '../helpers/python.ts';
import { api, REPO_ROOT, sleep } from '../helpers/server.ts';

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
/**
 * Waits until the scoreboard of `code` counts `n` predictions from decoder `name`: the node has
 * written its last answer when it exits, and our XREAD may still be reading them on a loaded machine.
 */
export async function scoredAll(http: string, code: string, name: string, n: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await api(http, 'GET', `/api/sessions/${code}/decoders`)).body.decoders?.find((x: any) => x.name === name);
    if ((d?.counts.predictions ?? 0) >= n) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} predictions of ${name} on ${code} (have ${d?.counts.predictions ?? 0})`);
    await sleep(50);
  }
}

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

