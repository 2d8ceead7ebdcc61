/**
 * Bytes of JSON lines, written straight into a reused Buffer: integers and fixed-point times are
 * written digit by digit and keys are pre-encoded, so formatting a line makes no string and no
 * object. At 64 sessions × 10 decoders the flush formats ~28,000 lines a second; made as strings,
 * that garbage (cons strings, number strings, a Buffer per flush) cost extra scavenges and
 * full collections whose pauses every session's next packet waited behind.
 */
export class LineWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** The bytes written (a view: valid until the next write or `clear`). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const b = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(b, 0, 0, this.length);
    this.buf = b;
  }

  /** Bytes encoded once (keys, punctuation): see `ascii`. */
  raw(b: Uint8Array): this {
    const n = b.length;
    this.room(n);
    // A loop, not `buf.set`: these are a few bytes, and the builtin's call costs more than the copy.
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = b[i];
    this.length = at;
    return this;
  }

  /** Any text (a name, a JSON document), as UTF-8. */
  text(s: string): this {
    this.room(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
    return this;
  }

  /** A safe integer, in decimal. */
  int(n: number): this {
    if (!Number.isSafeInteger(n)) return this.asciiText(String(n));
    this.room(17);
    const buf = this.buf;
    if (n < 0) {
      buf[this.length++] = 0x2d; // '-'
      n = -n;
    }
    let digits = 1;
    for (let p = 10; p <= n && digits < 16; p *= 10) digits++;
    let at = this.length + digits;
    this.length = at;
    // Above 2^31 a digit is a double's division; below, int32 arithmetic (sequence numbers, bins, ms).
    while (n > 0x7fffffff) {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    }
    let i = n | 0;
    do {
      const q = (i / 10) | 0;
      buf[--at] = 0x30 + (i - q * 10);
      i = q;
    } while (i > 0);
    return this;
  }

  /** Milliseconds with up to 3 decimals (µs), trailing zeros dropped: 28.201, 3.2, 100. */
  fixed3(v: number): this {
    const us = Math.round(v * 1000);
    if (!Number.isSafeInteger(us) || us < 0) return this.asciiText(String(us / 1000));
    const ms = Math.floor(us / 1000);
    let frac = us - ms * 1000;
    this.int(ms);
    if (frac === 0) return this;
    this.room(4);
    this.buf[this.length++] = 0x2e; // '.'
    const d0 = Math.floor(frac / 100);
    frac -= d0 * 100;
    const d1 = Math.floor(frac / 10);
    const d2 = frac - d1 * 10;
    this.buf[this.length++] = 0x30 + d0;
    if (d1 !== 0 || d2 !== 0) this.buf[this.length++] = 0x30 + d1;
    if (d2 !== 0) this.buf[this.length++] = 0x30 + d2;
    return this;
  }

  /** A finite number at full precision (integers without a string). */
  num(v: number): this {
    return Number.isSafeInteger(v) ? this.int(v) : this.asciiText(String(v));
  }

  /** Text known to be ASCII (a number's digits), copied char by char: cheaper than the UTF-8 encoder for a few bytes. */
  private asciiText(s: string): this {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.length = at;
    return this;
  }
}

/** Pre-encoded ASCII, for `raw`. */
export const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/**
 * Writers given back by closed logs, for the next recording's: each log's pair grows to hold
 * half a second of lines (~100 KB for 10 decoders), and a server that starts 64 recordings at
 * once would otherwise allocate them all anew each time, external memory V8 answers with full
 * collections that every session's next packet waits behind. Capped: at most POOL_MAX kept.
 */
const pool: LineWriter[] = [];
const POOL_MAX = 512;

export function takeLineWriter(): LineWriter {
  return pool.pop() ?? new LineWriter();
}

export function giveBackLineWriter(w: LineWriter): void {
  w.clear();
  if (pool.length < POOL_MAX) pool.push(w);
}
