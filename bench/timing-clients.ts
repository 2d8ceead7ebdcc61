/**
 * The client side of bench/timing.ts, run as a separate process (spawned with an IPC channel;
 * not meant to be run by hand). Opens `--per` MessagePack clients on each session in
 * `--sessions`, records every data packet's sequence number, bin index and arrival time, and
 * checks the stream: no sequence gaps, no reordering, consecutive bins, nothing but data after
 * the metadata.
 *
 * Protocol with the parent (process.send / 'message'):
 *   child → { type: 'ready', clients }                  every client has its metadata
 *   parent → { type: 'stop' }                           the server paused every session
 *   child → { type: 'results', clients: ClientReport[], cpu, monoOffsetMs }
 * Arrival times are `performance.now()` of this process; `monoOffsetMs` converts them to
 * `process.hrtime` milliseconds (CLOCK_MONOTONIC, the same clock in both processes).
 */
import WebSocket from 'ws';
import { decodeMsgpack } from '../src/shared/codecs.ts';
import { setPriority } from 'node:os';
import { arg, monoOffset } from './lib.ts';

export interface ClientReport {
  session: string;
  index: number;
  /** Data packets received. */
  packets: number;
  /** Sequence numbers and arrival times (performance.now() ms) of every data packet. */
  seq: number[];
  arrival: number[];
  /** Sequence numbers skipped (sum over gaps) and how many gaps. */
  missing: number;
  gaps: number;
  /** A sequence number not above the previous one. */
  outOfOrder: number;
  /** bin_index not previous + 1 (no filter, no loop in the run: every step must be +1). */
  binJumps: number;
  /** Messages after the metadata that were not data packets. */
  otherMessages: number;
  metadata: number;
  closed: { code: number; reason: string } | null;
  errors: string[];
}

const url = arg('url');
const sessions = (arg('sessions') ?? '').split(',').filter(Boolean);
const per = Number(arg('per') ?? 10);
if (!url || sessions.length === 0 || !process.send) {
  console.error('usage: spawned by bench/timing.ts with --url ws://host:port --sessions a,b --per 10 and an IPC channel');
  process.exit(2);
}

class Client {
  readonly r: ClientReport;
  private lastSeq = -1;
  private lastBin = -1;
  readonly ws: WebSocket;
  ready = false;

  constructor(session: string, index: number, onReady: () => void) {
    this.r = { session, index, packets: 0, seq: [], arrival: [], missing: 0, gaps: 0, outOfOrder: 0, binJumps: 0, otherMessages: 0, metadata: 0, closed: null, errors: [] };
    this.ws = new WebSocket(`${url}/stream/binary/${session}`);
    this.ws.on('error', (e) => this.r.errors.push(String(e)));
    this.ws.on('close', (code, reason) => (this.r.closed = { code, reason: reason.toString() }));
    this.ws.on('message', (data: Buffer) => {
      const t = performance.now();
      const msg = decodeMsgpack(data) as { type: string; sequence_number: number; bin_index: number };
      if (msg.type === 'data') {
        const r = this.r;
        r.packets++;
        r.seq.push(msg.sequence_number);
        r.arrival.push(t);
        if (this.lastSeq >= 0) {
          if (msg.sequence_number <= this.lastSeq) r.outOfOrder++;
          else if (msg.sequence_number > this.lastSeq + 1) {
            r.gaps++;
            r.missing += msg.sequence_number - this.lastSeq - 1;
          }
          if (msg.bin_index !== this.lastBin + 1) r.binJumps++;
        }
        this.lastSeq = msg.sequence_number;
        this.lastBin = msg.bin_index;
      } else if (msg.type === 'metadata') {
        this.r.metadata++;
        if (!this.ready) {
          this.ready = true;
          onReady();
        }
      } else {
        this.r.otherMessages++;
      }
    });
  }
}

if (arg('priority') !== undefined) setPriority(Number(arg('priority')));

const clients: Client[] = [];
let ready = 0;
const total = sessions.length * per;
// CPU is counted from the moment every client is ready (the run), not during connecting.
let cpu0 = process.cpuUsage();
let t0 = performance.now();
for (const s of sessions) {
  for (let i = 0; i < per; i++) {
    clients.push(
      new Client(s, i, () => {
        if (++ready === total) {
          cpu0 = process.cpuUsage();
          t0 = performance.now();
          process.send!({ type: 'ready', clients: total });
        }
      }),
    );
  }
}

process.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  // performance.now() and hrtime are the same monotonic clock here: one offset converts.
  const monoOffsetMs = monoOffset();
  process.send!({ type: 'results', clients: clients.map((c) => c.r), cpu: { userUs: cpu.user, systemUs: cpu.system, wallMs }, monoOffsetMs }, () => {
    for (const c of clients) c.ws.terminate();
    process.exit(0);
  });
});
