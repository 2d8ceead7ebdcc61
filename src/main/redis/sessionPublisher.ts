import type { DataPacket } from '../../shared/wire.ts';
import type { RedisSessionStatus } from '../../shared/studioApi.ts';
import type { Session, SessionSubscriber } from '../playback/session.ts';
import { INT8_MAX, LAYOUT_DOC, publishedStreams, syncLabel, type StreamNames } from './layout.ts';
import { ITEM_SET, ITEM_XADD, type WriteBatch } from './writeBatch.ts';

/** Entries waiting for the next pipeline, at most: 6.4 s at 40 Hz. Beyond, the oldest are dropped (counted). */
export const PENDING_CAP = 256;
/** Our XADD times kept per sequence number for the latency of answers (as the session's SentLog). */
const XADD_LOG = 8192;

/** Which commands of a flush carried which entries, to count what Redis acknowledged. */
export interface Drained {
  publisher: SessionPublisher;
  /** Index in the batch of the first entry's spikes XADD. */
  firstItem: number;
  entries: number;
  itemsPerEntry: number;
  /** performance.now() when the oldest entry was queued. */
  oldestQueuedMs: number;
}

/**
 * One session's side of the Redis bridge. On the tick (`onPacket`) it only copies the packet into
 * preallocated typed arrays; the bridge's flush, after the tick, frames what is pending into the
 * flush's one write (writeBatch.ts). The queue is bounded: a Redis that does not keep up costs dropped entries
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
    private readonly maxlen: number,
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
   * Moves every pending entry into `batch` (after the metadata when it changed). `ts` (8 bytes,
   * uint64 monotonic ns) and `nowMs` are the flush's time: BRAND's `ts`, and the start of a
   * decoder's round trip.
   */
  drain(batch: WriteBatch, ts: Buffer, tsMs: number, nowMs: number): Drained | null {
    if (this.metadataDirty) {
      batch.begin(ITEM_SET, 2);
      batch.text(this.names.metadata);
      batch.text(this.metadataJson());
      this.metadataDirty = false;
    }
    if (this.pending === 0) return null;
    const blind = this.session.settings.blind;
    const n = this.pending;
    const ch = this.channels;
    const bytes = new Uint8Array(this.counts.buffer);
    const firstItem = batch.items;
    const oldest = this.queuedAt[this.head];
    for (let e = 0; e < n; e++) {
      const slot = (this.head + e) % PENDING_CAP;
      const seq = this.seqs[slot];
      const sync = syncLabel(this.session.code, seq, this.bins[slot]);
      const f = slot * 8;
      // BRAND's binned_spikes: samples, ts, sync, i — in bin_multiple.py's order.
      batch.begin(ITEM_XADD, 9);
      batch.text(this.names.spikes);
      batch.text('samples');
      batch.raw(bytes.subarray(slot * ch, slot * ch + ch));
      this.tail(batch, ts, sync, seq);
      if (!blind) {
        batch.begin(ITEM_XADD, 9);
        batch.text(this.names.kinematics);
        batch.text('samples');
        batch.f32(this.floats, f, 4);
        this.tail(batch, ts, sync, seq);
        batch.begin(ITEM_XADD, 11);
        batch.text(this.names.intention);
        batch.text('samples');
        batch.f32(this.floats, f + 4, 3);
        batch.text('target_id');
        batch.i32(this.ints[slot * 2]);
        this.tail(batch, ts, sync, seq);
      }
      batch.begin(ITEM_XADD, 11);
      batch.text(this.names.trial);
      batch.text('trial_id');
      batch.i32(this.ints[slot * 2 + 1]);
      batch.text('trial_time_ms');
      batch.f32(this.floats, f + 7, 1);
      this.tail(batch, ts, sync, seq);
      const log = seq % XADD_LOG;
      this.xaddSeq[log] = seq;
      this.xaddMs[log] = nowMs;
      this.xaddTsMs[log] = tsMs;
    }
    this.head = (this.head + n) % PENDING_CAP;
    this.pending = 0;
    return { publisher: this, firstItem, entries: n, itemsPerEntry: blind ? 2 : 4, oldestQueuedMs: oldest };
  }

  /** The fields every stream's entry ends with: ts, sync, i. */
  private tail(batch: WriteBatch, ts: Buffer, sync: string, seq: number): void {
    batch.text('ts');
    batch.u64Bytes(ts);
    batch.text('sync');
    batch.text(sync);
    batch.text('i');
    batch.u64(seq);
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
