/**
 * Churn soak: thousands of connect/disconnect cycles while sessions stream; then look for what
 * was left behind (sessions, stream clients, handles, file descriptors, memory).
 *
 *   node --import tsx bench/churn.ts [--quick] [--cycles N] [--concurrency 50] [--ping-ms 1000]
 *
 * The server runs in a child process (this file with `--role server`, Node started with
 * `--expose-gc`): Engine with the built-in `default` recording (default session limit 64) +
 * startServer on a free port; keepalive ping every `--ping-ms` (1 s here instead of 20 s, so
 * half-open peers are reaped within a cycle's hold time). This process is the client side.
 *
 * Before churning: 10 base sessions are created over REST (playing), each with one long-lived
 * "watcher" client that checks every packet through the whole run. Then `--cycles` cycles run,
 * `--concurrency` at a time, cycle i of kind i mod 20:
 *  - clean (8 / 20): a `ws` client (JSON or MessagePack, alternately) takes its metadata and one
 *    data packet, closes, waits for the close handshake;
 *  - socket destroyed (4 / 20): takes its metadata, then `ws._socket.destroy()`;
 *  - terminate (4 / 20): takes its metadata, then `ws.terminate()`;
 *  - half-open (2 / 20): a raw TCP socket completes the handshake and then never reads (like
 *    test/helpers stuckPeer); held 2.5 ping periods + 0.5 s, then it reads to see whether the
 *    server has cut it off (it should have: no pong), then is destroyed;
 *  - aborted handshake (2 / 20): a raw TCP socket sends half (or all) of an upgrade request and
 *    is destroyed before the answer.
 * One cycle in five uses a session code of its own (`churn-<i>`, created by the connection; the
 * session then idles, playing to nobody, until evicted at the limit or cleaned up); the others
 * join a base session.
 *
 * After: wait for the server to have only the watchers; `/api/sessions` count; `POST
 * /api/sessions/cleanup` with max_idle_s 0 (the count must return to the 10 base sessions);
 * close the watchers (`server.streams.clients.size` must reach 0); delete the base sessions;
 * `gc()` a few times; compare handles (`process._getActiveHandles()`), open file descriptors
 * and RSS with the start (the server just started, gc()'d, before any session).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import WebSocket from 'ws';
import { stuckPeer } from '../test/helpers/server.ts';
import { Engine } from '../src/main/playback/engine.ts';
import { startServer } from '../src/main/server.ts';
import { decodeMsgpack } from '../src/shared/codecs.ts';
import { LoadWatch, loadLine, rssSplit, settleMemory, sleep, type Settled } from './fanout.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, SERVER_V8_FLAGS, arg, fmt, machineInfo, machineLine, mdTable, metOrNot, round, writeResults } from './lib.ts';

const CYCLES = Number(arg('cycles') ?? (QUICK ? 1000 : 10_000));
const CONCURRENCY = Number(arg('concurrency') ?? 50);
const PING_MS = Number(arg('ping-ms') ?? 1000);
/** The server's young-generation cap (`--max-semi-space-size`, MB): the product's by default; `--semi-space-mb v8-default` for V8's own. */
const SEMI_SPACE_MB = arg('semi-space-mb');
const SERVER_FLAGS = SEMI_SPACE_MB === 'v8-default' ? [] : SEMI_SPACE_MB ? [`--max-semi-space-size=${SEMI_SPACE_MB}`] : SERVER_V8_FLAGS;
const BASE_SESSIONS = 10;
/** One cycle in UNIQUE_EVERY joins a session code of its own (0: never). */
const UNIQUE_EVERY = Number(arg('unique-every') ?? 5);
const CYCLE_TIMEOUT_MS = 15_000;
/** The first cycles warm the server up (JIT, pools); memory is sampled after them too. */
const WARMUP = Math.min(500, Math.floor(CYCLES / 10));
const GOAL = { rssMb: 20 };

interface ServerStats {
  clients: number;
  sessions: number;
  handles: number;
  handle_types: Record<string, number>;
  requests: number;
  fds: number;
  rss_mb: number;
  /** Anonymous / file-backed resident memory (see rssSplit in fanout.ts). */
  rss_anon_mb: number;
  rss_file_mb: number;
  heap_used_mb: number;
  /** V8's committed heap: pages V8 keeps after gc() count in anonymous RSS although nothing uses them. */
  heap_total_mb: number;
  /** V8's young generation as committed (it grows under allocation pressure and is kept). */
  new_space_mb: number;
  external_mb: number;
  array_buffers_mb: number;
  evicted: number;
  expired: number;
  refused: number;
  recent_closes_kept: number;
}

function serverRow(label: string, t: string, s: ServerStats): Array<string | number> {
  return [label, t, s.clients, s.sessions, s.handles, s.fds, fmt(s.rss_mb, 1), fmt(s.rss_anon_mb, 1), fmt(s.rss_file_mb, 1), fmt(s.heap_used_mb, 1), fmt(s.heap_total_mb, 1), fmt(s.new_space_mb, 1), fmt(s.external_mb, 1)];
}

// ------------------------------------------------------------------ server role

async function serverRole(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the server role with --expose-gc');
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { port: 0, stream: { pingIntervalMs: PING_MS } });
  const stats = (): ServerStats => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    const types: Record<string, number> = {};
    for (const h of handles) types[h.constructor?.name ?? '?'] = (types[h.constructor?.name ?? '?'] ?? 0) + 1;
    const u = process.memoryUsage();
    const split = rssSplit();
    const mb = (v: number) => round(v / 2 ** 20, 1);
    let fds = -1;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      /* not Linux */
    }
    return {
      clients: server.streams.clients.size,
      sessions: engine.sessions.size,
      handles: handles.length,
      handle_types: types,
      requests: (process as unknown as { _getActiveRequests(): object[] })._getActiveRequests().length,
      fds,
      rss_mb: mb(u.rss),
      rss_anon_mb: split.anon_mb,
      rss_file_mb: split.file_mb,
      heap_used_mb: mb(u.heapUsed),
      heap_total_mb: mb(u.heapTotal),
      new_space_mb: mb(getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? 0),
      external_mb: mb(u.external),
      array_buffers_mb: mb(u.arrayBuffers),
      evicted: engine.sessions.evicted,
      expired: engine.sessions.expired,
      refused: server.streams.refused,
      recent_closes_kept: server.streams.recentCloses.length,
    };
  };
  process.on('message', async (m: any) => {
    if (m.type === 'stats') process.send!({ type: 'stats', id: m.id, stats: stats() });
    else if (m.type === 'gc') {
      for (let i = 0; i < 4; i++) {
        gc();
        await sleep(150);
      }
      process.send!({ type: 'stats', id: m.id, stats: stats() });
    } else if (m.type === 'close') {
      await server.close('benchmark over');
      process.exit(0);
    }
  });
  const settled = await settleMemory();
  process.send!({ type: 'listening', url: server.url, settled });
}

// ------------------------------------------------------------------ client side

type Kind = 'clean' | 'destroy' | 'terminate' | 'half-open' | 'aborted-handshake';
const PATTERN: Kind[] = [
  ...Array<Kind>(8).fill('clean'),
  ...Array<Kind>(4).fill('destroy'),
  ...Array<Kind>(4).fill('terminate'),
  ...Array<Kind>(2).fill('half-open'),
  ...Array<Kind>(2).fill('aborted-handshake'),
];

interface KindStats {
  cycles: number;
  ok: number;
  failed: number;
  failures: string[];
  close_codes: Record<string, number>;
  /** half-open: the server had cut the connection when the peer looked (reaped by keepalive). */
  reaped: number;
  ms_total: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** A ws client; resolves once it has its metadata and (when `wantData`) one data packet. */
function wsCycleClient(url: string, wantData: boolean): { ws: WebSocket; ready: Promise<void>; closed: Promise<number> } {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let meta = false;
  const ready = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary) => {
      const m = (isBinary ? decodeMsgpack(data) : JSON.parse(data.toString())) as { type: string };
      if (m.type === 'metadata') meta = true;
      if (meta && (!wantData || m.type === 'data')) resolve();
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()} before it was ready`)));
  });
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, ready, closed };
}

async function runCycle(i: number, wsBase: string, stats: Record<Kind, KindStats>): Promise<void> {
  const kind = PATTERN[i % PATTERN.length];
  const st = stats[kind];
  st.cycles++;
  const session = UNIQUE_EVERY > 0 && i % UNIQUE_EVERY === UNIQUE_EVERY - 2 ? `churn-${i}` : `base-${i % BASE_SESSIONS}`;
  const binary = (i >> 1) % 2 === 0;
  const path = `/stream/${binary ? 'binary/' : ''}${session}`;
  const t0 = performance.now();
  const code = (c: number | string) => (st.close_codes[String(c)] = (st.close_codes[String(c)] ?? 0) + 1);
  try {
    if (kind === 'clean' || kind === 'destroy' || kind === 'terminate') {
      const c = wsCycleClient(wsBase + path, kind === 'clean');
      try {
        await withTimeout(c.ready, CYCLE_TIMEOUT_MS, 'metadata');
      } catch (e) {
        c.ws.terminate();
        throw e;
      }
      if (kind === 'clean') c.ws.close(1000, 'churn cycle done');
      else if (kind === 'destroy') (c.ws as unknown as { _socket: Socket })._socket.destroy();
      else c.ws.terminate();
      code(await withTimeout(c.closed, CYCLE_TIMEOUT_MS, 'close'));
    } else if (kind === 'half-open') {
      const socket = await withTimeout(stuckPeer(wsBase, path), CYCLE_TIMEOUT_MS, 'handshake');
      await sleep(2.5 * PING_MS + 500);
      // Look: has the server cut us off? Read what is queued; a cut connection ends.
      const ended = new Promise<boolean>((resolve) => {
        socket.once('end', () => resolve(true));
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 1500);
      });
      socket.on('data', () => {});
      socket.resume();
      const cut = await ended;
      if (cut) st.reaped++;
      code(cut ? 'cut off by the server' : 'still open');
      socket.destroy();
    } else {
      const url = new URL(wsBase + path);
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => {});
      await withTimeout(new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }), CYCLE_TIMEOUT_MS, 'connect');
      const req = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('phantomlink-abrt').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      socket.write(i % 4 < 2 ? req.slice(0, 40) : req);
      await sleep(i % 3);
      socket.destroy();
      code('aborted');
    }
    st.ok++;
  } catch (e) {
    st.failed++;
    if (st.failures.length < 5) st.failures.push(`cycle ${i} (${session}): ${String(e).slice(0, 160)}`);
  } finally {
    st.ms_total += performance.now() - t0;
  }
}

class Watcher {
  packets = 0;
  gaps = 0;
  outOfOrder = 0;
  last = -1;
  closed: number | null = null;
  readonly ws: WebSocket;
  readonly ready: Promise<void>;
  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.ws.on('close', (c) => (this.closed = c));
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('message', (data: Buffer) => {
        const m = decodeMsgpack(data) as { type: string; sequence_number: number };
        if (m.type === 'metadata') return resolve();
        if (m.type !== 'data') return;
        this.packets++;
        if (this.last >= 0 && m.sequence_number <= this.last) this.outOfOrder++;
        else if (this.last >= 0 && m.sequence_number > this.last + 1) this.gaps++;
        this.last = m.sequence_number;
      });
    });
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', ...SERVER_FLAGS, '--import', 'tsx', join(BENCH_DIR, 'churn.ts'), '--role', 'server', '--ping-ms', String(PING_MS)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let nextId = 1;
  const ask = (type: 'stats' | 'gc') =>
    new Promise<ServerStats>((resolve, reject) => {
      const id = nextId++;
      const t = setTimeout(() => reject(new Error(`server: no ${type} answer`)), 30_000);
      const on = (m: any) => {
        if (m?.type !== 'stats' || m.id !== id) return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m.stats);
      };
      child.on('message', on);
      child.send({ type, id });
    });
  const { url, settled } = await new Promise<{ url: string; settled: Settled }>((resolve, reject) => {
    child.once('message', (m: any) => (m?.type === 'listening' ? resolve(m) : reject(new Error(JSON.stringify(m)))));
    void exited.then((c) => reject(new Error(`server exited (${c})`)));
  });
  const wsBase = url.replace(/^http/, 'ws');
  // node:http without an agent: one connection per request, closed after it (fetch would keep
  // connections alive, and they would show up as the server's handles and fds at the end).
  const rest = (method: string, path: string, body?: unknown) =>
    new Promise<any>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(url + path, { method, agent: false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text));
          } catch (e) {
            reject(e);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.end(data);
    });

  const start = await ask('gc');
  for (let i = 0; i < BASE_SESSIONS; i++) await rest('POST', '/api/sessions/create', { code: `base-${i}` });
  const watchers = Array.from({ length: BASE_SESSIONS }, (_, i) => new Watcher(`${wsBase}/stream/binary/base-${i}`));
  await Promise.all(watchers.map((w) => w.ready));
  const baselineCount = (await rest('GET', '/api/sessions')).count as number;
  await sleep(1000);
  const withWatchers = await ask('gc');

  // ---- churn
  const kinds = [...new Set(PATTERN)];
  const stats = Object.fromEntries(kinds.map((k): [Kind, KindStats] => [k, { cycles: 0, ok: 0, failed: 0, failures: [], close_codes: {}, reaped: 0, ms_total: 0 }])) as Record<Kind, KindStats>;
  const timeline: Array<{ cycles: number; t_s: number } & ServerStats> = [];
  const load = new LoadWatch();
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let sampling = Promise.resolve();
  const worker = (upTo: number) => async () => {
    while (next < upTo) {
      const i = next++;
      await runCycle(i, wsBase, stats);
      done++;
      if (done % Math.max(1, Math.floor(CYCLES / 10)) === 0) {
        const at = done;
        sampling = sampling.then(async () => {
          const s = await ask('stats');
          timeline.push({ cycles: at, t_s: round((performance.now() - t0) / 1000, 1), ...s });
          console.error(`[churn] ${at} cycles, ${fmt((performance.now() - t0) / 1000, 1)} s: server clients ${s.clients}, sessions ${s.sessions}, handles ${s.handles}, fds ${s.fds}, RSS ${s.rss_mb} MB (anon ${s.rss_anon_mb})`);
        });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker(WARMUP)));
  await sampling;
  const afterWarmup = await ask('gc');
  await Promise.all(Array.from({ length: CONCURRENCY }, worker(CYCLES)));
  await sampling;
  const churnMs = performance.now() - t0;
  const machineLoad = load.end([process.pid, child.pid!]);

  // ---- what is left
  let afterChurn = await ask('stats');
  for (let k = 0; k < 150 && afterChurn.clients > BASE_SESSIONS; k++) {
    await sleep(100);
    afterChurn = await ask('stats');
  }
  const countBefore = (await rest('GET', '/api/sessions')).count as number;
  const cleanup = await rest('POST', '/api/sessions/cleanup', { max_idle_s: 0 });
  const countAfter = (await rest('GET', '/api/sessions')).count as number;
  const sameWatchers = await ask('gc');
  const watcherReport = watchers.map((w) => ({ packets: w.packets, gaps: w.gaps, out_of_order: w.outOfOrder, closed: w.closed }));
  for (const w of watchers) w.ws.close(1000, 'soak over');
  let afterWatchers = await ask('stats');
  for (let k = 0; k < 100 && afterWatchers.clients > 0; k++) {
    await sleep(100);
    afterWatchers = await ask('stats');
  }
  for (let i = 0; i < BASE_SESSIONS; i++) await rest('DELETE', `/api/sessions/base-${i}`);
  await sleep(500);
  const end = await ask('gc');
  child.send({ type: 'close' });
  await exited;

  const totalOk = kinds.reduce((n, k) => n + stats[k].ok, 0);
  const totalFailed = kinds.reduce((n, k) => n + stats[k].failed, 0);
  const halfOpen = stats['half-open'];
  const goals = {
    sessions: countAfter === baselineCount && end.sessions === 0,
    clients: afterWatchers.clients === 0 && afterChurn.clients === BASE_SESSIONS,
    handles: end.handles <= start.handles + 2,
    fds: end.fds <= start.fds + 2,
    // Judged on anonymous RSS: file-backed pages come and go with the machine's DAMON pageout.
    rss: end.rss_anon_mb - start.rss_anon_mb <= GOAL.rssMb,
    watchers: watcherReport.every((w) => w.gaps === 0 && w.out_of_order === 0 && w.closed === null),
  };
  const typeDiff = (a: Record<string, number>, b: Record<string, number>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => `${k} ${a[k] ?? 0}→${b[k] ?? 0}`).join(', ');

  const md = [
    `# Churn soak${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `${fmt(CYCLES, 0)} connect/disconnect cycles, ${CONCURRENCY} at a time, in ${fmt(churnMs / 1000, 1)} s (${fmt(CYCLES / (churnMs / 1000), 0)} cycles/s), against a server in a child process ` +
      `(\`--expose-gc ${SERVER_FLAGS.join(' ') || '(V8 defaults)'}\`${SEMI_SPACE_MB ? ' — **a diagnostic run: not the product\'s V8 flags**' : ', the product\'s V8 flags'}, default session limit 64, keepalive ping every ${fmt(PING_MS / 1000, 1)} s) while ${BASE_SESSIONS} base sessions stream to one watcher client each; ` +
      `${UNIQUE_EVERY > 0 ? `one cycle in ${UNIQUE_EVERY} on a session code of its own` : 'every cycle on a base session (`--unique-every 0`)'}. Built-in \`default\` recording, loopback. ` +
      `The start is sampled after the server settled (${fmt(settled.waited_ms / 1000, 0)} s with gc(): about 25 s after start the engine frees its start-up memory, anonymous RSS ${fmt(settled.anon_before_mb, 0)} → ${fmt(settled.anon_after_mb, 0)} MB).`,
    '',
    loadLine(machineLoad),
    '',
    '## Goals',
    '',
    mdTable(
      ['goal', 'measured', 'verdict'],
      [
        [
          'no leaked sessions: `/api/sessions` count back to the baseline after `POST /api/sessions/cleanup` (max_idle_s 0); 0 after deleting the base sessions',
          `baseline ${baselineCount}; after churn ${countBefore} (${afterChurn.evicted} evicted at the limit during the run), cleanup removed ${cleanup.cleaned_up}, then ${countAfter}; at the end ${end.sessions}`,
          metOrNot(goals.sessions),
        ],
        [
          'no leaked stream clients: `server.streams.clients.size` back to the watchers, then 0',
          `after churn ${afterChurn.clients} (the ${BASE_SESSIONS} watchers); after closing them ${afterWatchers.clients}`,
          metOrNot(goals.clients),
        ],
        ['no leaked handles: `process._getActiveHandles().length` back near the start (≤ start + 2)', `start ${start.handles} → with watchers ${withWatchers.handles} → end ${end.handles} (${typeDiff(start.handle_types, end.handle_types)})`, metOrNot(goals.handles)],
        ['no leaked sockets: open file descriptors of the server back near the start (≤ start + 2)', `start ${start.fds} → with watchers ${withWatchers.fds} → end ${end.fds}`, metOrNot(goals.fds)],
        [
          `RSS back within ${GOAL.rssMb} MB of its start after gc() (judged on anonymous RSS; file-backed pages are reclaimed by the machine's DAMON pageout at arbitrary times)`,
          `anonymous RSS: start ${fmt(start.rss_anon_mb, 1)} MB → with watchers ${fmt(withWatchers.rss_anon_mb, 1)} → after the ${WARMUP} warm-up cycles ${fmt(afterWarmup.rss_anon_mb, 1)} → after churn, same watchers ${fmt(sameWatchers.rss_anon_mb, 1)} → end ${fmt(end.rss_anon_mb, 1)} MB ` +
            `(Δ vs start ${fmt(end.rss_anon_mb - start.rss_anon_mb, 1)} MB; over the ${fmt(CYCLES - WARMUP, 0)} cycles after the warm-up ${fmt(sameWatchers.rss_anon_mb - afterWarmup.rss_anon_mb, 1)} MB). ` +
            `Of the Δ, V8's young generation (which grows under allocation pressure up to \`--max-semi-space-size\` and is kept) accounts for ${fmt(end.new_space_mb - start.new_space_mb, 1)} MB; the rest is ${fmt(end.rss_anon_mb - start.rss_anon_mb - (end.new_space_mb - start.new_space_mb), 1)} MB. ` +
            `Total RSS ${fmt(start.rss_mb, 1)} → ${fmt(end.rss_mb, 1)} MB (file-backed ${fmt(start.rss_file_mb, 1)} → ${fmt(end.rss_file_mb, 1)}); ` +
            `heap used ${fmt(start.heap_used_mb, 1)} → ${fmt(end.heap_used_mb, 1)} MB (committed ${fmt(start.heap_total_mb, 1)} → ${fmt(end.heap_total_mb, 1)}, of which V8's young generation ${fmt(start.new_space_mb, 1)} → ${fmt(end.new_space_mb, 1)}), external ${fmt(start.external_mb, 1)} → ${fmt(end.external_mb, 1)} MB`,
          metOrNot(goals.rss),
        ],
        [
          'the watchers (one per base session, connected throughout) lose nothing',
          `${watcherReport.filter((w) => w.gaps === 0 && w.out_of_order === 0).length} of ${watchers.length} without gaps; packets ${watcherReport.map((w) => w.packets).join(', ')}`,
          metOrNot(goals.watchers),
        ],
      ],
    ),
    '',
    '## Cycles',
    '',
    mdTable(
      ['kind', 'cycles', 'ok', 'failed', 'mean cycle (ms)', 'how they ended (client side)', 'note'],
      kinds.map((k) => [
        k,
        stats[k].cycles,
        stats[k].ok,
        stats[k].failed,
        fmt(stats[k].ms_total / Math.max(1, stats[k].cycles), 1),
        Object.entries(stats[k].close_codes)
          .map(([c, n]) => `${c}: ${n}`)
          .join(', '),
        k === 'half-open' ? `${halfOpen.reaped} of ${halfOpen.cycles} already cut off by the server's keepalive when the peer looked` : stats[k].failures.slice(0, 2).join('; '),
      ]),
    ),
    '',
    `All cycles: ${totalOk} ok, ${totalFailed} failed.${totalFailed ? ` First failures: ${kinds.flatMap((k) => stats[k].failures).slice(0, 5).join(' | ')}` : ''} Connections refused by the server over the run: ${end.refused}.`,
    '',
    '## Server over the run',
    '',
    mdTable(
      ['cycles done', 't (s)', 'stream clients', 'sessions', 'handles', 'fds', 'RSS (MB)', 'anon RSS', 'file RSS', 'heap used (MB)', 'heap committed', 'young gen.', 'external (MB)'],
      [
        ...[
          ['start (gc)', start],
          ['base sessions + watchers (gc)', withWatchers],
          [`after the ${WARMUP} warm-up cycles (gc)`, afterWarmup],
        ].map(([label, s]) => serverRow(label as string, '–', s as ServerStats)),
        ...timeline.map((s) => serverRow(fmt(s.cycles, 0), fmt(s.t_s, 1), s)),
        serverRow('after churn + cleanup, watchers still on (gc)', '–', sameWatchers),
        serverRow('end: watchers closed, sessions deleted (gc)', '–', end),
      ],
    ),
  ].join('\n');
  console.log(md);
  const file = writeResults('churn', md, {
    benchmark: 'churn',
    quick: QUICK,
    machine,
    load: machineLoad,
    config: { cycles: CYCLES, concurrency: CONCURRENCY, ping_ms: PING_MS, semi_space_mb: SEMI_SPACE_MB ?? null, base_sessions: BASE_SESSIONS, unique_every: UNIQUE_EVERY, pattern: PATTERN },
    goals,
    churn_ms: round(churnMs, 0),
    kinds: stats,
    sessions: { baseline: baselineCount, after_churn: countBefore, cleaned_up: cleanup.cleaned_up, after_cleanup: countAfter, end: end.sessions, evicted: end.evicted },
    warmup_cycles: WARMUP,
    settled,
    server: { start, with_watchers: withWatchers, after_warmup: afterWarmup, after_churn: afterChurn, after_cleanup_with_watchers: sameWatchers, after_watchers: afterWatchers, end, timeline },
    watchers: watcherReport,
  });
  console.log(`\nwrote ${file}`);
}

if (import.meta.filename === process.argv[1]) {
  if (arg('role') === 'server') await serverRole();
  else await main();
}
