import type { PacketBatch, StudioPacket, StudioPrediction } from '../../shared/studioApi.ts';
import { binStartSeconds } from '../../shared/bins.ts';
import type { DataPacket } from '../../shared/wire.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Decoder, PredictedValues } from '../evaluation/sessionScoring.ts';
import type { Session, SessionSubscriber } from '../playback/session.ts';
import type { SessionManager } from '../playback/sessionManager.ts';

/** A renderer that stopped listening must not make us hold memory: ~10 s of packets at 20× at most. */
const MAX_PENDING = 4000;

const orNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * The selected session's packets for the studio window: the very packets the decoders get,
 * slimmed and coalesced into one batch per flush, with the predictions decoders sent meanwhile,
 * so 20× speed (800 packets/s) reaches the renderer as 20 messages a second. Follows the
 * session code: if the session is deleted and created again, the feed re-attaches to the new one.
 * In a blind session the experimenter still sees the truth the decoders do not get.
 */
export class StudioPacketFeed implements SessionSubscriber {
  private pending: StudioPacket[] = [];
  private predictions: StudioPrediction[] = [];
  private bound: Session | undefined;
  private offPredictions: () => void = () => {};
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionManager,
    private readonly scoring: Scoring,
    private readonly code: string,
    flushMs: number,
    private readonly emit: (batch: PacketBatch) => void,
  ) {
    this.bind();
    this.timer = setInterval(() => this.flush(), flushMs);
  }

  onPacket(p: DataPacket): void {
    const session = this.bound!;
    const packet: StudioPacket = {
      seq: p.sequence_number,
      bin: p.bin_index,
      positionS: binStartSeconds(session.state().position_packets - 1, session.currentStream.binUs),
      counts: p.spikes.spike_counts,
      x: p.kinematics.x,
      y: p.kinematics.y,
      vx: p.kinematics.vx,
      vy: p.kinematics.vy,
      trialId: p.trial_id,
      trialTimeMs: p.trial_time_ms,
      targetId: p.intention.target_id,
    };
    if (session.settings.blind) this.unblind(session, packet);
    this.pending.push(packet);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
  }

  close(): void {
    clearInterval(this.timer);
    this.bound?.detach(this);
    this.offPredictions();
    this.bound = undefined;
  }

  private readonly onPrediction = (d: Decoder, seq: number, v: PredictedValues) => {
    this.predictions.push({ seq, decoder: d.id, x: orNull(v.x), y: orNull(v.y), vx: orNull(v.vx), vy: orNull(v.vy) });
    if (this.predictions.length > MAX_PENDING * 8) this.predictions.splice(0, this.predictions.length - MAX_PENDING * 8);
  };

  /** The truth a blind session withholds from its packets. */
  private unblind(session: Session, packet: StudioPacket): void {
    const ds = session.currentDataset;
    const stream = session.currentStream;
    const k = stream.kinematicsAt(packet.bin);
    packet.x = orNull(k.x);
    packet.y = orNull(k.y);
    packet.vx = orNull(k.vx);
    packet.vy = orNull(k.vy);
    const trial = stream.trialOfBin[packet.bin];
    packet.targetId = trial >= 0 ? ds.trials[trial].targetId : null;
  }

  private bind(): void {
    const s = this.sessions.get(this.code);
    if (s === this.bound) return;
    this.bound?.detach(this);
    this.offPredictions();
    this.bound = s;
    if (!s) return;
    s.attach(this);
    this.offPredictions = this.scoring.of(s).onPrediction(this.onPrediction);
  }

  private flush(): void {
    this.bind();
    if (this.pending.length === 0 && this.predictions.length === 0) return;
    const batch: PacketBatch = { code: this.code, packets: this.pending, predictions: this.predictions };
    this.pending = [];
    this.predictions = [];
    this.emit(batch);
  }
}
