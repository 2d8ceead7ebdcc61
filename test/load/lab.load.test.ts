/**
 * The CI's short version of the lab load benchmarks (bench/fanout.ts, bench/slow.ts,
 * bench/churn.ts), with generous bounds: the CI shares two cores, and here clients and server
 * share one process. The full measurements and their numbers are in bench/results/.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMsgpack } from '../../src/shared/codecs.ts';
import { api, sleep, startTestServer, stuckPeer, type TestServer } from '../helpers/server.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Anonymous resident memory (MB): file-backed pages are reclaimed by the host at will. */
function anonRssMb(): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage.rss() / 2 ** 20;
}

/** A client that keeps only what the checks need: sequence numbers seen, gaps, how it closed. */
class LiteClient {
  readonly ws: WebSocket;
  readonly ready: Promise<void>;
  packets = 0;
  first = -1;
  last = -1;
  gaps = 0;
  outOfOrder = 0;
  closed: { code: number; reason: string } | null = null;

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('message', (data: Buffer, isBinary) => {
        const m = (isBinary ? decodeMsgpack(data) : JSON.parse(data.toString())) as { type: string; sequence_number: number };
        if (m.type === 'metadata') return resolve();
        if (m.type !== 'data') return;
        const s = m.sequence_number;
        if (this.last < 0) this.first = s;
        else if (s <= this.last) this.outOfOrder++;
        else if (s > this.last + 1) this.gaps++;
        this.last = s;
        this.packets++;
      });
    });
  }
}

const servers: TestServer[] = [];
const sockets: Array<WebSocket | Socket> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) (s instanceof WebSocket ? s.terminate() : s.destroy());
  for (const s of servers.splice(0)) await s.close();
});

async function connectAll(urls: string[], batch = 50): Promise<LiteClient[]> {
  const out: LiteClient[] = [];
  for (let i = 0; i < urls.length; i += batch) {
    const made = urls.slice(i, i + batch).map((u) => new LiteClient(u));
    for (const c of made) sockets.push(c.ws);
    out.push(...made);
    await Promise.all(made.map((c) => c.ready));
  }
  return out;
}

describe('lab load (short CI version of bench/fanout, slow, churn)', () => {
  it('fan-out: 200 binary clients over 20 sessions for 8 s, every client gets every packet in order', async () => {
    const t = await startTestServer();
    servers.push(t);
    const codes = Array.from({ length: 20 }, (_, i) => `fan-${i}`);
    const sessions = codes.map((c) => t.engine.sessions.create(c, undefined, { paused: true }));
    const clients = await connectAll(codes.flatMap((c) => Array.from({ length: 10 }, () => `${t.ws}/stream/binary/${c}`)));
    for (const s of sessions) expect(s.clientCount).toBe(10);

    for (const s of sessions) s.play();
    await sleep(8000);
    for (const s of sessions) s.pause();
    await sleep(500); // the last packets land

    const sent = new Map(sessions.map((s) => [s.code, s.state().packets_sent]));
    expect(Math.min(...sent.values())).toBeGreaterThan(250); // ~320 at 40 Hz
    clients.forEach((c, i) => {
      const n = sent.get(codes[Math.floor(i / 10)])!;
      expect({ client: i, packets: c.packets, first: c.first, last: c.last, gaps: c.gaps, outOfOrder: c.outOfOrder, closed: c.closed }).toEqual({
        client: i,
        packets: n,
        first: 0,
        last: n - 1,
        gaps: 0,
        outOfOrder: 0,
        closed: null,
      });
    });
    // Generous: the median tick of every session goes out within 20 ms of its due time.
    for (const s of sessions) expect(s.lateness.summary(performance.now()).p50_ms!).toBeLessThan(20);
  }, 40_000);

  it('slow consumers: 5 stalled peers among 40 healthy clients, on their sessions, are dropped (counted) and closed 4408 with a reason; the healthy lose nothing', async () => {
    // Default stream settings: a client whose answer to the lag probe (a ping every 1 s) is over
    // 2 s late has its packets dropped, and is closed after 5 s behind. (The server's own queue
    // alone would take minutes: the kernel's socket buffers hold ~4 MB per loopback connection
    // first, see bench/README.md, "Slow consumers".)
    const t = await startTestServer();
    servers.push(t);
    const sessions = Array.from({ length: 4 }, (_, i) => t.engine.sessions.create(`mixed-${i}`, undefined, { paused: true }));
    const healthy = await connectAll(sessions.flatMap((s) => Array.from({ length: 10 }, () => `${t.ws}/stream/binary/${s.code}`)));
    const before = new Set(t.server.streams.clients);
    for (let i = 0; i < 5; i++) sockets.push(await stuckPeer(t.ws, `/stream/binary/${sessions[i % sessions.length].code}`));
    const stalled = [...t.server.streams.clients].filter((c) => !before.has(c));
    expect(stalled).toHaveLength(5);

    const t0 = Date.now();
    for (const s of sessions) s.play();
    while (stalled.some((c) => t.server.streams.clients.has(c)) && Date.now() - t0 < 20_000) await sleep(100);
    const closedAfterMs = Date.now() - t0;
    await sleep(1000);
    for (const s of sessions) s.pause();
    await sleep(500);

    for (const c of stalled) {
      const rec = t.server.streams.recentCloses.find((r) => r.id === c.id);
      expect(rec, `stalled client ${c.id} closed`).toBeDefined();
      expect(rec).toMatchObject({ code: 4408, by: 'server' });
      expect(rec!.reason).toMatch(/client too slow: \d+ packets dropped/);
      expect(rec!.drops).toBeGreaterThan(0);
    }
    expect(closedAfterMs).toBeLessThan(20_000);

    healthy.forEach((c, i) => {
      const n = sessions[Math.floor(i / 10)].state().packets_sent;
      expect({ client: i, packets: c.packets, first: c.first, gaps: c.gaps, outOfOrder: c.outOfOrder, closed: c.closed }).toEqual({ client: i, packets: n, first: 0, gaps: 0, outOfOrder: 0, closed: null });
    });
    for (const c of t.server.streams.clients) expect(c.drops).toBe(0);
  }, 45_000);

  it('churn: 1,000 connect/disconnect cycles (clean, killed, half-open, aborted handshakes) leave no session, client or handle behind', async () => {
    const t = await startTestServer({ server: { stream: { pingIntervalMs: 300 } } });
    servers.push(t);
    const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    const base = ['base-0', 'base-1', 'base-2', 'base-3'];
    for (const code of base) expect((await api(t.http, 'POST', '/api/sessions/create', { code })).status).toBe(201);
    const watchers = await connectAll(base.map((c) => `${t.ws}/stream/binary/${c}`));
    const handles0 = handles();
    for (let i = 0; i < 3; i++) gc();
    const rss0 = anonRssMb();

    const CYCLES = 1000;
    let next = 0;
    const failures: string[] = [];
    const cycle = async (i: number) => {
      const code = i % 5 === 3 ? `churn-${i}` : base[i % base.length];
      const kind = i % 10;
      if (kind < 8) {
        const c = new LiteClient(`${t.ws}/stream/${i % 2 ? 'binary/' : ''}${code}`);
        const closed = new Promise<void>((r) => c.ws.once('close', () => r()));
        await c.ready;
        if (kind < 4) c.ws.close();
        else if (kind < 6) (c.ws as unknown as { _socket: Socket })._socket.destroy();
        else c.ws.terminate();
        await closed;
      } else if (kind === 8) {
        const peer = await stuckPeer(t.ws, `/stream/binary/${code}`); // half-open: never reads, never answers pings
        await sleep(800);
        peer.destroy();
      } else {
        const { connect } = await import('node:net');
        const s = connect(Number(new URL(t.http).port), '127.0.0.1');
        s.on('error', () => {});
        await new Promise<void>((r) => s.once('connect', () => r()));
        s.write(`GET /stream/${code} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n`); // half a request, then gone
        s.destroy();
      }
    };
    const worker = async () => {
      while (next < CYCLES) {
        const i = next++;
        await Promise.race([cycle(i), sleep(10_000).then(() => Promise.reject(new Error('cycle timed out')))]).catch((e) => failures.push(`cycle ${i}: ${e}`));
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect(failures).toEqual([]);

    const deadline = Date.now() + 10_000;
    while (t.server.streams.clients.size > base.length && Date.now() < deadline) await sleep(100);
    expect(t.server.streams.clients.size).toBe(base.length);
    const cleanup = await api(t.http, 'POST', '/api/sessions/cleanup', { max_idle_s: 0 });
    expect(cleanup.status).toBe(200);
    expect((await api(t.http, 'GET', '/api/sessions')).body.count).toBe(base.length);
    for (const w of watchers) {
      expect({ gaps: w.gaps, outOfOrder: w.outOfOrder, closed: w.closed }).toEqual({ gaps: 0, outOfOrder: 0, closed: null });
    }

    for (let i = 0; i < 3; i++) gc();
    await sleep(200);
    const rss1 = anonRssMb();
    expect(rss1 - rss0, `anonymous RSS ${rss0.toFixed(1)} → ${rss1.toFixed(1)} MB`).toBeLessThan(50);
    expect(handles()).toBeLessThanOrEqual(handles0 + 5);

    for (const w of watchers) w.ws.close();
    while (t.server.streams.clients.size > 0 && Date.now() < deadline + 5000) await sleep(50);
    expect(t.server.streams.clients.size).toBe(0);
    for (const code of base) await api(t.http, 'DELETE', `/api/sessions/${code}`);
    expect((await api(t.http, 'GET', '/api/sessions')).body.count).toBe(0);
  }, 60_000);
});
