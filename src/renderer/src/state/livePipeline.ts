/**
 * The selected session's packets on their way to the screen: they queue in a pacer as they
 * arrive, and the frame loop moves the due ones into the live buffers the views draw from.
 *
 * None of this goes through React state: the live views read `live` straight from the frame
 * loop (live/frameLoop.ts). The store owns one pipeline, feeds it the packets and tells it
 * when the plots must start afresh; the pipeline reads the playback the engine last reported
 * (status, speed, position, duration) through the function it was made with, so it never
 * keeps a copy that could go stale.
 *
 * The session's bin width sets the pace: packets leave the pacer at 1000 / binMs × speed a
 * second and each is binMs of plot. The store tells the pipeline which session it follows
 * (`follow`), and the buffers are re-sized then, once, not per packet.
 */
import type { PlaybackInfo, PlaybackSnapshot, StudioPacket, StudioPrediction } from '../../../shared/studioApi.ts';
import { LiveBuffers } from '../data/liveBuffers.ts';
import { PacketPacer } from '../data/pacer.ts';
import { binMsOf } from '../data/timeline.ts';

/** What the pipeline reads of the selected session's playback. */
export type LivePlayback = Pick<PlaybackSnapshot, 'status' | 'speed' | 'positionS' | 'durationS'>;

/**
 * After the last packet drawn, the position on screen follows the packets for this long (ms);
 * past it the stream has stalled or stopped and the engine's snapshot is the better guess.
 */
export const PACKET_POSITION_MS = 600;

export class LivePipeline {
  /** What the live views draw: the plot window, the raster, the trail, the latest packet. */
  readonly live = new LiveBuffers();
  private readonly pacer = new PacketPacer<StudioPacket>();
  /** Wall time (performance.now) the last packet was drawn. */
  private lastPacketMs = -Infinity;
  /** Packets older than this sequence number belong to before a seek/stop/filter change. */
  private minSeq = 0;
  /**
   * The session's duration while `advance` runs, for the sink: a loop wrap (the end back to 0)
   * is continuous, a jump is not. Infinity with no playback known yet (nothing wraps).
   */
  private durationS = Infinity;
  // One sink for the life of the pipeline: releasing packets allocates nothing per frame.
  private readonly sink = (p: StudioPacket) => this.live.push(p, this.durationS);

  constructor(private readonly playback: () => LivePlayback | null) {}

  /**
   * The stream settings of the session drawn: its bin width (the plots re-size and start afresh
   * when it changes) and its jitter (held-back packets carry positions up to that much late,
   * which must not look like a seek). Null: the default 25 ms stream.
   */
  follow(info: Partial<Pick<PlaybackInfo, 'binMs' | 'perturbations'>> | null): void {
    const binMs = binMsOf(info);
    this.live.setBinMs(binMs);
    const jitterMs = info?.perturbations?.jitter?.max_ms ?? 0;
    this.live.setPositionSlack(jitterMs > 0 ? (jitterMs + binMs) / 1000 : 0);
  }

  /** Packets a second at 1× of the session drawn. */
  get rateHz(): number {
    return this.live.rateHz;
  }

  /** Queues the packets that belong to the current position (not to before the last reset's floor). */
  take(packets: readonly StudioPacket[]): void {
    for (const p of packets) if (p.seq >= this.minSeq) this.pacer.push(p);
  }

  /**
   * Keeps the decoders' predictions, joined to packets by sequence number when they are drawn
   * (data/decodedTracks.ts): they are not paced, since the packets they answer are.
   */
  takePredictions(predictions: readonly StudioPrediction[]): void {
    if (predictions.length === 0) return;
    // While playing, the next packet's frame draws them; otherwise ask for a frame.
    this.live.decoded.takePredictions(predictions, this.playback()?.status !== 'playing');
  }

  /** Another session: its decoders and sequence numbers are other ones. */
  forgetDecoders(): void {
    this.live.decoded.clear();
  }

  /**
   * Moves due packets from the pacer into the live buffers (called once per animation frame).
   * While playing they leave at the session's own rate, so batches scroll smoothly; otherwise
   * whatever is queued is drawn at once. Returns how many were taken.
   */
  advance(nowMs: number): number {
    const pb = this.playback();
    this.durationS = pb?.durationS ?? Infinity;
    let n: number;
    if (pb?.status === 'playing') {
      this.pacer.setRate(this.live.rateHz * pb.speed);
      n = this.pacer.release(nowMs, this.sink);
    } else {
      n = this.pacer.drain(this.sink);
    }
    if (n > 0) this.lastPacketMs = nowMs;
    // The velocity-only decoders' cursors follow the packets just drawn (and any late prediction).
    this.live.decoded.integrate();
    return n;
  }

  /** Session-timeline position to show now: from packets while they flow, else the snapshot. */
  positionAt(nowMs: number): number {
    const pb = this.playback();
    if (!pb) return 0;
    if (pb.status === 'playing' && this.live.hasPacket && nowMs - this.lastPacketMs < PACKET_POSITION_MS) {
      return Math.min(this.live.endOfLastPacketS, pb.durationS);
    }
    return pb.positionS;
  }

  /**
   * Starts the plots afresh: drops what is queued and drawn. With `floorSeq`, packets numbered
   * below it (sent before a seek, stop or filter change, still in flight) are dropped from now
   * on; a new session passes 0, since sequence numbers are per session.
   */
  reset(floorSeq?: number): void {
    if (floorSeq !== undefined) this.minSeq = floorSeq;
    this.pacer.clear();
    this.live.reset();
    this.lastPacketMs = -Infinity;
  }

  /**
   * Raises the floor without clearing anything: the engine's answer to a seek says how many
   * packets it had sent by then, and any below that are from before the seek.
   */
  raiseFloor(seq: number): void {
    this.minSeq = Math.max(this.minSeq, seq);
  }
}
