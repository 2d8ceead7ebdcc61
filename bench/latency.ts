/**
 * Latency accuracy benchmark: does the scoreboard's round-trip latency measure what a decoder
 * takes? Decoders answer every packet after a known, injected delay; the server's measured
 * latency (p50 on `GET /api/sessions/{code}/decoders`) is compared with it.
 *
 *   node --import tsx bench/latency.ts [--quick] [--delays 0,5,10,20] [--rounds 3] [--round-s 10] [--client-nice 0]
 *
 * The server is the one bench/ingest.ts uses: one process as `phantomlink serve` runs (the CLI's
 * wiring bundled by esbuild, plain Node, the product's V8 flags), one session per delay
 * (`lat-<D>ms`). One client process (bench/ingest-clients.ts, nice 0 unless `--client-nice`: it
 * is the instrument here) holds one MessagePack decoder per session, named `delay-<D>ms`, which
 * answers each data packet D ms after it arrived: it waits with setTimeout to ~1.5 ms before the
 * moment, Atomics.wait to 0.2 ms before it, then spins; then it encodes and sends the prediction
 * (D = 0: at once, in the message handler). Its `latency_ms` field reports its own arrival → send
 * time, which the scoreboard shows as `reported_p50`.
 *
 * Only one session plays at a time: `--rounds` rounds, each playing every delay for `--round-s`
 * seconds, in an order rotated every round, after a warm-up of each; the scores are reset after
 * the warm-up (`POST …/decoders/reset`), so the scoreboard holds the measured rounds only.
 *
 * What the server measures (SessionScoring.predict): latency = the prediction's arrival in the
 * stream handler − the packet's send time in the session's SentLog (taken just before the
 * packet's first socket write), both performance.now() of the server. So it includes, besides the
 * decoder's own time: leg 1 (the server's write, loopback, the client's WebSocket parsing up to its
 * message event) and leg 2 (the client's send, loopback, the server's WebSocket parsing up to the
 * handler). Both processes' times are converted to CLOCK_MONOTONIC (bench/lib.ts monoOffset), and
 * the server reports every packet's send time and every prediction's arrival (its SentLog.record
 * and SessionScoring.predict wrapped on that session), so each prediction's latency is split
 * exactly into leg 1 + the decoder's time + leg 2. The scoreboard's p50 is read from a log-scale
 * histogram (bins ±2.5 % wide); the exact p50 of the same values is given beside it. Last, with every session
 * paused, one decoder times `ping` control messages to their `status` answer: the client's own
 * WebSocket round trip on loopback.
 */
import { QUICK, SERVER_V8_FLAGS, arg, dist, fmt, hostSample, hostUsage, machineInfo, machineLine, mdTable, median, round, writeResults, type Dist } from './lib.ts';
import { LoadWatch, loadLine, sleep } from './fanout.ts';
import { closeServer, scoreboard, spawnIngestClients, spawnServerProcess, stopClients, type ServerCapture, type ServerRound } from './ingest.ts';
import type { IngestClientSpec } from './ingest-clients.ts';

const log = (s: string) => console.error(`[latency] ${s}`);

interface DelayResult {
  injected_ms: number;
  session: string;
  decoder: string;
  predictions: number;
  scoreboard: { count: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null; reported_p50_ms: number | null };
  /** Every prediction of the measured rounds, as the server measured it (arrival − send), exact. */
  server_exact_ms: Dist;
  /** Its parts, per prediction (CLOCK_MONOTONIC across the two processes). */
  leg1_ms: Dist;
  decoder_ms: Dist;
  leg2_ms: Dist;
  /** scoreboard p50 − injected; exact p50 − injected. */
  error_scoreboard_ms: number | null;
  error_exact_ms: number;
  packets_received: number;
  gaps: number;
  other_messages: number;
}

async function main(): Promise<void> {
  const delays = (arg('delays') ?? '0,5,10,20').split(',').map(Number);
  const roundsN = Number(arg('rounds') ?? (QUICK ? 1 : 3));
  const roundS = Number(arg('round-s') ?? (QUICK ? 5 : 10));
  const warmS = QUICK ? 1 : 3;
  const nice = Number(arg('client-nice') ?? 0);
  const pingCount = QUICK ? 50 : 200;
  const machine = machineInfo();
  const codeOf = (d: number) => `lat-${d}ms`;
  const nameOf = (d: number) => `delay-${d}ms`;

  log('starting the server and letting it settle (~25 s) …');
  const server = await spawnServerProcess('latency-server');
  await server.request({ type: 'sessions', codes: delays.map(codeOf), capture: true }, 'sessions-ok');
  const specs: IngestClientSpec[] = delays.map((d) => ({ session: codeOf(d), name: nameOf(d), delayMs: d }));
  const clients = await spawnIngestClients(server.url, specs, { nice, record: true });
  if (clients.failed.length) throw new Error(clients.failed.join(' | '));
  await sleep(500);

  const play = async (d: number, seconds: number) => {
    await server.request({ type: 'play', code: codeOf(d) }, 'playing');
    await sleep(seconds * 1000);
    return (await server.request<{ round: ServerRound }>({ type: 'pause', code: codeOf(d) }, 'paused')).round;
  };

  log(`warm-up: ${warmS} s of each delay, then the scores are reset`);
  const firstSeq: Record<number, number> = {};
  for (const d of delays) firstSeq[d] = (await play(d, warmS)).packets_total;
  await sleep(300);
  for (const d of delays) {
    const res = await fetch(`${server.url}/api/sessions/${codeOf(d)}/decoders/reset`, { method: 'POST' });
    if (!res.ok) throw new Error(`reset ${codeOf(d)}: ${res.status} ${await res.text()}`);
  }

  const watch = new LoadWatch();
  const h0 = hostSample();
  const t0 = performance.now();
  const rounds: Array<{ n: number; delay: number; wall_s: number; lateness_p99_ms: number; machine_busy_cores: number; psi: number | null }> = [];
  for (let k = 0; k < roundsN; k++) {
    const order = delays.map((_, i) => delays[(i + k) % delays.length]);
    for (const d of order) {
      const hb = hostSample();
      const r = await play(d, roundS);
      const host = hostUsage(hb, hostSample());
      rounds.push({ n: rounds.length + 1, delay: d, wall_s: round(r.wall_ms / 1000, 2), lateness_p99_ms: round(dist(r.lateness).p99, 3), machine_busy_cores: host.machine_busy_cores, psi: host.cpu_pressure_some_percent });
      log(`round ${k + 1}, ${d} ms: ${r.packets} packets; machine ${fmt(host.machine_busy_cores, 2)} cores, PSI ${fmt(host.cpu_pressure_some_percent, 1)} %`);
      await sleep(300);
    }
  }
  const measuredS = (performance.now() - t0) / 1000;
  const host = hostUsage(h0, hostSample());
  await sleep(1200);

  // The client's own round trip: ping → status, on a paused session, between packets of nothing.
  log(`client ping → status round trips: ${pingCount}`);
  const { rttMs } = await clients.request<{ rttMs: number[] }>({ type: 'pings', client: 0, count: pingCount, intervalMs: 20 }, 'pings', 60_000);
  const load = watch.end([process.pid, server.child.pid!, clients.child.pid!]);

  const boards = Object.fromEntries(await Promise.all(delays.map(async (d) => [d, await scoreboard(server.url, codeOf(d))] as const)));
  const captures: Record<number, ServerCapture> = {};
  for (const d of delays) captures[d] = (await server.request<{ capture: ServerCapture }>({ type: 'capture', code: codeOf(d) }, 'capture')).capture;
  const { clients: cr, monoOffsetMs: clientOff } = await stopClients(clients);
  await closeServer(server);

  const results: DelayResult[] = delays.map((d, i) => {
    const cap = captures[d];
    const c = cr[i];
    const row = boards[d].find((x) => x.name === nameOf(d));
    const sentAt = new Map<number, number>();
    for (let j = 0; j < cap.sentSeq.length; j++) sentAt.set(cap.sentSeq[j], cap.sentAtMs[j] + cap.monoOffsetMs);
    const clientAt = new Map<number, [number, number]>();
    for (let j = 0; j < c.seq!.length; j++) clientAt.set(c.seq![j], [c.arrivalMs![j] + clientOff, c.sentMs![j] + clientOff]);
    const server: number[] = [];
    const leg1: number[] = [];
    const dec: number[] = [];
    const leg2: number[] = [];
    for (let j = 0; j < cap.predSeq.length; j++) {
      const seq = cap.predSeq[j];
      if (seq < firstSeq[d]) continue; // warm-up
      const sent = sentAt.get(seq);
      const cl = clientAt.get(seq);
      if (sent === undefined || !cl) continue;
      const arrival = cap.predArrivalMs[j] + cap.monoOffsetMs;
      server.push(arrival - sent);
      leg1.push(cl[0] - sent);
      dec.push(cl[1] - cl[0]);
      leg2.push(arrival - cl[1]);
    }
    const exact = dist(server);
    const p50 = row?.latency_ms.p50_ms ?? null;
    return {
      injected_ms: d,
      session: codeOf(d),
      decoder: nameOf(d),
      predictions: row?.counts.predictions ?? 0,
      scoreboard: { count: row?.latency_ms.count ?? 0, p50_ms: p50, p99_ms: row?.latency_ms.p99_ms ?? null, max_ms: row?.latency_ms.max_ms ?? null, reported_p50_ms: row?.latency_ms.reported_p50 ?? null },
      server_exact_ms: exact,
      leg1_ms: dist(leg1),
      decoder_ms: dist(dec),
      leg2_ms: dist(leg2),
      error_scoreboard_ms: p50 === null ? null : round(p50 - d, 3),
      error_exact_ms: round(exact.p50 - d, 3),
      packets_received: c.packets,
      gaps: c.gaps,
      other_messages: c.otherCount,
    };
  });
  const ping = dist(rttMs);

  const f3 = (v: number | null) => fmt(v, 3);
  const md = [
    `# Latency accuracy benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `One server process as \`phantomlink serve\` runs (bundled, plain Node, \`${SERVER_V8_FLAGS.join(' ')}\`); one session per injected delay, each with one MessagePack decoder (bench/ingest-clients.ts, one process, nice ${nice}) that answers every data packet D ms after it arrived (setTimeout, Atomics.wait, then a spin to the moment). ` +
      `${roundsN} round${roundsN > 1 ? 's' : ''} × ${roundS} s per delay, one session playing at a time, order rotated each round, after ${warmS} s of warm-up each and a reset of the scores (${fmt(measuredS, 0)} s measured). ` +
      `Machine during the measured rounds: ${fmt(host.machine_busy_cores, 2)} of 2 cores busy, CPU pressure ${fmt(host.cpu_pressure_some_percent, 1)} %.`,
    '',
    loadLine(load),
    '',
    '## Measured vs injected',
    '',
    mdTable(
      ['injected (ms)', 'scoreboard p50 (ms)', 'error (ms)', 'exact p50 of the same values (ms)', 'error (ms)', 'scoreboard p99 / max (ms)', 'predictions', 'decoder\'s reported p50 (ms)'],
      results.map((r) => [
        fmt(r.injected_ms, 0),
        f3(r.scoreboard.p50_ms),
        `**${r.error_scoreboard_ms === null ? '–' : `${r.error_scoreboard_ms >= 0 ? '+' : ''}${fmt(r.error_scoreboard_ms, 3)}`}**`,
        f3(r.server_exact_ms.p50),
        `${r.error_exact_ms >= 0 ? '+' : ''}${fmt(r.error_exact_ms, 3)}`,
        `${f3(r.scoreboard.p99_ms)} / ${f3(r.scoreboard.max_ms)}`,
        fmt(r.predictions, 0),
        f3(r.scoreboard.reported_p50_ms),
      ]),
    ),
    '',
    '## What the measured latency is made of (p50 of each part, ms; every prediction of the measured rounds)',
    '',
    mdTable(
      ['injected (ms)', 'leg 1: server send → decoder\'s message event', 'decoder: message event → send (the wait, encoding)', 'leg 2: decoder\'s send → server\'s handler', 'server-measured (exact) p50 / p99', 'legs 1 + 2 (p50 + p50)'],
      results.map((r) => [fmt(r.injected_ms, 0), f3(r.leg1_ms.p50), f3(r.decoder_ms.p50), f3(r.leg2_ms.p50), `${f3(r.server_exact_ms.p50)} / ${f3(r.server_exact_ms.p99)}`, f3(r.leg1_ms.p50 + r.leg2_ms.p50)]),
    ),
    '',
    `The client's own round trip (\`ping\` → \`status\` on a paused session, ${ping.n} pings, timed in the decoder's process): p50 ${f3(ping.p50)} ms, p99 ${f3(ping.p99)} ms, max ${f3(ping.max)} ms.`,
    '',
    '## Checks',
    '',
    mdTable(
      ['injected (ms)', 'packets received', 'gaps', 'messages other than data (e.g. refusals)', 'predictions on the scoreboard / values captured'],
      results.map((r) => [fmt(r.injected_ms, 0), fmt(r.packets_received, 0), r.gaps, r.other_messages, `${fmt(r.predictions, 0)} / ${fmt(r.server_exact_ms.n, 0)}`]),
    ),
    '',
    '## Rounds',
    '',
    mdTable(['#', 'delay (ms)', 's', 'server send lateness p99 (ms)', 'machine busy cores', 'PSI %'], rounds.map((r) => [r.n, r.delay, fmt(r.wall_s, 1), f3(r.lateness_p99_ms), fmt(r.machine_busy_cores, 2), fmt(r.psi, 1)])),
  ].join('\n');
  console.log(md);
  const file = writeResults('latency', md, {
    benchmark: 'latency',
    quick: QUICK,
    machine,
    config: { delays, rounds: roundsN, round_s: roundS, warm_up_s: warmS, client_nice: nice, server_v8_flags: SERVER_V8_FLAGS, pings: pingCount },
    settled: server.settled,
    load,
    host,
    delays: results,
    ping_rtt_ms: ping,
    median_abs_error_scoreboard_ms: round(median(results.map((r) => Math.abs(r.error_scoreboard_ms ?? NaN)).filter(Number.isFinite)), 3),
    rounds,
  });
  console.log(`\nwrote ${file}`);
}

if (import.meta.filename === process.argv[1]) await main();
