import { performance } from 'node:perf_hooks';
import type { DecoderSummary, LatencySummary } from '../../shared/studioApi.ts';
import { AXES, type Axis, type ClientEndpoint } from '../../shared/wire.ts';
import { evaluationMask } from '../playback/evaluationWindow.ts';
import type { DurationSummary } from '../playback/logHistogram.ts';
import type { Session, SessionSubscriber } from '../playback/session.ts';
import { DecoderScores } from './decoderScores.ts';

/** A packet unanswered this long after it was sent counts as missing. */
export const MISSING_AFTER_MS = 1000;

export interface DecoderIdentity {
  /** Null: a name is generated (`decoder-<n>`). */
  name: string | null;
  version: string | null;
  endpoint: ClientEndpoint | 'redis';
  address: string;
  /** The first packet the decoder can answer: the first sent after it connected. */
  sinceSeq: number;
}

/**
 * What became of a prediction: scored (possibly `late`: after the next packet went out), or
 * refused — a second answer to one packet, a packet too old to join or sent before the decoder
 * connected or the scores were reset (`stale`), a sequence number never sent (`unknown`).
 */
export type PredictionOutcome = 'scored' | 'late' | 'duplicate' | 'stale' | 'unknown';

/** Why a prediction was refused, in words, for every face that reports refusals (WebSocket, Redis). */
export const REFUSAL_REASONS: Partial<Record<PredictionOutcome, string>> = {
  duplicate: 'a second prediction for the same sequence_number (the first one counts)',
  stale: 'sequence_number of a packet too old to score, or sent before this decoder connected or the scores were reset',
  unknown: 'sequence_number of a packet the session has not sent',
};

/** An accepted prediction (the studio draws them over the truth). */
export type PredictionListener = (decoder: Decoder, seq: number, values: PredictedValues) => void;

/**
 * Sees every prediction a decoder sent, with what became of it (`invalid`: malformed, never
 * joined): arrival and round-trip latency on the session clock (NaN when the sequence number was
 * never sent or could not be read), the latency the decoder reported (NaN if none) and its values
 * (NaN where absent; all NaN when invalid). Positional, so scoring allocates nothing per prediction.
 */
export type OutcomeListener = (
  decoder: Decoder,
  seq: number,
  outcome: PredictionOutcome | 'invalid',
  arrivalMs: number,
  latencyMs: number,
  reportedLatencyMs: number,
  values: PredictedValues,
) => void;

const NO_VALUES: Readonly<PredictedValues> = Object.freeze({ x: NaN, y: NaN, vx: NaN, vy: NaN });

let nextDecoderId = 1;
let nextGeneratedName = 1;

/** One row of the scoreboard: a decoder by name, across reconnections. */
export class Decoder {
  readonly id = `d${nextDecoderId++}`;
  readonly scores = new DecoderScores();
  connected = true;

  constructor(
    public name: string,
    public version: string | null,
    public endpoint: ClientEndpoint | 'redis',
    public address: string,
  ) {}
}

/** One prediction's values, NaN where the decoder gave no estimate (absent or null). */
export type PredictedValues = Record<Axis, number>;

/**
 * The live scoreboard of one session: joins each prediction to the packet it answers (the
 * session's SentLog), scores it against the recording's truth for that bin and keeps every
 * decoder's counts. Attached to the session as a subscriber while a decoder is connected, to
 * notice packets that go unanswered.
 */
export class SessionScoring implements SessionSubscriber {
  private readonly decoders = new Map<string, Decoder>();
  // Arrays replaced on every change, not Sets: iterating a Set allocates an iterator on each of
  // 25,600 predictions a second (64 sessions × 10 decoders), and a listener may leave mid-call.
  private predictionListeners: ReadonlyArray<PredictionListener> = [];
  private outcomeListeners: ReadonlyArray<OutcomeListener> = [];
  private attached = false;
  /** When the scores were last reset (Unix ms). */
  resetAt = Date.now();

  constructor(readonly session: Session) {}

  /** A connection starts answering (it named itself or sent a prediction). */
  addDecoder(who: DecoderIdentity): Decoder {
    const wanted = who.name ?? `decoder-${nextGeneratedName++}`;
    const sameName = [...this.decoders.values()].find((d) => d.name === wanted);
    let decoder: Decoder;
    if (sameName && !sameName.connected) {
      // A decoder that comes back under its name continues its row.
      decoder = sameName;
      decoder.connected = true;
      decoder.version = who.version ?? decoder.version;
      decoder.endpoint = who.endpoint;
      decoder.address = who.address;
      decoder.scores.restartAt(who.sinceSeq);
    } else {
      decoder = new Decoder(this.uniqueName(wanted), who.version, who.endpoint, who.address);
      decoder.scores.reset(who.sinceSeq);
      this.decoders.set(decoder.id, decoder);
    }
    if (!this.attached) {
      this.session.attach(this);
      this.attached = true;
    }
    this.session.emit('decoder_connected', { decoder: decoder.name, version: decoder.version, endpoint: decoder.endpoint, address: decoder.address });
    return decoder;
  }

  /** A `hello` after the decoder was registered renames its row (unless another row has the name). */
  rename(decoder: Decoder, name: string, version: string | null): void {
    if (name !== decoder.name) decoder.name = this.uniqueName(name);
    if (version !== null) decoder.version = version;
  }

  /** The connection closed (with this close code and reason, when known): the row stays, marked disconnected. */
  disconnect(decoder: Decoder, closed: { code: number; reason: string } | null = null): void {
    this.sweep(decoder, performance.now());
    decoder.connected = false;
    this.session.emit('decoder_disconnected', { decoder: decoder.name, code: closed?.code ?? null, reason: closed?.reason ?? null });
    if (this.attached && ![...this.decoders.values()].some((d) => d.connected)) {
      this.session.detach(this);
      this.attached = false;
    }
  }

  /** Every accepted prediction (the studio draws them over the truth). */
  onPrediction(listener: PredictionListener): () => void {
    this.predictionListeners = [...this.predictionListeners, listener];
    return () => (this.predictionListeners = this.predictionListeners.filter((l) => l !== listener));
  }

  /** Every prediction with its outcome and latency, refused and invalid ones included (recordings). */
  onOutcome(listener: OutcomeListener): () => void {
    this.outcomeListeners = [...this.outcomeListeners, listener];
    return () => (this.outcomeListeners = this.outcomeListeners.filter((l) => l !== listener));
  }

  /** A prediction that could not be read (wrong types, no axis): counted, never joined. */
  refuseInvalid(decoder: Decoder, seq: number, arrivalMs: number): void {
    decoder.scores.counts.predictions++;
    decoder.scores.counts.invalid++;
    this.tell(decoder, seq, 'invalid', arrivalMs, NaN, NO_VALUES);
  }

  get decoderCount(): number {
    return this.decoders.size;
  }

  /** Every row of the scoreboard (connected or not), as kept. */
  list(): readonly Decoder[] {
    return [...this.decoders.values()];
  }

  /**
   * Joins and scores one prediction. O(1): a lookup in the session's SentLog, the truth of that
   * bin, and a few moment updates per axis. `sentAtMs` (monotonic) replaces the packet's
   * WebSocket send time as the start of the round trip for a face that delivers it otherwise
   * (Redis: our XADD).
   */
  predict(decoder: Decoder, seq: number, values: PredictedValues, reportedLatencyMs: number, arrivalMs: number, sentAtMs?: number): PredictionOutcome {
    const outcome = this.join(decoder, seq, values, reportedLatencyMs, arrivalMs, sentAtMs);
    if (this.outcomeListeners.length > 0) this.tell(decoder, seq, outcome, arrivalMs, reportedLatencyMs, values, sentAtMs);
    return outcome;
  }

  private tell(decoder: Decoder, seq: number, outcome: PredictionOutcome | 'invalid', arrivalMs: number, reportedMs: number, values: PredictedValues, sentAtMs?: number): void {
    const log = this.session.sent;
    const slot = Number.isSafeInteger(seq) ? log.slotOf(seq) : -1;
    const latency = slot >= 0 && !log.isLost(slot) ? arrivalMs - (sentAtMs ?? log.sentAtMs(slot)) : NaN;
    const listeners = this.outcomeListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](decoder, seq, outcome, arrivalMs, latency, reportedMs, values);
  }

  private join(decoder: Decoder, seq: number, values: PredictedValues, reportedLatencyMs: number, arrivalMs: number, sentAtMs?: number): PredictionOutcome {
    const s = decoder.scores;
    const c = s.counts;
    c.predictions++;
    const log = this.session.sent;
    if (seq < s.sinceSeq) return (c.stale++, 'stale');
    const slot = log.slotOf(seq);
    if (slot < 0) {
      if (seq > log.last) return (c.unknown++, 'unknown');
      return (c.stale++, 'stale');
    }
    // A packet lost on purpose (stress): the decoder cannot have received it.
    if (log.isLost(slot)) return (c.unknown++, 'unknown');
    const ring = seq % s.answered.length;
    if (s.answered[ring] === seq) return (c.duplicates++, 'duplicate');
    s.answered[ring] = seq;
    if (s.checkedUpTo < 0) s.checkedUpTo = s.countedFrom = seq;
    // An answer more than a second late was counted missing: it is not any more.
    else if (seq >= s.countedFrom && seq < s.checkedUpTo) c.missing--;

    s.recordLatency(arrivalMs, arrivalMs - (sentAtMs ?? log.sentAtMs(slot)));
    if (Number.isFinite(reportedLatencyMs)) s.reported.record(reportedLatencyMs);
    const next = log.slotOf(seq + 1);
    const late = next >= 0 && arrivalMs > log.sentAtMs(next);
    if (late) c.late++;

    const stream = this.session.currentStream;
    const bin = log.binAt(slot);
    const mask = evaluationMask(this.session.currentDataset, stream, this.session.settings.evaluate);
    const truth = stream.kinematicsAt(bin);
    const trial = stream.trialOfBin[bin];
    let scored = false;
    for (let a = 0; a < AXES.length; a++) {
      const axis = AXES[a];
      const p = values[axis];
      if (!Number.isFinite(p)) continue;
      s.predicted[a] = 1;
      const y = truth[axis];
      if (!Number.isFinite(y) || (mask !== null && mask[bin] === 0)) continue;
      s.score(arrivalMs, a, trial, y, p);
      scored = true;
    }
    if (scored) c.evaluated++;
    const listeners = this.predictionListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](decoder, seq, values);
    return late ? 'late' : 'scored';
  }

  /** Starts afresh: connected decoders from the next packet on; the rows of decoders that left go. */
  reset(): void {
    this.resetAt = Date.now();
    const next = this.session.sent.last + 1;
    for (const [id, d] of this.decoders) {
      if (d.connected) d.scores.reset(next);
      else this.decoders.delete(id);
    }
    this.session.emit('scores_reset', { from_seq: next });
  }

  onPacket(): void {
    const now = performance.now();
    for (const d of this.decoders.values()) if (d.connected) this.sweep(d, now);
  }

  onSessionClosed(): void {
    for (const d of this.decoders.values()) d.connected = false;
    this.attached = false;
  }

  summaries(nowMs = performance.now()): DecoderSummary[] {
    return [...this.decoders.values()].map((d) => {
      if (d.connected) this.sweep(d, nowMs);
      const s = d.scores;
      return {
        id: d.id,
        name: d.name,
        version: d.version,
        endpoint: d.endpoint,
        address: d.address,
        connected: d.connected,
        axes: AXES.filter((_, a) => s.predicted[a] === 1),
        counts: { ...s.counts },
        cumulative: s.scoreSet(s.cumulative),
        rolling: s.scoreSet(s.rolling.read(nowMs)),
        latency: latencySummary(s.latency.summary()),
        rollingLatency: latencySummary(s.latencyWindow.summary(nowMs)),
        reportedLatencyP50Ms: s.reported.summary().p50_ms,
        trials: s.trials.list(),
      };
    });
  }

  /**
   * Counts the packets sent over MISSING_AFTER_MS ago that the decoder has not answered, from
   * the first packet it answered on.
   */
  private sweep(d: Decoder, nowMs: number): void {
    const s = d.scores;
    if (s.checkedUpTo < 0) return;
    const log = this.session.sent;
    for (let seq = s.checkedUpTo; seq <= log.last; seq++) {
      const slot = log.slotOf(seq);
      if (slot < 0 && !log.hasForgotten(seq)) break; // held back by jitter: not sent yet
      // An entry already gone from the log was sent long ago.
      if (slot >= 0 && !log.isLost(slot) && nowMs - log.sentAtMs(slot) < MISSING_AFTER_MS) break;
      const lost = slot >= 0 && log.isLost(slot);
      if (!lost && s.answered[seq % s.answered.length] !== seq) s.counts.missing++;
      s.checkedUpTo = seq + 1;
    }
  }

  private uniqueName(wanted: string): string {
    const taken = new Set([...this.decoders.values()].map((d) => d.name));
    if (!taken.has(wanted)) return wanted;
    for (let i = 2; ; i++) if (!taken.has(`${wanted}-${i}`)) return `${wanted}-${i}`;
  }
}

function latencySummary(d: DurationSummary): LatencySummary {
  return { count: d.count, p50Ms: d.p50_ms, p99Ms: d.p99_ms, maxMs: d.max_ms };
}
