/**
 * What a recorder collects between flushes, in typed columns: the tick and the prediction path
 * write a few numbers and allocate nothing; the lines are made on the flush timer (`drain`).
 * Columns grow by doubling when a flush interval holds more than they can (20× speed at 200 Hz).
 */
import { AXES } from '../../shared/wire.ts';

/**
 * A time in ms with 3 decimals (µs), as JSON. Integers format several times faster than
 * doubles in V8, and the flush formats ~50,000 of these a second at 64 sessions × 10 decoders.
 */
export function fixed3(v: number): string {
  const us = Math.round(v * 1000);
  if (!(us >= 0 && us < 2 ** 31)) return String(us / 1000); // negative or huge: the plain way
  const ms = (us / 1000) | 0;
  const frac = us - ms * 1000;
  if (frac === 0) return `${ms}`;
  return `${ms}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** PacketRecord lines: seq, bin, t_ms, trial (-1: none), lost. */
export class PacketColumns {
  private seq = new Float64Array(1024);
  private bin = new Int32Array(1024);
  private t = new Float64Array(1024);
  private trial = new Int32Array(1024);
  private lost = new Uint8Array(1024);
  length = 0;
  /** Lines drained so far. */
  total = 0;
  /** t_ms of the latest packet. */
  lastT = 0;

  push(seq: number, bin: number, tMs: number, trial: number | null, lost: boolean): void {
    if (this.length === this.seq.length) {
      this.seq = grow(this.seq);
      this.bin = grow(this.bin);
      this.t = grow(this.t);
      this.trial = grow(this.trial);
      this.lost = grow(this.lost);
    }
    const i = this.length++;
    this.seq[i] = seq;
    this.bin[i] = bin;
    this.t[i] = tMs;
    this.trial[i] = trial ?? -1;
    this.lost[i] = lost ? 1 : 0;
    this.lastT = tMs;
  }

  drain(): string {
    let out = '';
    for (let i = 0; i < this.length; i++) {
      const trial = this.trial[i] < 0 ? 'null' : String(this.trial[i]);
      out += `{"seq":${this.seq[i]},"bin":${this.bin[i]},"t_ms":${fixed3(this.t[i])},"trial":${trial}${this.lost[i] ? ',"lost":true' : ''}}\n`;
    }
    this.total += this.length;
    this.length = 0;
    return out;
  }
}

export const OUTCOMES = ['scored', 'late', 'duplicate', 'stale', 'unknown', 'invalid'] as const;
export type RecordedOutcome = (typeof OUTCOMES)[number];
const OUTCOME_CODE: Record<RecordedOutcome, number> = { scored: 0, late: 1, duplicate: 2, stale: 3, unknown: 4, invalid: 5 };
/** The end of a prediction line for each outcome, made once. */
const OUTCOME_TAIL = OUTCOMES.map((o) => `},"outcome":"${o}"}\n`);
/** `"x":` … in AXES order (the columns' order). */
const VALUE_KEYS = AXES.map((a) => `"${a}":`);

/** PredictionRecord lines; decoders by index into `names` (their name when they answered). */
export class PredictionColumns {
  readonly names: string[] = [];
  private decoder = new Int32Array(1024);
  private seq = new Float64Array(1024);
  private t = new Float64Array(1024);
  private latency = new Float64Array(1024);
  private reported = new Float64Array(1024);
  /** x, y, vx, vy per prediction (AXES order), NaN where absent. */
  private values = new Float64Array(1024 * 4);
  private outcome = new Uint8Array(1024);
  length = 0;
  total = 0;
  lastT = 0;

  /** Each name as a JSON string with its key, made once: `"decoder":"ridge-v2"`. */
  private readonly quoted: string[] = [];

  /** The index of a decoder name (a handful per session: a linear search is the fastest). */
  nameIndex(name: string): number {
    const i = this.names.indexOf(name);
    if (i >= 0) return i;
    this.quoted.push(`{"decoder":${JSON.stringify(name)},"seq":`);
    return this.names.push(name) - 1;
  }

  push(decoder: number, seq: number, outcome: RecordedOutcome, tMs: number, latencyMs: number, reportedMs: number, v: Readonly<Record<(typeof AXES)[number], number>>): void {
    if (this.length === this.seq.length) {
      this.decoder = grow(this.decoder);
      this.seq = grow(this.seq);
      this.t = grow(this.t);
      this.latency = grow(this.latency);
      this.reported = grow(this.reported);
      this.values = grow(this.values);
      this.outcome = grow(this.outcome);
    }
    const i = this.length++;
    this.decoder[i] = decoder;
    this.seq[i] = seq;
    this.t[i] = tMs;
    this.latency[i] = latencyMs;
    this.reported[i] = reportedMs;
    this.outcome[i] = OUTCOME_CODE[outcome];
    for (let a = 0; a < AXES.length; a++) this.values[i * 4 + a] = v[AXES[a]];
    this.lastT = tMs;
  }

  drain(): string {
    let out = '';
    for (let i = 0; i < this.length; i++) {
      let values = '';
      for (let a = 0; a < 4; a++) {
        const v = this.values[i * 4 + a];
        if (v === v) values += values === '' ? VALUE_KEYS[a] + v : `,${VALUE_KEYS[a]}${v}`; // v === v: not NaN
      }
      const lat = this.latency[i];
      const rep = this.reported[i];
      out +=
        this.quoted[this.decoder[i]] + this.seq[i] + ',"t_ms":' + fixed3(this.t[i]) +
        ',"latency_ms":' + (lat === lat ? fixed3(lat) : 'null') + ',"reported_latency_ms":' + (rep === rep ? fixed3(rep) : 'null') +
        ',"values":{' + values + OUTCOME_TAIL[this.outcome[i]];
    }
    this.total += this.length;
    this.length = 0;
    return out;
  }
}
