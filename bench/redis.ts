/**
 * Redis bridge benchmark: does publishing to Redis cost the WebSocket decoders their timing?
 *
 *   node --max-semi-space-size=4 --import tsx bench/redis.ts [--quick] [--seconds 10] [--rounds 6] [--sessions 64]
 *
 * One run, one server process (Engine with the `default` recording + startServer), a real
 * redis-server on a free port, 64 sessions with one MessagePack client each in another process
 * (bench/timing-clients.ts, which checks every packet). Phases alternate — not published,
 * published (every session, `CODE:binned_spikes` and its three other streams), not published … —
 * so both conditions see the same machine load, side by side. Send lateness is the session's own
 * measure (sent − due, what /metrics reports), captured per tick; the first second of each phase
 * (connecting, the metadata keys) is left out. Goal (issue 13): p99 published ≤ 1.2× p99 not,
 * judged on the median over pairs of neighbouring phases (the pooled ratio is printed too).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { Engine } from '../src/main/playback/engine.ts';
import { startServer } from '../src/main/server.ts';
import { TestRedis } from '../test/helpers/redisServer.ts';
import { instrument } from './fanout.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, arg, dist, fmt, machineInfo, machineLine, mdTable, metOrNot, round, writeResults, type Dist } from './lib.ts';

const SECONDS = Number(arg('seconds') ?? (QUICK ? 6 : 10));
const ROUNDS = Number(arg('rounds') ?? (QUICK ? 1 : 6));
const SESSIONS = Number(arg('sessions') ?? 64);
const SETTLE_MS = 1000;
const GOAL_RATIO = 1.2;

interface Phase {
  published: boolean;
  fromMs: number;
  toMs: number;
  cpuMs: number;
  written: number;
  dropped: number;
  failed: number;
  lagMs: number | null;
  gcCount: number;
  gcMaxMs: number;
  loopMaxMs: number;
  /** Our flushes: mean and max ms of event loop each; redis-server's CPU (% of a core). */
  flushMeanMs: number;
  flushMaxMs: number;
  redisCpuPct: number;
}

/** CPU time (ms) a process has used, from /proc (utime + stime, clock ticks of 10 ms). */
function procCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const redis = await TestRedis.start();
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { port: 0 });
  const codes = Array.from({ length: SESSIONS }, (_, i) => `bench-${i}`);
  const records = codes.map((c) => instrument(engine.sessions.create(c, undefined, { paused: true })));

  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'timing-clients.ts'), '--url', server.url.replace(/^http/, 'ws'), '--sessions', codes.join(','), '--per', '1'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fromChild = (type: string, timeoutMs: number) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client process: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m: any) => {
        if (m?.type !== type) return;
        clearTimeout(t);
        resolve(m);
      });
    });
  await fromChild('ready', 60_000);

  const gcs: Array<[number, number]> = [];
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([e.startTime, e.duration]);
  });
  gcObs.observe({ entryTypes: ['gc'] });
  for (const r of records) r.session.play();
  const phases: Phase[] = [];
  for (let k = 0; k < 2 * ROUNDS; k++) {
    const published = k % 2 === 1;
    if (published) await server.redis.connect({ url: redis.url, sessions: codes, prefix: null, decoders: [] });
    const start = performance.now();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpu0 = process.cpuUsage();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const st0 = server.redis.status().sessions;
    const bridge0 = server.redis.flushCost();
    const redisCpu0 = procCpuMs(redis.pid);
    const fromMs = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const toMs = performance.now();
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const phaseGcs = gcs.filter(([t]) => t >= fromMs && t < toMs).map(([, d]) => d);
    const st1 = server.redis.status().sessions;
    const bridge1 = server.redis.flushCost();
    const redisCpuMs = procCpuMs(redis.pid) - redisCpu0;
    const sum = (list: typeof st1, key: 'written' | 'dropped' | 'failed') => list.reduce((n, s) => n + s[key], 0);
    phases.push({
      published,
      fromMs,
      toMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      written: sum(st1, 'written') - sum(st0, 'written'),
      dropped: sum(st1, 'dropped') - sum(st0, 'dropped'),
      failed: sum(st1, 'failed') - sum(st0, 'failed'),
      lagMs: st1.length ? Math.max(...st1.map((s) => s.lagMs ?? 0)) : null,
      gcCount: phaseGcs.length,
      gcMaxMs: phaseGcs.length ? Math.max(...phaseGcs) : 0,
      loopMaxMs: loop.max / 1e6,
      flushMeanMs: bridge1.flushes > bridge0.flushes ? (bridge1.totalMs - bridge0.totalMs) / (bridge1.flushes - bridge0.flushes) : NaN,
      flushMaxMs: bridge1.maxMs,
      redisCpuPct: (redisCpuMs / (toMs - fromMs)) * 100,
    });
    if (published) await server.redis.disconnect();
    void start;
  }
  for (const r of records) r.session.pause();
  await new Promise((r) => setTimeout(r, 300));
  child.send({ type: 'stop' });
  const results = (await fromChild('results', 60_000)) as { clients: Array<{ packets: number; gaps: number; missing: number; outOfOrder: number }> };
  await server.close('benchmark over');
  await redis.stop();

  const latenessIn = (p: Phase) => records.flatMap((r) => r.lateness.filter((_, i) => r.sent[i] >= p.fromMs && r.sent[i] < p.toMs));
  const group = (published: boolean) => {
    const ps = phases.filter((p) => p.published === published);
    const d = dist(ps.flatMap(latenessIn));
    const seconds = ps.reduce((n, p) => n + (p.toMs - p.fromMs) / 1000, 0);
    return { d, seconds, cpuPct: (ps.reduce((n, p) => n + p.cpuMs, 0) / (seconds * 1000)) * 100, written: ps.reduce((n, p) => n + p.written, 0), dropped: ps.reduce((n, p) => n + p.dropped, 0), failed: ps.reduce((n, p) => n + p.failed, 0) };
  };
  const off = group(false);
  const on = group(true);
  const ratio = on.d.p99 / off.d.p99;
  // Each published phase against the unpublished one just before it: the machine's other load
  // moves over minutes, so neighbouring phases compare best; the median of the pairs resists a
  // burst of outside load landing in one phase.
  const pairRatios: number[] = [];
  for (let k = 0; k + 1 < phases.length; k += 2) pairRatios.push(dist(latenessIn(phases[k + 1])).p99 / dist(latenessIn(phases[k])).p99);
  const medianRatio = [...pairRatios].sort((a, b) => a - b)[Math.floor((pairRatios.length - 1) / 2)];
  const gaps = results.clients.reduce((n, c) => n + c.gaps, 0);
  const packets = results.clients.reduce((n, c) => n + c.packets, 0);
  const row = (label: string, g: ReturnType<typeof group>, d: Dist = g.d) => [label, fmt(d.n, 0), fmt(d.p50, 3), fmt(d.p99, 3), fmt(d.max, 2), fmt(g.cpuPct, 1), fmt(g.written, 0), fmt(g.dropped + g.failed, 0)];
  const md = [
    `# Redis bridge: ${SESSIONS} sessions published vs. not, side by side`,
    '',
    machineLine(machine),
    '',
    `${2 * ROUNDS} alternating phases of ${SECONDS} s (first ${SETTLE_MS / 1000} s of each left out), ${SESSIONS} sessions × 1 MessagePack client, 40 Hz, a local redis-server (Debian ${'7.0'}), each published entry = 4 XADDs with MAXLEN ~.`,
    '',
    mdTable(
      ['condition', 'ticks', 'lateness p50 ms', 'p99 ms', 'max ms', 'server CPU %', 'entries written', 'dropped + not written'],
      [row('not published', off), row('published to Redis', on)],
    ),
    '',
    `p99 published / not, pooled: **${fmt(ratio, 2)}×**; per pair of neighbouring phases: ${pairRatios.map((r) => fmt(r, 2)).join(', ')}, median **${fmt(medianRatio, 2)}×** — goal ≤ ${GOAL_RATIO}× ${metOrNot(medianRatio <= GOAL_RATIO)} (median of pairs). WebSocket clients: ${fmt(packets, 0)} packets, ${gaps} gaps.`,
    '',
    mdTable(
      ['phase', 'published', 'ticks', 'p50 ms', 'p99 ms', 'max ms', 'CPU %', 'written', 'lag ms (last)', 'GCs (max ms)', 'loop delay max ms', 'flush mean / max ms', 'redis-server CPU %'],
      phases.map((p, i) => {
        const d = dist(latenessIn(p));
        return [String(i + 1), p.published ? 'yes' : 'no', fmt(d.n, 0), fmt(d.p50, 3), fmt(d.p99, 3), fmt(d.max, 2), fmt((p.cpuMs / (p.toMs - p.fromMs)) * 100, 1), fmt(p.written, 0), fmt(p.lagMs, 2), `${p.gcCount} (${fmt(p.gcMaxMs, 1)})`, fmt(p.loopMaxMs, 1), p.published ? `${fmt(p.flushMeanMs, 3)} / ${fmt(p.flushMaxMs, 2)}` : '–', fmt(p.redisCpuPct, 1)];
      }),
    ),
  ].join('\n');
  const path = writeResults('redis', md, {
    machine,
    seconds: SECONDS,
    rounds: ROUNDS,
    sessions: SESSIONS,
    off: { ...off, d: roundDist(off.d) },
    on: { ...on, d: roundDist(on.d) },
    ratio_p99: round(ratio, 3),
    pair_ratios_p99: pairRatios.map((r) => round(r, 3)),
    median_pair_ratio_p99: round(medianRatio, 3),
    goal_met: medianRatio <= GOAL_RATIO,
    gaps,
    packets,
  });
  process.stdout.write(`${md}\n\n(written to ${path})\n`);
}

function roundDist(d: Dist) {
  return { n: d.n, p50: round(d.p50), p99: round(d.p99), max: round(d.max) };
}

await main();
