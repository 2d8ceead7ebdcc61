/**
 * Fan-out benchmark: many stream clients on loopback, every packet checked.
 *
 *   node --max-semi-space-size=4 --import tsx bench/fanout.ts [--quick] [--seconds N] [--scenarios spread,one,mixed] [--children N]
 *
 * The server runs in this process: give Node the server's V8 flags (bench/lib.ts SERVER_V8_FLAGS;
 * `npm run bench` does).
 *
 * Scenarios (each on the same in-process server, one after another, sessions deleted between):
 *  - `spread`: 1,000 MessagePack clients over 100 sessions (10 each);
 *  - `one`:    100 MessagePack clients on one session;
 *  - `mixed`:  1,000 clients over 100 sessions, in each session 5 JSON + 5 MessagePack.
 *
 * As in bench/timing.ts: the server (Engine with the built-in `default` recording, session limit
 * raised to 200, + startServer on a free port) runs in this process; the clients run in separate
 * Node processes (bench/fanout-clients.ts; `--children`, default 2 for ≥ 500 clients, else 1)
 * and check every packet (sequence gaps, order, bin_index + 1). Sessions are created paused,
 * every client connects and gets its metadata, then all sessions start in one loop (the
 * TickScheduler spreads them over its 5 phase slots). Send lateness is what each session records
 * (sent − due; `session.lateness.record` wrapped, as in timing.ts); receive latency is arrival −
 * due across processes (CLOCK_MONOTONIC). CPU: process.cpuUsage() of the server (this process)
 * and of the client processes over the run. The machine is shared: the load of other processes
 * during the run (from /proc) is in every table.
 *
 * Also exports the helpers bench/slow.ts and bench/churn.ts use.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cpus, setPriority } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { Engine } from '../src/main/playback/engine.ts';
import type { ClockTick, TickHandler } from '../src/main/playback/clock.ts';
import type { Session } from '../src/main/playback/session.ts';
import { startServer, type RunningServer } from '../src/main/server.ts';
import type { ClientResult, ClientSpec, GroupResult, Window } from './fanout-clients.ts';
import {
  BENCH_DIR,
  QUICK,
  REPO_ROOT,
  arg,
  dist,
  fmt,
  hostSample,
  hostUsage,
  machineInfo,
  machineLine,
  mdTable,
  median,
  metOrNot,
  monoOffset,
  round,
  writeResults,
  type Dist,
  type HostSample,
} from './lib.ts';

// ---------------------------------------------------------------- shared helpers

export interface SessionRecord {
  session: Session;
  due: number[];
  fired: number[];
  /** What the session recorded: send time and lateness (sent − due). */
  sent: number[];
  lateness: number[];
}

/** Observe one session without changing what it does (fan-out, slow consumers, timing). */
export function instrument(session: Session): SessionRecord {
  const rec: SessionRecord = { session, due: [], fired: [], sent: [], lateness: [] };
  const clock = (session as unknown as { clock: { onTick: TickHandler } }).clock;
  const onTick = clock.onTick;
  clock.onTick = (t: ClockTick) => {
    rec.due.push(t.dueMs);
    rec.fired.push(t.firedMs);
    return onTick(t);
  };
  const window = session.lateness;
  const record = window.record.bind(window);
  window.record = (nowMs: number, latenessMs: number) => {
    rec.sent.push(nowMs);
    rec.lateness.push(latenessMs);
    record(nowMs, latenessMs);
  };
  return rec;
}

/** Due times of every sequence number, converted to CLOCK_MONOTONIC ms (comparable across processes). */
export function monoDue(records: SessionRecord[], keyOf: (r: SessionRecord) => string = (r) => r.session.code): Record<string, Float64Array> {
  const off = monoOffset();
  return Object.fromEntries(records.map((r) => [keyOf(r), Float64Array.from(r.due, (d) => d + off)]));
}

export interface ClientsProcess {
  child: ChildProcess;
  ready: Promise<{ clients: number; failed: string[]; ports: number[] }>;
  run(): void;
  stop(due: Record<string, Float64Array>, opts?: { windows?: Window[]; drainMs?: number }): Promise<ClientsResults>;
  exited: Promise<number | null>;
}

export interface ClientsResults {
  clients: ClientResult[];
  groups: GroupResult[];
  cpu: { userUs: number; systemUs: number; wallMs: number };
}

/**
 * Nice value of the client processes (`--client-nice`, default 10): they are the load generator,
 * which in a lab runs on other machines; on these two shared cores they would otherwise compete
 * with the server under test on equal terms. 0 turns it off.
 */
export const CLIENT_NICE = Number(arg('client-nice') ?? 10);

/** Spawns bench/fanout-clients.ts and connects `specs` (in batches). */
export function spawnClients(specs: ClientSpec[], timeoutMs = 120_000): ClientsProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'fanout-clients.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  if (CLIENT_NICE && child.pid) {
    try {
      setPriority(child.pid, CLIENT_NICE);
    } catch {
      /* not allowed: run as is */
    }
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const fromChild = (type: string, ms: number) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client process: no "${type}" within ${ms} ms`)), ms);
      const onMsg = (m: any) => {
        if (m?.type !== type) return;
        clearTimeout(t);
        child.off('message', onMsg);
        resolve(m);
      };
      child.on('message', onMsg);
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`client process exited (${code}) before "${type}"`));
      });
    });
  const ready = fromChild('ready', timeoutMs);
  child.send({ type: 'connect', clients: specs });
  return {
    child,
    ready,
    exited,
    run: () => child.send({ type: 'run' }),
    stop: async (due, opts = {}) => {
      const results = fromChild('results', 60_000 + (opts.drainMs ?? 0));
      child.send({ type: 'stop', due, windows: opts.windows, drainMs: opts.drainMs });
      const r = (await results) as ClientsResults;
      await exited;
      return r;
    },
  };
}

// ---- what else runs on the machine

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export type ProcTimes = Map<number, number>;

/** CPU ticks (user + system) of every process, from /proc. */
export function procTimes(): ProcTimes {
  const out: ProcTimes = new Map();
  let dirs: string[] = [];
  try {
    dirs = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const d of dirs) {
    if (d.charCodeAt(0) < 48 || d.charCodeAt(0) > 57) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch {
      /* gone */
    }
  }
  return out;
}

function describeProc(pid: number): string {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    let argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv.length === 1) argv = argv[0].split(' '); // chromium rewrites its argv into one string
    const words = [comm];
    const type = argv.find((a) => a.startsWith('--type='));
    if (type) words.push(type.slice(2));
    for (let i = 1; i < argv.length && words.length < 4; i++) {
      if (/^--(require|import|loader)$/.test(argv[i - 1])) continue;
      if (/\.(m?[tj]s|cjs)$/.test(argv[i]) || /^(run|test|serve)$/.test(argv[i])) words.push(basename(argv[i]));
    }
    return `${words.join(' ').slice(0, 70)} (pid ${pid})`;
  } catch {
    return `pid ${pid} (exited)`;
  }
}

export interface MachineLoad {
  uptime_start: string;
  uptime_end: string;
  machine_busy_cores: number;
  cpu_pressure_some_percent: number | null;
  own_cores: number;
  others_cores: number;
  busiest_others: Array<{ pid: number; what: string; cores: number }>;
}

export class LoadWatch {
  private readonly host0: HostSample;
  private readonly procs0: ProcTimes;
  private readonly t0 = performance.now();
  readonly uptime0 = uptime();

  constructor() {
    this.host0 = hostSample();
    this.procs0 = procTimes();
  }

  /** `own` are this benchmark's processes (excluded from "others"). */
  end(own: number[]): MachineLoad {
    const host = hostUsage(this.host0, hostSample());
    const procs = procTimes();
    const secs = (performance.now() - this.t0) / 1000;
    const per: Array<{ pid: number; cores: number }> = [];
    let ownTicks = 0;
    for (const [pid, ticks] of procs) {
      const d = ticks - (this.procs0.get(pid) ?? 0);
      if (d <= 0) continue;
      if (own.includes(pid)) ownTicks += d;
      else per.push({ pid, cores: d / CLK_TCK / secs });
    }
    per.sort((a, b) => b.cores - a.cores);
    const ownCores = ownTicks / CLK_TCK / secs;
    return {
      uptime_start: this.uptime0,
      uptime_end: uptime(),
      machine_busy_cores: host.machine_busy_cores,
      cpu_pressure_some_percent: host.cpu_pressure_some_percent,
      own_cores: round(ownCores, 2),
      others_cores: round(Math.max(0, host.machine_busy_cores - ownCores), 2),
      busiest_others: per.slice(0, 4).filter((p) => p.cores >= 0.01).map((p) => ({ pid: p.pid, what: describeProc(p.pid), cores: round(p.cores, 2) })),
    };
  }
}

/**
 * This process's resident memory split from /proc/self/status, MB: `anon` (heap, malloc, JIT
 * code: what the process allocated) and `file` (mapped files: the node binary, libraries, wasm).
 * The split matters here: this machine runs DAMON with a `pageout` scheme (kdamond), which
 * reclaims cold file-backed pages at arbitrary moments (seen: RSS −400 MB mid-run, no swap), so
 * total RSS moves for reasons that have nothing to do with the process.
 */
export function rssSplit(): { anon_mb: number; file_mb: number } {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { anon_mb: round(kb('RssAnon') / 1024, 1), file_mb: round((kb('RssFile') + kb('RssShmem')) / 1024, 1) };
  } catch {
    return { anon_mb: NaN, file_mb: NaN };
  }
}

export interface Settled {
  waited_ms: number;
  anon_before_mb: number;
  anon_after_mb: number;
}

/**
 * Waits until the process's anonymous memory is stable, and at least `minSinceStartMs` after
 * the process started: about 20–25 s after Engine.start the process frees ~430 MB of start-up
 * memory in one go (anonymous RSS 650 → 210 MB, with or without gc() calls; seen in every run
 * here), so a memory baseline taken before that, or a timing run across it, measures start-up,
 * not the server at work. Calls gc() each second when it is exposed.
 */
export async function settleMemory(maxMs = 60_000): Promise<Settled> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const t0 = performance.now();
  const before = rssSplit().anon_mb;
  const samples: number[] = [];
  let peak = before;
  for (let i = 0; i < maxMs / 1000 && performance.now() - t0 < maxMs; i++) {
    gc?.();
    const a = rssSplit().anon_mb;
    samples.push(a);
    peak = Math.max(peak, a);
    const last = samples.slice(-5);
    const stable = last.length === 5 && Math.max(...last) - Math.min(...last) < 2;
    // Done once the release has happened (a drop of over 100 MB) and memory is stable, or,
    // if it never comes, 45 s after the process started.
    if (stable && (peak - a > 100 || performance.now() >= 45_000)) break;
    await sleep(1000);
  }
  return { waited_ms: round(performance.now() - t0, 0), anon_before_mb: before, anon_after_mb: rssSplit().anon_mb };
}

/** The main thread's time on a CPU and waiting in the run queue for one (ns), /proc/self/schedstat. */
export function schedstat(): { runNs: number; waitNs: number } {
  try {
    const [run, wait] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return { runNs: run, waitNs: wait };
  } catch {
    return { runNs: NaN, waitNs: NaN };
  }
}

export function uptime(): string {
  try {
    return execSync('uptime').toString().trim().replace(/\s+/g, ' ');
  } catch {
    return 'n/a';
  }
}

export function loadLine(l: MachineLoad): string {
  const others = l.busiest_others.length ? l.busiest_others.map((p) => `${p.what} ${fmt(p.cores, 2)}`).join('; ') : 'none';
  return (
    `Machine load: \`uptime\` at start: ${l.uptime_start}; at end: ${l.uptime_end}. During the run ${fmt(l.machine_busy_cores, 2)} of ${cpus().length} cores were busy: ` +
    `this benchmark's processes ${fmt(l.own_cores, 2)}, **other processes ≈ ${fmt(l.others_cores, 2)} cores** (busiest: ${others}); ` +
    `CPU pressure (PSI some) ${l.cpu_pressure_some_percent === null ? 'n/a' : `${fmt(l.cpu_pressure_some_percent, 1)} %`}.`
  );
}

/** Receive latency per client group, pooled over every client process, for one window. */
export function pooledLatency(results: ClientsResults[], window: string): Record<string, Dist> {
  const byGroup = new Map<string, Float32Array[]>();
  for (const r of results) {
    for (const g of r.groups) {
      if (g.window !== window) continue;
      if (!byGroup.has(g.group)) byGroup.set(g.group, []);
      byGroup.get(g.group)!.push(g.samples);
    }
  }
  const out: Record<string, Dist> = {};
  for (const [g, parts] of [...byGroup].sort()) {
    const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    out[g] = dist(all);
  }
  return out;
}

/**
 * Keepalive sweeps (StreamEndpoint.keepalive: one group of clients pinged per sweep) during a run: how
 * long each took, and which late ticks (> 5 ms) were waiting while one ran ([due, sent] overlaps it).
 */
function keepaliveEffect(records: SessionRecord[], sweeps: Array<[number, number]>) {
  let late5 = 0;
  let during = 0;
  for (const r of records) {
    for (let i = 0; i < r.lateness.length; i++) {
      if (r.lateness[i] <= 5) continue;
      late5++;
      const due = r.due[i];
      const sent = r.sent[i];
      if (sweeps.some(([a, b]) => a < sent && b > due)) during++;
    }
  }
  const gaps = sweeps.slice(1).map(([a], i) => a - sweeps[i][0]);
  return {
    sweeps: sweeps.length,
    interval_ms: gaps.length ? round(median(gaps), 0) : NaN,
    sweep_ms: dist(sweeps.map(([a, b]) => b - a)),
    late5_ticks: late5,
    late5_waiting_on_a_sweep: during,
  };
}

/** Worst send lateness in each second of a run (is lateness a start-up effect or all along?). */
export function worstBySecond(records: SessionRecord[], t0: number, wallMs: number): number[] {
  const n = Math.max(1, Math.ceil(wallMs / 1000));
  const w = new Array<number>(n).fill(0);
  for (const r of records) {
    for (let i = 0; i < r.lateness.length; i++) {
      const sec = Math.min(n - 1, Math.max(0, Math.floor((r.due[i] - t0) / 1000)));
      if (r.lateness[i] > w[sec]) w[sec] = r.lateness[i];
    }
  }
  return w.map((v) => round(v, 2));
}

export function distCells(d: Dist | null | undefined, digits = 2): string {
  if (!d || !d.n) return '–';
  return `${fmt(d.p50, digits)} / ${fmt(d.p99, digits)} / ${fmt(d.max, digits)}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the fan-out benchmark

interface Scenario {
  name: string;
  title: string;
  sessions: number;
  per: number;
  /** Format of client j of a session. */
  format: (j: number) => 'json' | 'msgpack';
}

const SCENARIOS: Scenario[] = [
  { name: 'spread', title: '1,000 binary clients over 100 sessions', sessions: 100, per: 10, format: () => 'msgpack' },
  { name: 'one', title: '100 binary clients on one session', sessions: 1, per: 100, format: () => 'msgpack' },
  { name: 'mixed', title: '1,000 clients over 100 sessions, half JSON, half binary', sessions: 100, per: 10, format: (j) => (j % 2 ? 'json' : 'msgpack') },
];

const GOAL = { p99Ms: 5 };

interface ScenarioResult {
  name: string;
  title: string;
  sessions: number;
  clients: number;
  children: number;
  wall_ms: number;
  connect_ms: number;
  server: {
    lateness_ms: Dist;
    /** Without the first 2 s (start-up: every process cold, all sessions' first packets). */
    lateness_after_2s_ms: Dist;
    wake_ms: Dist;
    work_ms: Dist;
    ticks_over_5ms: number;
    cpu_percent: number;
    cpu_user_percent: number;
    cpu_system_percent: number;
    gc: Dist;
    packets_built: number;
    reanchors: number;
    /** Worst send lateness in each second of the run (ms). */
    worst_by_second_ms: number[];
    /** The server's main thread: runnable but waiting for a CPU (another process had it), ms and % of the run. */
    runqueue_wait_ms: number;
    runqueue_wait_percent: number;
    /** What one GET /metrics costs the event loop at the end of the run (MetricsCollector.collect(), ms, median of 3). */
    metrics_collect_ms: number;
    /** Keepalive sweeps (one group of clients pinged per sweep) during the run, and the late ticks right after them. */
    keepalive: { sweeps: number; interval_ms: number; sweep_ms: Dist; late5_ticks: number; late5_waiting_on_a_sweep: number };
  };
  clients_report: {
    received: number;
    expected: number;
    complete_clients: number;
    gaps: number;
    missing: number;
    out_of_order: number;
    bin_jumps: number;
    verify_mismatch: number;
    verified: number;
    other_messages: number;
    early_closes: number;
    errors: number;
    connect_failures: string[];
    latency_ms: Record<string, Dist>;
    worst_client_p99_ms: number;
    cpu_percent: number;
  };
  load: MachineLoad;
  goals: { zero_gaps: boolean; p99: boolean };
}

/**
 * Times every keepalive sweep of the stream endpoint (StreamEndpoint.keepalive, run from its
 * setInterval as `this.keepalive()`, so an own property on the instance takes its place).
 */
export function watchKeepalive(streams: object): Array<[number, number]> {
  const sweeps: Array<[number, number]> = [];
  const target = streams as { keepalive: () => void };
  const orig = target.keepalive.bind(streams);
  target.keepalive = () => {
    const a = performance.now();
    orig();
    sweeps.push([a, performance.now()]);
  };
  return sweeps;
}

async function runScenario(engine: Engine, server: RunningServer, sc: Scenario, seconds: number, sweeps: Array<[number, number]>): Promise<ScenarioResult> {
  const wsUrl = server.url.replace(/^http/, 'ws');
  const codes = Array.from({ length: sc.sessions }, (_, i) => `fan-${sc.name}-${i}`);
  const records = codes.map((c) => instrument(engine.sessions.create(c, undefined, { paused: true })));
  const total = sc.sessions * sc.per;
  const nChildren = Number(arg('children') ?? (total >= 500 ? 2 : 1));
  const specs: ClientSpec[] = [];
  for (const c of codes) for (let j = 0; j < sc.per; j++) specs.push({ url: wsUrl, session: c, key: c, format: sc.format(j), mode: 'healthy', group: sc.format(j) });
  // Whole sessions per child (sessions are listed in order).
  const perChild = Math.ceil(specs.length / nChildren);
  const tc = performance.now();
  const kids = Array.from({ length: nChildren }, (_, k) => spawnClients(specs.slice(k * perChild, (k + 1) * perChild)));
  const ready = await Promise.all(kids.map((k) => k.ready));
  const connectMs = performance.now() - tc;
  const failed = ready.flatMap((r) => r.failed);
  for (const r of records) {
    if (r.session.clientCount !== sc.per) throw new Error(`session ${r.session.code} has ${r.session.clientCount} clients, expected ${sc.per}${failed.length ? `; failures: ${failed.slice(0, 3).join(' | ')}` : ''}`);
  }
  await sleep(500);

  const gcPauses: number[] = [];
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObs.observe({ entryTypes: ['gc'] });
  const load = new LoadWatch();
  const cpu0 = process.cpuUsage();
  const sched0 = schedstat();
  const t0 = performance.now();
  for (const k of kids) k.run();
  for (const r of records) r.session.play();
  await sleep(seconds * 1000);
  for (const r of records) r.session.pause();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const waitMs = (schedstat().waitNs - sched0.waitNs) / 1e6;
  const machine = load.end([process.pid, ...kids.map((k) => k.child.pid!)]);
  gcObs.disconnect();
  await sleep(300); // let the last packets land
  // Every session's lateness window now holds the run's last minute: what a /metrics request costs.
  const collectMs = [0, 1, 2].map(() => {
    const a = performance.now();
    server.metrics.collect();
    return performance.now() - a;
  });
  const due = monoDue(records);
  const results = await Promise.all(kids.map((k) => k.stop(due)));
  for (const c of codes) engine.sessions.delete(c, 'benchmark scenario over');

  const late = records.flatMap((r) => r.lateness);
  const wake = records.flatMap((r) => r.fired.map((f, i) => f - r.due[i]));
  const work = records.flatMap((r) => r.sent.map((s, i) => s - r.fired[i]));
  const clients = results.flatMap((r) => r.clients);
  const sum = (f: (c: ClientResult) => number) => clients.reduce((s, c) => s + f(c), 0);
  const latency = pooledLatency(results, 'all');
  const childCpuPct = results.reduce((s, r) => s + ((r.cpu.userUs + r.cpu.systemUs) / 1000 / r.cpu.wallMs) * 100, 0);
  const complete = clients.filter((c) => c.complete).length;
  const lateD = dist(late);
  const res: ScenarioResult = {
    name: sc.name,
    title: sc.title,
    sessions: sc.sessions,
    clients: total,
    children: nChildren,
    wall_ms: round(wallMs, 1),
    connect_ms: round(connectMs, 0),
    server: {
      lateness_ms: lateD,
      lateness_after_2s_ms: dist(records.flatMap((r) => r.lateness.filter((_, i) => r.due[i] - t0 >= 2000))),
      wake_ms: dist(wake),
      work_ms: dist(work),
      ticks_over_5ms: late.filter((v) => v > 5).length,
      cpu_percent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
      cpu_user_percent: round((cpu.user / 1000 / wallMs) * 100, 1),
      cpu_system_percent: round((cpu.system / 1000 / wallMs) * 100, 1),
      gc: dist(gcPauses),
      packets_built: records.reduce((s, r) => s + r.due.length, 0),
      reanchors: records.reduce((s, r) => s + r.session.clockReanchors, 0),
      worst_by_second_ms: worstBySecond(records, t0, wallMs),
      metrics_collect_ms: round(median(collectMs), 1),
      keepalive: keepaliveEffect(records, sweeps.filter(([a]) => a >= t0 && a <= t0 + wallMs)),
      runqueue_wait_ms: round(waitMs, 0),
      runqueue_wait_percent: round((waitMs / wallMs) * 100, 2),
    },
    clients_report: {
      received: sum((c) => c.packets),
      expected: sum((c) => c.expected),
      complete_clients: complete,
      gaps: sum((c) => c.gaps),
      missing: sum((c) => c.missing),
      out_of_order: sum((c) => c.outOfOrder),
      bin_jumps: sum((c) => c.binJumps),
      verify_mismatch: sum((c) => c.verifyMismatch),
      verified: sum((c) => c.verified),
      other_messages: sum((c) => c.other),
      early_closes: clients.filter((c) => c.closed !== null).length,
      errors: sum((c) => c.errors.length),
      connect_failures: failed,
      latency_ms: latency,
      worst_client_p99_ms: Math.max(...clients.map((c) => c.latency?.p99 ?? NaN).filter(Number.isFinite)),
      cpu_percent: round(childCpuPct, 1),
    },
    load: machine,
    goals: { zero_gaps: complete === total, p99: lateD.p99 <= GOAL.p99Ms },
  };
  return res;
}

function scenarioMarkdown(r: ScenarioResult, seconds: number): string {
  const c = r.clients_report;
  const s = r.server;
  return [
    `## ${r.title} (\`${r.name}\`)`,
    '',
    `${r.clients} clients on ${r.sessions} session${r.sessions > 1 ? 's' : ''}, ${fmt(r.wall_ms / 1000, 1)} s at 40 Hz (asked: ${seconds} s), clients in ${r.children} separate process${r.children > 1 ? 'es' : ''} (nice ${CLIENT_NICE}); all connected in ${fmt(r.connect_ms / 1000, 1)} s.`,
    '',
    loadLine(r.load),
    '',
    mdTable(
      ['goal', 'measured', 'verdict'],
      [
        ['every healthy client gets every packet in order (zero gaps)', `${c.complete_clients} of ${r.clients} clients complete; ${c.gaps} gaps (${c.missing} packets missing), ${c.out_of_order} out of order`, metOrNot(r.goals.zero_gaps)],
        [`server send lateness p99 ≤ ${GOAL.p99Ms} ms`, `${fmt(s.lateness_ms.p99, 3)} ms`, metOrNot(r.goals.p99)],
      ],
    ),
    '',
    mdTable(
      ['measure', 'value'],
      [
        ['data packets received / expected (each client × its session\'s packets)', `${fmt(c.received, 0)} / ${fmt(c.expected, 0)}`],
        ['sequence gaps (packets missing), out of order, bin_index jumps', `${c.gaps} (${c.missing}), ${c.out_of_order}, ${c.bin_jumps}`],
        ['lite parse checked against a full decode (every 50th packet): mismatches / checked', `${c.verify_mismatch} / ${fmt(c.verified, 0)}`],
        ['other messages after metadata, socket errors, early closes, failed connects', `${c.other_messages}, ${c.errors}, ${c.early_closes}, ${c.connect_failures.length}`],
        ['server send lateness p50 / p99 / max (ms; sent − due, what /metrics reports)', `${distCells(s.lateness_ms, 3)} (${fmt(s.lateness_ms.n, 0)} ticks, ${s.ticks_over_5ms} over 5 ms)`],
        ['  the same without the first 2 s of the run (start-up) p50 / p99 / max', `${distCells(s.lateness_after_2s_ms, 3)} (${fmt(s.lateness_after_2s_ms.n, 0)} ticks)`],
        ['  timer wake-up (fired − due) p50 / p99 / max', distCells(s.wake_ms, 3)],
        ['  tick work: build + encode + send to every client (sent − fired) p50 / p99 / max', distCells(s.work_ms, 3)],
        ...Object.entries(c.latency_ms).map(([g, d]) => [`receive latency, ${g} clients (arrival − due, ms) p50 / p99 / max`, `${distCells(d, 3)} (n=${fmt(d.n, 0)})`]),
        ['worst single client\'s receive-latency p99 (ms)', fmt(c.worst_client_p99_ms, 3)],
        ['server CPU (process.cpuUsage, % of one core): total (user + system)', `${fmt(s.cpu_percent, 1)} % (${fmt(s.cpu_user_percent, 1)} + ${fmt(s.cpu_system_percent, 1)})`],
        ['client processes CPU (% of one core, all client processes)', `${fmt(c.cpu_percent, 1)} %`],
        [
          'server main thread runnable but waiting for a CPU (/proc/self/schedstat: other processes had both cores)',
          `${fmt(s.runqueue_wait_ms, 0)} ms over the run (${fmt(s.runqueue_wait_percent, 2)} % of the wall time)`,
        ],
        ['server GC pauses: count, p50 / max (ms)', `${s.gc.n}, ${fmt(s.gc.p50, 2)} / ${fmt(s.gc.max, 2)}`],
        ['packets built (all sessions), clock re-anchors', `${fmt(s.packets_built, 0)}, ${s.reanchors}`],
        [
          'keepalive / lag-probe sweeps during the run (each pings one group of clients, a group every ~50 ms): count, every … ms, duration p50 / p99 / max (ms)',
          `${s.keepalive.sweeps}, every ${fmt(s.keepalive.interval_ms, 0)} ms, ${distCells(s.keepalive.sweep_ms, 2)}`,
        ],
        ['ticks over 5 ms late that were waiting while a sweep ran', `${s.keepalive.late5_waiting_on_a_sweep} of ${s.keepalive.late5_ticks}`],
        [
          'one GET /metrics at the end of the run: MetricsCollector.collect() blocks the event loop for (ms; DurationWindow.summary reads each session\'s per-second histograms)',
          fmt(s.metrics_collect_ms, 1),
        ],
        [
          'seconds of the run whose worst tick was over 5 ms late; worst tick per second (ms)',
          `${s.worst_by_second_ms.filter((v) => v > 5).length} of ${s.worst_by_second_ms.length}; ${s.worst_by_second_ms.map((v) => fmt(v, 1)).join(', ')}`,
        ],
      ],
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds') ?? (QUICK ? 10 : 60));
  const wanted = (arg('scenarios') ?? 'spread,one,mixed').split(',');
  const machine = machineInfo();
  const engine = await Engine.start({ preset: 'default', sessions: { maxSessions: 200 } });
  const server = await startServer(engine, { port: 0 });
  const sweeps = watchKeepalive(server.streams);
  const settled = await settleMemory();
  console.error(`[fanout] settled after ${settled.waited_ms} ms: anonymous RSS ${settled.anon_before_mb} → ${settled.anon_after_mb} MB`);
  const results: ScenarioResult[] = [];
  for (const name of wanted) {
    const sc = SCENARIOS.find((s) => s.name === name);
    if (!sc) throw new Error(`unknown scenario ${name}: use ${SCENARIOS.map((s) => s.name).join(', ')}`);
    console.error(`[fanout] ${sc.name}: ${sc.title}, ${seconds} s …`);
    results.push(await runScenario(engine, server, sc, seconds, sweeps));
    await sleep(1000);
  }
  await server.close('benchmark over');

  const md = [
    `# Fan-out benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Server (Engine, built-in \`default\` recording with ${engine.dataset.numUnits} channels, session limit 200, + startServer) in the benchmark process; ` +
      'clients in separate Node processes on the same cores, over loopback, every data packet checked (bench/fanout-clients.ts: a lite parser reads ' +
      '`sequence_number` and `bin_index`; every 50th packet is also fully decoded and compared). Sessions start together; send lateness is what each session records. ' +
      `Before the first scenario the server settles (${fmt(settled.waited_ms / 1000, 0)} s: about 25 s after start the engine frees its start-up memory, anonymous RSS ${fmt(settled.anon_before_mb, 0)} → ${fmt(settled.anon_after_mb, 0)} MB here, which is start-up, not fan-out).`,
    '',
    '## Summary',
    '',
    mdTable(
      ['scenario', 'clients', 'sessions', 'complete clients (zero gaps)', 'send lateness p50 / p99 / max (ms)', 'send lateness p99 without the first 2 s', 'receive latency p50 / p99 (ms)', 'server CPU', 'client CPU', 'server waited for a CPU', 'other processes (cores)', 'verdict'],
      results.map((r) => {
        const lat = Object.values(r.clients_report.latency_ms);
        return [
          r.name,
          r.clients,
          r.sessions,
          `${r.clients_report.complete_clients} / ${r.clients}`,
          distCells(r.server.lateness_ms, 2),
          fmt(r.server.lateness_after_2s_ms.p99, 2),
          lat.map((d) => `${fmt(d.p50, 2)} / ${fmt(d.p99, 2)}`).join('; '),
          `${fmt(r.server.cpu_percent, 1)} %`,
          `${fmt(r.clients_report.cpu_percent, 1)} %`,
          `${fmt(r.server.runqueue_wait_percent, 1)} %`,
          fmt(r.load.others_cores, 2),
          r.goals.zero_gaps && r.goals.p99 ? '**met**' : '**NOT met**',
        ];
      }),
    ),
    '',
    ...results.flatMap((r) => [scenarioMarkdown(r, seconds), '']),
  ].join('\n');
  console.log(md);
  const file = writeResults('fanout', md, { benchmark: 'fanout', quick: QUICK, machine, config: { seconds, goal: GOAL, client_nice: CLIENT_NICE }, settled, scenarios: results });
  console.log(`\nwrote ${file}`);
}

if (import.meta.filename === process.argv[1]) await main();
