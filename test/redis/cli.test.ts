/**
 * `phantomlink serve --redis …` as a lab runs it, and across machines: the BRAND node in its own
 * network namespace (a veth pair, Redis bound to the host side's address), scored live.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killCliProcesses, runCli } from '../helpers/cli.ts';
import { Redis } from 'ioredis';
import { pythonHas } from '../helpers/python.ts';
import { api, sleep } from '../helpers/server.ts';
import { haveRedis, TestRedis } from '../helpers/redisServer.ts';
import { runNode, scoredAll } from './brandNode.ts';

/** `phantomlink serve` on a free port with `args`. */
const serve = (args: string[]) => runCli(['serve', '--port', '0', ...args]);

afterEach(killCliProcesses);

async function until(pred: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('phantomlink serve --redis: bad flags', () => {
  it('refuses a malformed URL or decoder spec with a readable reason and exit code 2', async () => {
    for (const [args, msg] of [
      [['--redis', 'http://x'], /--redis: the Redis URL must look like redis:\/\/HOST:PORT\[\/DB\]/],
      [['--redis', 'redis://127.0.0.1:6379', '--redis-decoder', 'out:name:vz'], /decoder axes must be distinct ones of x, y, vx, vy/],
      [['--redis-sessions', 'a'], /--redis-sessions needs --redis URL/],
    ] as const) {
      const p = serve([...args]);
      expect(await p.exited).toBe(2);
      expect(p.stderr).toMatch(msg);
    }
  });
});

describe.skipIf(!haveRedis || !pythonHas('redis', 'numpy'))('phantomlink serve --redis', () => {
  it('publishes the named sessions, prefixed, and says so in its banner and at /api/redis', async () => {
    const redis = await TestRedis.start();
    try {
      const p = serve(['--redis', redis.url, '--redis-sessions', 'rig-a,rig-b', '--redis-prefix', 'lab:']);
      const http = await p.http();
      expect(p.stdout).toMatch(/Redis:\s+redis:\/\/127\.0\.0\.1:\d+\/0 \(connecting\) publishing rig-a: lab:rig-a:binned_spikes/);
      await until(async () => (await api(http, 'GET', '/api/redis')).body.state === 'connected', 'connected');
      const r = new Redis(redis.url);
      await until(async () => (await r.xlen('lab:rig-b:binned_spikes')) > 10, 'entries in lab:rig-b:binned_spikes');
      r.disconnect();
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 60_000);
});

/** A network namespace with a veth pair: the "other machine" at .2, this host at .1. */
function makeNamespace(): { ns: string; host: string; peer: string; remove: () => void } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not root: ip netns needs root' };
  const n = process.pid % 250;
  const ns = `plredis${process.pid}`;
  const hostIf = `plh${n}`;
  const nsIf = `pln${n}`;
  const host = `10.231.${n}.1`;
  const peer = `10.231.${n}.2`;
  const ip = (...a: string[]) => spawnSync('ip', a, { encoding: 'utf8' });
  const first = ip('netns', 'add', ns);
  if (first.status !== 0) return { skip: `ip netns add failed: ${(first.stderr || first.error?.message || '').trim()}` };
  const remove = () => {
    ip('netns', 'del', ns);
    ip('link', 'del', hostIf);
  };
  for (const cmd of [
    ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf],
    ['link', 'set', nsIf, 'netns', ns],
    ['addr', 'add', `${host}/30`, 'dev', hostIf],
    ['link', 'set', hostIf, 'up'],
    ['netns', 'exec', ns, 'ip', 'addr', 'add', `${peer}/30`, 'dev', nsIf],
    ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up'],
    ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'],
  ]) {
    const r = ip(...cmd);
    if (r.status !== 0) {
      remove();
      return { skip: `ip ${cmd.join(' ')} failed: ${r.stderr.trim()}` };
    }
  }
  return { ns, host, peer, remove };
}

const net = haveRedis && pythonHas('redis', 'numpy') ? makeNamespace() : { skip: 'no redis-server or python3-redis' };
afterAll(() => {
  if ('remove' in net) net.remove();
});

describe('across machines: the BRAND node in its own network namespace', () => {
  it.skipIf('skip' in net)(`reaches Redis at a non-loopback address and is scored live${'skip' in net ? ` (skipped: ${net.skip})` : ''}`, async () => {
    if ('skip' in net) return;
    const redis = await TestRedis.start({ bind: net.host });
    try {
      const p = serve(['--redis', redis.url, '--redis-decoder', 'wiener_filter:remote-wiener']);
      const http = await p.http();
      await until(async () => (await api(http, 'GET', '/api/redis')).body.state === 'connected', 'connected');
      await api(http, 'POST', '/api/control/brand/speed', { speed: 10 });
      // The node runs inside the namespace: its only route to Redis is the veth pair.
      const check = spawnSync('ip', ['netns', 'exec', net.ns, 'ip', '-4', 'addr', 'show'], { encoding: 'utf8' });
      expect(check.stdout).toContain(net.peer);
      expect(check.stdout).not.toContain(net.host);
      await runNode(['--host', net.host, '--port', String(redis.port), '--train-entries', '2400', '--predict-entries', '800'], ['ip', 'netns', 'exec', net.ns]);
      // The node has written its last answer; our XREAD may still be reading them (a loaded CI machine).
      await scoredAll(http, 'brand', 'remote-wiener', 800);
      const d = (await api(http, 'GET', '/api/sessions/brand/decoders')).body.decoders.find((x: any) => x.name === 'remote-wiener');
      expect(d).toMatchObject({ endpoint: 'redis', connected: true });
      expect(d.counts.predictions).toBe(800);
      expect(d.cumulative.r2_combined).toBeGreaterThan(0.3);
      expect(d.latency_ms.count).toBe(800);
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 90_000);
});
