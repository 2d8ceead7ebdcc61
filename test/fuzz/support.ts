/**
 * Shared pieces of the hostile-input property tests (issue 4, "Hostile and malformed input").
 *
 * - FUZZ_SEED=<n> replays a run (fast-check prints the seed of a failing run);
 *   FUZZ_SCALE=<k> multiplies every numRuns (e.g. FUZZ_SCALE=10 for a long local soak).
 * - Bugs these properties found live on as regression tests (regressions.test.ts); the
 *   generators avoid no input.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { setLogLevel, setLogSink } from '../../src/main/common/log.ts';
import { api, TestClient, type TestServer } from '../helpers/server.ts';

const seed = process.env.FUZZ_SEED;
if (seed) fc.configureGlobal({ seed: Number(seed) });
const SCALE = Number(process.env.FUZZ_SCALE ?? 1) || 1;

/** numRuns for one property, scaled by FUZZ_SCALE. */
export const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

/** Counts every case and request each file sends, for the summary line. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  toString(): string {
    return [...this.counts].map(([k, v]) => `${k}=${v}`).join(' ');
  }
}

/** Strings that have broken parsers before: encodings, numbers in disguise, prototype names. */
export const NASTY: readonly string[] = [
  '', ' ', '.', '..', '../..', '../../../etc/passwd', '%', '%%', '%E0%A4%A', '%E0%A4', '%ZZ', '%00', '%2e%2e', '%2F', '%252F',
  '%C0%AF', '%FF', '%u0041', '\u0000', '\t', '\r\n', 'NaN', 'Infinity', '-Infinity', '+Infinity', '-1', '-0', '0', '1', '01',
  '1.5', '1e3', '1e309', '-1e309', '1e-400', '0x10', '0b1', '0o7', ' 1', '1 ', '1_000', '9'.repeat(16), '9'.repeat(400),
  String(2 ** 53), String(2 ** 53 + 2), String(Number.MAX_VALUE), '-9007199254740993', 'true', 'false', 'yes', 'on', 'TRUE',
  'null', 'undefined', '[]', '{}', '[1]', '{"a":1}', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'valueOf',
  'toString', '💥', 'é', 'e\u0301', '\uD800', '\uDC00x', '\u202E', '\uFEFF', 'a'.repeat(64), 'a'.repeat(65), 'x'.repeat(5000),
  '<script>alert(1)</script>', "' OR 1=1 --", '?', '#', '&', '=', ';', '/', '\\', '~', '*', '+', 'a b', 'a+b', 'a%20b',
];

/** Session-code-shaped strings: valid (1–64 of [A-Za-z0-9_-]) and almost valid. */
export const codeLike = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{65,80}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,10}[^A-Za-z0-9_-][A-Za-z0-9_-]{0,10}$/),
);

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 300, maxLength: 3000 }) },
  { weight: 2, arbitrary: codeLike },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt()).map(String) },
);

/** Numbers at the edges: NaN, ±Infinity, -0, huge, tiny, the speed bounds and just past them. */
export const edgyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.1, 0.0999, 20, 20.0001, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 31)),
  fc.integer(),
  fc.double(),
  fc.double({ min: 0, max: 30, noNaN: true }),
);

/** Keys that name Object.prototype members: a parsed body has them as own properties. */
export const PROTO_KEYS: readonly string[] = ['__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'toJSON', 'length', 'then', 'toString'];

/** Object keys the server looks up, prototype names, and random ones. */
const key = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'code', 'custom_code', 'session_code', 'speed', 'loop', 'paused', 'trial_id', 'target_id', 'position_seconds', 'position_s',
        'position', 'enabled', 'max_idle_s', 'type', 'kind', 'id', 'command', 'event', 'args', 'filters', '0', '',
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );

/** A small object made of prototype-named keys (or an array of them): the classic "value that is not what it seems". */
export const hostileObject: fc.Arbitrary<unknown> = fc
  .oneof(
    fc.dictionary(fc.constantFrom(...PROTO_KEYS), fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 4 }), fc.constant({})), { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
    fc.array(fc.dictionary(fc.constantFrom(...PROTO_KEYS), fc.integer(), { minKeys: 1, maxKeys: 2, noNullPrototype: true }), { minLength: 1, maxLength: 2 }),
  )
  .map((v) => jsonRoundTrip(v));

/** Any JSON value (as it arrives after JSON.parse), with hostile keys and edge numbers. */
export const jsonish: fc.Arbitrary<unknown> = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      edgyNumber,
      nastyString,
      hostileObject,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
    ),
  }))
  .value.map((v) => jsonRoundTrip(v));

/** What a value looks like after a JSON transport (NaN and ±Infinity become null, -0 becomes 0). */
export function jsonRoundTrip(v: unknown): unknown {
  const text = JSON.stringify(v);
  return text === undefined ? null : JSON.parse(text);
}

/** Deeply nested JSON, as text: stack-depth attacks on the parser and on error messages. */
export const deepJsonText = (depth: number, kind: 'array' | 'object', leaf = '1') =>
  kind === 'array' ? '['.repeat(depth) + leaf + ']'.repeat(depth) : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

/** Percent-encodes a string the way a careful client would, or leaves it raw when it cannot (lone surrogates). */
export function tryEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The server's structured log at debug level, captured: the fuzzing also runs every log line
 * (as the CLI does with --log-level), and any `internal_error` the server logs is a failure,
 * even one the client never sees (a stream refused with 1011, an error after the answer).
 */
export class LogWatch {
  readonly counts = new Map<string, number>();
  readonly errors: Array<Record<string, unknown>> = [];

  constructor() {
    setLogSink((line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const event = String(entry.event);
      this.counts.set(event, (this.counts.get(event) ?? 0) + 1);
      if (entry.level === 'error') this.errors.push(entry);
    });
    setLogLevel('debug');
  }

  /** Where the error list stands now: pass it to expectNoErrorsSince at the end of a case. */
  mark(): number {
    return this.errors.length;
  }

  expectNoErrorsSince(mark: number, what: string): void {
    const found = this.errors.slice(mark).map((e) => `${String(e.event)} in ${String(e.where)}: ${String(e.error)}`);
    expect(found, `server logged errors after ${what}`).toEqual([]);
  }

  summary(): string {
    return [...this.counts].map(([k, v]) => `${k}×${v}`).join(' ');
  }
}

/** A session's user-visible settings: what no request aimed elsewhere may change. */
export function settingsOf(t: TestServer, code: string) {
  const s = t.engine.sessions.get(code);
  if (!s) return null;
  const st = s.state();
  return { status: st.status, speed: st.speed, loop: st.loop, filters: { ...st.filters } };
}

/** Every session's settings, by code. */
export function allSettings(t: TestServer): Map<string, ReturnType<typeof settingsOf>> {
  return new Map(t.engine.sessions.list().map((s) => [s.code, settingsOf(t, s.code)]));
}

/** Deletes every session the fuzzing created, so the session limit (and its evictions) never comes into play. */
export function dropSessionsExcept(t: TestServer, keep: ReadonlySet<string>): void {
  for (const s of t.engine.sessions.list()) if (!keep.has(s.code)) t.engine.sessions.delete(s.code, 'fuzz case over');
}

export async function expectHealthy(t: TestServer): Promise<void> {
  const h = await api(t.http, 'GET', '/health');
  expect(h.status).toBe(200);
  expect(h.body.status).toBe('healthy');
}

/**
 * A session that no fuzz case aims at, with one streaming client. `check()` asserts that it
 * kept streaming (new packets since the last check), with no sequence gap, no unasked message
 * (error, status, second metadata), and the settings it was created with.
 */
export class ReferenceSession {
  private checkedUpTo = 0;

  private constructor(
    private readonly t: TestServer,
    readonly code: string,
    readonly client: TestClient,
    readonly expected: NonNullable<ReturnType<typeof settingsOf>>,
  ) {}

  static async open(
    t: TestServer,
    code: string,
    opts: { speed: number; loop: boolean; target_id?: number | null; trial_id?: number | null; binary: boolean },
  ): Promise<ReferenceSession> {
    const created = await api(t.http, 'POST', '/api/sessions/create', {
      code,
      speed: opts.speed,
      loop: opts.loop,
      target_id: opts.target_id ?? undefined,
      trial_id: opts.trial_id ?? undefined,
    });
    expect(created.status).toBe(201);
    const client = new TestClient(`${t.ws}/stream/${opts.binary ? 'binary/' : ''}${code}`);
    await client.opened;
    await client.packetsAtLeast(3);
    const expected = settingsOf(t, code)!;
    expect(expected).toMatchObject({ status: 'playing', speed: opts.speed, loop: opts.loop });
    return new ReferenceSession(t, code, client, expected);
  }

  /** A request or frame that names this session counts as targeting it. */
  isNamedIn(text: string): boolean {
    return text.includes(this.code);
  }

  /** Only the settings, at once: cheap enough for every case. */
  checkSettings(what: string): void {
    expect(settingsOf(this.t, this.code), `reference session settings after ${what}`).toEqual(this.expected);
  }

  async check(what: string): Promise<void> {
    this.checkSettings(what);
    const c = this.client;
    await c.packetsAtLeast(this.checkedUpTo + 4, 5000);
    expect(c.closed, `reference client closed after ${what}`).toBeNull();
    const unasked = c.messages.slice(1).filter((m) => m.type !== 'data');
    expect(unasked, `reference client got unasked messages after ${what}`).toEqual([]);
    const seqs = c.packets.map((p) => p.sequence_number as number);
    const gaps: string[] = [];
    for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1] + 1) gaps.push(`${seqs[i - 1]}→${seqs[i]}`);
    expect(gaps, `reference stream sequence gaps after ${what}`).toEqual([]);
    this.checkedUpTo = c.packets.length;
  }

  get packetCount(): number {
    return this.client.packets.length;
  }

  close(): void {
    this.client.close();
  }
}
