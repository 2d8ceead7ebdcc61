/**
 * What an export needs to know before it reads predictions: for each sequence number, the bin
 * it carried and when it went out; which bins were streamed; the events; the last scores.
 * Kept as typed arrays (17 bytes a packet: 2.4 MB for an hour at 40 Hz); predictions, the bulk
 * of a recording, are then streamed through once.
 */
import { binStartSeconds } from '../../shared/bins.ts';
import { AXES, type Axis } from '../../shared/wire.ts';
import { evaluationMask } from '../playback/evaluationWindow.ts';
import type { EventRecord, PredictionRecord, ScoreRecord } from './format.ts';
import type { LogReadStats, Recording } from './readRecording.ts';
import type { SourceDataset } from './sourceDataset.ts';

export interface ExportProgress {
  /** What is being done, for a progress line. */
  stage: string;
  /** 0..1 over the whole export. */
  fraction: number;
}

export type ProgressFn = (p: ExportProgress) => void;

/** Sequence numbers a recorded packet may lie ahead of its row (packets lost while recording). */
const MAX_SEQ_GAP = 1 << 20;

/**
 * At most this many decoders are exported (the first seen): each costs open buffers (NWB) or a
 * file (CSV), and a damaged or hostile log could name millions.
 */
export const MAX_DECODERS = 256;

/** Packets, in the order built. */
export class PacketIndex {
  firstSeq = -1;
  count = 0;
  private seqs = new Float64Array(1024);
  private bins = new Int32Array(1024);
  private sentMs = new Float64Array(1024);
  private trials = new Int32Array(1024);
  private lostFlags = new Uint8Array(1024);
  /** Sequence number → row, -1 when not recorded (seq - firstSeq indexes it). */
  private rowOfSeq = new Int32Array(1024).fill(-1);

  add(seq: number, bin: number, tMs: number, trial: number | null, lost: boolean): void {
    if (this.count === this.seqs.length) this.grow();
    const i = this.count++;
    this.seqs[i] = seq;
    this.bins[i] = bin;
    this.sentMs[i] = tMs;
    this.trials[i] = trial ?? -1;
    this.lostFlags[i] = lost ? 1 : 0;
    if (this.firstSeq < 0) this.firstSeq = seq;
    const k = seq - this.firstSeq;
    // Out of order, or a jump no session makes (+1 a packet): a damaged log. The row is kept
    // but not findable by seq, rather than growing the index to the jump.
    if (k < 0 || k > this.count + MAX_SEQ_GAP) return;
    while (k >= this.rowOfSeq.length) {
      const next = new Int32Array(this.rowOfSeq.length * 2).fill(-1);
      next.set(this.rowOfSeq);
      this.rowOfSeq = next;
    }
    this.rowOfSeq[k] = i;
  }

  private grow(): void {
    const n = this.seqs.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.seqs = g(this.seqs);
    this.bins = g(this.bins);
    this.sentMs = g(this.sentMs);
    this.trials = g(this.trials);
    this.lostFlags = g(this.lostFlags);
  }

  rowOf(seq: number): number {
    const k = seq - this.firstSeq;
    return this.firstSeq < 0 || k < 0 || k >= this.rowOfSeq.length ? -1 : this.rowOfSeq[k];
  }
  seq(row: number): number {
    return this.seqs[row];
  }
  bin(row: number): number {
    return this.bins[row];
  }
  sentAtMs(row: number): number {
    return this.sentMs[row];
  }
  trial(row: number): number {
    return this.trials[row];
  }
  lost(row: number): boolean {
    return this.lostFlags[row] === 1;
  }
}

/** Truth of bins: the source's kinematics at the recording's width, as scored. */
export class Truth {
  private readonly mask: Uint8Array | null;
  constructor(
    private readonly source: SourceDataset | null,
    evaluate: Parameters<typeof evaluationMask>[2],
    /** Packets from this row on came from another dataset (a swap): no truth for them. */
    private readonly validRows: number,
  ) {
    this.mask = source ? evaluationMask(source.dataset, source.stream, evaluate) : null;
  }

  get available(): boolean {
    return this.source !== null;
  }

  /** Is `row`'s bin one this source can give (before a swap, inside the dataset)? */
  covers(row: number, bin: number): boolean {
    return this.source !== null && row >= 0 && row < this.validRows && bin >= 0 && bin < this.source.stream.numBins;
  }

  /** x, y, vx, vy of the bin into out (NaN where none, or not covered). */
  into(row: number, bin: number, out: Float64Array): void {
    if (!this.covers(row, bin)) {
      out.fill(NaN);
      return;
    }
    const k = this.source!.stream.kinematicsAt(bin);
    out[0] = k.x;
    out[1] = k.y;
    out[2] = k.vx;
    out[3] = k.vy;
  }

  /** Was the bin in the session's evaluation window? */
  inWindow(bin: number): boolean {
    return this.mask === null || this.mask[bin] === 1;
  }
}

/** The prediction's values as x, y, vx, vy (NaN where the decoder gave none). */
export function predictedInto(p: PredictionRecord, out: Float64Array): void {
  for (let a = 0; a < AXES.length; a++) {
    const v = p.values[AXES[a] as Axis];
    out[a] = typeof v === 'number' ? v : NaN;
  }
}

/**
 * Counted in the final cumulative scores: a joined prediction (scored or late) for a bin in the
 * window, after the last reset of the scores.
 */
export function wasEvaluated(p: PredictionRecord, row: number, bin: number, truth: Truth, lastResetMs: number): boolean {
  return (p.outcome === 'scored' || p.outcome === 'late') && p.t_ms >= lastResetMs && truth.covers(row, bin) && truth.inWindow(bin);
}

export interface RecordingIndex {
  packets: PacketIndex;
  events: EventRecord[];
  lastScores: ScoreRecord | null;
  /** Rows before the first dataset swap (all rows when none). */
  rowsBeforeSwap: number;
  /** When the scores were last reset (-Infinity: never): earlier predictions are not in the final scores. */
  lastResetMs: number;
  binMs: number;
  stats: Partial<Record<'packets' | 'events' | 'scores', LogReadStats>>;
}

/** Reads packets, events and scores (everything but predictions). */
export async function indexRecording(rec: Recording): Promise<RecordingIndex> {
  const events: EventRecord[] = [];
  const stats: RecordingIndex['stats'] = {};
  stats.events = await rec.read('events', (e) => events.push(e));
  events.sort((a, b) => a.t_ms - b.t_ms);
  const swap = events.find((e) => e.kind === 'dataset');
  const packets = new PacketIndex();
  let rowsBeforeSwap = -1;
  stats.packets = await rec.read('packets', (p) => {
    if (swap && rowsBeforeSwap < 0 && p.t_ms >= swap.t_ms) rowsBeforeSwap = packets.count;
    packets.add(p.seq, p.bin, p.t_ms, p.trial ?? null, p.lost === true);
  });
  let lastScores: ScoreRecord | null = null;
  stats.scores = await rec.read('scores', (s) => {
    if (!lastScores || s.t_ms >= lastScores.t_ms) lastScores = s;
  });
  const resets = events.filter((e) => e.kind === 'scores_reset');
  const lastResetMs = resets.length ? resets[resets.length - 1].t_ms : -Infinity;
  return { packets, events, lastScores, lastResetMs, rowsBeforeSwap: rowsBeforeSwap < 0 ? packets.count : rowsBeforeSwap, binMs: rec.manifest.bin_ms, stats };
}

/** Start of bin `bin` at the recording's width, seconds on the source recording's clock (the packets' `time_s`). */
export function binTime(bin: number, binMs: number): number {
  return bin < 0 ? NaN : binStartSeconds(bin, binMs * 1000);
}

/** What was left out when a log names more than MAX_DECODERS decoders. */
export function skippedDecoders(names: Set<string>): string {
  const some = [...names].slice(0, 3).map((n) => JSON.stringify(n.slice(0, 40)));
  return `the predictions of ${names.size} decoder(s) beyond the first ${MAX_DECODERS} (${some.join(', ')}${names.size > 3 ? ', …' : ''})`;
}
