/**
 * The client side of bench/fanout.ts and bench/slow.ts, run as a separate process (spawned with
 * an IPC channel, `serialization: 'advanced'`; not meant to be run by hand). Holds up to a few
 * thousand stream clients of four kinds:
 *
 *  - `healthy`: a `ws` client that reads everything and checks every data packet (sequence
 *    gaps, reordering, bin_index + 1). At 40,000 messages/s a full MessagePack decode (~15 µs)
 *    would cost more than half a core, so data packets are read with a lite parser (the
 *    `sequence_number` and `bin_index` fields found by their key bytes, e.g.
 *    `\xafsequence_number` then a msgpack uint, or `"sequence_number":` then digits); every
 *    VERIFY_EVERY-th packet of every client is also fully decoded and compared (mismatches
 *    are counted and reported), and any message that is not a data packet is fully decoded.
 *  - `ws-paused`: a `ws` client that takes its metadata and then pauses its socket for good
 *    (`ws.pause()`): it never reads again, so it also never answers pings.
 *  - `raw-rate`: a raw TCP WebSocket client (handshake by hand, like test/helpers stuckPeer)
 *    that consumes `rate` packets' worth of bytes per second (581 B per binary, 1,138 B per JSON
 *    packet of the `default` recording), in 10 reads a second, parsing the frames it reads and
 *    answering a ping when it reaches it.
 *  - `raw-stalled`: a raw client that completes the handshake and never reads again (nor
 *    answers pings).
 *
 * At `stop`, slow clients drain their socket (read everything the kernel still holds, parse it)
 * for `drainMs`, to see whether a close frame (code + reason) ever reaches them.
 *
 * Protocol with the parent (process.send / 'message'):
 *   parent → { type: 'connect', clients: ClientSpec[] }
 *   child  → { type: 'ready', clients, failed, ports }   every client has its metadata / handshake
 *   parent → { type: 'run' }                            the sessions start: CPU is counted from here
 *   parent → { type: 'stop', due: { [key]: Float64Array }, windows?, drainMs? }
 *            due: per session key, the due time of each sequence number, CLOCK_MONOTONIC ms
 *            (process.hrtime), so receive latency = arrival − due across processes
 *   child  → { type: 'results', clients: ClientResult[], groups: GroupResult[], cpu }
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { decodeMsgpack } from '../src/shared/codecs.ts';
import { arg, dist, monoOffset, round, type Dist } from './lib.ts';
import { EMPTY_PONG, takeServerFrames } from '../test/helpers/wsFrames.ts';

export type ClientMode = 'healthy' | 'ws-paused' | 'raw-rate' | 'raw-stalled';

export interface ClientSpec {
  /** ws://host:port of the server. */
  url: string;
  session: string;
  /** Key of this session's due times in the `stop` message (unique across servers). */
  key: string;
  format: 'json' | 'msgpack';
  mode: ClientMode;
  /** raw-rate: packets' worth of bytes consumed per second. */
  rate?: number;
  /** Label for pooled statistics, e.g. `healthy`, `slow-1/s`. */
  group: string;
}

/** A time window (CLOCK_MONOTONIC ms, by due time) for per-window latency statistics. */
export interface Window {
  name: string;
  fromMs: number;
  toMs: number;
}

export interface ClientResult {
  index: number;
  group: string;
  session: string;
  key: string;
  format: 'json' | 'msgpack';
  mode: ClientMode;
  packets: number;
  /** Data packets read before the drain at `stop` (slow clients read the rest then). */
  packetsBeforeDrain: number;
  firstSeq: number;
  lastSeq: number;
  /** Packets the session built (its due times), and whether this client got all of them in order. */
  expected: number;
  complete: boolean;
  gaps: number;
  missing: number;
  outOfOrder: number;
  binJumps: number;
  metadata: number;
  other: number;
  /** Lite parse vs full decode disagreed (healthy clients; should be 0). */
  verifyMismatch: number;
  verified: number;
  latency: { p50: number; p99: number; max: number } | null;
  /** Receive latency (ms) of the last packet read before `stop`: how far behind the client was then. */
  lagAtStopMs: number | null;
  /** How the connection ended, as this client saw it (null: still open). */
  closed: { code: number; reason: string } | null;
  /** Slow clients: a close frame found in the bytes they read (before or during the drain). */
  closeFrame: { code: number; reason: string } | null;
  /** Slow clients: the peer ended the TCP connection (EOF or reset) while we drained. */
  ended: boolean;
  bytesRead: number;
  /** Local TCP port: the server lists clients by address (127.0.0.1:port) in /metrics. */
  localPort: number;
  errors: string[];
}

export interface GroupResult {
  group: string;
  window: string;
  latency: Dist;
  /** Every receive latency of the group in the window (ms), for pooling across client processes. */
  samples: Float32Array;
}

const VERIFY_EVERY = 50;
/** A data packet of the `default` recording, bytes (bench/results/codec.md). */
const PACKET_BYTES = { msgpack: 581, json: 1138 };

// ---- lite parsing of data packets

const MP_DATA_PREFIX = Buffer.from([0xa4, ...Buffer.from('type'), 0xa4, ...Buffer.from('data')]);
const MP_SEQ = Buffer.from([0xaf, ...Buffer.from('sequence_number')]);
const MP_BIN = Buffer.from([0xa9, ...Buffer.from('bin_index')]);
const JS_DATA_PREFIX = Buffer.from('{"type":"data"');
const JS_SEQ = Buffer.from('"sequence_number":');
const JS_BIN = Buffer.from('"bin_index":');

function mpUint(b: Buffer, i: number): number {
  const t = b[i];
  if (t < 0x80) return t;
  if (t === 0xcc) return b[i + 1];
  if (t === 0xcd) return b.readUInt16BE(i + 1);
  if (t === 0xce) return b.readUInt32BE(i + 1);
  if (t === 0xcf) return Number(b.readBigUInt64BE(i + 1));
  return NaN;
}

function jsUint(b: Buffer, i: number): number {
  let v = 0;
  let n = 0;
  for (; i < b.length; i++, n++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  return n ? v : NaN;
}

/** [sequence_number, bin_index] of a data packet, or null when it is not one. */
function liteData(b: Buffer, binary: boolean): [number, number] | null {
  if (binary) {
    if (b[0] < 0x80 || b[0] > 0x8f || b.compare(MP_DATA_PREFIX, 0, MP_DATA_PREFIX.length, 1, 1 + MP_DATA_PREFIX.length) !== 0) return null;
    const s = b.indexOf(MP_SEQ, 11);
    const k = b.lastIndexOf(MP_BIN);
    if (s < 0 || k < 0) return null;
    return [mpUint(b, s + MP_SEQ.length), mpUint(b, k + MP_BIN.length)];
  }
  if (b.compare(JS_DATA_PREFIX, 0, JS_DATA_PREFIX.length, 0, JS_DATA_PREFIX.length) !== 0) return null;
  const s = b.indexOf(JS_SEQ, JS_DATA_PREFIX.length);
  const k = b.lastIndexOf(JS_BIN);
  if (s < 0 || k < 0) return null;
  return [jsUint(b, s + JS_SEQ.length), jsUint(b, k + JS_BIN.length)];
}

function fullDecode(b: Buffer, binary: boolean): any {
  return binary ? decodeMsgpack(b) : JSON.parse(b.toString('utf8'));
}

// ---- one client's record of its stream

class StreamRecord {
  seq = new Int32Array(4096);
  arrival = new Float64Array(4096);
  r: ClientResult;
  private lastSeq = -1;
  private lastBin = -1;

  constructor(index: number, spec: ClientSpec) {
    this.r = {
      index,
      group: spec.group,
      session: spec.session,
      key: spec.key,
      format: spec.format,
      mode: spec.mode,
      packets: 0,
      packetsBeforeDrain: 0,
      firstSeq: -1,
      lastSeq: -1,
      expected: 0,
      complete: false,
      gaps: 0,
      missing: 0,
      outOfOrder: 0,
      binJumps: 0,
      metadata: 0,
      other: 0,
      verifyMismatch: 0,
      verified: 0,
      latency: null,
      lagAtStopMs: null,
      closed: null,
      closeFrame: null,
      ended: false,
      bytesRead: 0,
      localPort: 0,
      errors: [],
    };
  }

  /** One message; returns true for the (first) metadata message. */
  message(b: Buffer, binary: boolean, t: number): boolean {
    const r = this.r;
    const d = liteData(b, binary);
    if (d) {
      const [seq, bin] = d;
      if (r.packets % VERIFY_EVERY === 0) {
        r.verified++;
        try {
          const m = fullDecode(b, binary);
          if (m.type !== 'data' || m.sequence_number !== seq || m.bin_index !== bin) r.verifyMismatch++;
        } catch {
          r.verifyMismatch++;
        }
      }
      if (r.packets === this.seq.length) {
        const s = new Int32Array(this.seq.length * 2);
        s.set(this.seq);
        this.seq = s;
        const a = new Float64Array(this.arrival.length * 2);
        a.set(this.arrival);
        this.arrival = a;
      }
      this.seq[r.packets] = seq;
      this.arrival[r.packets] = t;
      r.packets++;
      if (this.lastSeq >= 0) {
        if (seq <= this.lastSeq) r.outOfOrder++;
        else if (seq > this.lastSeq + 1) {
          r.gaps++;
          r.missing += seq - this.lastSeq - 1;
        }
        if (bin !== this.lastBin + 1) r.binJumps++;
      } else r.firstSeq = seq;
      this.lastSeq = seq;
      this.lastBin = bin;
      r.lastSeq = seq;
      return false;
    }
    let m: any;
    try {
      m = fullDecode(b, binary);
    } catch (e) {
      r.errors.push(`undecodable message: ${String(e).slice(0, 100)}`);
      return false;
    }
    if (m?.type === 'metadata') {
      r.metadata++;
      return r.metadata === 1;
    }
    r.other++;
    if (r.errors.length < 5) r.errors.push(`unexpected ${String(m?.type)} message: ${JSON.stringify(m).slice(0, 160)}`);
    return false;
  }
}

// ---- the four kinds of client

interface Client {
  rec: StreamRecord;
  spec: ClientSpec;
  ready: Promise<void>;
  /** Stop reading slowly: read everything there is, for up to `ms`. */
  drain(ms: number): Promise<void>;
  kill(): void;
}

function wsClient(index: number, spec: ClientSpec): Client {
  const rec = new StreamRecord(index, spec);
  const binary = spec.format === 'msgpack';
  const ws = new WebSocket(`${spec.url}/stream/${binary ? 'binary/' : ''}${encodeURIComponent(spec.session)}`, { perMessageDeflate: false });
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ws.on('error', (e) => {
    if (rec.r.errors.length < 5) rec.r.errors.push(String(e).slice(0, 200));
    onFail(e);
  });
  let closedWaiter: (() => void) | null = null;
  ws.on('close', (code, reason) => {
    rec.r.closed = { code, reason: reason.toString() };
    rec.r.ended = true;
    onFail(new Error(`closed ${code} ${reason.toString()} before metadata`));
    closedWaiter?.();
  });
  ws.once('open', () => (rec.r.localPort = (ws as unknown as { _socket: Socket })._socket.localPort ?? 0));
  ws.on('message', (data: Buffer, isBinary) => {
    const t = performance.now();
    rec.r.bytesRead += data.length;
    if (rec.message(data, isBinary, t)) {
      if (spec.mode === 'ws-paused') ws.pause();
      onReady();
    }
  });
  return {
    rec,
    spec,
    ready,
    drain: async (ms) => {
      if (spec.mode !== 'ws-paused' || rec.r.closed) return;
      const closing = new Promise<void>((resolve) => (closedWaiter = resolve));
      ws.resume();
      await Promise.race([closing, new Promise((r) => setTimeout(r, ms))]);
      // a close frame reaches a ws client as its close event
      const closed = rec.r.closed as ClientResult['closed'];
      if (closed && closed.code !== 1006) rec.r.closeFrame = closed;
    },
    kill: () => ws.terminate(),
  };
}

/** A WebSocket client by hand on a TCP socket: handshake, then frames parsed from what we choose to read. */
function rawClient(index: number, spec: ClientSpec): Client {
  const rec = new StreamRecord(index, spec);
  const url = new URL(`${spec.url}/stream/${spec.format === 'msgpack' ? 'binary/' : ''}${encodeURIComponent(spec.session)}`);
  const socket: Socket = connect(Number(url.port), url.hostname);
  let pending: Buffer = Buffer.alloc(0);
  let handshaken = false;
  let readTimer: NodeJS.Timeout | null = null;
  let onEnded: (() => void) | null = null;
  socket.on('error', (e) => {
    if (rec.r.errors.length < 5) rec.r.errors.push(String(e).slice(0, 200));
  });
  socket.on('close', () => {
    rec.r.ended = true;
    onEnded?.();
  });
  socket.on('end', () => {
    rec.r.ended = true;
    onEnded?.();
  });

  const frames = () => {
    pending = takeServerFrames(pending, (op, payload) => {
      if (op === 1 || op === 2) rec.message(Buffer.from(payload), op === 2, performance.now());
      else if (op === 8) {
        rec.r.closeFrame = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8') };
        rec.r.closed = rec.r.closeFrame;
      }
      // A reader answers a ping when it gets to it (as a ws client would: late when it reads
      // slowly); a stalled client never reads it.
      else if (op === 9 && spec.mode === 'raw-rate' && !socket.destroyed) socket.write(EMPTY_PONG);
    });
  };
  const take = (chunk: Buffer) => {
    rec.r.bytesRead += chunk.length;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    frames();
  };

  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      rec.r.localPort = socket.localPort ?? 0;
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${Buffer.from(`phantomlink-${index}`.padEnd(16, '-').slice(0, 16)).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.once('error', reject);
    let head = Buffer.alloc(0);
    const onHead = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read()) !== null) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) continue;
        socket.off('readable', onHead);
        if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return reject(new Error(head.subarray(0, end).toString()));
        handshaken = true;
        const rest = head.subarray(end + 4);
        // The metadata frame may already be here; the rest stays in the socket unread.
        if (rest.length) take(rest);
        if (spec.mode === 'raw-rate') startSlowReading();
        return resolve();
      }
    };
    socket.on('readable', onHead);
  });

  const startSlowReading = () => {
    const perTick = Math.max(1, Math.round(((spec.rate ?? 1) * PACKET_BYTES[spec.format]) / 10));
    readTimer = setInterval(() => {
      const n = Math.min(perTick, socket.readableLength);
      if (n <= 0) {
        socket.read(0); // let the stream refill its buffer from the kernel
        return;
      }
      const chunk = socket.read(n) as Buffer | null;
      if (chunk) take(chunk);
    }, 100);
  };

  return {
    rec,
    spec,
    ready,
    drain: async (ms) => {
      if (readTimer) clearInterval(readTimer);
      if (!handshaken || rec.r.ended) return;
      const ended = new Promise<void>((resolve) => (onEnded = resolve));
      socket.on('data', take); // flowing: read everything the kernel holds
      socket.resume();
      await Promise.race([ended, new Promise((r) => setTimeout(r, ms))]);
    },
    kill: () => {
      if (readTimer) clearInterval(readTimer);
      socket.destroy();
    },
  };
}

// ---- the process

const isChild = process.send !== undefined && import.meta.filename === process.argv[1];
if (isChild) {
  let clients: Client[] = [];
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();

  process.on('message', async (m: any) => {
    if (m.type === 'connect') {
      const specs: ClientSpec[] = m.clients;
      const batch = Number(arg('batch') ?? 100);
      const failed: string[] = [];
      for (let i = 0; i < specs.length; i += batch) {
        const made = specs.slice(i, i + batch).map((s, j) => (s.mode.startsWith('raw') ? rawClient(i + j, s) : wsClient(i + j, s)));
        clients.push(...made);
        const settled = await Promise.allSettled(
          made.map((c) => Promise.race([c.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('no metadata within 20 s')), 20_000))])),
        );
        settled.forEach((s, j) => s.status === 'rejected' && failed.push(`client ${i + j} (${specs[i + j].session}): ${String(s.reason).slice(0, 200)}`));
      }
      process.send!({ type: 'ready', clients: clients.length, failed, ports: clients.map((c) => c.rec.r.localPort) });
    } else if (m.type === 'run') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    } else if (m.type === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      for (const c of clients) c.rec.r.packetsBeforeDrain = c.rec.r.packets;
      const stopMono = performance.now() + monoOffset();
      await Promise.all(clients.map((c) => c.drain(Number(m.drainMs ?? 0))));
      const due: Record<string, Float64Array> = m.due;
      const windows: Window[] = m.windows ?? [];
      const offset = monoOffset();
      const pooled = new Map<string, number[]>();
      const pool = (group: string, window: string, v: number) => {
        const k = `${group}\u0000${window}`;
        let a = pooled.get(k);
        if (!a) pooled.set(k, (a = []));
        a.push(v);
      };
      for (const c of clients) {
        const r = c.rec.r;
        const d = due[r.key];
        r.expected = d ? d.length : 0;
        r.complete = r.packets === r.expected && r.firstSeq === 0 && r.lastSeq === r.expected - 1 && r.gaps === 0 && r.outOfOrder === 0;
        if (!d || r.packets === 0) continue;
        const lat: number[] = [];
        for (let i = 0; i < r.packets; i++) {
          const s = c.rec.seq[i];
          if (s >= d.length) continue;
          const l = c.rec.arrival[i] + offset - d[s];
          lat.push(l);
          pool(r.group, 'all', l);
          for (const w of windows) if (d[s] >= w.fromMs && d[s] < w.toMs) pool(r.group, w.name, l);
        }
        const k = r.packetsBeforeDrain - 1;
        if (k >= 0 && c.rec.seq[k] < d.length) r.lagAtStopMs = round(stopMono - d[c.rec.seq[k]], 1);
        if (lat.length) {
          const ld = dist(lat);
          r.latency = { p50: round(ld.p50, 3), p99: round(ld.p99, 3), max: round(ld.max, 3) };
        }
      }
      const groups: GroupResult[] = [...pooled].map(([k, v]) => {
        const [group, window] = k.split('\u0000');
        return { group, window, latency: dist(v), samples: Float32Array.from(v) };
      });
      process.send!({ type: 'results', clients: clients.map((c) => c.rec.r), groups, cpu: { userUs: cpu.user, systemUs: cpu.system, wallMs } }, () => {
        for (const c of clients) c.kill();
        clients = [];
        process.exit(0);
      });
    }
  });
}
