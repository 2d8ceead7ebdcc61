/**
 * Slow-consumer benchmark: 10 clients that read far slower than 40 Hz, or not at all, among
 * 100 healthy ones, next to a baseline without them.
 *
 *   node --import tsx bench/slow.ts [--quick] [--seconds N] [--ping-ms MS] [--slow-speed S] [--out NAME]
 *
 * Two servers run side by side, at the same time, each in its own Node process (this file with
 * `--role server`: Engine with the built-in `default` recording + startServer on a free port,
 * default stream settings: a lag probe pings every client each second, packets are dropped
 * while its answer is over 2 s late or over 256 KiB are queued, 4408 after 5 s behind; a peer
 * silent for 20 s (`--ping-ms`) is cut off):
 *  - `baseline`: 10 sessions × 10 healthy MessagePack clients;
 *  - `test`:     the same 10 × 10 healthy clients, plus 10 slow clients: 6 of them on the
 *                healthy clients' sessions (one each on sessions 0–5), 4 on two sessions of
 *                their own.
 * One client process (bench/fanout-clients.ts, nice 10 unless `--client-nice`) holds all 210
 * clients, so both servers see the same client machinery; the machine's other load hits both
 * the same way. Slow kinds: `raw-stalled` (handshake, then never reads), `ws-paused` (a `ws`
 * client paused after its metadata), `raw-rate` at 1 packet/s, and `raw-rate` at 80 % of its
 * session's packet rate (behind, but not by much). The stalled ones never answer a ping; the
 * readers answer when they reach it in the stream. `--slow-speed S` plays the two sessions that
 * only slow clients use at S× (the healthy sessions stay at 1×), to reach the backpressure policy
 * within a short run: at 1× the loopback kernel buffers take ~4 MB (~3 minutes) first.
 *
 * While the run goes, the test server's /metrics and /api/sessions are read every second
 * (drops_per_client, recent_closes, bytes sent and queued per client), and the baseline's too, so
 * both pay the same for it; each server samples its own memory and CPU every 500 ms. At the end the slow clients
 * drain their sockets to see whether a close frame (code + reason) ever reaches them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Engine } from '../src/main/playback/engine.ts';
import { startServer } from '../src/main/server.ts';
import type { ClientResult, ClientSpec, Window } from './fanout-clients.ts';
import { CLIENT_NICE, LoadWatch, distCells, instrument, loadLine, monoDue, pooledLatency, rssSplit, settleMemory, sleep, spawnClients, type SessionRecord } from './fanout.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, SERVER_V8_FLAGS, arg, dist, fmt, machineInfo, machineLine, mdTable, metOrNot, monoOffset, round, writeResults, type Dist } from './lib.ts';

const SECONDS = Number(arg('seconds') ?? (QUICK ? 15 : 60));
const PING_MS = arg('ping-ms') !== undefined ? Number(arg('ping-ms')) : undefined;
const SESSIONS = 10;
const PER = 10;
/** Playback speed of the two sessions that only slow clients use (`--slow-speed`, default 1). */
const SLOW_SPEED = Number(arg('slow-speed') ?? 1);

interface MemSample {
  t_s: number;
  /** CPU of the server process since the previous sample, % of one core. */
  cpu_percent: number;
  rss_mb: number;
  rss_anon_mb: number;
  heap_used_mb: number;
  external_mb: number;
  array_buffers_mb: number;
}

interface CloseStamp {
  id: number;
  session: string;
  address: string;
  code: number;
  reason: string;
  by: string;
  drops: number;
  packets_sent: number;
  /** CLOCK_MONOTONIC ms when the server recorded the close. */
  mono_ms: number;
}

interface ServerRun {
  name: string;
  due: Record<string, Float64Array>;
  /** Per session: lateness (ms) and send time (CLOCK_MONOTONIC ms). */
  lateness: Record<string, { lateness: number[]; sentMono: number[] }>;
  memory: MemSample[];
  closes: CloseStamp[];
  cpu: { user_us: number; system_us: number; wall_ms: number };
  clients_at_end: number;
  client_counts: Record<string, number>;
}

// ------------------------------------------------------------------ server role

async function serverRole(): Promise<void> {
  const name = arg('name') ?? 'server';
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { port: 0, stream: PING_MS !== undefined ? { pingIntervalMs: PING_MS } : {} });
  const closes: CloseStamp[] = [];
  const rc = server.streams.recentCloses;
  const push = rc.push.bind(rc);
  rc.push = (...items) => {
    const off = monoOffset();
    for (const c of items) closes.push({ id: c.id, session: c.session, address: c.address, code: c.code, reason: c.reason, by: c.by, drops: c.drops, packets_sent: c.packets_sent, mono_ms: performance.now() + off });
    return push(...items);
  };
  let records: SessionRecord[] = [];
  const memory: MemSample[] = [];
  let memTimer: NodeJS.Timeout | null = null;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  process.on('message', async (m: any) => {
    if (m.type === 'sessions') {
      const speeds: Record<string, number> = m.speeds ?? {};
      records = (m.codes as string[]).map((c) => instrument(engine.sessions.create(c, undefined, { paused: true, speed: speeds[c] ?? 1 })));
      process.send!({ type: 'sessions-ok' });
    } else if (m.type === 'play') {
      const counts = Object.fromEntries(records.map((r) => [r.session.code, r.session.clientCount]));
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      let cpuPrev = process.cpuUsage();
      let tPrev = performance.now();
      const sample = () => {
        const u = process.memoryUsage();
        const c = process.cpuUsage(cpuPrev);
        const now = performance.now();
        const cpuPct = now > tPrev ? round(((c.user + c.system) / 1000 / (now - tPrev)) * 100, 1) : 0;
        cpuPrev = process.cpuUsage();
        tPrev = now;
        const mb = (v: number) => round(v / 2 ** 20, 1);
        memory.push({ t_s: round((performance.now() - t0) / 1000, 1), cpu_percent: cpuPct, rss_mb: mb(u.rss), rss_anon_mb: rssSplit().anon_mb, heap_used_mb: mb(u.heapUsed), external_mb: mb(u.external), array_buffers_mb: mb(u.arrayBuffers) });
      };
      sample();
      memTimer = setInterval(sample, 500);
      for (const r of records) r.session.play();
      process.send!({ type: 'playing', counts });
    } else if (m.type === 'pause') {
      for (const r of records) r.session.pause();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (memTimer) clearInterval(memTimer);
      const off = monoOffset();
      const run: ServerRun = {
        name,
        due: monoDue(records, (r) => `${name}/${r.session.code}`),
        lateness: Object.fromEntries(records.map((r) => [r.session.code, { lateness: r.lateness, sentMono: r.sent.map((s) => s + off) }])),
        memory,
        closes,
        cpu: { user_us: cpu.user, system_us: cpu.system, wall_ms: wall },
        clients_at_end: server.streams.clients.size,
        client_counts: Object.fromEntries(records.map((r) => [r.session.code, r.session.clientCount])),
      };
      process.send!({ type: 'paused', run });
    } else if (m.type === 'close') {
      await server.close('benchmark over');
      process.exit(0);
    }
  });
  const settled = await settleMemory();
  process.send!({ type: 'listening', url: server.url, settled });
}

// ------------------------------------------------------------------ orchestrator

interface ServerProc {
  name: string;
  child: ChildProcess;
  url: string;
  request(msg: object, reply: string, timeoutMs?: number): Promise<any>;
}

async function spawnServer(name: string): Promise<ServerProc> {
  const args = ['--expose-gc', ...SERVER_V8_FLAGS, '--import', 'tsx', join(BENCH_DIR, 'slow.ts'), '--role', 'server', '--name', name, ...(PING_MS !== undefined ? ['--ping-ms', String(PING_MS)] : [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const wait = (type: string, ms: number) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name} server: no "${type}" within ${ms} ms`)), ms);
      const on = (m: any) => {
        if (m?.type !== type) return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      void exited.then((c) => {
        clearTimeout(t);
        reject(new Error(`${name} server exited (${c}) before "${type}"`));
      });
    });
  const { url } = await wait('listening', 120_000);
  return {
    name,
    child,
    url,
    request: (msg, reply, ms = 30_000) => {
      const p = wait(reply, ms);
      child.send(msg);
      return p;
    },
  };
}

interface SlowKind {
  mode: ClientSpec['mode'];
  /** raw-rate: packets read per second, or a fraction of the session's packet rate. */
  rate?: number;
  fraction?: number;
  format: 'json' | 'msgpack';
  session: string;
  label: string;
}

/** Six slow clients on the healthy sessions 0–5, four on two sessions of their own. */
const SLOW: SlowKind[] = [
  { mode: 'raw-stalled', format: 'msgpack', session: 'h-0', label: 'stalled (raw TCP, never reads)' },
  { mode: 'ws-paused', format: 'msgpack', session: 'h-1', label: 'stalled (ws client, paused)' },
  { mode: 'raw-rate', rate: 1, format: 'msgpack', session: 'h-2', label: 'reads 1 packet/s' },
  { mode: 'raw-rate', fraction: 0.8, format: 'msgpack', session: 'h-3', label: 'reads 80 % of the packets' },
  { mode: 'raw-stalled', format: 'json', session: 'h-4', label: 'stalled (raw TCP, never reads), JSON' },
  { mode: 'raw-rate', rate: 1, format: 'json', session: 'h-5', label: 'reads 1 packet/s, JSON' },
  { mode: 'raw-stalled', format: 'msgpack', session: 'slow-0', label: 'stalled (raw TCP, never reads)' },
  { mode: 'ws-paused', format: 'msgpack', session: 'slow-0', label: 'stalled (ws client, paused)' },
  { mode: 'raw-rate', rate: 1, format: 'msgpack', session: 'slow-1', label: 'reads 1 packet/s' },
  { mode: 'raw-rate', fraction: 0.8, format: 'msgpack', session: 'slow-1', label: 'reads 80 % of the packets' },
];

interface SlowOutcome {
  label: string;
  session: string;
  on_healthy_session: boolean;
  format: string;
  /** Server side: the most drops /metrics showed for it (or its close record), and its close. */
  drops: number;
  first_drop_s: number | null;
  close: { code: number; reason: string; by: string; at_s: number } | null;
  /** Client side, after draining its socket at the end. */
  client_close_frame: { code: number; reason: string } | null;
  client_ended: boolean;
  /** Server side, from /api/sessions (last seen while connected): bytes handed to its socket, the most queued in ws. */
  bytes_sent: number;
  max_buffered_bytes: number;
  /** When the server's queue first held something, and what the kernel held then (sent − queued). */
  queue_start: { t_s: number; kernel_bytes: number } | null;
  packets_read: number;
  packets_read_before_drain: number;
  bytes_read: number;
  /** Client side: receive latency (arrival − due) of the last packet it read during the run, s: how far behind it was. */
  lag_s: number | null;
}

/** The first and last samples and the one nearest each multiple of 10 s. */
function everyTenSeconds(mem: MemSample[]): MemSample[] {
  if (!mem.length) return [];
  const out = new Set<MemSample>([mem[0]]);
  for (let t = 10; t < mem[mem.length - 1].t_s; t += 10) out.add(mem.reduce((b, x) => (Math.abs(x.t_s - t) < Math.abs(b.t_s - t) ? x : b)));
  out.add(mem[mem.length - 1]);
  return [...out];
}

function worstByTen(run: ServerRun, codes: string[], playMono: number): number[] {
  const out: number[] = [];
  for (const c of codes) {
    const { lateness, sentMono } = run.lateness[c];
    for (let i = 0; i < lateness.length; i++) {
      const k = Math.max(0, Math.floor((sentMono[i] - playMono) / 10_000));
      out[k] = Math.max(out[k] ?? 0, lateness[i]);
    }
  }
  return Array.from(out, (v) => v ?? 0);
}

function cpuByTen(mem: MemSample[]): number[] {
  const sum: number[] = [];
  const n: number[] = [];
  for (const m of mem.slice(1)) {
    const k = Math.floor((m.t_s - 0.01) / 10);
    sum[k] = (sum[k] ?? 0) + m.cpu_percent;
    n[k] = (n[k] ?? 0) + 1;
  }
  return Array.from(sum, (v, k) => (v ?? 0) / (n[k] || 1));
}

/** A few sentences on how the slow clients ended, from the numbers. */
function whatHappened(slow: SlowOutcome[], keepaliveMs: number): string[] {
  const byKeepalive = slow.filter((s) => s.close && s.close.code === 1006 && s.drops === 0);
  const queued = slow.filter((s) => s.queue_start);
  const lines: string[] = [];
  if (byKeepalive.length) {
    const mb = Math.max(...byKeepalive.map((s) => s.bytes_sent)) / 1e6;
    lines.push(
      `${byKeepalive.length} of ${slow.length} slow clients were cut off by the keepalive (no pong within a ${fmt(keepaliveMs / 1000, 0)} s ping period: ` +
        `the ping waits behind the data the client has not read), at ${byKeepalive.map((s) => fmt(s.close!.at_s, 0)).join(', ')} s. ` +
        `The server's queue never filled for them: the kernel's socket buffers took everything sent (up to ${fmt(mb, 2)} MB per client), so no packet was counted as dropped, ` +
        `and the close is recorded as code 1006, by "client", with an empty reason; the client never sees a close frame.`,
    );
  }
  if (queued.length) {
    lines.push(
      `The server's own queue started to fill only after the kernel held ${queued.map((s) => fmt(s.queue_start!.kernel_bytes / 1e6, 2)).join(', ')} MB ` +
        `(at ${queued.map((s) => fmt(s.queue_start!.t_s, 0)).join(', ')} s): only then does the 256 KiB / 5 s policy start counting.`,
    );
  }
  const closed = slow.filter((s) => s.close?.code === 4408);
  if (closed.length) {
    const at = closed.map((s) => s.close!.at_s);
    const first = closed.map((s) => s.first_drop_s ?? NaN).filter(Number.isFinite);
    lines.push(
      `${closed.length} of ${slow.length} were closed with 4408 and a reason ${fmt(Math.min(...at), 1)}–${fmt(Math.max(...at), 1)} s into the run ` +
        `(first drops at ${fmt(Math.min(...first), 0)}–${fmt(Math.max(...first), 0)} s); ` +
        `${closed.filter((s) => s.client_close_frame?.code === 4408).length} of them received the close frame with its reason.`,
    );
  }
  const open = slow.filter((s) => !s.close);
  if (open.length) {
    lines.push(
      `${open.length} were still connected at the end: ${open.map((s) => `${s.label} (${s.session}): ${s.drops} drops since ${s.first_drop_s === null ? '–' : `${fmt(s.first_drop_s, 0)} s`}, ${s.lag_s === null ? '?' : fmt(s.lag_s, 1)} s behind`).join('; ')}. ` +
        'A client that reads most of the stream loses packets again and again but is never closed: each answered ping or packet that fits clears its "behind since" time, so it never stays behind for 5 s in a row.',
    );
  }
  return lines.length ? ['**What happened to the slow clients:** ' + lines.join(' '), ''] : [];
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const [base, test] = await Promise.all([spawnServer('baseline'), spawnServer('test')]);
  const healthyCodes = Array.from({ length: SESSIONS }, (_, i) => `h-${i}`);
  const speedOf = (code: string) => (code.startsWith('slow-') ? SLOW_SPEED : 1);
  // Both servers get the same sessions, the baseline's two slow-only sessions without clients:
  // the comparison then isolates the slow clients (not the sessions' own cost, e.g. at 20×).
  const sessionsMsg = { type: 'sessions', codes: [...healthyCodes, 'slow-0', 'slow-1'], speeds: { 'slow-0': SLOW_SPEED, 'slow-1': SLOW_SPEED } };
  await base.request(sessionsMsg, 'sessions-ok');
  await test.request(sessionsMsg, 'sessions-ok');
  const wsOf = (s: ServerProc) => s.url.replace(/^http/, 'ws');

  const specs: ClientSpec[] = [];
  for (const srv of [base, test]) {
    for (const c of healthyCodes) {
      for (let j = 0; j < PER; j++) {
        const slowHere = srv === test && SLOW.some((k) => k.session === c);
        specs.push({ url: wsOf(srv), session: c, key: `${srv.name}/${c}`, format: 'msgpack', mode: 'healthy', group: srv === base ? 'baseline' : slowHere ? 'test, sessions with a slow client' : 'test, other sessions' });
      }
    }
  }
  const slowIndex = specs.length;
  for (const k of SLOW) {
    const rate = k.fraction !== undefined ? k.fraction * 40 * speedOf(k.session) : k.rate;
    specs.push({ url: wsOf(test), session: k.session, key: `test/${k.session}`, format: k.format, mode: k.mode, rate, group: `slow: ${k.label}` });
  }

  const clients = spawnClients(specs);
  const ready = await clients.ready;
  if (ready.failed.length) throw new Error(`clients failed to connect: ${ready.failed.slice(0, 3).join(' | ')}`);
  await sleep(500);

  const load = new LoadWatch();
  const wall0 = Date.now();
  clients.run();
  const [pb, pt] = await Promise.all([base.request({ type: 'play' }, 'playing'), test.request({ type: 'play' }, 'playing')]);
  const t0 = performance.now();
  for (const [name, p] of [['baseline', pb], ['test', pt]] as const) {
    for (const [code, n] of Object.entries(p.counts as Record<string, number>)) {
      const want = (code.startsWith('slow') ? 0 : PER) + (name === 'test' ? SLOW.filter((k) => k.session === code).length : 0);
      if (n !== want) throw new Error(`${name} ${code}: ${n} clients, expected ${want}`);
    }
  }

  // ---- poll the test server's /metrics: drops per client (by address) and closes
  const drops = new Map<string, { max: number; firstAt: number | null }>();
  const metricsCloses = new Map<number, any>();
  const metricsMem: Array<{ t_s: number; rss_mb: number; heap_used_mb: number; external_mb: number }> = [];
  /** Per client address, from /api/sessions: bytes handed to the socket, its queue (ws.bufferedAmount). */
  const wire = new Map<string, { bytesSent: number; maxBuffered: number; queueStart: { t_s: number; kernel_bytes: number } | null }>();
  let polls = 0;
  const deadline = t0 + SECONDS * 1000;
  while (performance.now() < deadline && polls < SECONDS + 5) {
    polls++;
    await sleep(Math.min(1000, Math.max(0, deadline - performance.now())));
    try {
      // The baseline is polled the same way: a /metrics request costs the server real time
      // (it reads every session's lateness histograms and client list), so both must pay it.
      const [m] = (await Promise.all([test.url, base.url].map(async (u) => (await fetch(`${u}/metrics`, { headers: { accept: 'application/json' } })).json()))) as any[];
      const ts = (performance.now() - t0) / 1000;
      for (const s of m.sessions) {
        for (const c of s.drops_per_client) {
          const d = drops.get(c.address) ?? { max: 0, firstAt: null };
          if (c.drops > d.max) d.max = c.drops;
          if (c.drops > 0 && d.firstAt === null) d.firstAt = ts;
          drops.set(c.address, d);
        }
      }
      for (const c of m.recent_closes) metricsCloses.set(c.id, c);
      metricsMem.push({ t_s: round(ts, 1), rss_mb: m.process.rss_mb, heap_used_mb: m.process.heap_used_mb, external_mb: m.process.external_mb });
      const [list] = (await Promise.all([test.url, base.url].map(async (u) => (await fetch(`${u}/api/sessions`)).json()))) as any[];
      for (const s of list.sessions) {
        for (const c of s.clients) {
          const w = wire.get(c.address) ?? { bytesSent: 0, maxBuffered: 0, queueStart: null };
          w.bytesSent = c.bytes_sent;
          w.maxBuffered = Math.max(w.maxBuffered, c.buffered_bytes);
          // The first time the server's own queue holds anything, the kernel's buffers are full.
          if (c.buffered_bytes > 0 && !w.queueStart) w.queueStart = { t_s: round(ts, 1), kernel_bytes: c.bytes_sent - c.buffered_bytes };
          wire.set(c.address, w);
        }
      }
    } catch (e) {
      console.error(`[slow] /metrics: ${String(e)}`);
    }
  }
  const [rb, rt] = await Promise.all([base.request({ type: 'pause' }, 'paused'), test.request({ type: 'pause' }, 'paused')]);
  const runB = rb.run as ServerRun;
  const runT = rt.run as ServerRun;
  const machineLoad = load.end([process.pid, base.child.pid!, test.child.pid!, clients.child.pid!]);
  await sleep(300);

  // Windows (by due time): while every slow client was connected; after the last one was closed.
  const off = monoOffset();
  const playMono = t0 + off;
  const endMono = performance.now() + off;
  const slowPorts = new Set(ready.ports.slice(slowIndex));
  const slowCloses = runT.closes.filter((c) => slowPorts.has(Number(c.address.split(':').pop())));
  const firstClose = slowCloses.length ? Math.min(...slowCloses.map((c) => c.mono_ms)) : endMono;
  const lastClose = slowCloses.length === SLOW.length ? Math.max(...slowCloses.map((c) => c.mono_ms)) : endMono;
  const windows: Window[] = [{ name: 'slow connected', fromMs: playMono, toMs: firstClose }];
  if (lastClose < endMono - 2000) windows.push({ name: 'after the slow clients closed', fromMs: lastClose, toMs: endMono });

  const res = await clients.stop({ ...runB.due, ...runT.due }, { windows, drainMs: 3000 });
  await Promise.all([base.request({ type: 'close' }, 'never', 15_000).catch(() => {}), test.request({ type: 'close' }, 'never', 15_000).catch(() => {})]);

  // ---- healthy clients
  const healthy = res.clients.filter((c) => c.mode === 'healthy');
  const hb = healthy.filter((c) => c.key.startsWith('baseline/'));
  const ht = healthy.filter((c) => c.key.startsWith('test/'));
  const completeB = hb.filter((c) => c.complete).length;
  const completeT = ht.filter((c) => c.complete).length;
  const sum = (cs: ClientResult[], f: (c: ClientResult) => number) => cs.reduce((s, c) => s + f(c), 0);
  const latAll = pooledLatency([res], 'all');
  const latWin = Object.fromEntries(windows.map((w) => [w.name, pooledLatency([res], w.name)]));
  const lateOf = (run: ServerRun, codes: string[], from = -Infinity, to = Infinity) =>
    dist(codes.flatMap((c) => run.lateness[c].lateness.filter((_, i) => run.lateness[c].sentMono[i] >= from && run.lateness[c].sentMono[i] < to)));
  const slowSessions = healthyCodes.filter((c) => SLOW.some((k) => k.session === c));
  const sendLate = {
    baseline: lateOf(runB, healthyCodes),
    test: lateOf(runT, healthyCodes),
    test_slow_sessions: lateOf(runT, slowSessions),
    baseline_while_slow: lateOf(runB, healthyCodes, playMono, firstClose),
    test_while_slow: lateOf(runT, healthyCodes, playMono, firstClose),
  };
  const lb = latAll['baseline'];
  const ltAll = dist([...res.groups.filter((g) => g.window === 'all' && g.group.startsWith('test')).flatMap((g) => Array.from(g.samples))]);
  const wLb = latWin['slow connected']?.['baseline'];
  const wLt = dist(res.groups.filter((g) => g.window === 'slow connected' && g.group.startsWith('test')).flatMap((g) => Array.from(g.samples)));
  const unchanged = (b: Dist, t: Dist) => t.p50 <= b.p50 + 0.5 && t.p99 <= b.p99 * 1.25 + 1;

  // ---- slow clients
  const slow: SlowOutcome[] = res.clients.slice(slowIndex).map((c, i) => {
    const k = SLOW[i];
    const addr = `127.0.0.1:${c.localPort}`;
    const close = slowCloses.find((x) => x.address === addr) ?? null;
    const d = drops.get(addr);
    const mc = [...metricsCloses.values()].find((x) => x.address === addr);
    return {
      label: k.label,
      session: k.session,
      on_healthy_session: k.session.startsWith('h-'),
      format: k.format,
      drops: Math.max(d?.max ?? 0, close?.drops ?? 0, mc?.drops ?? 0),
      first_drop_s: d?.firstAt ?? null,
      close: close ? { code: close.code, reason: close.reason, by: close.by, at_s: round((close.mono_ms - playMono) / 1000, 1) } : null,
      client_close_frame: c.closeFrame,
      client_ended: c.ended,
      bytes_sent: wire.get(addr)?.bytesSent ?? 0,
      max_buffered_bytes: wire.get(addr)?.maxBuffered ?? 0,
      queue_start: wire.get(addr)?.queueStart ?? null,
      packets_read: c.packets,
      packets_read_before_drain: c.packetsBeforeDrain,
      lag_s: c.lagAtStopMs === null ? null : round(c.lagAtStopMs / 1000, 1),
      bytes_read: c.bytesRead,
    };
  });
  const allDropped = slow.every((s) => s.drops > 0);
  const all4408 = slow.every((s) => s.close?.code === 4408 && s.close.reason.length > 0);

  // ---- memory (test server)
  const mem = runT.memory;
  const memB = runB.memory;
  const m0 = mem[0];
  const mEnd = mem[mem.length - 1];
  const peak = (k: keyof MemSample) => Math.max(...mem.map((s) => s[k]));
  // Anonymous RSS: file-backed pages come and go with the machine's DAMON pageout (fanout.ts rssSplit).
  const memOk = peak('rss_anon_mb') - m0.rss_anon_mb <= 50 && mEnd.heap_used_mb <= m0.heap_used_mb + 20 && mEnd.external_mb <= m0.external_mb + 20;

  const goals = {
    healthy_lossless: completeB === hb.length && completeT === ht.length,
    latency_unchanged: unchanged(lb, ltAll) && (!wLb || !wLb.n || unchanged(wLb, wLt)),
    slow_dropped: allDropped,
    slow_closed_4408: all4408,
    memory_bounded: memOk,
  };
  const cpuPct = (r: ServerRun) => ((r.cpu.user_us + r.cpu.system_us) / 1000 / r.cpu.wall_ms) * 100;
  const keepalive = PING_MS ?? 20_000;

  const md = [
    `# Slow-consumer benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Two servers side by side, each in its own process, both with the default stream settings (lag probe: a ping to every client each second; ` +
      `packets dropped while its answer is over 2 s late or over 256 KiB are queued; close 4408 after 5 s behind; closeTimeout 2 s) and a peer silent for ` +
      `${fmt(keepalive / 1000, 0)} s cut off${PING_MS !== undefined ? ' (`--ping-ms`)' : ' (the default)'}: ` +
      `**baseline** with ${SESSIONS} sessions × ${PER} healthy MessagePack clients (and the test server's two slow-only sessions, playing to nobody), **test** with the same plus ${SLOW.length} slow clients ` +
      `(${SLOW.filter((k) => k.session.startsWith('h-')).length} of them on the healthy clients' sessions${SLOW_SPEED !== 1 ? `; the two sessions of their own play at ${SLOW_SPEED}× (\`--slow-speed\`), so their buffers fill ${SLOW_SPEED} times sooner` : ''}). One client process (nice ${CLIENT_NICE}) holds all ${specs.length} clients. ` +
      `Run: ${fmt(runT.cpu.wall_ms / 1000, 1)} s at 40 Hz, built-in \`default\` recording.`,
    '',
    loadLine(machineLoad),
    '',
    '## Goals',
    '',
    mdTable(
      ['goal', 'measured', 'verdict'],
      [
        ['healthy clients lose nothing', `baseline ${completeB} / ${hb.length}, test ${completeT} / ${ht.length} clients got every packet in order; gaps ${sum(healthy, (c) => c.gaps)}, out of order ${sum(healthy, (c) => c.outOfOrder)}`, metOrNot(goals.healthy_lossless)],
        [
          'healthy receive latency unchanged vs the baseline (test p50 ≤ baseline + 0.5 ms and p99 ≤ 1.25 × baseline + 1 ms)',
          `whole run p50 / p99: baseline ${fmt(lb.p50, 2)} / ${fmt(lb.p99, 2)} ms, test ${fmt(ltAll.p50, 2)} / ${fmt(ltAll.p99, 2)} ms` +
            (wLb?.n ? `; while every slow client was connected: baseline ${fmt(wLb.p50, 2)} / ${fmt(wLb.p99, 2)}, test ${fmt(wLt.p50, 2)} / ${fmt(wLt.p99, 2)} ms` : ''),
          metOrNot(goals.latency_unchanged),
        ],
        ['slow clients see counted drops (server-side StreamClient.drops, /metrics)', `${slow.filter((s) => s.drops > 0).length} of ${slow.length} have drops > 0 (total ${slow.reduce((n, s) => n + s.drops, 0)})`, metOrNot(goals.slow_dropped)],
        [
          'slow clients closed with 4408 and a reason',
          `${slow.filter((s) => s.close?.code === 4408).length} of ${slow.length} closed 4408; ` +
            `${slow.filter((s) => s.close && s.close.code !== 4408).length} closed otherwise (${[...new Set(slow.filter((s) => s.close && s.close.code !== 4408).map((s) => `${s.close!.code} by ${s.close!.by}, reason "${s.close!.reason}"`))].join('; ') || '–'}); ` +
            `${slow.filter((s) => !s.close).length} still open at the end`,
          metOrNot(goals.slow_closed_4408),
        ],
        [
          'server memory bounded (test server: anonymous RSS peak ≤ start + 50 MB, heap and external at the end ≤ start + 20 MB)',
          `anonymous RSS ${fmt(m0.rss_anon_mb, 1)} → peak ${fmt(peak('rss_anon_mb'), 1)} → end ${fmt(mEnd.rss_anon_mb, 1)} MB (total RSS ${fmt(m0.rss_mb, 1)} → peak ${fmt(peak('rss_mb'), 1)} → end ${fmt(mEnd.rss_mb, 1)}); heap ${fmt(m0.heap_used_mb, 1)} → ${fmt(mEnd.heap_used_mb, 1)} MB; external ${fmt(m0.external_mb, 1)} → ${fmt(mEnd.external_mb, 1)} MB`,
          metOrNot(goals.memory_bounded),
        ],
      ],
    ),
    '',
    ...whatHappened(slow, keepalive),
    '## Healthy clients',
    '',
    mdTable(
      ['server / clients', 'clients', 'complete', 'receive latency p50 / p99 / max (ms), whole run', ...windows.map((w) => `… ${w.name}`)],
      Object.entries(latAll)
        .filter(([g]) => !g.startsWith('slow'))
        .map(([g, d]) => {
          const cs = healthy.filter((c) => c.group === g);
          return [g, cs.length, cs.filter((c) => c.complete).length, distCells(d, 2), ...windows.map((w) => distCells(latWin[w.name]?.[g], 2))];
        }),
    ),
    '',
    mdTable(
      ['server send lateness (ms, sent − due)', 'ticks', 'p50 / p99 / max'],
      [
        ['baseline, all sessions', sendLate.baseline.n, distCells(sendLate.baseline, 3)],
        ['test, the 10 healthy sessions', sendLate.test.n, distCells(sendLate.test, 3)],
        ['test, the 6 sessions with a slow client', sendLate.test_slow_sessions.n, distCells(sendLate.test_slow_sessions, 3)],
        ['baseline, while every slow client of the test server was connected', sendLate.baseline_while_slow.n, distCells(sendLate.baseline_while_slow, 3)],
        ['test, the same window', sendLate.test_while_slow.n, distCells(sendLate.test_while_slow, 3)],
      ],
    ),
    '',
    `Server CPU: baseline ${fmt(cpuPct(runB), 1)} %, test ${fmt(cpuPct(runT), 1)} % of one core; client process ${fmt(((res.cpu.userUs + res.cpu.systemUs) / 1000 / res.cpu.wallMs) * 100, 1)} %.`,
    '',
    `Worst send lateness in each 10 s of the run (ms), healthy sessions: baseline ${worstByTen(runB, healthyCodes, playMono).map((v) => fmt(v, 1)).join(', ')}; ` +
      `test ${worstByTen(runT, healthyCodes, playMono).map((v) => fmt(v, 1)).join(', ')}. ` +
      `Server CPU in each 10 s (% of one core): baseline ${cpuByTen(memB).map((v) => fmt(v, 0)).join(', ')}; test ${cpuByTen(mem).map((v) => fmt(v, 0)).join(', ')}.`,
    '',
    '## Slow clients (test server)',
    '',
    mdTable(
      ['kind', 'session', 'behind at the end of the run, if still open (s)', 'bytes the server sent it (MB)', 'server queue: max (KiB); first queued at, kernel held then (MB)', 'drops (server)', 'first drop at', 'closed by the server', 'close seen by the client (after draining)', 'packets it read during the run / incl. the drain at the end'],
      slow.map((s) => [
        `${s.label}`,
        `${s.session}${s.on_healthy_session ? ' (with 10 healthy)' : SLOW_SPEED !== 1 ? ` (at ${SLOW_SPEED}×)` : ''}`,
        s.lag_s === null || s.close ? '–' : fmt(s.lag_s, 1),
        fmt(s.bytes_sent / 1e6, 2),
        `${fmt(s.max_buffered_bytes / 1024, 0)}${s.queue_start ? `; ${fmt(s.queue_start.t_s, 0)} s, ${fmt(s.queue_start.kernel_bytes / 1e6, 2)} MB` : '; never'}`,
        s.drops,
        s.first_drop_s === null ? '–' : `${fmt(s.first_drop_s, 0)} s`,
        s.close ? `${s.close.code} at ${fmt(s.close.at_s, 1)} s, by ${s.close.by}, reason "${s.close.reason}"` : 'still open',
        s.client_close_frame ? `${s.client_close_frame.code} "${s.client_close_frame.reason}"` : s.client_ended ? 'none (connection ended without a close frame)' : 'none (still open)',
        `${fmt(s.packets_read_before_drain, 0)} / ${fmt(s.packets_read, 0)}`,
      ]),
    ),
    '',
    '## Server memory over the run (MB)',
    '',
    mdTable(
      ['t (s)', 'test RSS', 'test anon RSS', 'test heap used', 'test external', 'test array buffers', 'baseline RSS', 'baseline anon RSS', 'baseline heap used', 'baseline external'],
      everyTenSeconds(mem).map((s) => {
          const b = memB.reduce((best, x) => (Math.abs(x.t_s - s.t_s) < Math.abs(best.t_s - s.t_s) ? x : best), memB[0]);
        return [fmt(s.t_s, 1), fmt(s.rss_mb, 1), fmt(s.rss_anon_mb, 1), fmt(s.heap_used_mb, 1), fmt(s.external_mb, 1), fmt(s.array_buffers_mb, 1), fmt(b.rss_mb, 1), fmt(b.rss_anon_mb, 1), fmt(b.heap_used_mb, 1), fmt(b.external_mb, 1)];
      }),
    ),
  ].join('\n');
  console.log(md);
  const file = writeResults('slow', md, {
    benchmark: 'slow',
    quick: QUICK,
    machine,
    load: machineLoad,
    config: { seconds: SECONDS, keepalive_ms: keepalive, slow_speed: SLOW_SPEED, sessions: SESSIONS, per: PER, slow: SLOW, client_nice: CLIENT_NICE },
    goals,
    healthy: {
      complete: { baseline: completeB, test: completeT, of: PER * SESSIONS },
      gaps: sum(healthy, (c) => c.gaps),
      latency_ms: latAll,
      latency_by_window_ms: latWin,
      windows: windows.map((w) => ({ name: w.name, from_s: round((w.fromMs - playMono) / 1000, 2), to_s: round((w.toMs - playMono) / 1000, 2) })),
      test_pooled_latency_ms: ltAll,
      send_lateness_ms: sendLate,
    },
    slow,
    server_cpu_percent: { baseline: round(cpuPct(runB), 1), test: round(cpuPct(runT), 1) },
    memory: { test: mem, baseline: memB, test_from_metrics: metricsMem },
    test_server_closes: runT.closes,
    clients_at_end: { baseline: runB.clients_at_end, test: runT.clients_at_end },
    wall_start: new Date(wall0).toISOString(),
  });
  console.log(`\nwrote ${file}`);
}

if (import.meta.filename === process.argv[1]) {
  if (arg('role') === 'server') await serverRole();
  else await main();
}
