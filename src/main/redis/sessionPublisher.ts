import type { DataPacket } from '../../shared/wire.ts';
import type { RedisSessionStatus } from '../../shared/studioApi.ts';
import type { Session, SessionSubscriber } from '../playback/session.ts';
import { DEFAULT_MAXLEN, INT8_MAX, LAYOUT_DOC, publishedStreams, syncLabel, type StreamNames } from './layout.ts';

/** Entries waiting for the next pipeline, at most: 6.4 s at 40 Hz. Beyond, the oldest are dropped (counted). */
export const PENDING_CAP = 256;
/** Our XADD times kept per sequence number for the latency of answers (as the session's SentLog). */
const XADD_LOG = 8192;

/** The pipeline a flush writes into: ioredis's, narrowed to the two commands we send. */
export interface WriteBatch {
  xadd(key: string, ...args: Array<string | Buffer>): unknown;
  set(key: string, value: string): unknown;
}

/** Which commands of a flush carried which entries, to count what Redis acknowledged. */
export interface Drained {
  publisher: SessionPublisher;
  /** Index in the pipeline of the first entry's spikes XADD. */
  firstCommand: number;
  entries: number;
  commandsPerEntry: number;
  /** performance.now() when the oldest entry was queued. */
  oldestQueuedMs: number;
}

/**
 * One session's side of the Redis bridge. On the tick (`onPacket`) it only copies the packet into
 * preallocated typed arrays; the bridge's flush, after the tick, turns what is pending into XADDs
 * of one pipeline. The queue is bounded: a Redis that does not keep up costs dropped entries
 * (counted), never memory or tick time.
 */
export class SessionPublisher implements SessionSubscriber {
  readonly stats = { written: 0, dropped: 0, failed: 0, clipped: 0, lagMs: null as number | null };
  private channels: number;
  private counts: Int8Array;
  private readonly seqs = new Float64Array(PENDING_CAP);
  private readonly bins = new Int32Array(PENDING_CAP);
  private readonly queuedAt = new Float64Array(PENDING_CAP);
  /** x, y, vx, vy, target_x, target_y, distance, trial_time_ms per entry (NaN = null). */
  private readonly floats = new Float32Array(PENDING_CAP * 8);
  /** target_id, trial_id per entry (−1 = null). */
  private readonly ints = new Int32Array(PENDING_CAP * 2);
  private head = 0;
  private pending = 0;
  private metadataDirty = true;
  private readonly xaddSeq = new Float64Array(XADD_LOG).fill(-1);
  private readonly xaddMs = new Float64Array(XADD_LOG);
  private readonly xaddTsMs = new Float64Array(XADD_LOG);
  /** The first sequence number published: decoders are scored from there. */
  firstSeq = -1;

  constructor(
    readonly session: Session,
    readonly names: StreamNames,
    private readonly onQueued: () => void,
    private readonly maxlen = DEFAULT_MAXLEN,
  ) {
    this.channels = session.currentDataset.numUnits;
    this.counts = new Int8Array(PENDING_CAP * this.channels);
  }

  get pendingCount(): number {
    return this.pending;
  }

  onPacket(packet: DataPacket): void {
    if (this.pending === PENDING_CAP) {
      // Redis is behind: the oldest entry goes, the stream stays live.
      this.head = (this.head + 1) % PENDING_CAP;
      this.pending--;
      this.stats.dropped++;
    }
    const slot = (this.head + this.pending++) % PENDING_CAP;
    if (this.firstSeq < 0) this.firstSeq = packet.sequence_number;
    this.seqs[slot] = packet.sequence_number;
    this.bins[slot] = packet.bin_index;
    this.queuedAt[slot] = performance.now();
    const src = packet.spikes.spike_counts;
    const n = Math.min(src.length, this.channels);
    const row = slot * this.channels;
    for (let c = 0; c < n; c++) {
      const v = src[c];
      if (v > INT8_MAX) {
        this.counts[row + c] = INT8_MAX;
        this.stats.clipped++;
      } else this.counts[row + c] = v;
    }
    const k = packet.kinematics;
    const t = packet.intention;
    const f = slot * 8;
    this.floats[f] = k.x ?? NaN;
    this.floats[f + 1] = k.y ?? NaN;
    this.floats[f + 2] = k.vx ?? NaN;
    this.floats[f + 3] = k.vy ?? NaN;
    this.floats[f + 4] = t.target_x ?? NaN;
    this.floats[f + 5] = t.target_y ?? NaN;
    this.floats[f + 6] = t.distance_to_target ?? NaN;
    this.floats[f + 7] = packet.trial_time_ms ?? NaN;
    this.ints[slot * 2] = t.target_id ?? -1;
    this.ints[slot * 2 + 1] = packet.trial_id ?? -1;
    this.onQueued();
  }

  /** The dataset or timeline changed: pending entries of the old one go; the metadata is rewritten. */
  onMetadataChanged(session: Session): void {
    const channels = session.currentDataset.numUnits;
    if (channels !== this.channels) {
      this.stats.dropped += this.pending;
      this.pending = 0;
      this.channels = channels;
      this.counts = new Int8Array(PENDING_CAP * channels);
    }
    this.metadataDirty = true;
    this.onQueued();
  }

  /** Redis came back (possibly empty, after a restart): the metadata key is written again first. */
  markMetadataDirty(): void {
    this.metadataDirty = true;
  }

  /** Redis is unreachable: what is pending cannot be written. */
  failPending(): void {
    this.stats.failed += this.pending;
    this.pending = 0;
  }

  /**
   * Moves every pending entry into `batch` (after the metadata when it changed). `tsNs` and
   * `nowMs` are the flush's monotonic time: BRAND's `ts`, and the start of a decoder's round trip.
   */
  drain(batch: WriteBatch, commandIndex: number, tsNs: bigint, nowMs: number): { drained: Drained | null; commands: number } {
    let commands = 0;
    if (this.metadataDirty) {
      batch.set(this.names.metadata, this.metadataJson());
      this.metadataDirty = false;
      commands++;
    }
    if (this.pending === 0) return { drained: null, commands };
    const blind = this.session.settings.blind;
    const perEntry = blind ? 2 : 4;
    const n = this.pending;
    const ch = this.channels;
    // One slab per flush for every binary field: samples, ts, i (and the truth's fields).
    const entryBytes = ch + 8 + 8 + (blind ? 0 : 16 + 12 + 4) + 8;
    const slab = Buffer.allocUnsafe(n * entryBytes);
    const ts = slab.subarray(0, 8);
    ts.writeBigUInt64LE(tsNs);
    let off = 8;
    const take = (bytes: number) => slab.subarray(off, (off += bytes));
    const maxlen = String(this.maxlen);
    const tsMs = Number(tsNs) / 1e6;
    const oldest = this.queuedAt[this.head];
    for (let e = 0; e < n; e++) {
      const slot = (this.head + e) % PENDING_CAP;
      const seq = this.seqs[slot];
      const sync = syncLabel(this.session.code, seq, this.bins[slot]);
      const i = take(8);
      i.writeBigUInt64LE(BigInt(seq));
      const samples = take(ch);
      samples.set(new Uint8Array(this.counts.buffer, slot * ch, ch));
      batch.xadd(this.names.spikes, 'MAXLEN', '~', maxlen, '*', 'samples', samples, 'ts', ts, 'sync', sync, 'i', i);
      const f = slot * 8;
      if (!blind) {
        const kin = take(16);
        for (let a = 0; a < 4; a++) kin.writeFloatLE(this.floats[f + a], a * 4);
        batch.xadd(this.names.kinematics, 'MAXLEN', '~', maxlen, '*', 'samples', kin, 'ts', ts, 'sync', sync, 'i', i);
        const intent = take(12);
        for (let a = 0; a < 3; a++) intent.writeFloatLE(this.floats[f + 4 + a], a * 4);
        const target = take(4);
        target.writeInt32LE(this.ints[slot * 2]);
        batch.xadd(this.names.intention, 'MAXLEN', '~', maxlen, '*', 'samples', intent, 'target_id', target, 'ts', ts, 'sync', sync, 'i', i);
      }
      const trial = take(8);
      trial.writeInt32LE(this.ints[slot * 2 + 1], 0);
      trial.writeFloatLE(this.floats[f + 7], 4);
      batch.xadd(this.names.trial, 'MAXLEN', '~', maxlen, '*', 'trial_id', trial.subarray(0, 4), 'trial_time_ms', trial.subarray(4), 'ts', ts, 'sync', sync, 'i', i);
      const log = seq % XADD_LOG;
      this.xaddSeq[log] = seq;
      this.xaddMs[log] = nowMs;
      this.xaddTsMs[log] = tsMs;
    }
    this.head = (this.head + n) % PENDING_CAP;
    this.pending = 0;
    return { drained: { publisher: this, firstCommand: commandIndex + commands, entries: n, commandsPerEntry: perEntry, oldestQueuedMs: oldest }, commands: commands + n * perEntry };
  }

  /** When we wrote entry `seq`: performance.now() and our `ts` (ms), or null if not kept. */
  xaddTime(seq: number): { ms: number; tsMs: number } | null {
    const log = seq % XADD_LOG;
    return this.xaddSeq[log] === seq ? { ms: this.xaddMs[log], tsMs: this.xaddTsMs[log] } : null;
  }

  status(): RedisSessionStatus {
    return {
      code: this.session.code,
      streams: publishedStreams(this.names, this.session.settings.blind),
      metadataKey: this.names.metadata,
      written: this.stats.written,
      dropped: this.stats.dropped,
      failed: this.stats.failed,
      clipped: this.stats.clipped,
      lagMs: this.stats.lagMs,
    };
  }

  private metadataJson(): string {
    const blind = this.session.settings.blind;
    return JSON.stringify({
      ...this.session.metadata(),
      session: this.session.code,
      streams: {
        binned_spikes: this.names.spikes,
        kinematics: blind ? null : this.names.kinematics,
        intention: blind ? null : this.names.intention,
        trial: this.names.trial,
      },
      layout: LAYOUT_DOC,
      maxlen: this.maxlen,
    });
  }
}
