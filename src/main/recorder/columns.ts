/**
 * What a recorder collects between flushes, in typed columns: the tick and the prediction path
 * write a few numbers and allocate nothing; the flush timer writes the lines (`drainTo`) as bytes.
 * Columns grow by doubling when a flush interval holds more than they can (20× speed at 200 Hz).
 */
import { AXES } from '../../shared/wire.ts';
import { OUTCOMES, type RecordedOutcome } from './format.ts';
import { ascii, LineWriter } from './lineWriter.ts';

const K_SEQ = ascii('{"seq":');
const K_BIN = ascii(',"bin":');
const K_T = ascii(',"t_ms":');
const K_TRIAL = ascii(',"trial":');
const NULL = ascii('null');
const LOST_END = ascii(',"lost":true}\n');
const END = ascii('}\n');
const K_PRED_SEQ = ascii(',"seq":');
const K_LAT = ascii(',"latency_ms":');
const K_REP = ascii(',"reported_latency_ms":');
const K_VALUES = ascii(',"values":{');
const COMMA = ascii(',');

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

  /** Writes every collected record as a line into `w` and empties the columns. */
  drainTo(w: LineWriter): void {
    for (let i = 0; i < this.length; i++) {
      w.raw(K_SEQ).int(this.seq[i]).raw(K_BIN).int(this.bin[i]).raw(K_T).fixed3(this.t[i]).raw(K_TRIAL);
      if (this.trial[i] < 0) w.raw(NULL);
      else w.int(this.trial[i]);
      w.raw(this.lost[i] ? LOST_END : END);
    }
    this.total += this.length;
    this.length = 0;
  }

  /** The lines as a string (tests, tools). */
  drain(): string {
    const w = new LineWriter();
    this.drainTo(w);
    return w.view().toString('utf8');
  }
}

const OUTCOME_CODE = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<RecordedOutcome, number>;
/** The end of a prediction line for each outcome, made once. */
const OUTCOME_TAIL = OUTCOMES.map((o) => ascii(`},"outcome":"${o}"}\n`));
/** `"x":` … in AXES order (the columns' order). */
const VALUE_KEYS = AXES.map((a) => ascii(`"${a}":`));

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

  /** Each name with its key, encoded once: `{"decoder":"ridge-v2"`. */
  private readonly quoted: Uint8Array[] = [];

  /** The index of a decoder name (a handful per session: a linear search is the fastest). */
  nameIndex(name: string): number {
    const i = this.names.indexOf(name);
    if (i >= 0) return i;
    this.quoted.push(Buffer.from(`{"decoder":${JSON.stringify(name)}`, 'utf8'));
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

  /** Writes every collected prediction as a line into `w` and empties the columns. */
  drainTo(w: LineWriter): void {
    for (let i = 0; i < this.length; i++) {
      w.raw(this.quoted[this.decoder[i]]).raw(K_PRED_SEQ).int(this.seq[i]).raw(K_T).fixed3(this.t[i]).raw(K_LAT);
      const lat = this.latency[i];
      if (lat === lat) w.fixed3(lat);
      else w.raw(NULL);
      w.raw(K_REP);
      const rep = this.reported[i];
      if (rep === rep) w.fixed3(rep);
      else w.raw(NULL);
      w.raw(K_VALUES);
      let first = true;
      for (let a = 0; a < 4; a++) {
        const v = this.values[i * 4 + a];
        if (v !== v) continue; // NaN: no estimate
        if (!first) w.raw(COMMA);
        w.raw(VALUE_KEYS[a]).num(v);
        first = false;
      }
      w.raw(OUTCOME_TAIL[this.outcome[i]]);
    }
    this.total += this.length;
    this.length = 0;
  }

  /** The lines as a string (tests, tools). */
  drain(): string {
    const w = new LineWriter();
    this.drainTo(w);
    return w.view().toString('utf8');
  }
}
