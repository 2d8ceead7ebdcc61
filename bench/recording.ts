/**
 * Recording benchmark: what recording every session costs the stream. 64 sessions, 10 decoders
 * each (640 MessagePack clients answering every packet: 25,600 predictions a second), all
 * playing the whole time; rounds alternate between every session recording and none recording.
 *
 *   node --import tsx bench/recording.ts [--quick] [--seconds 80] [--round-s 5] [--sessions 64]
 *                                        [--decoders 10] [--client-nice 10] [--dir DIR] [--out NAME]
 *
 * The server is one process wired as `phantomlink serve` wires it (bench/lib.ts bundleServerRole,
 * the product's V8 flags), recording into a temporary folder under `--dir` (bench/.cache). The clients are
 * bench/ingest-clients.ts in one process at nice 10 (a lab's decoders run elsewhere). Rounds go
 * R P P R R P … (R: every session recording, P: plain), after a warm-up round of each, so a
 * steady change in the machine's other load hits both alike; each R round starts 64 recordings
 * before its clock starts and stops them (every line on disk) after it ends, outside the
 * measured time. Why alternate on one process rather than two servers at once: on 2 cores two
 * servers share the cores with each other and the difference would show in both.
 *
 * Per round: send lateness (sent − due) of every tick of every session (the session's own
 * measure, as bench/timing.ts), server CPU (process.cpuUsage), GC pauses, page faults, how often
 * the server's main thread was preempted, and for R rounds the bytes and lines written. Rounds
 * are short and many: the host's speed drifts over tens of seconds, and a pair of neighbouring
 * rounds shares its moment. Tables give medians over the rounds of each variant
 * (nearest rank: with an even count, the lower middle).
 */
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../src/main/playback/engine.ts';
import { TickScheduler, type SchedulerTime } from '../src/main/playback/clock.ts';
import { setLogLevel } from '../src/main/common/log.ts';
import { startServer } from '../src/main/server.ts';
import { StudioService } from '../src/main/studio/studioService.ts';
import { instrument, LoadWatch, loadLine, settleMemory, sleep, CLIENT_NICE, type SessionRecord } from './fanout.ts';
import { messageFrom, spawnIngestClients, stopClients } from './ingest.ts';
import type { IngestClientSpec } from './ingest-clients.ts';
import { PacketColumns, PredictionColumns } from '../src/main/recorder/columns.ts';
import { LineWriter } from '../src/main/recorder/lineWriter.ts';
import { writePath } from '../src/main/recorder/writePath.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, SERVER_V8_FLAGS, arg, bundleServerRole, dist, fmt, hostSample, hostUsage, machineInfo, machineLine, mdTable, median, metOrNot, round, writeResults } from './lib.ts';

interface RoundReport {
  lateness: number[];
  wall_ms: number;
  cpu_us: number;
  packets: number;
  /** Decoders connected at the end of the round (a decoder that fell behind is closed 4408). */
  clients: number;
  /** GC pauses in the server during the round: how many, their total and the longest (ms), major ones. */
  gc: { n: number; total_ms: number; max_ms: number; major: number };
  /**
   * The server's page faults (minor: first touch of new memory, which a VM may serve slowly) and
   * how often its main thread was preempted (involuntary context switches; Linux, else the process's).
   */
  os: { minor_faults: number; major_faults: number; preempted: number };
  /**
   * The server's main thread: its CPU (% of a core, Linux; else null) and the time it slept in
   * the tick scheduler's precise wait before ticks (% of the round), when nothing else can run.
   */
  main: { cpu_percent: number | null; tick_wait_percent: number };
  /** R rounds: what the recordings wrote, and their logs' writes made on the event loop (how many, over 1 ms, slowest ms; whether still there at the end). */
  recorded: { recordings: number; bytes: number; packets: number; predictions: number; failed: number; writes: { n: number; over1ms: number; max_ms: number; on_event_loop: boolean } } | null;
}

// ------------------------------------------------------------------ the server role (bundled)

/**
 *   parent → { type: 'sessions', codes }  → 'sessions-ok'   sessions created and playing
 *   parent → { type: 'round', record }     → 'round-on'      recordings started (R), clock started
 *   parent → { type: 'end' }               → 'round-off' { round: RoundReport }   recordings stopped after the clock
 *   parent → { type: 'close' }
 */
export async function recordingServerRole(): Promise<void> {
  setLogLevel('warn'); // to bench/.cache/recording-server.log: a failed recording, logs that fell back to the thread pool
  const root = join(arg('dir') ?? join(BENCH_DIR, '.cache'), `recordings-${process.pid}`);
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { host: '127.0.0.1', port: 0, recordings: { root } });
  server.attachStudio(new StudioService(engine, server));
  const recs: SessionRecord[] = [];
  const gc: Array<{ at: number; ms: number; major: boolean }> = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ at: e.startTime, ms: e.duration, major: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR });
  }).observe({ entryTypes: ['gc'] });
  // Time the shared tick scheduler spends in its precise wait (blocking the loop), summed.
  const waitMs = { total: 0 };
  const schedTime = (TickScheduler.shared as unknown as { time: SchedulerTime }).time;
  const waitUntil = schedTime.waitUntil.bind(schedTime);
  schedTime.waitUntil = (t: number) => {
    const t0 = performance.now();
    waitUntil(t);
    waitMs.total += performance.now() - t0;
  };
  let mark: { wait: number; mainCpu: number | null; cpu: NodeJS.CpuUsage; ru: NodeJS.ResourceUsage; preempted: number; t0: number; seq: number[]; record: boolean } | null = null;

  process.on('message', async (m: any) => {
    if (m.type === 'sessions') {
      for (const code of m.codes as string[]) recs.push(instrument(engine.sessions.create(code)));
      process.send!({ type: 'sessions-ok' });
    } else if (m.type === 'round') {
      if (m.record) await Promise.all(recs.map((r) => server.recordings.start(r.session.code)));
      // The measured time starts once the switch is over: ticks held up by 64 recordings opening
      // their files (or, before a plain round, by the last round's stop) are sent after the
      // switch, and would be counted in the round if it began at once.
      await sleep(SWITCH_SETTLE_MS);
      // Only this round's ticks are kept: a run's worth would grow the heap the rounds measure.
      for (const r of recs) r.due.length = r.fired.length = r.sent.length = r.lateness.length = 0;
      writePath.takeStats();
      mark = { wait: waitMs.total, mainCpu: mainThreadCpuMs(), cpu: process.cpuUsage(), ru: process.resourceUsage(), preempted: mainThreadPreemptions(), t0: performance.now(), seq: recs.map((r) => r.session.sent.last), record: m.record };
      process.send!({ type: 'round-on' });
    } else if (m.type === 'end') {
      const wall = performance.now() - mark!.t0;
      const cpu = process.cpuUsage(mark!.cpu);
      const ru = process.resourceUsage();
      const os = { minor_faults: ru.minorPageFault - mark!.ru.minorPageFault, major_faults: ru.majorPageFault - mark!.ru.majorPageFault, preempted: mainThreadPreemptions() - mark!.preempted };
      const mainCpu = mainThreadCpuMs();
      const main = { cpu_percent: mainCpu === null || mark!.mainCpu === null ? null : ((mainCpu - mark!.mainCpu) / wall) * 100, tick_wait_percent: ((waitMs.total - mark!.wait) / wall) * 100 };
      const lateness = recs.flatMap((r) => r.lateness);
      const w = writePath.takeStats();
      const writes = { n: w.count, over1ms: w.over1ms, max_ms: w.maxMs, on_event_loop: writePath.onEventLoop };
      const pauses = gc.filter((g) => g.at >= mark!.t0);
      gc.length = 0;
      const gcReport = { n: pauses.length, total_ms: pauses.reduce((t, g) => t + g.ms, 0), max_ms: Math.max(0, ...pauses.map((g) => g.ms)), major: pauses.filter((g) => g.major).length };
      const packets = recs.reduce((s, r, i) => s + r.session.sent.last - mark!.seq[i], 0);
      let recorded: RoundReport['recorded'] = null;
      if (mark!.record) {
        const stopped = await Promise.all(recs.map((r) => server.recordings.stop(r.session.code).catch(() => null)));
        const done = stopped.filter((s) => s !== null);
        recorded = {
          recordings: done.length,
          bytes: done.reduce((s, d) => s + d!.sizeBytes, 0),
          packets: done.reduce((s, d) => s + d!.counts.packets, 0),
          predictions: done.reduce((s, d) => s + d!.counts.predictions, 0),
          failed: done.filter((d) => d!.status !== 'complete').length + (stopped.length - done.length),
          writes,
        };
        await rm(root, { recursive: true, force: true }); // a 10-s round of 64 recordings is ~40 MB
      }
      mark = null;
      const clients = recs.reduce((s, r) => s + r.session.clientCount, 0);
      process.send!({ type: 'round-off', round: { lateness, wall_ms: wall, cpu_us: cpu.user + cpu.system, packets, clients, gc: gcReport, os, main, recorded } satisfies RoundReport });
    } else if (m.type === 'close') {
      await server.close('benchmark over');
      rmSync(root, { recursive: true, force: true });
      process.exit(0);
    }
  });
  const settled = await settleMemory();
  process.send!({ type: 'listening', url: server.url, settled });
}

/** Involuntary context switches of this process's main thread (/proc: the leader's own count), else of the whole process. */
function mainThreadPreemptions(): number {
  try {
    return Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  } catch {
    return process.resourceUsage().involuntaryContextSwitches;
  }
}

/** CPU time of this process's main thread so far (ms; /proc, clock ticks of 10 ms), null off Linux. */
function mainThreadCpuMs(): number | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ what one line costs

/**
 * The recorder's own work per record, in this process with no server: a push into the typed
 * columns (what the tick and the prediction handler pay) and the drain into JSON lines (the
 * flush timer), median of 5 runs of 100,000 each.
 */
function lineCost(): { packet_push_ns: number; packet_drain_ns: number; prediction_push_ns: number; prediction_drain_ns: number } {
  const N = 100_000;
  const values = { x: NaN, y: NaN, vx: 12.345678, vy: -3.25 };
  const runs = { pp: [] as number[], pd: [] as number[], qp: [] as number[], qd: [] as number[] };
  for (let k = 0; k < 6; k++) {
    const packets = new PacketColumns();
    const preds = new PredictionColumns();
    const dec = preds.nameIndex('dec-0');
    let t = performance.now();
    for (let i = 0; i < N; i++) packets.push(i, i % 24000, i * 25.001, i % 7 === 0 ? null : i >> 6, false);
    const pp = performance.now() - t;
    const w = new LineWriter(1 << 20);
    t = performance.now();
    packets.drainTo(w);
    const pd = performance.now() - t;
    const a = w.length;
    w.clear();
    t = performance.now();
    for (let i = 0; i < N; i++) preds.push(dec, i, 'scored', i * 25.001 + 3.2, 3.2, 0.5, values);
    const qp = performance.now() - t;
    t = performance.now();
    preds.drainTo(w);
    const qd = performance.now() - t;
    const b = w.length;
    if (k === 0 || a + b === 0) continue; // the first run warms the JIT
    runs.pp.push(pp);
    runs.pd.push(pd);
    runs.qp.push(qp);
    runs.qd.push(qd);
  }
  const ns = (ms: number[]) => round((median(ms) * 1e6) / N, 0);
  return { packet_push_ns: ns(runs.pp), packet_drain_ns: ns(runs.pd), prediction_push_ns: ns(runs.qp), prediction_drain_ns: ns(runs.qd) };
}

// ------------------------------------------------------------------ the benchmark

type Variant = 'recording' | 'plain';
/** Between switching a round's variant on and the start of its measured time. */
const SWITCH_SETTLE_MS = 1000;
const GOAL_P99_RATIO = 1.2;

async function main(): Promise<void> {
  const nSessions = Number(arg('sessions') ?? 64);
  const nDecoders = Number(arg('decoders') ?? 10);
  const roundS = Number(arg('round-s') ?? 5);
  const perVariantS = Number(arg('seconds') ?? (QUICK ? 10 : 80));
  const roundsPerVariant = Math.max(1, Math.round(perVariantS / roundS));
  const warmS = QUICK ? 3 : 5;
  const log = (s: string) => process.stderr.write(`[recording] ${s}\n`);
  const machine = machineInfo();
  const cost = lineCost();
  log(`one record: packet push ${cost.packet_push_ns} ns + line ${cost.packet_drain_ns} ns; prediction push ${cost.prediction_push_ns} ns + line ${cost.prediction_drain_ns} ns`);

  const bundle = await bundleServerRole('recording-server', `import { recordingServerRole } from './recording.ts'; await recordingServerRole();`);
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, bundle, ...(arg('dir') ? ['--dir', arg('dir')!] : [])], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', openSync(join(BENCH_DIR, '.cache', 'recording-server.log'), 'w'), 'ipc'],
    serialization: 'advanced',
  });
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const request = <T>(msg: object, reply: string, ms = 120_000) => {
    const p = messageFrom<T>(child, reply, ms);
    child.send(msg);
    return p;
  };
  log('starting the server (it settles ~25 s)…');
  const { url, settled } = await messageFrom<{ url: string; settled: { waited_ms: number } }>(child, 'listening', 180_000);
  const codes = Array.from({ length: nSessions }, (_, i) => `rec-${String(i).padStart(2, '0')}`);
  await request({ type: 'sessions', codes }, 'sessions-ok');
  const specs: IngestClientSpec[] = codes.flatMap((session) => Array.from({ length: nDecoders }, (_, d) => ({ session, name: `dec-${d}`, delayMs: 0 })));
  log(`connecting ${specs.length} decoders…`);
  const clients = await spawnIngestClients(url, specs, { nice: CLIENT_NICE });
  if (clients.failed.length) throw new Error(`clients failed: ${clients.failed.slice(0, 3).join('; ')}`);

  const runRound = async (v: Variant, seconds: number) => {
    const h0 = hostSample();
    await request({ type: 'round', record: v === 'recording' }, 'round-on');
    await sleep(seconds * 1000);
    const { round: r } = await request<{ round: RoundReport }>({ type: 'end' }, 'round-off');
    return { r, host: hostUsage(h0, hostSample()) };
  };
  log(`warm-up: ${warmS} s of each`);
  await runRound('recording', warmS);
  await runRound('plain', warmS);

  const rows: Array<{ n: number; variant: Variant; p50: number; p99: number; max: number; cpu: number; ticks: number; clients: number; bytesPerS: number | null; lines: number | null; failed: number; busy: number; gc: RoundReport['gc']; os: RoundReport['os']; main: RoundReport['main']; writes: NonNullable<RoundReport['recorded']>['writes'] | null }> = [];
  const pooled: Record<Variant, number[]> = { recording: [], plain: [] };
  const watch = new LoadWatch();
  for (let k = 0; k < roundsPerVariant; k++) {
    const order: Variant[] = k % 2 === 0 ? ['recording', 'plain'] : ['plain', 'recording'];
    for (const v of order) {
      const { r, host } = await runRound(v, roundS);
      const d = dist(r.lateness);
      const row = {
        n: rows.length + 1,
        variant: v,
        p50: d.p50,
        p99: d.p99,
        max: d.max,
        cpu: round((r.cpu_us / 1000 / r.wall_ms) * 100, 1),
        ticks: r.lateness.length,
        clients: r.clients,
        bytesPerS: r.recorded ? round(r.recorded.bytes / (r.wall_ms / 1000), 0) : null,
        lines: r.recorded ? r.recorded.packets + r.recorded.predictions : null,
        failed: r.recorded?.failed ?? 0,
        busy: host.machine_busy_cores,
        gc: r.gc,
        os: r.os,
        main: r.main,
        writes: r.recorded?.writes ?? null,
      };
      rows.push(row);
      for (const x of r.lateness) pooled[v].push(x);
      log(`round ${row.n} ${v}: ${row.clients} decoders, lateness p50/p99/max ${fmt(row.p50, 3)}/${fmt(row.p99, 3)}/${fmt(row.max, 3)} ms, server CPU ${row.cpu} % (main thread ${row.main.cpu_percent === null ? '?' : fmt(row.main.cpu_percent, 1)} %, tick wait ${fmt(row.main.tick_wait_percent, 1)} %), GC ${row.gc.n} (max ${fmt(row.gc.max_ms, 1)} ms, ${row.gc.major} major), ${row.os.minor_faults} page faults, preempted ${row.os.preempted}×${r.recorded ? `, wrote ${fmt(row.bytesPerS! / 1e6, 2)} MB/s, ${r.recorded.writes.on_event_loop ? `on the event loop (${r.recorded.writes.n} writes, ${r.recorded.writes.over1ms} over 1 ms, slowest ${fmt(r.recorded.writes.max_ms, 2)} ms)` : 'through the thread pool'}` : ''}`);
    }
  }
  const load = watch.end([process.pid, child.pid!, clients.child.pid!]);
  const results = await stopClients(clients);
  child.send({ type: 'close' });
  await exited;

  const of = (v: Variant) => rows.filter((r) => r.variant === v);
  const med = (v: Variant, f: (r: (typeof rows)[number]) => number) => median(of(v).map(f));
  const S = (v: Variant) => ({ p50: med(v, (r) => r.p50), p99: med(v, (r) => r.p99), max: med(v, (r) => r.max), cpu: med(v, (r) => r.cpu), pooled: dist(pooled[v]) });
  const gcLine = (v: Variant) => `${fmt(med(v, (r) => r.gc.n), 0)}, ${fmt(med(v, (r) => r.gc.total_ms), 1)}, ${fmt(med(v, (r) => r.gc.max_ms), 1)}, ${fmt(med(v, (r) => r.gc.major), 0)}`;
  const mainLine = (v: Variant) => `${of(v)[0].main.cpu_percent === null ? '–' : fmt(med(v, (r) => r.main.cpu_percent!), 1)}; ${fmt(med(v, (r) => r.main.tick_wait_percent), 1)}`;
  const osLine = (v: Variant) => `${fmt(med(v, (r) => r.os.preempted), 0)}; ${fmt(med(v, (r) => r.os.minor_faults), 0)}`;
  const writesLine = () => {
    const w = of('recording').map((r) => r.writes!);
    return `${fmt(median(w.map((x) => x.n)), 0)}, ${fmt(median(w.map((x) => x.over1ms)), 0)}, ${fmt(median(w.map((x) => x.max_ms)), 2)} (longest of all ${fmt(Math.max(...w.map((x) => x.max_ms)), 2)}); ${w.filter((x) => !x.on_event_loop).length} of ${w.length}`;
  };
  const R = S('recording');
  const P = S('plain');
  // The verdict is the median over neighbouring pairs (one round of each, back to back): the
  // host's speed drifts over minutes on this shared machine, and a pair shares its moment.
  const pairRatios = Array.from({ length: roundsPerVariant }, (_, k) => {
    const pair = rows.slice(2 * k, 2 * k + 2);
    return pair.find((r) => r.variant === 'recording')!.p99 / pair.find((r) => r.variant === 'plain')!.p99;
  });
  // What recording costs in CPU, pair by pair: the host's drift cancels within a pair.
  const pairCpu = Array.from({ length: roundsPerVariant }, (_, k) => {
    const pair = rows.slice(2 * k, 2 * k + 2);
    return pair.find((r) => r.variant === 'recording')!.cpu - pair.find((r) => r.variant === 'plain')!.cpu;
  });
  const ratio = median(pairRatios);
  const ratioOfMedians = R.p99 / P.p99;
  const ratioPooled = R.pooled.p99 / P.pooled.p99;
  const gaps = results.clients.reduce((s, c) => s + c.gaps, 0);
  const failed = rows.reduce((s, r) => s + r.failed, 0);
  const bytes = median(of('recording').map((r) => r.bytesPerS!));

  const md = [
    '# Recording benchmark',
    '',
    machineLine(machine),
    '',
    `One server process as \`phantomlink serve\` runs (bundled, plain Node, \`${SERVER_V8_FLAGS.join(' ')}\`; settled ${Math.round(settled.waited_ms / 1000)} s after start). ${nSessions} sessions playing at 1× (40 Hz) the whole time, ${nDecoders} MessagePack decoders each (${specs.length} clients in one process at nice ${CLIENT_NICE}, bench/ingest-clients.ts), every decoder answering every packet at once: ${fmt((nSessions * nDecoders * 40) / 1000, 1)} k predictions/s. Rounds of ${roundS} s alternate **recording** (all ${nSessions} sessions recorded into ${arg('dir') ?? 'bench/.cache'}, started ${SWITCH_SETTLE_MS / 1000} s before the measured time and stopped after it; plain rounds also wait ${SWITCH_SETTLE_MS / 1000} s after the switch) and **plain** (none), ${roundsPerVariant} of each after ${warmS} s of warm-up each, order R P P R…; the goal's ratio is the median over the ${roundsPerVariant} neighbouring pairs of rounds (each pair's recording p99 ÷ its plain p99), the other figures medians over rounds.`,
    '',
    loadLine(load),
    '',
    '## Goal',
    '',
    mdTable(
      ['goal', 'recording', 'plain', 'ratio', 'verdict'],
      [[`send lateness p99, recording ÷ plain ≤ ${GOAL_P99_RATIO} (median over pairs of rounds)`, `${fmt(R.p99, 3)} ms`, `${fmt(P.p99, 3)} ms`, `**${fmt(ratio, 2)}**`, metOrNot(ratio <= GOAL_P99_RATIO)]],
    ),
    '',
    `Each pair's ratio, in order: ${pairRatios.map((r) => fmt(r, 2)).join(', ')}. Ratio of the medians over rounds ${fmt(ratioOfMedians, 2)}; of every tick pooled ${fmt(ratioPooled, 2)}.`,
    '',
    '## Side by side (medians over rounds)',
    '',
    mdTable(
      ['measure', 'recording', 'plain'],
      [
        ['send lateness p50 / p99 / max (ms), median over rounds', `${fmt(R.p50, 3)} / ${fmt(R.p99, 3)} / ${fmt(R.max, 3)}`, `${fmt(P.p50, 3)} / ${fmt(P.p99, 3)} / ${fmt(P.max, 3)}`],
        ['send lateness p50 / p99 / max (ms), every tick pooled', `${fmt(R.pooled.p50, 3)} / ${fmt(R.pooled.p99, 3)} / ${fmt(R.pooled.max, 3)}`, `${fmt(P.pooled.p50, 3)} / ${fmt(P.pooled.p99, 3)} / ${fmt(P.pooled.max, 3)}`],
        ['server CPU, % of one core', fmt(R.cpu, 1), fmt(P.cpu, 1)],
        ['server CPU, recording − plain, median over pairs (points of one core)', fmt(median(pairCpu), 1), ''],
        ['server main thread: CPU %; asleep in the tick scheduler\'s precise wait, % of the time', mainLine('recording'), mainLine('plain')],
        ['server GC pauses a round: n, total ms, longest ms, major', gcLine('recording'), gcLine('plain')],
        ['server main thread preempted a round (involuntary context switches); page faults', osLine('recording'), osLine('plain')],
        ['written to disk', `${fmt(bytes / 1e6, 2)} MB/s`, '–'],
        ['log writes on the event loop a round: n, over 1 ms, slowest ms; rounds that ended in the thread pool', writesLine(), '–'],
        ['decoders connected at the end of a round (of ' + specs.length + '), fewest', String(Math.min(...of('recording').map((r) => r.clients))), String(Math.min(...of('plain').map((r) => r.clients)))],
        ['recordings that failed; sequence gaps seen by the clients', `${failed}; ${gaps} (both variants)`, ''],
      ],
    ),
    '',
    '## What one record costs (this process, no server)',
    '',
    mdTable(
      ['record', 'push (tick / prediction handler)', 'its JSON line, written into a reused buffer (flush timer)'],
      [
        ['packet', `${cost.packet_push_ns} ns`, `${cost.packet_drain_ns} ns`],
        ['prediction', `${cost.prediction_push_ns} ns`, `${cost.prediction_drain_ns} ns`],
      ],
    ),
    '',
    '## Rounds',
    '',
    mdTable(
      ['round', 'variant', 'decoders', 'ticks', 'p50 ms', 'p99 ms', 'max ms', 'server CPU %', 'GC pauses: n, total / max ms, major', 'page faults (minor, major)', 'preempted', 'MB/s written', 'machine busy cores'],
      rows.map((r) => [r.n, r.variant, r.clients, r.ticks, fmt(r.p50, 3), fmt(r.p99, 3), fmt(r.max, 3), fmt(r.cpu, 1), `${r.gc.n}, ${fmt(r.gc.total_ms, 1)} / ${fmt(r.gc.max_ms, 1)}, ${r.gc.major}`, `${r.os.minor_faults}, ${r.os.major_faults}`, r.os.preempted, r.bytesPerS === null ? '–' : fmt(r.bytesPerS / 1e6, 2), fmt(r.busy, 2)]),
    ),
  ].join('\n');
  const path = writeResults('recording', md, { machine, line_cost: cost, sessions: nSessions, decoders: nDecoders, round_s: roundS, recording: R, plain: P, p99_ratio: round(ratio, 3), pair_ratios: pairRatios.map((r) => round(r, 3)), p99_ratio_of_medians: round(ratioOfMedians, 3), p99_ratio_pooled: round(ratioPooled, 3), bytes_per_s: bytes, failed, gaps, rows });
  log(`wrote ${path}`);
  process.stdout.write(`${md}\n`);
}

if (import.meta.filename === process.argv[1]) await main();
