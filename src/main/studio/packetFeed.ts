import type { PacketBatch, StudioPacket } from '../../shared/studioApi.ts';
import { binStartSeconds } from '../../shared/bins.ts';
import type { DataPacket } from '../../shared/wire.ts';
import type { Session, SessionSubscriber } from '../playback/session.ts';
import type { SessionManager } from '../playback/sessionManager.ts';

/**
 * The selected session's packets for the studio window: the very packets the decoders get,
 * slimmed and coalesced into one batch per flush, so 20× speed (800 packets/s) reaches the
 * renderer as 20 messages a second. Follows the session code: if the session is deleted and
 * created again, the feed re-attaches to the new one.
 */
export class StudioPacketFeed implements SessionSubscriber {
  private pending: StudioPacket[] = [];
  private bound: Session | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionManager,
    private readonly code: string,
    flushMs: number,
    private readonly emit: (batch: PacketBatch) => void,
  ) {
    this.bind();
    this.timer = setInterval(() => this.flush(), flushMs);
  }

  onPacket(p: DataPacket): void {
    const state = this.bound!;
    this.pending.push({
      seq: p.sequence_number,
      bin: p.bin_index,
      positionS: binStartSeconds(state.state().position_packets - 1),
      counts: p.spikes.spike_counts,
      x: p.kinematics.x,
      y: p.kinematics.y,
      vx: p.kinematics.vx,
      vy: p.kinematics.vy,
      trialId: p.trial_id,
      trialTimeMs: p.trial_time_ms,
      targetId: p.intention.target_id,
    });
    // A renderer that stopped listening must not make us hold memory: keep ~10 s at most.
    if (this.pending.length > 400 * 10) this.pending.splice(0, this.pending.length - 4000);
  }

  close(): void {
    clearInterval(this.timer);
    this.bound?.detach(this);
    this.bound = undefined;
  }

  private bind(): void {
    const s = this.sessions.get(this.code);
    if (s === this.bound) return;
    this.bound?.detach(this);
    this.bound = s;
    s?.attach(this);
  }

  private flush(): void {
    this.bind();
    if (this.pending.length === 0) return;
    const packets = this.pending;
    this.pending = [];
    this.emit({ code: this.code, packets });
  }
}
