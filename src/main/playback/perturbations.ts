/**
 * Seeded stress on the stream (issue 11): applied to the packet about to be sent, never to the
 * dataset, so scoring still compares with the unperturbed truth.
 *
 * Determinism: every random number is a hash of (seed, kind, sequence number, channel, draw),
 * not the next output of a generator, so the same seed and settings give the same packets
 * whatever happened before (a pause, a seek, the studio turning a kind on and off), and two
 * sessions with the same settings stream the same perturbed packets.
 */
import { describeValue } from '../../shared/describeValue.ts';
import { PERTURBATION_KINDS, type DataPacket, type Perturbations } from '../../shared/wire.ts';
import { ParamError } from '../common/errors.ts';

// ------------------------------------------------------------------ checking settings

const num = (v: unknown, name: string, lo: number, hi: number): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new ParamError(`${name} must be a number in [${lo}, ${hi}] (got ${describeValue(v)})`);
  return v;
};
const int = (v: unknown, name: string, lo: number, hi: number): number => {
  const n = num(v, name, lo, hi);
  if (!Number.isInteger(n)) throw new ParamError(`${name} must be an integer (got ${describeValue(v)})`);
  return n;
};
const optional = <T>(v: unknown, f: (v: unknown) => T): T | undefined => (v === undefined || v === null ? undefined : f(v));
const record = (v: unknown, name: string, keys: string[]): Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ParamError(`${name} must be an object (got ${describeValue(v)})`);
  const extra = Object.keys(v).filter((k) => !keys.includes(k));
  if (extra.length) throw new ParamError(`${name} has unknown field(s) ${extra.join(', ')}: use ${keys.join(', ')}`);
  return v as Record<string, unknown>;
};
const oneOf = <T extends string>(v: unknown, name: string, values: readonly T[]): T => {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new ParamError(`${name} must be one of ${values.join(', ')} (got ${describeValue(v)})`);
  return v as T;
};

/** Channels are checked against the dataset when the session applies them. */
const MAX_CHANNELS = 4096;
/** An hour of stream: enough for any "appearing at" time. */
const MAX_AT_S = 86_400;

/**
 * Checks perturbation settings from any edge (REST body, stream query, studio) and returns a
 * clean copy; a bad field is refused with a reason (ParamError). Null: no perturbation.
 */
export function checkPerturbations(v: unknown): Perturbations | null {
  if (v === undefined || v === null) return null;
  const o = record(v, 'perturbations', ['seed', ...PERTURBATION_KINDS]);
  const out: Perturbations = { seed: o.seed === undefined ? 0 : int(o.seed, 'seed', 0, 0xffffffff) };
  if (o.dropout !== undefined) {
    const d = record(o.dropout, 'dropout', ['channels', 'fraction', 'at_s']);
    const channels = optional(d.channels, (c) => {
      if (!Array.isArray(c) || c.length === 0 || c.length > MAX_CHANNELS) throw new ParamError(`dropout.channels must be a non-empty list of channel numbers (got ${describeValue(c)})`);
      return [...new Set(c.map((x, i) => int(x, `dropout.channels[${i}]`, 0, MAX_CHANNELS - 1)))].sort((a, b) => a - b);
    });
    const fraction = optional(d.fraction, (f) => num(f, 'dropout.fraction', 0, 1));
    if ((channels === undefined) === (fraction === undefined)) throw new ParamError('dropout needs either channels (a list) or fraction (0–1)');
    out.dropout = { ...(channels && { channels }), ...(fraction !== undefined && { fraction }), ...atOf(d, 'dropout') };
  }
  if (o.shuffle !== undefined) {
    const s = record(o.shuffle, 'shuffle', ['mode', 'shift', 'at_s']);
    const mode = oneOf(s.mode, 'shuffle.mode', ['shift', 'permute'] as const);
    const shift = mode === 'shift' ? int(s.shift ?? 1, 'shuffle.shift', -MAX_CHANNELS, MAX_CHANNELS) : undefined;
    out.shuffle = { mode, ...(shift !== undefined && { shift }), ...atOf(s, 'shuffle') };
  }
  if (o.drift !== undefined) {
    const d = record(o.drift, 'drift', ['mode', 'amount', 'period_s']);
    const mode = oneOf(d.mode, 'drift.mode', ['walk', 'sine'] as const);
    out.drift = { mode, amount: num(d.amount, 'drift.amount', 0, 3), ...(mode === 'sine' && { period_s: num(d.period_s ?? 60, 'drift.period_s', 1, MAX_AT_S) }) };
  }
  if (o.noise !== undefined) {
    const n = record(o.noise, 'noise', ['mode', 'amount']);
    out.noise = { mode: oneOf(n.mode, 'noise.mode', ['poisson', 'gaussian'] as const), amount: num(n.amount, 'noise.amount', 0, 50) };
  }
  if (o.bursts !== undefined) {
    const b = record(o.bursts, 'bursts', ['rate_hz', 'count']);
    out.bursts = { rate_hz: num(b.rate_hz, 'bursts.rate_hz', 0, 20), count: int(b.count ?? 5, 'bursts.count', 1, 100) };
  }
  if (o.jitter !== undefined) out.jitter = { max_ms: num(record(o.jitter, 'jitter', ['max_ms']).max_ms, 'jitter.max_ms', 0, 1000) };
  if (o.loss !== undefined) out.loss = { fraction: num(record(o.loss, 'loss', ['fraction']).fraction, 'loss.fraction', 0, 1) };
  return out;
}

function atOf(o: Record<string, unknown>, kind: string): { at_s?: number } {
  return o.at_s === undefined ? {} : { at_s: num(o.at_s, `${kind}.at_s`, 0, MAX_AT_S) };
}

// ------------------------------------------------------------------ counter-based randomness

const KIND = { dropout: 1, shuffle: 2, drift: 3, noise: 4, bursts: 5, jitter: 6, loss: 7 } as const;

/** A 32-bit mix (murmur3's finaliser). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform in [0, 1) that depends only on its arguments. */
function uniform(seed: number, kind: number, a: number, b = 0, c = 0): number {
  let h = mix(seed ^ 0x9e3779b9);
  h = mix(h ^ Math.imul(kind, 0x27d4eb2f));
  h = mix(h ^ (a >>> 0) ^ Math.imul(Math.floor(a / 4294967296), 0x165667b1));
  h = mix(h ^ Math.imul(b + 1, 0x9e3779b1));
  h = mix(h ^ Math.imul(c + 1, 0x85ebca77));
  return h / 4294967296;
}

function normal(seed: number, kind: number, a: number, b: number, c = 0): number {
  const u1 = uniform(seed, kind, a, b, 2 * c) || 1e-12;
  const u2 = uniform(seed, kind, a, b, 2 * c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Poisson(λ) by inversion over counter-based uniforms (λ is small here: counts per bin). */
function poisson(lambda: number, seed: number, kind: number, a: number, b: number, c = 0): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(seed, kind, a, b, c)));
  const u = uniform(seed, kind, a, b, c);
  let p = Math.exp(-lambda);
  let cdf = p;
  let k = 0;
  while (u > cdf && k < 200) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

// ------------------------------------------------------------------ applying them

/** What becomes of one packet: sent (after `holdMs`), or lost. */
export interface PacketFate {
  lost: boolean;
  holdMs: number;
}

/** Seconds of a random-walk step: the walk is sampled at knots this far apart and interpolated. */
const WALK_KNOT_S = 1;

/**
 * A session's perturbations, ready to apply to its packets. Built when the settings, the
 * dataset or the bin width change; apply() changes the packet's counts in place.
 */
export class Perturber {
  private readonly silenced: Uint8Array | null;
  private readonly source: Int32Array | null;
  private readonly scratch: Float64Array;
  /** Random-walk log-gain per channel at each knot, filled in as the stream advances. */
  private readonly walk: Float64Array[] = [];

  constructor(
    readonly settings: Perturbations,
    private readonly channels: number,
    /** Seconds per packet: turns sequence numbers into stream time. */
    private readonly binS: number,
  ) {
    const { seed, dropout, shuffle } = settings;
    this.scratch = new Float64Array(channels);
    this.silenced = dropout ? this.chooseSilenced(seed, dropout) : null;
    this.source = shuffle ? sourceChannels(seed, shuffle, channels) : null;
  }

  /** Perturbs the packet with sequence number `seq` (its counts change in place). */
  apply(packet: DataPacket, seq: number): PacketFate {
    const { seed, dropout, shuffle, drift, noise, bursts, jitter, loss } = this.settings;
    const t = seq * this.binS;
    const counts = packet.spikes.spike_counts;
    const n = Math.min(this.channels, counts.length);
    if (this.source && t >= (shuffle!.at_s ?? 0)) {
      for (let c = 0; c < n; c++) this.scratch[c] = counts[c];
      for (let c = 0; c < n; c++) counts[c] = this.source[c] < 0 ? 0 : this.scratch[this.source[c]];
    }
    if (drift && drift.amount > 0) {
      for (let c = 0; c < n; c++) {
        const gain = Math.exp(this.logGain(drift, c, t));
        counts[c] = scaleCount(counts[c], gain, seed, seq, c);
      }
    }
    if (noise && noise.amount > 0) {
      for (let c = 0; c < n; c++) {
        const added = noise.mode === 'poisson' ? poisson(noise.amount, seed, KIND.noise, seq, c) : Math.round(noise.amount * normal(seed, KIND.noise, seq, c));
        counts[c] = Math.max(0, counts[c] + added);
      }
    }
    if (bursts && uniform(seed, KIND.bursts, seq) < bursts.rate_hz * this.binS) {
      for (let c = 0; c < n; c++) counts[c] += bursts.count;
    }
    if (this.silenced && t >= (dropout!.at_s ?? 0)) {
      for (let c = 0; c < n; c++) if (this.silenced[c]) counts[c] = 0;
    }
    return {
      lost: loss !== undefined && uniform(seed, KIND.loss, seq) < loss.fraction,
      holdMs: jitter ? uniform(seed, KIND.jitter, seq) * jitter.max_ms : 0,
    };
  }

  /** Channel `c`'s firing-rate gain at stream time `t` (s): 1 without drift. */
  gain(c: number, t: number): number {
    const drift = this.settings.drift;
    return drift && drift.amount > 0 ? Math.exp(this.logGain(drift, c, t)) : 1;
  }

  /** The channels dropout silences (for metadata and tests). */
  silencedChannels(): number[] {
    const out: number[] = [];
    if (this.silenced) this.silenced.forEach((s, c) => s && out.push(c));
    return out;
  }

  private chooseSilenced(seed: number, d: NonNullable<Perturbations['dropout']>): Uint8Array {
    const mask = new Uint8Array(this.channels);
    if (d.channels) {
      for (const c of d.channels) if (c < this.channels) mask[c] = 1;
      return mask;
    }
    // The `fraction` of channels with the smallest seeded draws: exactly round(fraction · N).
    const k = Math.round((d.fraction ?? 0) * this.channels);
    const order = Array.from({ length: this.channels }, (_, c) => c).sort((a, b) => uniform(seed, KIND.dropout, a) - uniform(seed, KIND.dropout, b));
    for (let i = 0; i < k; i++) mask[order[i]] = 1;
    return mask;
  }

  private logGain(drift: NonNullable<Perturbations['drift']>, c: number, t: number): number {
    const { seed } = this.settings;
    if (drift.mode === 'sine') {
      const phase = 2 * Math.PI * uniform(seed, KIND.drift, c);
      return drift.amount * Math.sin((2 * Math.PI * t) / drift.period_s! + phase);
    }
    // A mean-reverting walk over knots, linear between them.
    const knot = t / WALK_KNOT_S;
    const k = Math.floor(knot);
    let w = this.walk[c];
    if (!w || k + 1 >= w.length) w = this.walk[c] = growWalk(w ?? new Float64Array(0), k + 2, seed, c, drift.amount);
    return w[k] + (w[k + 1] - w[k]) * (knot - k);
  }
}

/** Correlation time of the drifting log-gain (s): it wanders over about a minute. */
const WALK_TAU_S = 60;

/**
 * The walk's knots 0..length-1: a mean-reverting random walk (Ornstein–Uhlenbeck) with
 * stationary sd `amount`, from seeded Gaussian steps. Mean-reverting, so a setting means the
 * same after ten minutes of stream as after one (a plain random walk grows without bound).
 */
function growWalk(old: Float64Array, length: number, seed: number, c: number, amount: number): Float64Array {
  const w = new Float64Array(Math.max(length, old.length * 2, 64));
  w.set(old);
  const rho = Math.exp(-WALK_KNOT_S / WALK_TAU_S);
  const stepSd = amount * Math.sqrt(1 - rho * rho);
  if (old.length === 0) w[0] = amount * normal(seed, KIND.drift, 0, c);
  for (let k = Math.max(1, old.length); k < w.length; k++) w[k] = rho * w[k - 1] + stepSd * normal(seed, KIND.drift, k, c);
  return w;
}

/** A count at `gain` times the rate: thinned (each spike kept with probability gain) or topped up with Poisson spikes. */
function scaleCount(count: number, gain: number, seed: number, seq: number, c: number): number {
  if (gain < 1) {
    let kept = 0;
    for (let i = 0; i < count; i++) if (uniform(seed, KIND.drift, seq, c, i) < gain) kept++;
    return kept;
  }
  return count + poisson((gain - 1) * count, seed, KIND.drift, seq, c, 1000);
}

/** Where each channel reads from after the array moved: -1 for a channel with no source (off the edge). */
function sourceChannels(seed: number, s: NonNullable<Perturbations['shuffle']>, n: number): Int32Array {
  const src = new Int32Array(n);
  if (s.mode === 'shift') {
    const k = s.shift ?? 1;
    for (let c = 0; c < n; c++) src[c] = c - k >= 0 && c - k < n ? c - k : -1;
    return src;
  }
  const order = Array.from({ length: n }, (_, c) => c).sort((a, b) => uniform(seed, KIND.shuffle, a) - uniform(seed, KIND.shuffle, b));
  for (let c = 0; c < n; c++) src[c] = order[c];
  return src;
}
