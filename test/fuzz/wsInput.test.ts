/**
 * Hostile WebSocket input (issue 4): random upgrade paths and queries, random client frames
 * (text, binary, invalid JSON and MessagePack, control messages with random arguments, invalid
 * UTF-8, frames over the 64 KiB limit) on one real server.
 *
 * Properties: a connection gets metadata, or an error message then a 4xxx close with a reason;
 * each malformed frame gets one `{type:'error'}` reply and the stream goes on; a frame over the
 * limit closes that socket with 1009; the process stays up; a reference session's client sees
 * no gap, no unasked message and unchanged settings.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMsgpack, encodeMsgpack } from '../../src/shared/codecs.ts';
import { SESSION_CODE_PATTERN } from '../../src/shared/wire.ts';
import { startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import {
  LogWatch,
  ReferenceSession,
  Tally,
  codeLike,
  deepJsonText,
  dropSessionsExcept,
  edgyNumber,
  expectHealthy,
  hostileObject,
  jsonish,
  nastyString,
  runs,
  tryEncode,
} from './support.ts';

const REF = 'REF-ws-k3';
const FZ = 'wsfz';
const KEEP = new Set([REF, FZ]);
const LIMIT = 64 * 1024;

let t: TestServer;
let ref: ReferenceSession;
const tally = new Tally();
const logs = new LogWatch();

beforeAll(async () => {
  t = await startTestServer();
  const target = t.engine.dataset.targets.find((x) => x.trialIds.length > 0)!;
  ref = await ReferenceSession.open(t, REF, { speed: 1.25, loop: true, target_id: target.id, binary: false });
});
afterAll(async () => {
  console.log(`[fuzz ws] server log: ${logs.summary()}`);
  console.log(`[fuzz ws] ${tally.total} cases: ${tally}`);
  ref?.close();
  await t?.close();
});

function resetSessions(): void {
  dropSessionsExcept(t, KEEP);
  const s = t.engine.sessions.get(FZ) ?? t.engine.sessions.create(FZ);
  // Fuzzed speeds up to 20× would flood the in-process clients: keep the fuzz session near real time.
  if (s.state().speed > 2) s.setSpeed(1);
}

const isReply = (m: any) => m?.type !== 'data' && m?.type !== 'metadata';

// ------------------------------------------------------------------ upgrade paths

const codeSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(FZ, REF, 'fresh-1', 'fresh_2') },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 3, arbitrary: codeLike },
  { weight: 3, arbitrary: fc.tuple(nastyString, fc.boolean()).map(([s, enc]) => (enc ? tryEncode(s) : s.replaceAll('#', '%23'))) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('%', '%E0', '%A4', '%A', '%ZZ', '%00', '%2F', 'a'), { minLength: 1, maxLength: 5 }).map((a) => a.join('')) },
);
const filterValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }).map(String) },
  { weight: 2, arbitrary: nastyString.map(tryEncode) },
  { weight: 1, arbitrary: edgyNumber.map((n) => tryEncode(String(n))) },
);
const randomQuery = fc
  .tuple(
    fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom('trial_id', 'target_id') }, { weight: 1, arbitrary: fc.constantFrom('code', 'speed', 'token', 'TRIAL_ID', 'Token', '') }, { weight: 1, arbitrary: nastyString.map(tryEncode) }), filterValue), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([pairs, repeat]) => {
    const all = repeat && pairs.length ? [...pairs, pairs[0]] : pairs;
    return all.length ? `?${all.map(([k, v]) => `${k}=${v}`).join('&')}` : '';
  });
const queryArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.oneof(fc.integer({ min: 0, max: 239 }).map((n) => `?trial_id=${n}`), fc.integer({ min: 0, max: 54 }).map((n) => `?target_id=${n}`)) },
  { weight: 4, arbitrary: randomQuery },
);

interface Attempt {
  messages: any[];
  closed: { code: number; reason: string } | null;
  httpStatus: number | null;
  httpBody: string;
}

/** Opens a ws connection and waits for metadata, a close, or an HTTP refusal (3 s at most). */
async function attempt(url: string): Promise<Attempt> {
  tally.add('upgrade');
  const c = new TestClient(url);
  const res: Attempt = { messages: c.messages, closed: null, httpStatus: null, httpBody: '' };
  const httpRefusal = new Promise<void>((resolve) => {
    c.ws.on('unexpected-response', (_req, r) => {
      res.httpStatus = r.statusCode ?? 0;
      r.on('data', (d: Buffer) => (res.httpBody += d.toString()));
      r.on('end', resolve);
    });
  });
  const settled = c.until(() => c.closed !== null || c.messages[0]?.type === 'metadata', 'metadata or close', 3000);
  await Promise.race([settled, httpRefusal]);
  if (res.httpStatus === null && c.messages[0]?.type === 'metadata') {
    c.close();
    await c.closedWith(3000);
  }
  res.closed = c.closed;
  return res;
}

function decodedCode(rawSegment: string): string | null {
  try {
    return decodeURIComponent(rawSegment);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ client frames

type Frame = { binary: boolean; bytes: Buffer; label: string };

/** A frame that prints short in fast-check's counterexamples (no 60 KB byte arrays). */
function frame(binary: boolean, bytes: Buffer, label: string): Frame {
  return {
    binary,
    bytes,
    label,
    [fc.toStringMethod]: () =>
      `${label} (${binary ? 'binary' : 'text'}, ${bytes.length} bytes): ${binary ? bytes.subarray(0, 48).toString('hex') : JSON.stringify(bytes.subarray(0, 120).toString())}`,
  } as Frame;
}

const msgValue = fc.oneof(edgyNumber, jsonish, nastyString, fc.boolean(), fc.constant(null), hostileObject, fc.double({ min: 0, max: 700, noNaN: true }), fc.double({ min: 0, max: 25, noNaN: true }));
const controlMsg = fc
  .tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('ping', 'pause', 'resume', 'play', 'seek', 'speed', 'loop') }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: msgValue }),
    fc.record({ position_s: msgValue, position_seconds: msgValue, speed: msgValue, loop: msgValue }, { requiredKeys: [], noNullPrototype: true }),
    fc.option(fc.dictionary(fc.string({ maxLength: 6 }), jsonish, { maxKeys: 2 })),
  )
  .map(([type, args, noise]) => ({ ...(noise ?? {}), ...args, type }));

/** MessagePack bytes the encoder never makes: bad ext types, non-string map keys, truncations, huge declared lengths. */
const CRAFTED_MSGPACK = [
  [0xc1], // never used
  [0xd4, 0x01, 0x00], // fixext 1, unknown type
  [0xd6, 0xff, 0, 0, 0, 1], // timestamp 32
  [0xc7, 0x0c, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], // timestamp 96
  [0x81, 0x01, 0x02], // {1: 2}
  [0x81, 0x90, 0x02], // {[]: 2}
  [0x81, 0xa9, ...Buffer.from('__proto__'), 0x80], // {__proto__: {}}
  [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4 G elements, no elements
  [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 likewise
  [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str32 of 4 GB
  [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], // int64 min
  [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // uint64 max
  [0x82, 0xa4, ...Buffer.from('type'), 0xa4, ...Buffer.from('seek'), 0xaa, ...Buffer.from('position_s'), 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], // seek NaN
  [0x82, 0xa4, ...Buffer.from('type'), 0xa5, ...Buffer.from('speed'), 0xa5, ...Buffer.from('speed'), 0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], // speed Infinity
  [0x81, 0xa4, ...Buffer.from('type'), 0xa4, 0xff, 0xfe, 0x70, 0x69], // type: invalid UTF-8 str
].map((a) => Buffer.from(a));

const INVALID_JSON = ['{', '{"type":', '{"type":"seek",}', "{'type':'ping'}", 'NaN', '{"type":"ping"}}', '{"type":"\\x"}', '"', '', ' ', '\u0000', '\uFEFF{"type":"ping"}'];

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: controlMsg.map((m) => frame(false, Buffer.from(JSON.stringify(m)), 'json control')) },
  { weight: 6, arbitrary: controlMsg.map((m) => frame(true, Buffer.from(encodeMsgpack(m)), 'msgpack control')) },
  { weight: 2, arbitrary: jsonish.map((v) => frame(false, Buffer.from(JSON.stringify(v)), 'json value')) },
  { weight: 2, arbitrary: jsonish.map((v) => frame(true, Buffer.from(encodeMsgpack(v)), 'msgpack value')) },
  { weight: 2, arbitrary: nastyString.map((s) => frame(false, Buffer.from(s), 'text')) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_JSON).map((s) => frame(false, Buffer.from(s), 'invalid json')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => frame(true, Buffer.from(b), 'random bytes')) },
  { weight: 1, arbitrary: fc.constantFrom(...CRAFTED_MSGPACK).map((b) => frame(true, b, 'crafted msgpack')) },
  {
    weight: 2,
    arbitrary: fc.tuple(controlMsg, fc.nat()).map(([m, cut]) => {
      const b = Buffer.from(encodeMsgpack(m));
      return frame(true, b.subarray(0, cut % Math.max(1, b.length)), 'truncated msgpack');
    }),
  },
  {
    weight: 1,
    // Under the frame limit: 2 bytes a level for arrays, 6 for objects.
    arbitrary: fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, kind]) => frame(false, Buffer.from(deepJsonText(kind === 'array' ? d * 2 : d, kind)), 'deep json')),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 60_000 }).map((d) => frame(true, Buffer.alloc(d, 0x91), 'deep msgpack')), // [[[[…
  },
);

/** What the server must answer to a frame, computed independently of it: 'status' or 'error'. */
function expectedReply(f: Frame, timelinePackets: number): { kind: 'status' | 'error'; speed?: number; loop?: boolean } {
  let msg: any;
  try {
    msg = f.binary ? decodeMsgpack(f.bytes) : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(f.bytes));
  } catch {
    return { kind: 'error' };
  }
  if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return { kind: 'error' };
  const num = (v: unknown): number => {
    try {
      return Number(v);
    } catch {
      return NaN;
    }
  };
  switch (msg.type) {
    case 'ping':
    case 'pause':
    case 'resume':
    case 'play':
      return { kind: 'status' };
    case 'seek': {
      const s = num(msg.position_s ?? msg.position_seconds);
      const ok = Number.isFinite(s) && s >= 0 && Math.floor(Math.round(s * 1e6) / 25_000) < timelinePackets;
      return { kind: ok ? 'status' : 'error' };
    }
    case 'speed': {
      const s = num(msg.speed);
      return Number.isFinite(s) && s >= 0.1 && s <= 20 ? { kind: 'status', speed: s } : { kind: 'error' };
    }
    case 'loop':
      return typeof msg.loop === 'boolean' ? { kind: 'status', loop: msg.loop } : { kind: 'error' };
    default:
      return { kind: 'error' };
  }
}

/** Sends raw bytes as one text or binary frame (text frames need not be valid UTF-8). */
const sendFrame = (c: TestClient, f: { binary: boolean; bytes: Buffer }, opts: { fin?: boolean } = {}) =>
  c.ws.send(f.bytes, { binary: f.binary, fin: opts.fin ?? true });

/** Sets of bytes that are not UTF-8: a lone continuation, overlongs, surrogates, past U+10FFFF, a truncated sequence. */
const INVALID_UTF8 = [[0xff], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe0, 0xa4]];

// ------------------------------------------------------------------ properties

describe('hostile WebSocket input', () => {
  it('random upgrade paths and queries: metadata, or an error then a 4xxx close with a reason', async () => {
    const prefix = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('/stream/', '/stream/binary/') },
      { weight: 1, arbitrary: fc.constantFrom('/stream/binary/binary/', '/stream//', '/stream/json/', '/stream/BINARY/') },
    );
    const suffix = fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/extra', '//', '/..', '/%2e%2e') });
    await fc.assert(
      fc.asyncProperty(prefix, codeSegment, suffix, queryArb, async (pre, seg, suf, query) => {
        resetSessions();
        const mark = logs.mark();
        // '#' would start a fragment, which the ws client refuses to send.
        const url = `${t.ws}${pre}${seg}${suf}${query}`.replaceAll('#', '%23');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          return fc.pre(false); // the ws client refuses it before sending anything
        }
        const what = `connect ${JSON.stringify(url.slice(t.ws.length, t.ws.length + 200))}`;
        const existed = new Set(t.engine.sessions.list().map((s) => s.code));
        const a = await attempt(url);
        if (a.httpStatus !== null) {
          // Refused before the handshake: only for paths that are not stream paths once normalised (e.g. /stream/..).
          expect(parsed.pathname.startsWith('/stream/'), `${what}: HTTP ${a.httpStatus} on a stream path`).toBe(false);
          expect(a.httpStatus, what).toBeGreaterThanOrEqual(400);
          expect(a.httpStatus, what).toBeLessThan(500);
          expect(JSON.parse(a.httpBody).error.message.length, what).toBeGreaterThan(0);
          tally.add('refused (HTTP)');
          logs.expectNoErrorsSince(mark, what);
          return;
        }
        const first = a.messages[0];
        expect(first, `${what}: no first message`).toBeDefined();
        const m = /^\/stream\/(?:(binary)\/)?([^/]*)\/?$/.exec(parsed.pathname);
        const code = m ? decodedCode(m[2]) : null;
        const keys = [...parsed.searchParams.keys()];
        const mustRefuse = !m || code === null || !SESSION_CODE_PATTERN.test(code) || keys.some((k) => !['trial_id', 'target_id', 'token'].includes(k));
        if (first.type === 'metadata') {
          expect(mustRefuse, `${what}: accepted, but the code or a parameter is invalid`).toBe(false);
          expect(first.session.code, what).toBe(code);
          if (!existed.has(code!)) {
            // A new session takes the connection's filters.
            const id = (k: string) => (parsed.searchParams.get(k)?.trim() ? Number(parsed.searchParams.get(k)) : null);
            expect(first.filters, what).toEqual({ trial_id: id('trial_id'), target_id: id('target_id') });
          }
          expect(a.closed?.code, `${what}: closed by us`).toBe(1005);
          tally.add('accepted');
        } else {
          expect(first, what).toMatchObject({ type: 'error', code: expect.any(String), message: expect.any(String) });
          expect(first.message.length, what).toBeGreaterThan(0);
          expect(a.closed, `${what}: refused but not closed`).not.toBeNull();
          expect(a.closed!.code, what).toBeGreaterThanOrEqual(4000);
          expect(a.closed!.code, what).toBeLessThan(5000);
          expect(a.closed!.reason.length, `${what}: close without a reason`).toBeGreaterThan(0);
          expect(a.messages.filter((x) => x.type === 'data'), `${what}: a refused client got packets`).toEqual([]);
          tally.add('refused (4xxx)');
        }
        logs.expectNoErrorsSince(mark, what);
        ref.checkSettings(what);
      }),
      { numRuns: runs(300) },
    );
    await expectHealthy(t);
    await ref.check('upgrade paths');
  });

  it('random client frames (text, binary, invalid JSON/MessagePack, control messages): one right reply each, the stream goes on', async () => {
    resetSessions();
    // One JSON and one binary socket for the whole run; reopened only after a failing case closed one
    // (so that fast-check's shrinking runs each candidate on a live socket).
    const sockets = { json: new TestClient(`${t.ws}/stream/${FZ}`), bin: new TestClient(`${t.ws}/stream/binary/${FZ}`) };
    await Promise.all([sockets.json.opened, sockets.bin.opened]);
    const seen = new Map<TestClient, number>();
    const live = async (which: 'json' | 'bin'): Promise<TestClient> => {
      if (sockets[which].closed) {
        sockets[which] = new TestClient(`${t.ws}/stream/${which === 'bin' ? 'binary/' : ''}${FZ}`);
        await sockets[which].opened;
      }
      return sockets[which];
    };
    const replies = (c: TestClient) => c.messages.filter(isReply);
    const counts = { status: 0, error: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(frameArb, fc.boolean(), async (frame, onBinary) => {
          resetSessions();
          const mark = logs.mark();
          const c = await live(onBinary ? 'bin' : 'json');
          const what = `${frame.label} on the ${onBinary ? 'binary' : 'JSON'} endpoint: ${frame.binary ? frame.bytes.subarray(0, 80).toString('hex') : JSON.stringify(frame.bytes.subarray(0, 160).toString())}`;
          const expected = expectedReply(frame, t.engine.sessions.get(FZ)!.state().timeline_packets);
          const n = seen.get(c) ?? 0;
          expect(replies(c).length, `an unasked reply before: ${what}`).toBe(n);
          sendFrame(c, frame);
          tally.add(`frame ${frame.label}`);
          (expected.kind === 'status' ? counts.status++ : counts.error++);
          await c.until(() => replies(c).length > n || c.closed !== null, `a reply to ${what}`, 3000);
          expect(c.closed, `${what}: the socket was closed`).toBeNull();
          seen.set(c, n + 1);
          const reply = replies(c)[n];
          expect(c.closed, `${what}: the socket was closed`).toBeNull();
          if (expected.kind === 'error') {
            expect(reply, what).toMatchObject({ type: 'error', code: expect.any(String), message: expect.any(String) });
            expect(reply.message.length, what).toBeGreaterThan(0);
          } else {
            expect(reply, what).toMatchObject({ type: 'status', state: expect.any(String), speed: expect.any(Number), loop: expect.any(Boolean) });
            if (expected.speed !== undefined) expect(reply.speed, what).toBe(expected.speed);
            if (expected.loop !== undefined) expect(reply.loop, what).toBe(expected.loop);
          }
          logs.expectNoErrorsSince(mark, what);
          ref.checkSettings(what);
        }),
        { numRuns: runs(1000) },
      );
      // The fuzz session still streams to both of its sockets once playing again.
      for (const which of ['json', 'bin'] as const) {
        const c = sockets[which];
        const before = c.packets.length;
        c.send(which === 'bin' ? Buffer.from(encodeMsgpack({ type: 'resume' })) : { type: 'resume' });
        await c.until(() => c.packets.length >= before + 3, 'packets after resume', 5000);
        expect(c.closed).toBeNull();
      }
      console.log(`[fuzz ws] frame replies: ${counts.status} status, ${counts.error} error`);
    } finally {
      sockets.json.close();
      sockets.bin.close();
    }
    await expectHealthy(t);
    await ref.check('client frames');
  });

  it('random predictions (valid, duplicate, stale, unknown, malformed; JSON and MessagePack): no reply each, every one counted in exactly the right bucket, the stream goes on', async () => {
    resetSessions();
    const code = 'wsfz-preds';
    t.engine.sessions.get(code) ?? t.engine.sessions.create(code);
    // Packets of the session sent before the decoder connects are stale to it.
    await new Promise((r) => setTimeout(r, 200));
    const c = new TestClient(`${t.ws}/stream/binary/${code}?decoder=fuzzer`);
    await c.until(() => c.packets.length >= 3, 'three packets');
    const firstSeq = c.packets[0].sequence_number;
    const expected = { invalid: 0, duplicates: 0, stale: 0, unknown: 0, accepted: 0, notPredictions: 0 };
    const answered = new Set<number>();
    const axisValue = fc.oneof(
      { weight: 6, arbitrary: fc.double({ min: -500, max: 500, noNaN: true }) },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.oneof(edgyNumber, nastyString, fc.boolean(), hostileObject) },
    );
    const seqKind = fc.constantFrom('seen', 'seen', 'seen', 'future', 'before', 'bad');
    const badSeq = fc.oneof(fc.constantFrom(-1, 1.5, Number.NaN, Infinity, 2 ** 60), nastyString, fc.constant(null), hostileObject);
    const prediction = fc.record({ kind: seqKind, bad: badSeq, pick: fc.nat(), axes: fc.tuple(axisValue, axisValue, axisValue, axisValue), latency: fc.option(fc.oneof(fc.double({ min: 0, max: 50, noNaN: true }), edgyNumber), { nil: undefined }), json: fc.boolean() });
    const finiteOrAbsent = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
    let sent = 0;
    try {
      await fc.assert(
        fc.asyncProperty(prediction, async (p) => {
          const mark = logs.mark();
          if (p.kind === 'seen' && p.pick % 2 === 0) {
            // Half the answers are to a packet that has just arrived (the common case for a decoder).
            const n = c.packets.length;
            await c.until(() => c.packets.length > n, 'a new packet');
          }
          const seen = c.packets.map((x) => x.sequence_number);
          const seq =
            p.kind === 'seen' ? seen[p.pick % 2 === 0 ? seen.length - 1 : p.pick % seen.length] : p.kind === 'future' ? seen[seen.length - 1] + 100_000 + p.pick : p.kind === 'before' ? p.pick % Math.max(1, firstSeq) : p.bad;
          const [x, y, vx, vy] = p.axes;
          const msg: Record<string, unknown> = { type: 'prediction', sequence_number: seq, x, y, vx, vy, latency_ms: p.latency };
          for (const k of Object.keys(msg)) if (msg[k] === undefined) delete msg[k];
          const text = JSON.stringify(msg);
          const bytes = p.json && text !== undefined ? null : Buffer.from(encodeMsgpack(msg));
          // What the server receives: JSON turns NaN and ±Infinity into null.
          let got: Record<string, any>;
          try {
            got = bytes ? (decodeMsgpack(bytes) as Record<string, any>) : JSON.parse(text!);
          } catch {
            // MessagePack the decoder refuses (a `__proto__` key): a bad message, not a prediction.
            c.ws.send(bytes!, { binary: true });
            expected.notPredictions++;
            return;
          }
          // The server's rules, written again independently.
          const values = [got.x, got.y, got.vx, got.vy];
          const wellFormed =
            typeof got.sequence_number === 'number' && Number.isSafeInteger(got.sequence_number) && got.sequence_number >= 0 &&
            values.every(finiteOrAbsent) && values.some((v) => typeof v === 'number') &&
            (got.latency_ms === undefined || got.latency_ms === null || (typeof got.latency_ms === 'number' && Number.isFinite(got.latency_ms) && got.latency_ms >= 0));
          if (!wellFormed) expected.invalid++;
          else if (p.kind === 'future') expected.unknown++;
          else if (p.kind === 'before' && (seq as number) < firstSeq) expected.stale++;
          else if (answered.has(seq as number)) expected.duplicates++;
          else {
            answered.add(seq as number);
            expected.accepted++;
          }
          if (bytes) c.ws.send(bytes, { binary: true });
          else c.ws.send(text!);
          sent++;
          tally.add('prediction');
          logs.expectNoErrorsSince(mark, JSON.stringify(msg) ?? 'msg');
        }),
        { numRuns: runs(400) },
      );
      // Every prediction has been handled once the status of a later ping is back.
      c.send({ type: 'ping' });
      await c.until(() => c.messages.some((m) => m.type === 'status'), 'status');
      expect(c.messages.filter((m) => m.type === 'status')).toHaveLength(1); // predictions get no reply
      const reports = c.messages.filter((m) => m.type === 'error' && m.code === 'bad_prediction');
      expect(reports.every((m) => m.count > 0)).toBe(true);
      expect(c.messages.filter((m) => m.type === 'error' && m.code === 'bad_message')).toHaveLength(expected.notPredictions);
      const d = t.server.scoring.scoreboard(t.engine.sessions.get(code)!).decoders.find((x) => x.name === 'fuzzer')!;
      expect(d.counts.predictions).toBe(sent);
      const { notPredictions, ...buckets } = expected;
      expect({ invalid: d.counts.invalid, duplicates: d.counts.duplicates, stale: d.counts.stale, unknown: d.counts.unknown, accepted: d.latency.count }).toEqual(buckets);
      expect(notPredictions).toBeLessThan(sent);
      const before = c.packets.length;
      await c.until(() => c.packets.length >= before + 3, 'packets go on', 5000);
      expect(c.closed).toBeNull();
      console.log(`[fuzz ws] predictions: ${JSON.stringify(expected)}; ${reports.length} error report(s)`);
    } finally {
      c.close();
    }
    await expectHealthy(t);
    await ref.check('predictions');
  });

  it('invalid UTF-8 in a text frame fails that connection with 1007 (RFC 6455 §8.1); nothing else is touched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(...INVALID_UTF8),
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        async (before, bad, after, binaryEndpoint, fragmented) => {
          resetSessions();
          const mark = logs.mark();
          const c = new TestClient(`${t.ws}/stream/${binaryEndpoint ? 'binary/' : ''}${FZ}`);
          await c.opened;
          const bytes = Buffer.concat([Buffer.from(`{"type":"ping","x":"${before}`), Buffer.from(bad), Buffer.from(`${after}"}`)]);
          if (fragmented) {
            const cut = Math.floor(bytes.length / 2);
            c.ws.send(bytes.subarray(0, cut), { binary: false, fin: false });
            c.ws.send(bytes.subarray(cut), { binary: false, fin: true });
          } else sendFrame(c, { binary: false, bytes });
          tally.add('invalid utf-8 frame');
          const closed = await c.closedWith(3000);
          expect(closed.code, `invalid UTF-8 ${Buffer.from(bad).toString('hex')}`).toBe(1007);
          expect(closed.reason).toBe('message is not valid UTF-8 (text frames must be UTF-8)');
          logs.expectNoErrorsSince(mark, 'invalid UTF-8');
          ref.checkSettings('invalid UTF-8');
        },
      ),
      { numRuns: runs(30) },
    );
    await expectHealthy(t);
    await ref.check('invalid UTF-8');
  });

  it('frames over 64 KiB (whole or in fragments) close that socket with 1009; 64 KiB exactly is read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: LIMIT + 1, max: 256 * 1024 }), fc.constantFrom(LIMIT, LIMIT + 1)),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (size, binary, pieces, binaryEndpoint) => {
          resetSessions();
          const mark = logs.mark();
          const c = new TestClient(`${t.ws}/stream/${binaryEndpoint ? 'binary/' : ''}${FZ}`);
          await c.opened;
          const bytes = Buffer.alloc(size, 0x20); // spaces: valid UTF-8, not valid JSON nor MessagePack
          const step = Math.ceil(size / pieces);
          for (let i = 0; i < size; i += step) c.ws.send(bytes.subarray(i, i + step), { binary, fin: i + step >= size });
          tally.add('oversize frame');
          const what = `${size} bytes in ${pieces} fragment(s), ${binary ? 'binary' : 'text'}`;
          if (size > LIMIT) {
            const closed = await c.closedWith(3000);
            expect(closed.code, what).toBe(1009);
            expect(closed.reason, what).toBe('message over 64 KiB, the limit for client messages');
          } else {
            await c.until(() => c.messages.some(isReply), `a reply to ${what}`, 3000);
            expect(c.messages.find(isReply), what).toMatchObject({ type: 'error', code: 'bad_message' });
            expect(c.closed, what).toBeNull();
            c.close();
            await c.closedWith(3000);
          }
          logs.expectNoErrorsSince(mark, what);
          ref.checkSettings(what);
        },
      ),
      { numRuns: runs(24) },
    );
    await expectHealthy(t);
    await ref.check('oversize frames');
  });

  it('with an access token: a stream without the right one gets an error then 4401 with a reason; with it, metadata', async () => {
    const TOKEN = 'ws-Tok_9q';
    const ts = await startTestServer({ server: { token: TOKEN } });
    try {
      const tokenValue = fc.oneof(
        { weight: 3, arbitrary: fc.constant(TOKEN) },
        { weight: 3, arbitrary: fc.constantFrom(TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toLowerCase(), ` ${TOKEN}`, '', 'undefined') },
        { weight: 1, arbitrary: nastyString },
      );
      const header = fc.oneof(fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, 'Bearer', `Bearer ${TOKEN} more`), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/stream/', '/stream/binary/'),
          fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
          fc.array(tokenValue.map(tryEncode), { maxLength: 2 }),
          fc.option(header, { nil: undefined }),
          async (prefix, code, tokens, auth) => {
            const mark = logs.mark();
            const url = `${ts.ws}${prefix}${code}${tokens.length ? `?${tokens.map((v) => `token=${v}`).join('&')}` : ''}`;
            const bearer = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth.trim());
            const allowed = (bearer ? bearer[1] : new URL(url).searchParams.get('token')) === TOKEN;
            const what = `connect ${url.slice(ts.ws.length)} authorization=${JSON.stringify(auth)}`;
            tally.add('upgrade with token');
            const c = await connectWithHeaders(url, auth === undefined ? {} : { authorization: auth });
            if (allowed) {
              expect(c.messages[0]?.type, what).toBe('metadata');
            } else {
              expect(c.messages, what).toEqual([{ type: 'error', code: 'unauthorized', message: expect.stringMatching(/token/) }]);
              expect(c.closed?.code, what).toBe(4401);
              expect(c.closed!.reason.length, what).toBeGreaterThan(0);
            }
            for (const s of ts.engine.sessions.list()) ts.engine.sessions.delete(s.code);
            logs.expectNoErrorsSince(mark, what);
          },
        ),
        { numRuns: runs(120) },
      );
    } finally {
      await ts.close();
    }
    await expectHealthy(t);
    await ref.check('access token');
  });

  it('raw upgrade requests (net socket, dropped abruptly): 101 or a 4xx with a JSON reason, never 5xx, never a hang', async () => {
    const target = fc.oneof(
      fc.tuple(fc.constantFrom('/stream/', '/stream/binary/', '/studio/channel', '/', '/api/sessions/'), codeSegment, queryArb).map(([p, s, q]) => p + s + q),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 30 }).map((s) => `/stream/${s}`),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => `/stream/${s}`),
      fc.constantFrom('http://[::1/x', '*', '/stream/%E0%A4%A', `/stream/${'a'.repeat(20_000)}`, '/stream/../health', '//stream/x'),
    );
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom('GET', 'POST', 'get'), async (path, method) => {
        resetSessions();
        const mark = logs.mark();
        const head =
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${Buffer.from('phantomlink-fuzz').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
        const what = `raw upgrade ${JSON.stringify(head.slice(0, 160))}`;
        const first = await firstBytes(Buffer.from(head, 'utf8'));
        tally.add('raw upgrade');
        expect(first.timedOut, `${what}: no answer in 5 s`).toBe(false);
        const m = /^HTTP\/1\.1 (\d{3})/.exec(first.text);
        expect(m, `${what}: no status line in ${JSON.stringify(first.text.slice(0, 200))}`).not.toBeNull();
        const status = Number(m![1]);
        if (status !== 101) {
          expect(status, `${what}: ${first.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
          expect(status, `${what}: ${first.text.slice(0, 300)}`).toBeLessThan(500);
          // Refused handshakes say why, in the same JSON as every other refusal.
          expect(first.text, what).toMatch(/\r\nContent-Type: application\/json\r\n/i);
          expect(JSON.parse(first.text.split('\r\n\r\n')[1]).error.message.length, what).toBeGreaterThan(0);
        }
        logs.expectNoErrorsSince(mark, what);
        ref.checkSettings(what);
      }),
      { numRuns: runs(120) },
    );
    await expectHealthy(t);
    await ref.check('raw upgrades');
  });
});

/**
 * A ws client with request headers (TestClient has none): waits for the first message, and for
 * the close when the server closes (else closes itself); returns the decoded messages.
 */
async function connectWithHeaders(url: string, headers: Record<string, string>): Promise<{ messages: any[]; closed: { code: number; reason: string } | null }> {
  const ws = new WebSocket(url, { headers });
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on('error', () => {});
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    ws.on('message', (d, isBinary) => {
      messages.push(isBinary ? decodeMsgpack(d as Buffer) : JSON.parse(d.toString()));
      if (messages[0]?.type === 'metadata') {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      clearTimeout(timer);
      resolve();
    });
  });
  if (!closed) {
    const done = new Promise<void>((r) => ws.once('close', () => r()));
    ws.close();
    await done;
    return { messages, closed: null };
  }
  return { messages, closed };
}

/** Sends bytes on a fresh connection, returns what the server sent first, then drops the connection. */
function firstBytes(bytes: Buffer): Promise<{ text: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const s = connect(t.server.port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text, timedOut });
    };
    const timer = setTimeout(() => finish(true), 5000);
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (text.includes('\r\n\r\n')) finish(false);
    });
    s.on('error', () => finish(false));
    s.on('close', () => finish(false));
    s.write(bytes);
  });
}
