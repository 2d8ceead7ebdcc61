import { FREQUENCY_HZ } from '../../shared/bins.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { AXES, type ClientEndpoint, type ErrorMessage } from '../../shared/wire.ts';
import { REFUSAL_REASONS, type Decoder, type PredictedValues, type SessionScoring } from '../evaluation/sessionScoring.ts';

/** Refusals are reported at most this often, with their count and the latest reason. */
export const ERROR_REPORT_MS = 1000;
/** A client may send this many times the packet rate (predictions and control messages together)… */
export const FLOOD_FACTOR = 10;
/** …with bursts of this many seconds' worth; beyond it messages are dropped (counted). */
const BURST_S = 2;
/** A client that floods for this long is closed. */
export const FLOOD_CLOSE_MS = 5000;

const NAME_PATTERN = /^[\p{L}\p{N} ._:+#@()/-]{1,64}$/u;

/** A decoder's name from `?decoder=` or `hello`, or why it is not one. */
export function checkDecoderName(v: unknown): string | { problem: string } {
  if (typeof v === 'string' && NAME_PATTERN.test(v)) return v;
  return { problem: `a decoder name is 1–64 letters, digits, spaces or . _ : + # @ ( ) / - (got ${describeValue(v)})` };
}

/** A prediction's fields checked: its sequence number, values (NaN for no estimate) and reported latency. */
export function parsePrediction(m: Record<string, unknown>): { seq: number; values: PredictedValues; reportedMs: number } | { problem: string } {
  const seq = m.sequence_number;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    return { problem: `sequence_number must be the non-negative integer of the packet answered (got ${describeValue(seq)})` };
  }
  const values = { x: NaN, y: NaN, vx: NaN, vy: NaN };
  let any = false;
  for (const axis of AXES) {
    const v = m[axis];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) return { problem: `${axis} must be a finite number or null (got ${describeValue(v)})` };
    values[axis] = v;
    any = true;
  }
  if (!any) return { problem: 'a prediction needs at least one of x, y, vx, vy as a number' };
  const latency = m.latency_ms;
  if (latency !== undefined && latency !== null && (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0)) {
    return { problem: `latency_ms must be a number ≥ 0 (got ${describeValue(latency)})` };
  }
  return { seq, values, reportedMs: typeof latency === 'number' ? latency : NaN };
}

const REFUSED = REFUSAL_REASONS;

export interface LinkOwner {
  readonly endpoint: ClientEndpoint;
  readonly remoteAddress: string;
  /** Packets the session sends per second now (flood limit). */
  packetRate(): number;
  send(msg: ErrorMessage): void;
  close(code: number, reason: string): void;
}

/**
 * One stream connection's side of scoring: it becomes a decoder when it names itself or sends
 * its first prediction; its predictions go to the session's scoring; refusals are reported at
 * most once a second; a client that floods is throttled, then closed.
 */
export class DecoderLink {
  private decoder: Decoder | null = null;
  private name: string | null = null;
  private version: string | null = null;
  private refusedCount = 0;
  private refusedReason = '';
  private lastReportMs = -Infinity;
  private reportTimer: NodeJS.Timeout | null = null;
  private tokens = -1;
  private tokensAt = 0;
  private floodingSince = 0;

  constructor(
    private readonly owner: LinkOwner,
    private readonly scoring: SessionScoring,
    /** The first packet this connection can answer. */
    private readonly sinceSeq: number,
    name: string | null,
  ) {
    this.name = name;
    if (name !== null) this.register();
  }

  /** The decoder it became, if it did. */
  get current(): Decoder | null {
    return this.decoder;
  }

  /**
   * Whether to process a message now (token bucket at FLOOD_FACTOR × the packet rate). A client
   * over the limit for FLOOD_CLOSE_MS is closed with 1008; until then its messages are dropped.
   */
  admit(nowMs: number): boolean {
    const rate = FLOOD_FACTOR * Math.max(FREQUENCY_HZ, this.owner.packetRate());
    const capacity = rate * BURST_S;
    if (this.tokens < 0) this.tokens = capacity;
    else this.tokens = Math.min(capacity, this.tokens + ((nowMs - this.tokensAt) * rate) / 1000);
    this.tokensAt = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      if (this.floodingSince !== 0 && this.tokens > capacity / 2) this.floodingSince = 0;
      return true;
    }
    if (this.decoder) this.decoder.scores.counts.throttled++;
    if (this.floodingSince === 0) {
      this.floodingSince = nowMs;
      this.refuse(`over ${FLOOD_FACTOR}× the packet rate (${Math.round(rate)} messages/s): messages are being dropped`);
    } else if (nowMs - this.floodingSince > FLOOD_CLOSE_MS) {
      this.owner.close(1008, `flooding: over ${FLOOD_FACTOR}× the packet rate for ${FLOOD_CLOSE_MS / 1000} s`);
    }
    return false;
  }

  /** Names the decoder; returns what is wrong with the message, if anything. */
  hello(m: Record<string, unknown>): string | null {
    const name = checkDecoderName(m.decoder);
    if (typeof name !== 'string') return `hello: ${name.problem}`;
    const version = m.version === undefined || m.version === null ? null : describeValue(m.version, 40).replace(/^"|"$/g, '');
    this.name = name;
    this.version = version;
    if (this.decoder) this.scoring.rename(this.decoder, name, version);
    else this.register();
    return null;
  }

  prediction(m: Record<string, unknown>, arrivalMs: number): void {
    const decoder = this.decoder ?? this.register();
    const p = parsePrediction(m);
    if ('problem' in p) {
      const seq = m.sequence_number;
      this.scoring.refuseInvalid(decoder, typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : -1, arrivalMs);
      return this.refuse(p.problem);
    }
    const outcome = this.scoring.predict(decoder, p.seq, p.values, p.reportedMs, arrivalMs);
    const why = REFUSED[outcome];
    if (why) this.refuse(`${why} (sequence_number ${p.seq})`);
  }

  /** The connection closed (close code and reason as the endpoint saw them): the decoder's row stays, disconnected. */
  close(closed: { code: number; reason: string } | null = null): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    if (this.decoder) this.scoring.disconnect(this.decoder, closed);
  }

  private register(): Decoder {
    this.decoder = this.scoring.addDecoder({
      name: this.name,
      version: this.version,
      endpoint: this.owner.endpoint,
      address: this.owner.remoteAddress,
      sinceSeq: this.sinceSeq,
    });
    return this.decoder;
  }

  /** Counts a refusal; reports it now if the last report is a second old, else at that mark. */
  private refuse(reason: string): void {
    this.refusedCount++;
    this.refusedReason = reason;
    const wait = this.lastReportMs + ERROR_REPORT_MS - Date.now();
    if (wait <= 0) return this.report();
    this.reportTimer ??= setTimeout(() => this.report(), wait);
  }

  private report(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    if (this.refusedCount === 0) return;
    const n = this.refusedCount;
    this.owner.send({
      type: 'error',
      code: 'bad_prediction',
      message: `${n} message${n === 1 ? '' : 's'} refused since the last report; the latest: ${this.refusedReason}`,
      count: n,
    });
    this.refusedCount = 0;
    this.lastReportMs = Date.now();
  }
}
