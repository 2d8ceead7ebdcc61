/**
 * Seeded pseudo-random numbers for the synthetic recording.
 *
 * Why our own generator: `Math.random` cannot be seeded, and the built-in recording must be
 * byte-identical for the same (preset, seed) on every machine and every run, so that a cached
 * file is never silently different from a fresh one.
 *
 * The core is sfc32 (Chris Doty-Humphrey's "small fast counting" generator, PractRand-clean,
 * 128-bit state, period ≥ 2^32 thanks to its counter). State is seeded from the user seed and a
 * stream label through splitmix32, so each part of the model (task schedule, behaviour noise,
 * unit parameters, each unit's spikes) draws from its own independent stream: changing one part
 * of the model does not shift the random numbers of another.
 *
 * Only 32-bit integer arithmetic and V8's deterministic Math functions (fdlibm ports) are used,
 * so results do not depend on the platform.
 */

const TWO_POW_32 = 4294967296;

/** FNV-1a over the label's UTF-16 code units: turns a stream name into 32 bits. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One splitmix32 step: a good 32-bit mixer for turning related seeds into unrelated states. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last Box–Muller pair, or NaN when none is pending. */
  private spareNormal = Number.NaN;

  /**
   * @param seed any integer in [0, 2^32); the user-facing seed.
   * @param stream labels naming the independent stream (e.g. `'spikes', 17`).
   */
  constructor(seed: number, ...stream: Array<string | number>) {
    let s = splitmix32(seed >>> 0);
    for (const part of stream) s = splitmix32(s ^ (typeof part === 'number' ? splitmix32(part >>> 0) : hashLabel(part)));
    this.a = s = splitmix32(s);
    this.b = s = splitmix32(s);
    this.c = s = splitmix32(s);
    this.d = splitmix32(s) | 1;
    // Discard the first outputs: sfc32 mixes its state in the first few rounds.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in the open interval (0, 1): never 0, so `Math.log(uniform())` is always finite. */
  uniform(): number {
    return (this.uint32() + 0.5) / TWO_POW_32;
  }

  /** Uniform real in (lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal, Box–Muller (both values of each pair are used). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const phi = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  /** exp(N(mu, sigma)). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Exponential with rate 1 (mean 1). */
  exponential(): number {
    return -Math.log(this.uniform());
  }

  /**
   * Poisson with mean `lambda`. Knuth's product method for small means (exact, O(lambda));
   * Hörmann's PTRS transformed rejection (as in NumPy) above that, O(1) per draw.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`poisson: bad mean ${lambda}`);
    if (lambda === 0) return 0;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** ln(k!) — exact sum for small k, Stirling series beyond (error < 1e-10 for k ≥ 30). */
export function logFactorial(k: number): number {
  if (k < 30) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  const n = k + 1;
  return (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n * n * n);
}
