/**
 * Timing benchmark: 10 sessions × 10 MessagePack clients on loopback.
 *
 *   node --max-semi-space-size=4 --import tsx bench/timing.ts [--quick] [--seconds N] [--sessions 10] [--per 10] [--phase aligned|spread] [--bin-ms 25]
 *
 * `--bin-ms 5|10|20|50` runs the sessions at another bin width (200, 100, 50, 20 packets a
 * second); its results go to bench/results/timing-<width>ms.md unless --out says otherwise.
 *
 * The server (Engine with the built-in `default` recording + startServer on a free port) runs in
 * this process; the clients run in a separate process (bench/timing-clients.ts) and check every
 * packet. Sessions are created paused, every client connects and gets its metadata, then all
 * sessions start playing: `aligned` (default) starts them in one loop, so all their deadlines
 * coincide every tick (the worst case: their ticks queue behind each other); `spread` starts
 * session i at i · 25 ms / sessions.
 *
 * Send lateness is the session's own measure (sent − due, what /metrics reports): every value the
 * session records into `session.lateness` is captured by wrapping that one instance's `record`,
 * so nothing falls out of DurationWindow's 60 s window. The clock's tick (due, fired) is captured
 * too, to split lateness into timer wake-up (fired − due) and the tick's work (sent − fired).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setPriority } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { Engine } from '../src/main/playback/engine.ts';
import { startServer } from '../src/main/server.ts';
import { BIN_MS } from '../src/shared/bins.ts';
import type { ClientReport } from './timing-clients.ts';
import { instrument, type SessionRecord as FanoutRecord } from './fanout.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, arg, dist, fmt, machineInfo, machineLine, mdTable, median, metOrNot, monoOffset, round, writeResults, hostSample, hostUsage, type Dist } from './lib.ts';

const SECONDS = Number(arg('seconds') ?? (QUICK ? 10 : 60));
const SESSIONS = Number(arg('sessions') ?? 10);
const PER = Number(arg('per') ?? 10);
const PHASE = (arg('phase') ?? 'aligned') as 'aligned' | 'spread';
/** Bin width of every session (ms); the packet period at 1×. */
const BIN = Number(arg('bin-ms') ?? BIN_MS);
/** Optional OS priority (nice value, e.g. -10; needs root) for server and client processes: a diagnostic, off by default. */
const PRIORITY = arg('priority') !== undefined ? Number(arg('priority')) : null;
/**
 * Ticks whose median is taken at each end of the run for the drift figures: 5 s at 40 Hz
 * (2 s in a quick run). Medians, so a single late packet at either end does not pass for drift.
 */
const EDGE = QUICK ? 80 : 200;

const GOAL = { p99Ms: 1, maxMs: 5, driftMs: 1 };

interface SessionRecord extends FanoutRecord {
  order: number;
}

/** Median of the last EDGE values minus median of the first EDGE values: does it fall behind? */
function edgeDrift(values: number[]): number {
  if (values.length < 2 * EDGE) return NaN;
  return median(values.slice(-EDGE)) - median(values.slice(0, EDGE));
}

/** Least-squares slope of lateness against due time, ms per minute: a clock that falls behind has a positive slope. */
function slopePerMinute(t: number[], y: number[]): number {
  const n = t.length;
  let mt = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mt += t[i] / n;
    my += y[i] / n;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (t[i] - mt) * (y[i] - my);
    den += (t[i] - mt) ** 2;
  }
  return den > 0 ? (num / den) * 60_000 : NaN;
}

function distRow(label: string, d: Dist, digits = 3): string[] {
  return [label, fmt(d.n, 0), fmt(d.p50, digits), fmt(d.p99, digits), fmt(d.max, digits)];
}

async function main(): Promise<void> {
  const machine = machineInfo();
  if (PRIORITY !== null) setPriority(PRIORITY);
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { port: 0 });
  const wsUrl = server.url.replace(/^http/, 'ws');

  const codes = Array.from({ length: SESSIONS }, (_, i) => `bench-${i}`);
  const records = codes.map((c, i) => Object.assign(instrument(engine.sessions.create(c, undefined, { paused: true, bin_ms: BIN })), { order: i }));

  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'timing-clients.ts'), '--url', wsUrl, '--sessions', codes.join(','), '--per', String(PER), ...(PRIORITY !== null ? ['--priority', String(PRIORITY)] : [])], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const childExit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const fromChild = (type: string, timeoutMs: number) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client process: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const onMsg = (m: any) => {
        if (m?.type !== type) return;
        clearTimeout(t);
        child.off('message', onMsg);
        resolve(m);
      };
      child.on('message', onMsg);
      void childExit.then((code) => reject(new Error(`client process exited (${code}) before "${type}"`)));
    });

  await fromChild('ready', 30_000);
  for (const r of records) {
    if (r.session.clientCount !== PER) throw new Error(`session ${r.session.code} has ${r.session.clientCount} clients, expected ${PER}`);
  }

  // ---- the run
  const gcPauses: number[] = [];
  const gcSpans: Array<[number, number]> = [];
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPauses.push(e.duration);
      gcSpans.push([e.startTime, e.startTime + e.duration]);
    }
  });
  gcObs.observe({ entryTypes: ['gc'] });
  const host0 = hostSample();
  const ru0 = process.resourceUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (PHASE === 'aligned') {
    for (const r of records) r.session.play();
  } else {
    // Place each session's deadlines evenly in the period. Poll with setImmediate, never a
    // blocking loop: sessions already started must not be held up by the start-up itself.
    await new Promise<void>((resolve) => {
      let next = 0;
      const step = () => {
        while (next < records.length && performance.now() >= t0 + (next * BIN) / SESSIONS) records[next++].session.play();
        if (next < records.length) setImmediate(step);
        else resolve();
      };
      step();
    });
  }
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  for (const r of records) r.session.pause();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const ru1 = process.resourceUsage();
  const host = hostUsage(host0, hostSample());
  gcObs.disconnect();
  const windowSummaries = records.map((r) => r.session.lateness.summary(performance.now()));
  const packetsSent = records.map((r) => r.session.state().packets_sent);
  const reanchors = records.map((r) => r.session.clockReanchors);
  const serverOffset = monoOffset();

  await new Promise((resolve) => setTimeout(resolve, 300)); // let the last packets land
  child.send({ type: 'stop' });
  const results = (await fromChild('results', 30_000)) as { clients: ClientReport[]; cpu: { userUs: number; systemUs: number; wallMs: number }; monoOffsetMs: number };
  await childExit;
  await server.close('benchmark over');

  // ---- server side
  for (const r of records) {
    if (r.due.length !== r.lateness.length) throw new Error(`session ${r.session.code}: ${r.due.length} ticks but ${r.lateness.length} lateness records`);
  }
  const allLate = records.flatMap((r) => r.lateness);
  const wake = records.flatMap((r) => r.fired.map((f, i) => f - r.due[i]));
  const work = records.flatMap((r) => r.sent.map((s, i) => s - r.fired[i]));
  const late = dist(allLate);
  const wakeD = dist(wake);
  const workD = dist(work);
  const perSession = records.map((r) => ({
    code: r.session.code,
    order: r.order,
    packets: r.lateness.length,
    lateness: dist(r.lateness),
    work: dist(r.sent.map((s, i) => s - r.fired[i])),
    drift_ms: edgeDrift(r.lateness),
    drift_raw_ms: r.lateness[r.lateness.length - 1] - r.lateness[0],
    slope_ms_per_min: slopePerMinute(r.due, r.lateness),
    reanchors: reanchors[r.order],
    window_summary: windowSummaries[r.order],
  }));
  const serverDriftMax = Math.max(...perSession.map((s) => Math.abs(s.drift_ms)));
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  const expectedTicks = Math.floor(wallMs / BIN);
  const over1 = allLate.filter((v) => v > 1).length;
  const over5 = allLate.filter((v) => v > 5).length;

  // ---- client side
  const dueBySession = new Map(records.map((r) => [r.session.code, r.due]));
  const clients = results.clients;
  const intervals: number[] = [];
  const receiveLatency: number[] = [];
  const clientDrift: number[] = [];
  const clientDriftRaw: number[] = [];
  let missing = 0;
  let gaps = 0;
  let outOfOrder = 0;
  let binJumps = 0;
  let other = 0;
  let startMissed = 0;
  let endMissed = 0;
  let closedEarly = 0;
  let errors = 0;
  for (const c of clients) {
    missing += c.missing;
    gaps += c.gaps;
    outOfOrder += c.outOfOrder;
    binJumps += c.binJumps;
    other += c.otherMessages;
    errors += c.errors.length;
    if (c.closed) closedEarly++;
    const sent = packetsSent[codes.indexOf(c.session)];
    if (c.seq[0] !== 0) startMissed++;
    if (c.seq[c.seq.length - 1] !== sent - 1) endMissed++;
    const due = dueBySession.get(c.session)!;
    const lat: number[] = [];
    const rel: number[] = [];
    for (let i = 0; i < c.seq.length; i++) {
      if (i > 0) intervals.push(c.arrival[i] - c.arrival[i - 1]);
      lat.push(c.arrival[i] + results.monoOffsetMs - (due[c.seq[i]] + serverOffset));
      rel.push(c.arrival[i] - c.seq[i] * BIN);
    }
    receiveLatency.push(...lat);
    clientDrift.push(edgeDrift(rel));
    const n = c.seq.length - 1;
    clientDriftRaw.push(c.arrival[n] - c.arrival[0] - (c.seq[n] - c.seq[0]) * BIN);
  }
  const intervalsD = dist(intervals);
  const latencyD = dist(receiveLatency);
  const clientDriftMax = Math.max(...clientDrift.map(Math.abs));
  const clientDriftRawD = dist(clientDriftRaw.map(Math.abs));
  const totalReceived = clients.reduce((s, c) => s + c.packets, 0);
  const totalExpected = clients.reduce((s, c) => s + packetsSent[codes.indexOf(c.session)], 0);
  const childCpuPct = ((results.cpu.userUs + results.cpu.systemUs) / 1000 / results.cpu.wallMs) * 100;

  const gcD = dist(gcPauses);
  // Late ticks (> 5 ms) that overlap a GC pause in the server: GC explains those.
  let late5 = 0;
  let late5Gc = 0;
  let late1 = 0;
  let late1Gc = 0;
  for (const r of records) {
    for (let i = 0; i < r.lateness.length; i++) {
      if (r.lateness[i] <= 1) continue;
      const gc = gcSpans.some(([a, b]) => a < r.sent[i] && b > r.due[i]);
      late1++;
      if (gc) late1Gc++;
      if (r.lateness[i] <= 5) continue;
      late5++;
      if (gc) late5Gc++;
    }
  }
  // Aligned sessions share deadlines: tick n of every session forms one burst, served one after
  // another. First served = timer precision + one session's work; last served = the whole burst.
  let burst: { first: Dist; last: Dist; spread: Dist } | null = null;
  if (PHASE === 'aligned') {
    const n = Math.min(...records.map((r) => r.lateness.length));
    const first: number[] = [];
    const last: number[] = [];
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of records) {
        lo = Math.min(lo, r.lateness[i]);
        hi = Math.max(hi, r.lateness[i]);
      }
      first.push(lo);
      last.push(hi);
    }
    burst = { first: dist(first), last: dist(last), spread: dist(last.map((v, i) => v - first[i])) };
  }
  const involuntary = ru1.involuntaryContextSwitches - ru0.involuntaryContextSwitches;
  const voluntary = ru1.voluntaryContextSwitches - ru0.voluntaryContextSwitches;
  const ownCores = (cpu.user + cpu.system) / 1000 / wallMs + (results.cpu.userUs + results.cpu.systemUs) / 1000 / results.cpu.wallMs;
  const othersCores = host.machine_busy_cores - ownCores;
  // Lateness over time: how many 1 s windows had a tick over 5 ms late (is it a start-up effect or all along?).
  const seconds = Math.ceil(wallMs / 1000);
  const worstBySecond = new Array<number>(seconds).fill(0);
  for (const r of records) {
    for (let i = 0; i < r.lateness.length; i++) {
      const sec = Math.min(seconds - 1, Math.floor((r.due[i] - t0) / 1000));
      worstBySecond[sec] = Math.max(worstBySecond[sec], r.lateness[i]);
    }
  }
  const secondsOver5 = worstBySecond.filter((v) => v > 5).length;
  const secondsOver1 = worstBySecond.filter((v) => v > 1).length;
  const goals = {
    p99: late.p99 <= GOAL.p99Ms,
    max: late.max <= GOAL.maxMs,
    drift: serverDriftMax < GOAL.driftMs && clientDriftMax < GOAL.driftMs,
  };

  const md = [
    `# Timing benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Run: ${SESSIONS} sessions × ${PER} MessagePack clients (${SESSIONS * PER} sockets) at ${BIN} ms bins (${fmt(1000 / BIN, 0)} packets/s each) on loopback for ${fmt(wallMs / 1000, 1)} s, ` +
      `built-in \`default\` recording (${engine.dataset.numUnits} channels). Server (Engine + startServer) in the benchmark process, ` +
      `clients in a separate Node process on the same ${machine.cpus} cores. Session start: **${PHASE}** ` +
      (PHASE === 'aligned' ? '(all sessions started in one loop: the worst case; the TickScheduler gives each a phase slot, 5 slots per period).' : `(session i starts at i × ${fmt(BIN / SESSIONS, 1)} ms).`) +
      ' Clock settings: the engine defaults.',
    '',
    '## Goals',
    '',
    mdTable(
      ['goal', 'measured', 'verdict'],
      [
        [`send lateness p99 ≤ ${GOAL.p99Ms} ms`, `${fmt(late.p99, 3)} ms`, metOrNot(goals.p99)],
        [`send lateness max ≤ ${GOAL.maxMs} ms`, `${fmt(late.max, 3)} ms`, metOrNot(goals.max)],
        [
          `drift < ${GOAL.driftMs} ms over the run`,
          `server ${fmt(serverDriftMax, 3)} ms, clients ${fmt(clientDriftMax, 3)} ms (worst session / client; median of the last ${EDGE} packets minus the first ${EDGE})`,
          metOrNot(goals.drift),
        ],
      ],
    ),
    '',
    '## Server: send lateness (sent − due, ms; the value each session records for /metrics), all sessions pooled',
    '',
    mdTable(['measure', 'ticks', 'p50', 'p99', 'max'], [distRow('send lateness (sent − due)', late), distRow('timer wake-up (fired − due)', wakeD), distRow('tick work: build + encode + send to clients (sent − fired)', workD)]),
    '',
    `Ticks over 1 ms late: ${over1} of ${late.n} (${fmt((over1 / late.n) * 100, 2)} %); over 5 ms: ${over5}. ` +
      `Expected ≈ ${expectedTicks} ticks per session from the wall time; recorded ${perSession.map((s) => s.packets).join(', ')}. Clock re-anchors: ${reanchors.reduce((a, b) => a + b, 0)}.`,
    '',
    `Server CPU over the run: ${fmt(cpuPct, 1)} % of one core (user ${fmt(cpu.user / 1000 / wallMs * 100, 1)} %, system ${fmt(cpu.system / 1000 / wallMs * 100, 1)} %). ` +
      `GC pauses in the server during the run: ${gcD.n}, p50 ${fmt(gcD.p50, 2)} ms, max ${fmt(gcD.max, 2)} ms. Client process CPU: ${fmt(childCpuPct, 1)} %.`,
    '',
    `Where the late ticks come from: of the ticks over 1 ms late, ${late1Gc} of ${late1} overlap a GC pause in the server (between due and sent); over 5 ms late, ${late5Gc} of ${late5}. ` +
      `Seconds of the run whose worst tick was over 1 ms / over 5 ms late: ${secondsOver1} / ${secondsOver5} of ${seconds}. ` +
      `The machine during the run: ${fmt(host.machine_busy_cores, 2)} of ${machine.cpus} cores busy (${fmt(host.machine_busy_percent, 1)} %), ` +
      `of which this benchmark's two processes ${fmt(ownCores, 2)} and **other processes ≈ ${fmt(othersCores, 2)} cores**; ` +
      `CPU pressure (PSI "some": time a runnable task waited for a core) ${host.cpu_pressure_some_percent === null ? 'n/a' : `${fmt(host.cpu_pressure_some_percent, 1)} %`}; ` +
      `server involuntary context switches ${involuntary} (voluntary ${voluntary})` +
      (PRIORITY !== null ? `; server and clients ran at nice ${PRIORITY}.` : '.'),
    '',
    ...(burst
      ? [
          '### Bursts: sessions due at the same moment, served one after another',
          '',
          mdTable(
            ['per burst (ms)', 'bursts', 'p50', 'p99', 'max'],
            [
              distRow('first session served (timer + its own work)', burst.first),
              distRow('last session served (the whole burst)', burst.last),
              distRow('last − first (queueing behind the other sessions)', burst.spread),
            ],
          ),
          '',
        ]
      : []),
    '### Per session (in start order)',
    '',
    mdTable(
      ['session', 'ticks', 'lateness p50', 'p99', 'max', 'work p50', 'work p99', `drift (last ${EDGE} − first ${EDGE})`, 'drift (last − first tick)', 'trend (ms/min)', 'DurationWindow.summary() p50 / p99 / max'],
      perSession.map((s) => [
        s.code,
        s.packets,
        fmt(s.lateness.p50, 3),
        fmt(s.lateness.p99, 3),
        fmt(s.lateness.max, 3),
        fmt(s.work.p50, 3),
        fmt(s.work.p99, 3),
        fmt(s.drift_ms, 3),
        fmt(s.drift_raw_ms, 3),
        fmt(s.slope_ms_per_min, 3),
        `${fmt(s.window_summary.p50_ms, 3)} / ${fmt(s.window_summary.p99_ms, 3)} / ${fmt(s.window_summary.max_ms, 3)} (n=${s.window_summary.count})`,
      ]),
    ),
    '',
    '## Clients (separate process)',
    '',
    mdTable(
      ['check', 'result'],
      [
        ['data packets received / expected (every client, every packet its session sent)', `${totalReceived} / ${totalExpected}`],
        ['sequence gaps (packets missing)', `${gaps} (${missing})`],
        ['out of order', String(outOfOrder)],
        ['bin_index not previous + 1', String(binJumps)],
        ['clients missing the first / last packet', `${startMissed} / ${endMissed}`],
        ['non-data messages after metadata, socket errors, early closes', `${other}, ${errors}, ${closedEarly}`],
      ],
    ),
    '',
    mdTable(
      ['measure (ms)', 'n', 'p50', 'p99', 'max'],
      [
        distRow('receive gap (arrival − previous arrival)', intervalsD),
        distRow('receive latency (arrival − due; CLOCK_MONOTONIC across processes)', latencyD),
        distRow('client drift |(arrival n − arrival 0) − n·25 ms| at the end, per client', clientDriftRawD),
      ],
    ),
    '',
    `Client drift, robust (median of (arrival − n·${BIN} ms) over the last ${EDGE} packets minus the first ${EDGE}), per client: ` +
      `median ${fmt(median(clientDrift), 3)} ms, worst ${fmt(clientDriftMax, 3)} ms.`,
  ].join('\n');

  console.log(md);
  const file = writeResults(BIN === BIN_MS ? 'timing' : `timing-${BIN}ms`, md, {
    benchmark: 'timing',
    quick: QUICK,
    machine,
    config: { seconds: SECONDS, sessions: SESSIONS, clients_per_session: PER, bin_ms: BIN, phase: PHASE, priority: PRIORITY, drift_edge_ticks: EDGE, wall_ms: round(wallMs, 1) },
    goals: { ...GOAL, met: goals },
    host: { ...host, own_cores: round(ownCores, 3), others_cores: round(othersCores, 3) },
    server: {
      lateness_ms: late,
      wake_ms: wakeD,
      work_ms: workD,
      ticks_over_1ms: over1,
      ticks_over_5ms: over5,
      drift_max_ms: serverDriftMax,
      cpu_percent: round(cpuPct, 2),
      involuntary_context_switches: involuntary,
      voluntary_context_switches: voluntary,
      late_over_5ms_overlapping_gc: late5Gc,
      late_over_1ms: late1,
      late_over_1ms_overlapping_gc: late1Gc,
      aligned_bursts_ms: burst,
      worst_lateness_by_second_ms: worstBySecond.map((v) => round(v, 3)),
      cpu_user_percent: round((cpu.user / 1000 / wallMs) * 100, 2),
      cpu_system_percent: round((cpu.system / 1000 / wallMs) * 100, 2),
      gc_pauses_ms: gcD,
      per_session: perSession,
    },
    clients: {
      received: totalReceived,
      expected: totalExpected,
      gaps,
      missing,
      out_of_order: outOfOrder,
      bin_jumps: binJumps,
      start_missed: startMissed,
      end_missed: endMissed,
      other_messages: other,
      errors,
      closed_early: closedEarly,
      receive_gap_ms: intervalsD,
      receive_latency_ms: latencyD,
      drift_robust_ms: { median: median(clientDrift), worst: clientDriftMax },
      drift_raw_abs_ms: clientDriftRawD,
      cpu_percent: round(childCpuPct, 2),
    },
  }, {
    // Per tick, per session: due, fired and sent (performance.now() ms of the server) and lateness.
    sessions: Object.fromEntries(records.map((r) => [r.session.code, { due: r.due, fired: r.fired, sent: r.sent, lateness: r.lateness }])),
    gc_spans_ms: gcSpans,
  });
  console.log(`\nwrote ${file}`);
}

await main();
