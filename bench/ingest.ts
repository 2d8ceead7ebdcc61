/**
 * Ingest benchmark: what scoring decoders costs the server. 100 decoders on one session each
 * answer every packet with a MessagePack prediction, next to 100 silent clients on another
 * session of the same server, run alternately.
 *
 *   node --import tsx bench/ingest.ts [--quick] [--seconds 60] [--round-s 10] [--decoders 100] [--client-nice 10]
 *                                     [--variants decoders,silent[,dropped]] [--server-prof] [--out NAME]
 *
 * The server is one process started as `phantomlink serve` runs: the CLI's wiring (Engine with
 * the built-in `default` recording, startServer, the studio attached), bundled by esbuild and run
 * by plain Node with the product's V8 flags (bench/lib.ts bundleServerRole, SERVER_V8_FLAGS). It
 * holds two sessions, created paused:
 *  - `ingest-decoders`: 100 MessagePack clients named `?decoder=dec-NNN`, each answering every
 *    data packet at once (bench/ingest-clients.ts: decode the packet, encode
 *    `{type: 'prediction', sequence_number, vx, vy, latency_ms}`, send);
 *  - `ingest-silent`: 100 MessagePack clients that decode every packet the same way and never
 *    answer.
 * Each session's clients are in a process of their own (nice 10, as in the fan-out benchmark:
 * the load generator, which in a lab runs elsewhere, yields the two cores to the server).
 *
 * Only one session plays at a time: rounds of `--round-s` seconds alternate between them in the
 * order D S S D D S … (so a steady change in the machine's other load hits both alike), after a
 * warm-up round of each. Why one server with alternating sessions, not two servers side by side:
 * on 2 cores two servers playing at once share the cores with each other, and the decoders'
 * extra work (theirs and their clients') would slow the silent server too, pulling the ratios
 * towards 1; alternating, each variant runs on the same process, JIT state and heap, with the
 * same 200 connections open (keepalive pings go to all 200 in both), and differs only in the
 * predictions.
 *
 * Per round, the server reports its send lateness (sent − due for every tick: the session's own
 * measure, as in bench/timing.ts), its CPU time (process.cpuUsage), the time its main thread
 * waited for a CPU (/proc/self/schedstat) and its GC pauses. The tables give medians over the
 * rounds of each variant. Cost per prediction = (server CPU µs per second with decoders − without)
 * ÷ predictions per second. After each decoder round the scoreboard (`GET
 * /api/sessions/ingest-decoders/decoders`) is read, outside the measured time: predictions must
 * equal packets × decoders, with nothing missing.
 *
 * `--seconds` is per variant (60 by default, 10 with `--quick`, in rounds of 5 s).
 *
 * Diagnostic variants (`--variants`), each a further session of 100 decoders that answer every
 * packet, changed on the running server's own objects, never in src: `dropped`, whose messages
 * the server drops at the flood check (DecoderLink.admit → false: what the socket, Node's stream
 * and ws cost before the handler). Its extra CPU over `silent` splits the cost per prediction.
 * (A `no-prom` variant measured prom-client's per-prediction histogram observe, ~5 µs; the
 * scoring now counts those buckets itself.) `--server-prof` runs
 * the server with `--cpu-prof` (profile in bench/.cache/prof/).
 *
 * Also exports what bench/latency.ts uses: the server role and the process helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Engine } from '../src/main/playback/engine.ts';
import type { Session } from '../src/main/playback/session.ts';
import { startServer } from '../src/main/server.ts';
import { StudioService } from '../src/main/studio/studioService.ts';
import type { IngestClientResult, IngestClientSpec } from './ingest-clients.ts';
import { CLIENT_NICE, LoadWatch, instrument, loadLine, schedstat, settleMemory, sleep, type MachineLoad, type SessionRecord } from './fanout.ts';
import {
  BENCH_DIR,
  QUICK,
  REPO_ROOT,
  SERVER_V8_FLAGS,
  arg,
  bundleServerRole,
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
  type HostUsage,
} from './lib.ts';

// ------------------------------------------------------------------ the server role (bundled, plain Node)

/** What the server reports for one round of one session. */
export interface ServerRound {
  code: string;
  wall_ms: number;
  cpu_user_us: number;
  cpu_system_us: number;
  runqueue_wait_ms: number;
  /** Send lateness of every tick of the round (ms). */
  lateness: number[];
  /** Packets the session sent in the round, and in all (sequence numbers 0 … total − 1). */
  packets: number;
  packets_total: number;
  gc_count: number;
  gc_total_ms: number;
  gc_max_ms: number;
  /** Per tick of `lateness`: whether a GC pause overlapped the time from its due moment to its send (1) or not (0). */
  gc_overlap: number[];
  clients: number;
}

/** With `capture`: every packet's send time and every prediction's arrival, as the server saw them. */
export interface ServerCapture {
  /** Sequence number → the send time the scoring joins on (SentLog: taken before the first socket write). */
  sentSeq: number[];
  sentAtMs: number[];
  /** Each prediction handed to the scoring: sequence number, arrival (performance.now() ms), decoder name. */
  predSeq: number[];
  predArrivalMs: number[];
  predDecoder: string[];
  /** performance.now() + monoOffsetMs = CLOCK_MONOTONIC ms. */
  monoOffsetMs: number;
}

interface Watched {
  session: Session;
  rec: SessionRecord;
  capture: ServerCapture | null;
}

/**
 * The server as `phantomlink serve` wires it (banner and signal handling aside), driven over IPC:
 *   parent → { type: 'sessions', codes, capture? }   → { type: 'sessions-ok' }   sessions created paused
 *   parent → { type: 'play', code }                   → { type: 'playing', clients }
 *   parent → { type: 'pause', code }                  → { type: 'paused', round: ServerRound }
 *   parent → { type: 'capture', code }                → { type: 'capture', capture: ServerCapture }
 *   parent → { type: 'close' }                        the process closes its clients and exits
 */
export async function serverRole(): Promise<void> {
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  server.attachStudio(new StudioService(engine, server));
  const gc: Array<[number, number]> = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([e.startTime, e.duration]);
  }).observe({ entryTypes: ['gc'] });
  const watched = new Map<string, Watched>();
  let mark: { code: string; cpu: NodeJS.CpuUsage; waitNs: number; t0: number; lat: number; gc: number; seq: number } | null = null;

  process.on('message', async (m: any) => {
    if (m.type === 'sessions') {
      for (const code of m.codes as string[]) {
        const session = engine.sessions.create(code, undefined, { paused: true });
        const w: Watched = { session, rec: instrument(session), capture: null };
        if (m.capture) {
          const c: ServerCapture = { sentSeq: [], sentAtMs: [], predSeq: [], predArrivalMs: [], predDecoder: [], monoOffsetMs: 0 };
          w.capture = c;
          const log = session.sent;
          const record = log.record.bind(log);
          log.record = (seq, bin, sentAtMs) => {
            c.sentSeq.push(seq);
            c.sentAtMs.push(sentAtMs);
            record(seq, bin, sentAtMs);
          };
          const scoring = server.scoring.of(session);
          const predict = scoring.predict.bind(scoring);
          scoring.predict = (decoder, seq, values, reported, arrivalMs) => {
            c.predSeq.push(seq);
            c.predArrivalMs.push(arrivalMs);
            c.predDecoder.push(decoder.name);
            return predict(decoder, seq, values, reported, arrivalMs);
          };
        }
        watched.set(code, w);
      }
      process.send!({ type: 'sessions-ok' });
    } else if (m.type === 'patch') {
      // Diagnostics, per session, on the running server's own objects (src untouched):
      //  `drop`: every message of the session's clients is dropped at the flood check
      //          (handleClientMessage returns right after DecoderLink.admit): what the socket,
      //          Node's stream and ws cost before our handler runs.
      let n = 0;
      if (m.patch === 'drop') {
        for (const c of server.streams.clients) {
          if (c.session.code !== m.code) continue;
          c.link.admit = () => false;
          n++;
        }
      }
      process.send!({ type: 'patched', clients: n });
    } else if (m.type === 'play') {
      const w = watched.get(m.code)!;
      mark = { code: m.code, cpu: process.cpuUsage(), waitNs: schedstat().waitNs, t0: performance.now(), lat: w.rec.lateness.length, gc: gc.length, seq: w.session.sent.last };
      w.session.play();
      process.send!({ type: 'playing', clients: w.session.clientCount });
    } else if (m.type === 'pause') {
      const w = watched.get(m.code)!;
      w.session.pause();
      const wall = performance.now() - mark!.t0;
      const cpu = process.cpuUsage(mark!.cpu);
      const waitNs = schedstat().waitNs - mark!.waitNs;
      const spans = gc.slice(mark!.gc);
      const pauses = spans.map(([, d]) => d);
      const overlap: number[] = [];
      for (let i = mark!.lat; i < w.rec.lateness.length; i++) {
        const due = w.rec.due[i];
        const sent = w.rec.sent[i];
        overlap.push(spans.some(([a, d]) => a < sent && a + d > due) ? 1 : 0);
      }
      const r: ServerRound = {
        code: m.code,
        wall_ms: wall,
        cpu_user_us: cpu.user,
        cpu_system_us: cpu.system,
        runqueue_wait_ms: waitNs / 1e6,
        lateness: w.rec.lateness.slice(mark!.lat),
        packets: w.session.sent.last - mark!.seq,
        packets_total: w.session.sent.last + 1,
        gc_count: pauses.length,
        gc_total_ms: pauses.reduce((a, b) => a + b, 0),
        gc_max_ms: pauses.length ? Math.max(...pauses) : 0,
        gc_overlap: overlap,
        clients: w.session.clientCount,
      };
      mark = null;
      process.send!({ type: 'paused', round: r });
    } else if (m.type === 'capture') {
      const c = watched.get(m.code)!.capture!;
      c.monoOffsetMs = monoOffset();
      process.send!({ type: 'capture', capture: c });
    } else if (m.type === 'close') {
      await server.close('benchmark over');
      process.exit(0);
    }
  });
  const settled = await settleMemory();
  process.send!({ type: 'listening', url: server.url, settled });
}

// ------------------------------------------------------------------ process helpers

/** The next message of `type` from `child` (rejects on timeout or exit). */
export function messageFrom<T = any>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${type}" from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMsg = (m: any) => {
      if (m?.type !== type) return;
      clearTimeout(t);
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      clearTimeout(t);
      child.off('message', onMsg);
      reject(new Error(`pid ${child.pid} exited (${code}) before "${type}"`));
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

export interface Proc {
  child: ChildProcess;
  request<T = any>(msg: object, reply: string, timeoutMs?: number): Promise<T>;
  exited: Promise<number | null>;
}

function proc(child: ChildProcess): Proc {
  const exited = new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  return {
    child,
    exited,
    request: (msg, reply, ms = 30_000) => {
      const p = messageFrom(child, reply, ms);
      child.send(msg);
      return p;
    },
  };
}

export interface ServerProc extends Proc {
  url: string;
  settled: { waited_ms: number; anon_before_mb: number; anon_after_mb: number };
}

/**
 * Starts the bundled server role with the product's V8 flags (+ `extraFlags`), in this process's
 * session (and so its scheduler autogroup, with the niced clients). Resolves once it has settled
 * (start-up memory freed, ~25 s after start: bench/fanout.ts settleMemory).
 */
export async function spawnServerProcess(name: string, extraFlags: string[] = []): Promise<ServerProc> {
  const bundle = await bundleServerRole(name, `import { serverRole } from './ingest.ts'; await serverRole();`);
  // Its log (JSON lines on stderr, at serve's default level) goes to a file, not into the report's output.
  const logFile = join(BENCH_DIR, '.cache', `${name}.log`);
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, ...extraFlags, bundle], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', openSync(logFile, 'w'), 'ipc'], serialization: 'advanced' });
  const p = proc(child);
  const { url, settled } = await messageFrom(child, 'listening', 180_000);
  return { ...p, url, settled };
}

/** Closes the server's clients (1001) and waits for the process to exit. */
export async function closeServer(server: ServerProc): Promise<void> {
  server.child.send({ type: 'close' });
  const t = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await server.exited;
  clearTimeout(t);
}

export interface ClientsProc extends Proc {
  failed: string[];
}

/** Starts bench/ingest-clients.ts at `nice` (0: as is) and connects `specs`. */
export async function spawnIngestClients(url: string, specs: IngestClientSpec[], opts: { nice: number; record?: boolean }): Promise<ClientsProc> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ingest-clients.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  if (opts.nice && child.pid) {
    try {
      setPriority(child.pid, opts.nice);
    } catch {
      /* not allowed: run as is */
    }
  }
  const p = proc(child);
  const ready = await p.request<{ clients: number; failed: string[] }>({ type: 'connect', url: url.replace(/^http/, 'ws'), clients: specs, record: !!opts.record }, 'ready', 120_000);
  return { ...p, failed: ready.failed };
}

/** Stops a client process and returns its clients' results. */
export async function stopClients(c: ClientsProc): Promise<{ clients: IngestClientResult[]; monoOffsetMs: number }> {
  const r = await c.request<{ clients: IngestClientResult[]; monoOffsetMs: number }>({ type: 'stop' }, 'results', 60_000);
  await c.exited;
  return r;
}

/** The scoreboard, as `GET /api/sessions/{code}/decoders` gives it. */
export interface ScoreboardDecoder {
  name: string;
  connected: boolean;
  counts: Record<'predictions' | 'evaluated' | 'missing' | 'late' | 'duplicates' | 'stale' | 'unknown' | 'invalid' | 'throttled', number>;
  cumulative: { r2_combined: number | null; n: number };
  latency_ms: { count: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null; reported_p50: number | null };
}

export async function scoreboard(url: string, code: string): Promise<ScoreboardDecoder[]> {
  const res = await fetch(`${url}/api/sessions/${encodeURIComponent(code)}/decoders`);
  if (!res.ok) throw new Error(`GET /api/sessions/${code}/decoders: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { decoders: ScoreboardDecoder[] }).decoders;
}

// ------------------------------------------------------------------ the benchmark

type Variant = 'decoders' | 'silent' | 'dropped';
interface VariantDef {
  code: string;
  /** Name prefix of its clients (they answer every packet); null: silent clients. */
  names: string | null;
  patch: 'drop' | null;
  title: string;
}
const VARIANTS: Record<Variant, VariantDef> = {
  decoders: { code: 'ingest-decoders', names: 'dec', patch: null, title: 'decoders: each answers every packet' },
  silent: { code: 'ingest-silent', names: null, patch: null, title: 'silent: read every packet, never answer' },
  dropped: { code: 'ingest-dropped', names: 'drop', patch: 'drop', title: 'diagnostic: decoders whose messages the server drops at the flood check (socket + Node stream + ws only)' },
};
const GOAL = { p99Ratio: 1.2, cpuRatio: 1.5 };

interface Round {
  n: number;
  variant: Variant;
  wall_s: number;
  ticks: number;
  lateness_ms: Dist;
  cpu_percent: number;
  cpu_user_percent: number;
  cpu_system_percent: number;
  cpu_us_per_s: number;
  runqueue_wait_percent: number;
  gc_per_s: number;
  gc_max_ms: number;
  /** Ticks during which a GC pause ran (between due and send), and the lateness of the others. */
  gc_ticks: number;
  lateness_without_gc_ms: Dist;
  client_cpu_percent: number;
  /** Predictions the clients sent during the round, and the scoreboard's count (decoders). */
  predictions_sent: number;
  predictions_counted: number | null;
  host: HostUsage;
}

interface VariantSummary {
  rounds: number;
  seconds: number;
  ticks: number;
  /** Medians over the rounds of each round's p50 / p99 / max. */
  lateness_median_of_rounds_ms: { p50: number; p99: number; max: number };
  /** Every tick of every round pooled. */
  lateness_pooled_ms: Dist;
  cpu_percent: number;
  cpu_user_percent: number;
  cpu_system_percent: number;
  cpu_us_per_s: number;
  runqueue_wait_percent: number;
  gc_per_s: number;
  gc_max_ms: number;
  /** Ticks a GC pause ran into, of all; p99 of the others (median over rounds). */
  gc_ticks: number;
  lateness_p99_without_gc_ms: number;
  client_cpu_percent: number;
  predictions_per_s: number;
  machine_busy_cores: number;
  cpu_pressure_some_percent: number | null;
}

function summarize(rounds: Round[], lateness: number[]): VariantSummary {
  const med = (f: (r: Round) => number | null) => {
    const v = rounds.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? median(v) : NaN;
  };
  return {
    rounds: rounds.length,
    seconds: round(rounds.reduce((s, r) => s + r.wall_s, 0), 1),
    ticks: rounds.reduce((s, r) => s + r.ticks, 0),
    lateness_median_of_rounds_ms: { p50: round(med((r) => r.lateness_ms.p50), 4), p99: round(med((r) => r.lateness_ms.p99), 4), max: round(med((r) => r.lateness_ms.max), 4) },
    lateness_pooled_ms: dist(lateness),
    cpu_percent: round(med((r) => r.cpu_percent), 2),
    cpu_user_percent: round(med((r) => r.cpu_user_percent), 2),
    cpu_system_percent: round(med((r) => r.cpu_system_percent), 2),
    cpu_us_per_s: round(med((r) => r.cpu_us_per_s), 0),
    runqueue_wait_percent: round(med((r) => r.runqueue_wait_percent), 2),
    gc_per_s: round(med((r) => r.gc_per_s), 2),
    gc_max_ms: round(Math.max(...rounds.map((r) => r.gc_max_ms)), 2),
    gc_ticks: rounds.reduce((s, r) => s + r.gc_ticks, 0),
    lateness_p99_without_gc_ms: round(med((r) => r.lateness_without_gc_ms.p99), 4),
    client_cpu_percent: round(med((r) => r.client_cpu_percent), 1),
    predictions_per_s: round(med((r) => (r.predictions_counted ?? r.predictions_sent) / r.wall_s), 1),
    machine_busy_cores: round(med((r) => r.host.machine_busy_cores), 2),
    cpu_pressure_some_percent: rounds.some((r) => r.host.cpu_pressure_some_percent !== null) ? round(med((r) => r.host.cpu_pressure_some_percent), 1) : null,
  };
}

const log = (s: string) => console.error(`[ingest] ${s}`);

async function main(): Promise<void> {
  const secondsPerVariant = Number(arg('seconds') ?? (QUICK ? 10 : 60));
  const roundS = Number(arg('round-s') ?? (QUICK ? 5 : 10));
  const roundsPerVariant = Math.max(1, Math.round(secondsPerVariant / roundS));
  const warmS = QUICK ? 2 : 5;
  const nClients = Number(arg('decoders') ?? 100);
  const variants = (arg('variants') ?? 'decoders,silent').split(',') as Variant[];
  for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}: use ${Object.keys(VARIANTS).join(', ')}`);
  if (!variants.includes('decoders') || !variants.includes('silent')) throw new Error('--variants must include decoders and silent');
  const prof = process.argv.includes('--server-prof');
  const machine = machineInfo();

  const profDir = join(BENCH_DIR, '.cache', 'prof');
  if (prof) mkdirSync(profDir, { recursive: true });
  log('starting the server and letting it settle (~25 s) …');
  const server = await spawnServerProcess('ingest-server', prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  await server.request({ type: 'sessions', codes: variants.map((v) => VARIANTS[v].code) }, 'sessions-ok');
  const clients = {} as Record<Variant, ClientsProc>;
  for (const v of variants) {
    const def = VARIANTS[v];
    const specs: IngestClientSpec[] = Array.from({ length: nClients }, (_, i) => ({ session: def.code, name: def.names === null ? null : `${def.names}-${String(i).padStart(3, '0')}`, delayMs: 0 }));
    clients[v] = await spawnIngestClients(server.url, specs, { nice: CLIENT_NICE });
    if (clients[v].failed.length) throw new Error(`${v}: ${clients[v].failed.slice(0, 3).join(' | ')}`);
    if (def.patch) await server.request({ type: 'patch', code: def.code, patch: def.patch }, 'patched');
  }
  await sleep(500);

  const packetsTotal = {} as Record<Variant, number>;
  const sentSoFar = Object.fromEntries(variants.map((v) => [v, 0])) as Record<Variant, number>;
  const countedSoFar = Object.fromEntries(variants.map((v) => [v, 0])) as Record<Variant, number>;
  const runRound = async (v: Variant, seconds: number) => {
    const code = VARIANTS[v].code;
    clients[v].child.send({ type: 'mark' });
    const h0 = hostSample();
    const { clients: n } = await server.request<{ clients: number }>({ type: 'play', code }, 'playing');
    if (n !== nClients) throw new Error(`${code} has ${n} clients, expected ${nClients}`);
    await sleep(seconds * 1000);
    const { round: r } = await server.request<{ round: ServerRound }>({ type: 'pause', code }, 'paused');
    const host = hostUsage(h0, hostSample());
    packetsTotal[v] = r.packets_total;
    const c = await clients[v].request<{ userUs: number; systemUs: number; wallMs: number; sent: number }>({ type: 'cpu' }, 'cpu');
    // The same pause after every round; the scoreboard counts a packet as missing once it is 1 s old.
    await sleep(1200);
    let counted: number | null = null;
    if (v === 'decoders') {
      const total = (await scoreboard(server.url, code)).reduce((s, d) => s + d.counts.predictions, 0);
      counted = total - countedSoFar[v];
      countedSoFar[v] = total;
    }
    const sent = c.sent - sentSoFar[v];
    sentSoFar[v] = c.sent;
    return { r, host, clientCpuPercent: ((c.userUs + c.systemUs) / 1000 / c.wallMs) * 100, sent, counted };
  };

  log(`warm-up: ${warmS} s of each variant (${variants.join(', ')})`);
  for (const v of variants) await runRound(v, warmS);

  const rounds: Round[] = [];
  const lateness = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const watch = new LoadWatch();
  const t0 = performance.now();
  for (let k = 0; k < roundsPerVariant; k++) {
    // A B B A A B …: a steady change in the machine's load hits every variant alike.
    const order = k % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const { r, host, clientCpuPercent, sent, counted } = await runRound(v, roundS);
      const wallS = r.wall_ms / 1000;
      const cpuUs = r.cpu_user_us + r.cpu_system_us;
      const row: Round = {
        n: rounds.length + 1,
        variant: v,
        wall_s: round(wallS, 3),
        ticks: r.lateness.length,
        lateness_ms: dist(r.lateness),
        cpu_percent: round((cpuUs / 1000 / r.wall_ms) * 100, 2),
        cpu_user_percent: round((r.cpu_user_us / 1000 / r.wall_ms) * 100, 2),
        cpu_system_percent: round((r.cpu_system_us / 1000 / r.wall_ms) * 100, 2),
        cpu_us_per_s: round(cpuUs / wallS, 0),
        runqueue_wait_percent: round((r.runqueue_wait_ms / r.wall_ms) * 100, 2),
        gc_per_s: round(r.gc_count / wallS, 2),
        gc_max_ms: round(r.gc_max_ms, 2),
        gc_ticks: r.gc_overlap.reduce((a, b) => a + b, 0),
        lateness_without_gc_ms: dist(r.lateness.filter((_, i) => r.gc_overlap[i] === 0)),
        client_cpu_percent: round(clientCpuPercent, 1),
        predictions_sent: sent,
        predictions_counted: counted,
        host,
      };
      rounds.push(row);
      lateness[v].push(...r.lateness);
      log(
        `round ${row.n} ${v}: lateness p50/p99/max ${fmt(row.lateness_ms.p50, 3)}/${fmt(row.lateness_ms.p99, 3)}/${fmt(row.lateness_ms.max, 3)} ms; ` +
          `server CPU ${fmt(row.cpu_percent, 1)} %, clients ${fmt(row.client_cpu_percent, 1)} %; predictions ${sent} sent, ${counted ?? '–'} counted; machine ${fmt(host.machine_busy_cores, 2)} cores, PSI ${fmt(host.cpu_pressure_some_percent, 1)} %`,
      );
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  const load: MachineLoad = watch.end([process.pid, server.child.pid!, ...variants.map((v) => clients[v].child.pid!)]);

  // ---- the scoreboard and the clients' own counts
  const board = await scoreboard(server.url, VARIANTS.decoders.code);
  const silentBoard = await scoreboard(server.url, VARIANTS.silent.code);
  const results = {} as Record<Variant, { clients: IngestClientResult[] }>;
  for (const v of variants) results[v] = await stopClients(clients[v]);
  await closeServer(server);

  const sum = (k: keyof ScoreboardDecoder['counts']) => board.reduce((s, d) => s + d.counts[k], 0);
  const packetsSent = packetsTotal.decoders;
  const expected = packetsSent * nClients;
  const counts = {
    decoders: board.length,
    connected_at_the_end: board.filter((d) => d.connected).length,
    packets_sent: packetsSent,
    expected_predictions: expected,
    predictions: sum('predictions'),
    evaluated: sum('evaluated'),
    missing: sum('missing'),
    late: sum('late'),
    duplicates: sum('duplicates'),
    stale: sum('stale'),
    unknown: sum('unknown'),
    invalid: sum('invalid'),
    throttled: sum('throttled'),
    silent_session_decoders: silentBoard.length,
    latency_p50_ms_median_of_decoders: round(median(board.map((d) => d.latency_ms.p50_ms ?? NaN).filter(Number.isFinite)), 3),
    latency_p99_ms_median_of_decoders: round(median(board.map((d) => d.latency_ms.p99_ms ?? NaN).filter(Number.isFinite)), 3),
    latency_max_ms: round(Math.max(...board.map((d) => d.latency_ms.max_ms ?? NaN).filter(Number.isFinite)), 3),
    r2_median_of_decoders: round(median(board.map((d) => d.cumulative.r2_combined ?? NaN).filter(Number.isFinite)), 3),
  };
  const check = Object.fromEntries(
    variants.map((v) => {
      const cs = results[v].clients;
      const total = packetsTotal[v];
      return [
        v,
        {
          clients: cs.length,
          packets: cs.reduce((s, c) => s + c.packets, 0),
          complete: cs.filter((c) => c.packets === total && c.firstSeq === 0 && c.lastSeq === total - 1 && c.gaps === 0 && c.outOfOrder === 0 && c.closed === null).length,
          gaps: cs.reduce((s, c) => s + c.gaps, 0),
          out_of_order: cs.reduce((s, c) => s + c.outOfOrder, 0),
          predictions_sent: cs.reduce((s, c) => s + c.predictionsSent, 0),
          answered_after_1s: cs.reduce((s, c) => s + c.answeredAfter1s, 0),
          other_messages: cs.reduce((s, c) => s + c.otherCount, 0),
          other_examples: cs.flatMap((c) => c.other).slice(0, 3),
          closed_early: cs.filter((c) => c.closed !== null).length,
          errors: cs.flatMap((c) => c.errors).slice(0, 3),
        },
      ];
    }),
  ) as Record<Variant, { clients: number; packets: number; complete: number; gaps: number; out_of_order: number; predictions_sent: number; answered_after_1s: number; other_messages: number; other_examples: unknown[]; closed_early: number; errors: string[] }>;

  // ---- summaries
  const of = (v: Variant) => rounds.filter((r) => r.variant === v);
  const S = Object.fromEntries(variants.map((v) => [v, summarize(of(v), lateness[v])])) as Record<Variant, VariantSummary>;
  const p99Ratio = S.decoders.lateness_median_of_rounds_ms.p99 / S.silent.lateness_median_of_rounds_ms.p99;
  const cpuRatio = S.decoders.cpu_percent / S.silent.cpu_percent;
  /** Extra server CPU per prediction (µs) of an answering variant over the silent one; also from each pair of same-numbered rounds. */
  const cost = (v: Variant) => {
    const extra = S[v].cpu_us_per_s - S.silent.cpu_us_per_s;
    const sil = of('silent');
    const pairs = of(v)
      .map((r, k) => (r.cpu_us_per_s - sil[k].cpu_us_per_s) / ((r.predictions_counted ?? r.predictions_sent) / r.wall_s))
      .filter(Number.isFinite);
    return { extra_ms_per_s: round(extra / 1000, 2), predictions_per_s: S[v].predictions_per_s, us_per_prediction: round(extra / S[v].predictions_per_s, 2), pairs_us: pairs.map((x) => round(x, 2)) };
  };
  const answering = variants.filter((v) => v !== 'silent');
  const costs = Object.fromEntries(answering.map((v) => [v, cost(v)])) as Partial<Record<Variant, ReturnType<typeof cost>>>;
  const usPerPrediction = costs.decoders!.us_per_prediction;
  // Every prediction counted, none refused; a packet counts as missing when unanswered 1 s after
  // its send, so the missing ones must be those the clients answered later than that (a client
  // starved of CPU on a loaded machine), within a few at the 1 s boundary.
  const refused = counts.duplicates + counts.stale + counts.unknown + counts.invalid + counts.throttled;
  const lateAnswers = check.decoders.answered_after_1s;
  const countsOk = counts.predictions === expected && refused === 0 && Math.abs(counts.missing - lateAnswers) <= Math.max(5, 0.01 * lateAnswers);
  const goals = { p99_ratio: p99Ratio <= GOAL.p99Ratio, cpu_ratio: cpuRatio <= GOAL.cpuRatio, counted: countsOk };

  // ---- report
  const cols = (f: (s: VariantSummary, v: Variant) => string) => variants.map((v) => f(S[v], v));
  const lat = (d: { p50: number; p99: number; max: number }) => `${fmt(d.p50, 3)} / ${fmt(d.p99, 3)} / ${fmt(d.max, 3)}`;
  const pairRange = (p: number[]) => (p.length ? `${fmt(Math.min(...p), 2)}–${fmt(Math.max(...p), 2)}` : '–');
  const md = [
    `# Ingest benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `One server process as \`phantomlink serve\` runs (the CLI's wiring bundled by esbuild, plain Node, \`${SERVER_V8_FLAGS.join(' ')}\`; settled ${fmt(server.settled.waited_ms / 1000, 0)} s after start, anonymous RSS ${fmt(server.settled.anon_before_mb, 0)} → ${fmt(server.settled.anon_after_mb, 0)} MB). ` +
      `One session per variant, ${nClients} MessagePack clients each, played one at a time: ${variants.map((v) => `**${v}** (${VARIANTS[v].title})`).join('; ')}. ` +
      `Decoders connect with \`?decoder=NAME\` and answer each data packet as soon as it arrives with a MessagePack prediction (vx, vy, latency_ms); silent clients decode the same packets and never answer. ` +
      `Each session's clients in a process of their own (bench/ingest-clients.ts, nice ${CLIENT_NICE}). After ${warmS} s of warm-up each, ${roundsPerVariant} rounds of ${roundS} s per variant, in the order ${variants.join(' ')} then reversed, and so on; the tables give medians over each variant's rounds (${fmt(wallS, 0)} s in all).`,
    '',
    loadLine(load),
    '',
    '## Goals',
    '',
    mdTable(
      ['goal', 'decoders', 'silent', 'ratio', 'verdict'],
      [
        [`server send lateness p99, decoders ÷ silent ≤ ${GOAL.p99Ratio}`, `${fmt(S.decoders.lateness_median_of_rounds_ms.p99, 3)} ms`, `${fmt(S.silent.lateness_median_of_rounds_ms.p99, 3)} ms`, `**${fmt(p99Ratio, 2)}**`, metOrNot(goals.p99_ratio)],
        [`server CPU, decoders ÷ silent ≤ ${GOAL.cpuRatio}`, `${fmt(S.decoders.cpu_percent, 2)} %`, `${fmt(S.silent.cpu_percent, 2)} %`, `**${fmt(cpuRatio, 2)}**`, metOrNot(goals.cpu_ratio)],
        [
          'the scoreboard counts every prediction (predictions = packets × decoders, none refused; missing only the packets answered over 1 s after their send)',
          `${fmt(counts.predictions, 0)} of ${fmt(expected, 0)} (${fmt(packetsSent, 0)} packets × ${nClients}); refused ${refused}; missing ${counts.missing}, answered over 1 s late ${lateAnswers}`,
          `${counts.silent_session_decoders} decoders`,
          '',
          metOrNot(goals.counted),
        ],
      ],
    ),
    '',
    `**Cost per prediction: ${fmt(usPerPrediction, 2)} µs** of server CPU: ${fmt(costs.decoders!.extra_ms_per_s, 1)} ms of CPU a second more with decoders ÷ ${fmt(costs.decoders!.predictions_per_s, 0)} predictions a second (from each pair of same-numbered rounds: ${pairRange(costs.decoders!.pairs_us)} µs).`,
    '',
    ...(answering.length > 1
      ? [
          mdTable(
            ['variant', 'extra server CPU (ms/s) over silent', 'predictions/s', 'µs per prediction', 'per round pair (µs)'],
            answering.map((v) => [v, fmt(costs[v]!.extra_ms_per_s, 1), fmt(costs[v]!.predictions_per_s, 0), fmt(costs[v]!.us_per_prediction, 2), pairRange(costs[v]!.pairs_us)]),
          ),
          '',
        ]
      : []),
    '## Per variant (medians over rounds)',
    '',
    mdTable(
      ['measure', ...variants],
      [
        ['rounds, seconds, ticks', ...cols((s) => `${s.rounds}, ${fmt(s.seconds, 0)} s, ${fmt(s.ticks, 0)}`)],
        ['send lateness p50 / p99 / max (ms), median over rounds', ...cols((s) => lat(s.lateness_median_of_rounds_ms))],
        ['send lateness p50 / p99 / max (ms), every tick pooled', ...cols((s) => lat(s.lateness_pooled_ms))],
        ['server CPU, % of one core (user + system)', ...cols((s) => `${fmt(s.cpu_percent, 2)} (${fmt(s.cpu_user_percent, 2)} + ${fmt(s.cpu_system_percent, 2)})`)],
        ['predictions per second', ...cols((s, v) => (v === 'silent' ? '–' : fmt(s.predictions_per_s, 0)))],
        ['server main thread waiting for a CPU (% of the round)', ...cols((s) => fmt(s.runqueue_wait_percent, 2))],
        ['server GC pauses per second; longest (ms)', ...cols((s) => `${fmt(s.gc_per_s, 2)}; ${fmt(s.gc_max_ms, 2)}`)],
        ['ticks a GC pause ran into (between due and send), of all; send lateness p99 of the other ticks (ms, median over rounds)', ...cols((s) => `${fmt(s.gc_ticks, 0)} of ${fmt(s.ticks, 0)}; ${fmt(s.lateness_p99_without_gc_ms, 3)}`)],
        ['client process CPU, % of one core', ...cols((s) => fmt(s.client_cpu_percent, 1))],
        ['machine: busy cores; CPU pressure (PSI some)', ...cols((s) => `${fmt(s.machine_busy_cores, 2)}; ${s.cpu_pressure_some_percent === null ? 'n/a' : `${fmt(s.cpu_pressure_some_percent, 1)} %`}`)],
      ],
    ),
    '',
    '## The scoreboard and the clients',
    '',
    mdTable(
      ['measure', 'value'],
      [
        ['decoders on the scoreboard (connected at the end)', `${counts.decoders} (${counts.connected_at_the_end})`],
        ['packets sent to the decoders session (warm-up included) × decoders', `${fmt(packetsSent, 0)} × ${nClients} = ${fmt(expected, 0)}`],
        ['predictions counted / sent by the clients', `${fmt(counts.predictions, 0)} / ${fmt(check.decoders.predictions_sent, 0)}`],
        ['evaluated (scored against a finite truth)', fmt(counts.evaluated, 0)],
        ['missing (unanswered 1 s after the send), late (answered after the next packet went out)', `${counts.missing}, ${fmt(counts.late, 0)}`],
        ['predictions the clients sent over 1 s after the packet (its `timestamp`): counted missing first, then scored', fmt(lateAnswers, 0)],
        ['duplicates, stale, unknown, invalid, throttled', `${counts.duplicates}, ${counts.stale}, ${counts.unknown}, ${counts.invalid}, ${counts.throttled}`],
        ['round-trip latency on the scoreboard: median over decoders of p50 / p99; max (ms)', `${fmt(counts.latency_p50_ms_median_of_decoders, 3)} / ${fmt(counts.latency_p99_ms_median_of_decoders, 3)}; ${fmt(counts.latency_max_ms, 1)}`],
        ['R² (combined, cumulative), median over decoders', fmt(counts.r2_median_of_decoders, 3)],
        ...variants.map((v) => [
          `${v} clients: complete (every packet, in order) / packets / gaps / out of order / messages other than data / closed early`,
          `${check[v].complete} of ${check[v].clients} / ${fmt(check[v].packets, 0)} / ${check[v].gaps} / ${check[v].out_of_order} / ${check[v].other_messages} / ${check[v].closed_early}`,
        ]),
      ],
    ),
    '',
    '## Rounds',
    '',
    mdTable(
      ['#', 'variant', 's', 'ticks', 'lateness p50 / p99 / max (ms)', 'server CPU %', 'waited for a CPU %', 'GC/s', 'client CPU %', 'predictions sent / counted', 'machine busy cores', 'PSI %'],
      rounds.map((r) => [
        r.n,
        r.variant,
        fmt(r.wall_s, 1),
        r.ticks,
        lat(r.lateness_ms),
        fmt(r.cpu_percent, 2),
        fmt(r.runqueue_wait_percent, 2),
        fmt(r.gc_per_s, 2),
        fmt(r.client_cpu_percent, 1),
        r.variant === 'silent' ? '–' : `${fmt(r.predictions_sent, 0)} / ${r.predictions_counted === null ? '–' : fmt(r.predictions_counted, 0)}`,
        fmt(r.host.machine_busy_cores, 2),
        fmt(r.host.cpu_pressure_some_percent, 1),
      ]),
    ),
  ].join('\n');
  console.log(md);
  const file = writeResults('ingest', md, {
    benchmark: 'ingest',
    quick: QUICK,
    machine,
    config: { seconds_per_variant: secondsPerVariant, round_s: roundS, rounds_per_variant: roundsPerVariant, warm_up_s: warmS, clients_per_session: nClients, variants, client_nice: CLIENT_NICE, server_v8_flags: SERVER_V8_FLAGS, goal: GOAL },
    settled: server.settled,
    load,
    goals,
    ratios: { p99: round(p99Ratio, 3), cpu: round(cpuRatio, 3) },
    cost_per_prediction_us: usPerPrediction,
    costs,
    variants: S,
    scoreboard: counts,
    clients: check,
    rounds,
  });
  console.log(`\nwrote ${file}`);
  if (prof) log(`server CPU profile in ${profDir}`);
}

if (import.meta.filename === process.argv[1]) await main();
