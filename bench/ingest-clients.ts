/**
 * The client side of bench/ingest.ts and bench/latency.ts, run as a separate process (spawned
 * with an IPC channel, `serialization: 'advanced'`; not meant to be run by hand). Holds MessagePack
 * stream clients (`/stream/binary/{code}`) of two kinds:
 *
 *  - a **decoder** (`name` set: it connects with `?decoder=NAME`) answers every data packet with
 *    a MessagePack `{type: 'prediction', sequence_number, vx, vy, latency_ms}`, `delayMs` after
 *    the packet arrived (0: at once, inside the message handler). The values are the packet's
 *    own velocity × 0.8 plus a deterministic wobble, so the server has something to score (R²
 *    below 1). `latency_ms` is the decoder's own time from the packet's arrival to the send, as
 *    a real decoder would report its compute time.
 *  - a **silent** client (`name` null) reads the same packets the same way and never answers.
 *
 * Both kinds decode every packet fully (one reused msgpack Decoder), as a decoder must, and check
 * the sequence numbers (gaps, order), so the only difference between them is the prediction.
 *
 * An injected delay is waited for precisely: setTimeout until ~1.5 ms before the moment, then
 * Atomics.wait to 0.2 ms before it, then a spin (bench/results/clock.md: setTimeout alone wakes up
 * 0.5–4 ms late). The wait blocks this process for at most ~1.7 ms a packet.
 *
 * Protocol with the parent (process.send / 'message'):
 *   parent → { type: 'connect', url, clients: IngestClientSpec[], record?: boolean }
 *   child  → { type: 'ready', clients, failed }           every client has its metadata
 *   parent → { type: 'mark' }                             CPU is counted from here
 *   parent → { type: 'cpu' }  child → { type: 'cpu', userUs, systemUs, wallMs, sent }   CPU since the mark;
 *            predictions sent by all its clients so far
 *   parent → { type: 'pings', client, count, intervalMs } one client sends `ping` control messages
 *            (on a paused session) and times each `status` answer
 *   child  → { type: 'pings', rttMs: number[] }
 *   parent → { type: 'stop' }
 *   child  → { type: 'results', clients: IngestClientResult[], monoOffsetMs }
 * With `record`, each client keeps per data packet: sequence number, arrival and send times
 * (performance.now() ms of this process; monoOffsetMs converts them to CLOCK_MONOTONIC ms, the
 * clock the server's times are converted to as well).
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import WebSocket from 'ws';
import { monoOffset } from './lib.ts';

export interface IngestClientSpec {
  session: string;
  /** A decoder's name (`?decoder=`); null: a silent client. */
  name: string | null;
  /** A decoder answers this long after the packet arrived (ms); 0: at once. */
  delayMs: number;
}

export interface IngestClientResult {
  session: string;
  name: string | null;
  delayMs: number;
  packets: number;
  firstSeq: number;
  lastSeq: number;
  gaps: number;
  missing: number;
  outOfOrder: number;
  predictionsSent: number;
  /**
   * Predictions sent over 1 s after their packet's `timestamp` (the server's Unix time when it
   * built the packet): the scoreboard has counted those packets as missing by then
   * (MISSING_AFTER_MS), and counts the prediction when it comes.
   */
  answeredAfter1s: number;
  /** Messages after the metadata that were not data packets (e.g. the server's `error` reports of refused predictions). */
  other: Array<{ type: string; code?: string; message?: string }>;
  otherCount: number;
  closed: { code: number; reason: string } | null;
  errors: string[];
  /** With `record`: per data packet, its sequence number, arrival and (decoders) send time, performance.now() ms. */
  seq?: Float64Array;
  arrivalMs?: Float64Array;
  sentMs?: Float64Array;
}

const sab = new Int32Array(new SharedArrayBuffer(4));
/** Runs `fn` at performance.now() ≥ `target`, as close to it as this process can. */
function at(target: number, fn: () => void): void {
  const rest = target - performance.now();
  if (rest > 2) {
    setTimeout(() => at(target, fn), rest - 1.5);
    return;
  }
  const sleep = target - performance.now() - 0.2;
  if (sleep > 0) Atomics.wait(sab, 0, 0, sleep);
  while (performance.now() < target) {
    /* spin the last 0.2 ms */
  }
  fn();
}

const decoder = new Decoder();
const encoder = new Encoder();

interface DataLike {
  type: string;
  sequence_number: number;
  timestamp: number;
  kinematics?: { vx: number | null; vy: number | null } | null;
}

class Client {
  readonly r: IngestClientResult;
  readonly ws: WebSocket;
  ready: Promise<void>;
  /** Set while a `pings` request runs: called with each status message's arrival. */
  onStatus: ((t: number) => void) | null = null;
  private lastSeq = -1;
  private n = 0;

  constructor(
    url: string,
    readonly spec: IngestClientSpec,
    private readonly record: boolean,
  ) {
    this.r = {
      session: spec.session,
      name: spec.name,
      delayMs: spec.delayMs,
      packets: 0,
      firstSeq: -1,
      lastSeq: -1,
      gaps: 0,
      missing: 0,
      outOfOrder: 0,
      predictionsSent: 0,
      answeredAfter1s: 0,
      other: [],
      otherCount: 0,
      closed: null,
      errors: [],
    };
    if (record) {
      this.r.seq = new Float64Array(4096);
      this.r.arrivalMs = new Float64Array(4096);
      this.r.sentMs = new Float64Array(4096).fill(NaN);
    }
    const q = spec.name !== null ? `?decoder=${encodeURIComponent(spec.name)}` : '';
    this.ws = new WebSocket(`${url}/stream/binary/${encodeURIComponent(spec.session)}${q}`, { perMessageDeflate: false });
    let onReady: () => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.ws.on('error', (e) => {
      if (this.r.errors.length < 5) this.r.errors.push(String(e).slice(0, 200));
      onFail(e);
    });
    this.ws.on('close', (code, reason) => {
      this.r.closed = { code, reason: reason.toString() };
      onFail(new Error(`closed ${code} ${reason.toString()} before metadata`));
    });
    this.ws.on('message', (data: Buffer) => {
      const t = performance.now();
      const m = decoder.decode(data) as DataLike;
      if (m.type === 'data') this.data(m, t);
      else if (m.type === 'metadata') onReady();
      else if (m.type === 'status' && this.onStatus) this.onStatus(t);
      else {
        this.r.otherCount++;
        if (this.r.other.length < 5) this.r.other.push({ type: String(m.type), code: (m as { code?: string }).code, message: (m as { message?: string }).message });
      }
    });
  }

  private data(m: DataLike, t: number): void {
    const r = this.r;
    const seq = m.sequence_number;
    if (this.lastSeq >= 0) {
      if (seq <= this.lastSeq) r.outOfOrder++;
      else if (seq > this.lastSeq + 1) {
        r.gaps++;
        r.missing += seq - this.lastSeq - 1;
      }
    } else r.firstSeq = seq;
    this.lastSeq = seq;
    r.lastSeq = seq;
    r.packets++;
    const i = this.n++;
    if (this.record) this.grow(i, seq, t);
    if (this.spec.name === null) return;
    const k = m.kinematics;
    const wobble = Math.sin(seq * 0.7) * 20;
    const vx = (k?.vx ?? 0) * 0.8 + wobble;
    const vy = (k?.vy ?? 0) * 0.8 - wobble;
    const answer = () => {
      const now = performance.now();
      const bytes = encoder.encode({ type: 'prediction', sequence_number: seq, vx, vy, latency_ms: Math.round((now - t) * 1000) / 1000 });
      if (this.record) r.sentMs![i] = performance.now();
      this.ws.send(bytes, { binary: true });
      r.predictionsSent++;
      if (Date.now() - m.timestamp * 1000 > 1000) r.answeredAfter1s++;
    };
    if (this.spec.delayMs <= 0) answer();
    else at(t + this.spec.delayMs, answer);
  }

  private grow(i: number, seq: number, t: number): void {
    const r = this.r;
    if (i === r.seq!.length) {
      const g = (a: Float64Array, fill = 0) => {
        const b = new Float64Array(a.length * 2).fill(fill);
        b.set(a);
        return b;
      };
      r.seq = g(r.seq!);
      r.arrivalMs = g(r.arrivalMs!);
      r.sentMs = g(r.sentMs!, NaN);
    }
    r.seq![i] = seq;
    r.arrivalMs![i] = t;
  }

  result(): IngestClientResult {
    if (this.record) {
      this.r.seq = this.r.seq!.slice(0, this.n);
      this.r.arrivalMs = this.r.arrivalMs!.slice(0, this.n);
      this.r.sentMs = this.r.sentMs!.slice(0, this.n);
    }
    return this.r;
  }
}

/** `count` pings, one every `intervalMs`, each timed from send to the `status` answer (ms). */
async function pings(c: Client, count: number, intervalMs: number): Promise<number[]> {
  const out: number[] = [];
  const ping = encoder.encode({ type: 'ping' });
  for (let i = 0; i < count; i++) {
    const rtt = await new Promise<number>((resolve) => {
      const t0 = performance.now();
      c.onStatus = (t) => resolve(t - t0);
      c.ws.send(ping, { binary: true });
    });
    out.push(rtt);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  c.onStatus = null;
  return out;
}

const isChild = process.send !== undefined && import.meta.filename === process.argv[1];
if (isChild) {
  let clients: Client[] = [];
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', async (m: any) => {
    if (m.type === 'connect') {
      const failed: string[] = [];
      const specs: IngestClientSpec[] = m.clients;
      for (let i = 0; i < specs.length; i += 50) {
        const made = specs.slice(i, i + 50).map((s) => new Client(m.url, s, !!m.record));
        clients.push(...made);
        const settled = await Promise.allSettled(made.map((c) => Promise.race([c.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('no metadata within 20 s')), 20_000))])));
        settled.forEach((s, j) => s.status === 'rejected' && failed.push(`client ${i + j} (${specs[i + j].session}): ${String(s.reason).slice(0, 200)}`));
      }
      process.send!({ type: 'ready', clients: clients.length, failed });
    } else if (m.type === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    } else if (m.type === 'cpu') {
      const c = process.cpuUsage(cpu0);
      process.send!({ type: 'cpu', userUs: c.user, systemUs: c.system, wallMs: performance.now() - t0, sent: clients.reduce((s, x) => s + x.r.predictionsSent, 0) });
    } else if (m.type === 'pings') {
      process.send!({ type: 'pings', rttMs: await pings(clients[m.client], m.count, m.intervalMs) });
    } else if (m.type === 'stop') {
      const monoOffsetMs = monoOffset();
      process.send!({ type: 'results', clients: clients.map((c) => c.result()), monoOffsetMs }, () => {
        for (const c of clients) c.ws.terminate();
        clients = [];
        process.exit(0);
      });
    }
  });
}
