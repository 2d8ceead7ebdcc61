import type { Scoreboard } from '../../shared/studioApi.ts';
import type { Session } from '../playback/session.ts';
import { SessionScoring, type Decoder } from './sessionScoring.ts';

/**
 * Live scoring for every session: one SessionScoring per session, made when its first decoder
 * appears (over WebSocket or Redis). Every face reads the same scores.
 */
export class Scoring {
  private readonly bySession = new WeakMap<Session, SessionScoring>();

  /** The session's scoring, made on first use. */
  of(session: Session): SessionScoring {
    let s = this.bySession.get(session);
    if (!s) this.bySession.set(session, (s = new SessionScoring(session)));
    return s;
  }

  /** The session's decoders as kept (for exporters that read raw counts); none before the first. */
  decodersOf(session: Session): readonly Decoder[] {
    return this.bySession.get(session)?.list() ?? [];
  }

  /** The session's scoreboard (empty before any decoder). */
  scoreboard(session: Session): Omit<Scoreboard, 'referenceDecoder'> {
    const s = this.bySession.get(session);
    return {
      code: session.code,
      blind: session.settings.blind,
      evaluate: session.settings.evaluate,
      resetAt: s?.resetAt ?? session.createdAt,
      decoders: s ? s.summaries() : [],
    };
  }

  reset(session: Session): void {
    this.of(session).reset();
  }
}
