/**
 * What the decoders sent back, joined to the packets by sequence number, for the overlays: the
 * decoded cursors in the workspace and the decoded traces in the charts.
 *
 * Predictions arrive in PacketBatch.predictions, usually a batch after the packet they answer
 * and sometimes before the pacer has released that packet to the screen. So nothing is joined
 * on arrival: every prediction is written into its decoder's ring at `seq & MASK` (with the
 * seq, to tell it from an older one in the same cell), and the views look each drawn packet's
 * seq up when they draw. A prediction that comes late is simply there at the next draw.
 *
 * Velocity-only decoders get a cursor by integrating their velocity, bin by bin (a bin of the
 * session's width each: 25 ms by default), from the TRUE position at each trial start (and at
 * the first packet after a seek). The running position is kept per seq too, so a late prediction re-integrates
 * from its seq to the newest packet.
 *
 * Every array is allocated once per slot (the first time a decoder takes it): taking a
 * prediction or a packet, integrating and looking up allocate nothing.
 */
import type { StudioPacket, StudioPrediction } from '../../../shared/studioApi.ts';
import type { Axis } from '../../../shared/wire.ts';
import { BIN_MS } from '../../../shared/bins.ts';
import { DecoderSlots, MAX_DECODERS } from './decoderSlots.ts';

/**
 * Sequence numbers held: more than a 30 s window at 200 Hz (6000 packets, a 5 ms session) plus
 * what waits in the pacer.
 */
export const SEQ_CAPACITY = 8192;
const MASK = SEQ_CAPACITY - 1;

/** A velocity-only decoder that has not answered for this long (s) has no cursor... */
export const STALE_S = 1;
/** ...this many packets at the default 25 ms width. */
export const STALE_PACKETS = Math.round((STALE_S * 1000) / BIN_MS);

/** Bits of `axesSeen`. */
export const AXIS_BIT: Readonly<Record<Axis, number>> = { x: 1, y: 2, vx: 4, vy: 8 };

const num = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/** One decoder's predictions and running position, by `seq & MASK`. */
class SlotTrack {
  readonly seq = new Float64Array(SEQ_CAPACITY).fill(NaN);
  readonly x = new Float64Array(SEQ_CAPACITY);
  readonly y = new Float64Array(SEQ_CAPACITY);
  readonly vx = new Float64Array(SEQ_CAPACITY);
  readonly vy = new Float64Array(SEQ_CAPACITY);
  /** The integrated position at a seq (velocity-only decoders), valid where `iSeq` matches. */
  readonly iSeq = new Float64Array(SEQ_CAPACITY).fill(NaN);
  readonly ix = new Float64Array(SEQ_CAPACITY);
  readonly iy = new Float64Array(SEQ_CAPACITY);
  /** Bit set of the axes it has sent a finite value for (AXIS_BIT). */
  axesSeen = 0;
  /** Newest seq it answered. */
  newest = -1;
  /** Integrated up to this seq (inclusive); -1: nothing yet. */
  integratedTo = -1;
  /** A prediction came for a packet at or before `integratedTo`: re-integrate from here. */
  dirtyFrom = Infinity;

  clear(): void {
    this.seq.fill(NaN);
    this.iSeq.fill(NaN);
    this.axesSeen = 0;
    this.newest = -1;
    this.integratedTo = -1;
    this.dirtyFrom = Infinity;
  }

  /** Sends a position (x and y): its cursor is what it says, not an integral. */
  get hasPosition(): boolean {
    return (this.axesSeen & (AXIS_BIT.x | AXIS_BIT.y)) === (AXIS_BIT.x | AXIS_BIT.y);
  }

  get hasVelocity(): boolean {
    return (this.axesSeen & (AXIS_BIT.vx | AXIS_BIT.vy)) !== 0;
  }
}

export class DecodedTracks {
  readonly slots: DecoderSlots;
  private readonly tracks: Array<SlotTrack | null> = new Array<SlotTrack | null>(MAX_DECODERS).fill(null);

  // The drawn packets, by `seq & MASK`: the true position and whether it is an integration origin.
  private readonly pSeq = new Float64Array(SEQ_CAPACITY).fill(NaN);
  private readonly pX = new Float64Array(SEQ_CAPACITY);
  private readonly pY = new Float64Array(SEQ_CAPACITY);
  private readonly pOrigin = new Uint8Array(SEQ_CAPACITY);
  /** Newest packet drawn; -1 none since the last clear. */
  newestPacket = -1;
  /** First packet drawn since the last reset: integration never reaches back past it. */
  private firstPacket = -1;
  /** The next packet with a true position starts the integration afresh (after a reset, or a trial start without one). */
  private needOrigin = true;
  private prevTrialId: number | null = null;
  private prevTrialTimeMs: number | null = null;

  /** Bumps when something drawn changed without a new packet (a late prediction, a slot given up). */
  revision = 0;
  /** Seconds of recording a bin covers: a velocity moves the cursor by v × binS per packet. */
  private binS = BIN_MS / 1000;
  private staleAfter = STALE_PACKETS;

  constructor() {
    this.slots = new DecoderSlots(MAX_DECODERS, (slot) => {
      this.tracks[slot]?.clear();
      this.revision++;
    });
  }

  /** The session's bin width (ms): what a packet's velocity integrates over, and when a decoder goes stale. */
  setBinMs(binMs: number): void {
    this.binS = binMs / 1000;
    this.staleAfter = Math.max(1, Math.round((STALE_S * 1000) / binMs));
  }

  // ------------------------------------------------------------ input

  /**
   * Takes a batch's predictions. `drawnNow`: tell the views (bump `revision`) if one answers a
   * packet already on screen; while playing the next packet's frame redraws anyway.
   */
  takePredictions(preds: readonly StudioPrediction[], drawnNow: boolean): void {
    let late = false;
    for (let k = 0; k < preds.length; k++) {
      const p = preds[k];
      const seq = p.seq;
      if (!Number.isSafeInteger(seq) || seq < 0) continue;
      const slot = this.slots.slotOf(p.decoder);
      if (slot < 0) continue;
      const t = this.track(slot);
      const i = seq & MASK;
      const x = num(p.x);
      const y = num(p.y);
      const vx = num(p.vx);
      const vy = num(p.vy);
      t.seq[i] = seq;
      t.x[i] = x;
      t.y[i] = y;
      t.vx[i] = vx;
      t.vy[i] = vy;
      if (x === x) t.axesSeen |= AXIS_BIT.x;
      if (y === y) t.axesSeen |= AXIS_BIT.y;
      if (vx === vx) t.axesSeen |= AXIS_BIT.vx;
      if (vy === vy) t.axesSeen |= AXIS_BIT.vy;
      if (seq > t.newest) t.newest = seq;
      if (seq <= t.integratedTo && seq < t.dirtyFrom) t.dirtyFrom = seq;
      if (seq <= this.newestPacket) late = true;
    }
    if (late && drawnNow) this.revision++;
  }

  /** A packet drawn (in order, from LiveBuffers.push): its truth, and whether a trial starts there. */
  onPacket(p: StudioPacket): void {
    const i = p.seq & MASK;
    const x = num(p.x);
    const y = num(p.y);
    const trialStart =
      p.trialId !== null && (p.trialId !== this.prevTrialId || (p.trialTimeMs !== null && this.prevTrialTimeMs !== null && p.trialTimeMs < this.prevTrialTimeMs));
    let origin = false;
    if (trialStart || this.needOrigin) {
      // A trial (or a seek) without a true position to start from: start at the next one that has it.
      origin = x === x && y === y;
      this.needOrigin = !origin;
    }
    this.pSeq[i] = p.seq;
    this.pX[i] = x;
    this.pY[i] = y;
    this.pOrigin[i] = origin ? 1 : 0;
    this.prevTrialId = p.trialId;
    this.prevTrialTimeMs = p.trialTimeMs;
    if (this.firstPacket < 0) this.firstPacket = p.seq;
    this.newestPacket = p.seq;
  }

  /** The plots start afresh (seek, filter change, window): the next packet is an origin. */
  onReset(): void {
    this.needOrigin = true;
    this.firstPacket = -1;
    this.prevTrialId = null;
    this.prevTrialTimeMs = null;
    for (const t of this.tracks) if (t) t.integratedTo = -1;
  }

  /** Another session (sequence numbers start over): forget every decoder and packet. */
  clear(): void {
    this.slots.clear();
    this.pSeq.fill(NaN);
    this.newestPacket = -1;
    this.onReset();
    this.revision++;
  }

  /**
   * Brings the velocity-only decoders' positions up to the newest packet (once a frame, after the
   * packets are taken). Usually a step or two per decoder; after a late prediction, from its seq.
   */
  integrate(): void {
    const newest = this.newestPacket;
    if (newest < 0 || this.firstPacket < 0) return;
    const binS = this.binS;
    for (let slot = 0; slot < MAX_DECODERS; slot++) {
      const t = this.tracks[slot];
      if (t === null || t.hasPosition || !t.hasVelocity) continue;
      let from = Math.min(t.integratedTo + 1, t.dirtyFrom);
      if (t.integratedTo < 0) from = this.firstPacket;
      from = Math.max(from, this.firstPacket, newest - SEQ_CAPACITY + 1);
      t.dirtyFrom = Infinity;
      if (from > newest) continue;
      // The position just before `from`, if it was integrated.
      const pi = (from - 1) & MASK;
      let cx = t.iSeq[pi] === from - 1 ? t.ix[pi] : NaN;
      let cy = t.iSeq[pi] === from - 1 ? t.iy[pi] : NaN;
      for (let s = from; s <= newest; s++) {
        const i = s & MASK;
        if (s > t.newest + this.staleAfter) {
          // It stopped answering (disconnected, paused): no cursor, until a trial start after it answers again.
          cx = NaN;
          cy = NaN;
        } else if (this.pSeq[i] === s) {
          if (this.pOrigin[i] === 1) {
            cx = this.pX[i];
            cy = this.pY[i];
          } else if (t.seq[i] === s) {
            // No estimate on one axis: that coordinate holds.
            const vx = t.vx[i];
            const vy = t.vy[i];
            if (vx === vx) cx += vx * binS;
            if (vy === vy) cy += vy * binS;
          }
        }
        t.iSeq[i] = s;
        t.ix[i] = cx;
        t.iy[i] = cy;
      }
      t.integratedTo = newest;
    }
  }

  // ------------------------------------------------------------ output

  /** The slot's track has predictions (some slots are empty). */
  has(slot: number): boolean {
    const t = this.tracks[slot];
    return t !== null && t.newest >= 0;
  }

  /** Newest seq the slot's decoder answered, -1 if none (the traces wait for what is older). */
  newestAnswered(slot: number): number {
    return this.tracks[slot]?.newest ?? -1;
  }

  axesSeen(slot: number): number {
    return this.tracks[slot]?.axesSeen ?? 0;
  }

  /** The decoder's cursor is an integral of its velocity (it sends no position). */
  isIntegrated(slot: number): boolean {
    const t = this.tracks[slot];
    return t !== null && !t.hasPosition && t.hasVelocity;
  }

  /** The predicted `axis` for packet `seq`, NaN if none came. */
  value(slot: number, axis: Axis, seq: number): number {
    const t = this.tracks[slot];
    if (t === null || !(seq >= 0)) return NaN;
    const i = seq & MASK;
    if (t.seq[i] !== seq) return NaN;
    return axis === 'x' ? t.x[i] : axis === 'y' ? t.y[i] : axis === 'vx' ? t.vx[i] : t.vy[i];
  }

  /**
   * Fills `out[c]` with the predicted `axis` for the packet whose seq is `seqs[c]` (NaN where
   * there is no packet or no prediction): one chart series over the plot window.
   */
  fillSeries(slot: number, axis: Axis, seqs: Float64Array, out: Float64Array): void {
    const t = this.tracks[slot];
    if (t === null) {
      out.fill(NaN);
      return;
    }
    const src = axis === 'x' ? t.x : axis === 'y' ? t.y : axis === 'vx' ? t.vx : t.vy;
    const seqOf = t.seq;
    for (let c = 0; c < seqs.length; c++) {
      const s = seqs[c];
      if (s !== s) {
        out[c] = NaN;
        continue;
      }
      const i = s & MASK;
      out[c] = seqOf[i] === s ? src[i] : NaN;
    }
  }

  /**
   * The decoded cursor at packet `seq` into `out` ([x, y], NaN when unknown): the predicted
   * position, or the integrated one for a velocity-only decoder. Returns whether it is finite.
   */
  cursorAt(slot: number, seq: number, out: Float64Array): boolean {
    out[0] = NaN;
    out[1] = NaN;
    const t = this.tracks[slot];
    if (t === null || !(seq >= 0)) return false;
    const i = seq & MASK;
    if (t.hasPosition) {
      if (t.seq[i] === seq) {
        out[0] = t.x[i];
        out[1] = t.y[i];
      }
    } else if (t.iSeq[i] === seq) {
      out[0] = t.ix[i];
      out[1] = t.iy[i];
    }
    return out[0] === out[0] && out[1] === out[1];
  }

  /**
   * The newest decoded cursor at or up to `maxBack` packets before `seq` (the newest packet's
   * prediction is often still on its way): its seq, or -1 if none.
   */
  latestCursor(slot: number, seq: number, maxBack: number, out: Float64Array): number {
    for (let s = seq; s >= 0 && s >= seq - maxBack; s--) if (this.cursorAt(slot, s, out)) return s;
    return -1;
  }

  private track(slot: number): SlotTrack {
    let t = this.tracks[slot];
    if (t === null) this.tracks[slot] = t = new SlotTrack();
    return t;
  }
}
