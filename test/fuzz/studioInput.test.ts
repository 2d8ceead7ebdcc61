/**
 * Hostile studio input (issue 4): random (command, args) pairs and subscriptions through
 * `StudioService.call`/`subscribe`, through the browser host's studio channel (real WebSocket)
 * and through the Electron IPC wiring (`registerStudioIpc` with a fake ipcMain).
 *
 * Properties: a refusal is always a StudioError (never another exception) and never
 * `internal_error`; a request changes no session it does not name; untrusted IPC changes
 * nothing at all; every channel frame gets its one answer and the channel stays open; a
 * reference session keeps streaming with no gap and unchanged settings.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStudioIpc, type IpcEvent, type IpcMainLike, type IpcSender } from '../../src/main/studio/electronIpc.ts';
import { StudioError } from '../../src/main/studio/errors.ts';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { IPC_EVENT, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE, STUDIO_COMMANDS, STUDIO_EVENTS, ipcCommandChannel, type IpcResult } from '../../src/shared/studioApi.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  LogWatch,
  ReferenceSession,
  Tally,
  allSettings,
  codeLike,
  deepJsonText,
  dropSessionsExcept,
  edgyNumber,
  expectHealthy,
  hostileObject,
  jsonish,
  nastyString,
  runs,
  settingsOf,
} from './support.ts';

const REF = 'REF-studio-z9';
const POOL = ['st-a', 'st-b'] as const;
const KEEP = new Set<string>([REF, ...POOL]);
const PAGE = 'file:///app/out/renderer/index.html';

let t: TestServer;
let ref: ReferenceSession;
let service: StudioService;
/** ipcMain as far as the wiring uses it (as in test/studio/electronIpc.test.ts). */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (e: IpcEvent, ...a: unknown[]) => unknown>();
  readonly listeners = new Map<string, (e: IpcEvent, ...a: unknown[]) => void>();
  handle(channel: string, fn: (e: IpcEvent, ...a: unknown[]) => unknown) {
    this.handlers.set(channel, fn);
  }
  on(channel: string, fn: (e: IpcEvent, ...a: unknown[]) => void) {
    this.listeners.set(channel, fn);
  }
}
const ipc = new FakeIpcMain();
const tally = new Tally();
const logs = new LogWatch();

beforeAll(async () => {
  t = await startTestServer();
  service = new StudioService(t.engine, t.server, { pollMs: 50, packetFlushMs: 50 });
  t.server.attachStudio(service);
  registerStudioIpc(ipc, service, (e) => e.senderFrame?.url === PAGE);
  const trial = t.engine.dataset.trials.find((x) => x.effectiveStopTime - x.startTime > 1)!;
  ref = await ReferenceSession.open(t, REF, { speed: 0.5, loop: true, trial_id: trial.id, binary: true });
});
afterAll(async () => {
  console.log(`[fuzz studio] server log: ${logs.summary()}`);
  console.log(`[fuzz studio] ${tally.total} cases: ${tally}`);
  ref?.close();
  await t?.close();
});

function resetSessions(): void {
  dropSessionsExcept(t, KEEP);
  for (const code of POOL) {
    const s = t.engine.sessions.get(code) ?? t.engine.sessions.create(code, undefined, { paused: true });
    if (s.state().speed > 2) s.setSpeed(1);
  }
}

// ------------------------------------------------------------------ generators

/** Cyclic and very deep values survive Electron's structured clone (not JSON): they reach the validators. */
const cyclic = (() => {
  const o: Record<string, unknown> = { code: 'st-a', speed: 1 };
  o.self = o;
  return o;
})();
const deepArray = (depth: number) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** Values that a renderer can send over IPC (structured clone) beyond JSON. */
const cloneExtras = fc.oneof(
  fc.constantFrom<unknown>(undefined, NaN, Infinity, -Infinity, -0, cyclic, new Date(NaN), [, 1], deepArray(20_000)),
  fc.bigInt().map((b) => b as unknown),
  fc.date({ noInvalidDate: false }).map((d) => d as unknown),
  fc.uint8Array({ maxLength: 8 }).map((b) => b as unknown),
  fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }).map((e) => new Map(e) as unknown),
  fc.array(fc.integer(), { maxLength: 3 }).map((e) => new Set(e) as unknown),
);

const codeArg = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(...POOL) },
  { weight: 2, arbitrary: codeLike },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('nobody', 'no such session!', '', ' ', 'a'.repeat(65)) },
  { weight: 1, arbitrary: nastyString },
);
const idArg = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(null), edgyNumber, nastyString);
const filtersArg = fc.oneof(
  fc.record({ trial_id: idArg, target_id: idArg }, { requiredKeys: [], noNullPrototype: true }),
  fc.record({ trial_id: fc.integer({ min: 0, max: 239 }).map((n) => n as unknown), target_id: fc.constant(null) }, { noNullPrototype: true }),
);
const createArg = fc.record(
  {
    code: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), codeArg),
    filters: fc.oneof(filtersArg, jsonish),
    speed: fc.oneof(fc.double({ min: 0.1, max: 20, noNaN: true }), edgyNumber, nastyString),
    loop: fc.oneof(fc.boolean(), jsonish),
    paused: fc.oneof(fc.boolean(), jsonish),
    extra: jsonish,
  },
  { requiredKeys: [], noNullPrototype: true },
);

/** Any argument value: well-typed for some position, wrong for most. */
const anyArg: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: codeArg },
  { weight: 2, arbitrary: edgyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: filtersArg },
  { weight: 1, arbitrary: createArg },
  { weight: 3, arbitrary: jsonish },
  { weight: 1, arbitrary: hostileObject },
  { weight: 2, arbitrary: cloneExtras },
);

/** The argument each position of each command wants, so that most cases get past the arity check. */
const POSITIONS: Record<string, fc.Arbitrary<unknown>[]> = {
  createSession: [createArg],
  deleteSession: [codeArg],
  play: [codeArg],
  pause: [codeArg],
  stop: [codeArg],
  seek: [codeArg, fc.oneof(fc.double({ min: 0, max: 700, noNaN: true }), edgyNumber)],
  setSpeed: [codeArg, fc.oneof(fc.double({ min: 0, max: 25, noNaN: true }), edgyNumber)],
  setLoop: [codeArg, fc.boolean()],
  setFilters: [codeArg, filtersArg],
  getPlayback: [codeArg],
  openDataset: [fc.oneof(nastyString, fc.constantFrom('package.json', '/', '.', '/dev/null', '/dev/zero', '/etc/passwd', '/proc/self/status', '/nope.nwb', 'x'.repeat(4097), 'a\0b'))],
  setPresentation: [fc.boolean()],
  playback: [codeArg],
  packets: [codeArg],
};

/** Arguments for `name`: the right arity with some positions swapped for anything, or any value at all. */
const argsFor = (name: unknown): fc.Arbitrary<unknown> => {
  const wanted = typeof name === 'string' && Object.hasOwn(POSITIONS, name) ? POSITIONS[name] : [];
  const wellTyped = fc.tuple(...wanted).map((a) => a as unknown[]);
  const swapped = fc
    .tuple(wellTyped, fc.array(anyArg, { minLength: wanted.length, maxLength: wanted.length }), fc.array(fc.boolean(), { minLength: wanted.length, maxLength: wanted.length }))
    .map(([ok, any, swap]) => ok.map((v, i) => (swap[i] ? any[i] : v)));
  return fc.oneof(
    { weight: 3, arbitrary: wellTyped },
    { weight: 4, arbitrary: swapped },
    { weight: 1, arbitrary: fc.array(anyArg, { maxLength: 4 }) },
    { weight: 1, arbitrary: anyArg },
  );
};

const commandName = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<unknown>(...STUDIO_COMMANDS) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('constructor', '__proto__', 'toString', 'hasOwnProperty', 'call', 'handlers', 'invoke', 'subscribe', 'LISTSESSIONS') },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: anyArg },
);
const eventName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<unknown>(...STUDIO_EVENTS) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('constructor', '__proto__', 'toString', 'valueOf', 'poll', 'Sessions') },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: anyArg },
);
const callArb = commandName.chain((command) => argsFor(command).map((args) => ({ command, args })));
const subscribeArb = eventName.chain((event) => argsFor(event).map((args) => ({ event, args })));

// ------------------------------------------------------------------ checks

/** Every string inside a value (the session codes a request could name); iterative, so deep nesting is fine. */
function stringsIn(root: unknown): Set<string> {
  const out = new Set<string>();
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') out.add(v);
    else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      stack.push(...(v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v)));
    }
  }
  return out;
}

const stringOverflows = (v: unknown) => {
  try {
    String(v);
    return false;
  } catch (err) {
    return err instanceof RangeError;
  }
};

const show = (v: unknown) => {
  try {
    return fc.stringify(v).slice(0, 300);
  } catch {
    return '<too deep to print>';
  }
};

/** Sessions not named by the request keep existing, with the same settings. */
function expectOthersUnchanged(before: ReturnType<typeof allSettings>, named: Set<string>, what: string): void {
  for (const [code, settings] of before) {
    if (named.has(code)) continue;
    expect(settingsOf(t, code), `${what}: session ${code}, not named, changed`).toEqual(settings);
  }
}

function expectRefusal(err: unknown, what: string): StudioError {
  expect(err, `${what}: rejected with something other than a StudioError: ${String(err)}`).toBeInstanceOf(StudioError);
  const e = err as StudioError;
  expect(e.code, `${what}: internal_error (${e.message})`).not.toBe('internal_error');
  expect(e.code.length, what).toBeGreaterThan(0);
  expect(e.message.trim().length, `${what}: empty message`).toBeGreaterThan(0);
  return e;
}

// ------------------------------------------------------------------ properties

describe('hostile studio input', () => {
  it('StudioService.call with random commands and arguments: a result or a StudioError (never internal_error), no other session changes', async () => {
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(callArb, async (generated) => {
        // What reaches the service from a renderer has been through Electron's structured clone (or JSON).
        let command: unknown, args: unknown;
        try {
          ({ command, args } = structuredClone(generated));
        } catch {
          return fc.pre(false);
        }
        resetSessions();
        const mark = logs.mark();
        const what = `call(${show(command)}, ${show(args)})`;
        const before = allSettings(t);
        const named = stringsIn(args);
        tally.add('service.call');
        try {
          await service.call(command, args);
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
        } catch (err) {
          const e = expectRefusal(err, what);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          if (typeof command !== 'string' || !(STUDIO_COMMANDS as readonly string[]).includes(command)) {
            // String(command) of a 20 000-deep array overflows the stack: that RangeError is refused as invalid_argument.
            expect(stringOverflows(command) ? ['unknown_command', 'invalid_argument'] : ['unknown_command'], what).toContain(e.code);
          }
          // A refusal leaves even the sessions it names as they were.
          expectOthersUnchanged(before, new Set(), `${what} (refused)`);
        }
        expectOthersUnchanged(before, named, what);
        if (!named.has(REF)) ref.checkSettings(what);
        logs.expectNoErrorsSince(mark, what);
      }),
      { numRuns: runs(2000) },
    );
    console.log(`[fuzz studio] call outcomes: ${[...codes].map(([k, v]) => `${k}×${v}`).join(' ')}`);
    await expectHealthy(t);
    await ref.check('service.call');
  });

  it('StudioService.subscribe with random events and arguments: an unsubscribe function or a StudioError, and unsubscribing stops it', async () => {
    await fc.assert(
      fc.asyncProperty(subscribeArb, async (generated) => {
        let event: unknown, args: unknown;
        try {
          ({ event, args } = structuredClone(generated));
        } catch {
          return fc.pre(false);
        }
        resetSessions();
        const mark = logs.mark();
        const what = `subscribe(${show(event)}, ${show(args)})`;
        const before = allSettings(t);
        const subscribersBefore = POOL.map((c) => t.engine.sessions.get(c)!.subscriberCount);
        tally.add('service.subscribe');
        let off: (() => void) | undefined;
        const payloads: unknown[] = [];
        try {
          off = service.subscribe(event, args, (p) => payloads.push(p));
        } catch (err) {
          expectRefusal(err, what);
        }
        if (off) {
          expect(typeof off, what).toBe('function');
          off();
          off(); // twice is harmless
          expect(POOL.map((c) => t.engine.sessions.get(c)!.subscriberCount), `${what}: still attached after unsubscribe`).toEqual(subscribersBefore);
          const n = payloads.length;
          await new Promise((r) => setTimeout(r, 0));
          expect(payloads.length, `${what}: emitted after unsubscribe`).toBe(n);
        }
        expectOthersUnchanged(before, new Set(), what);
        ref.checkSettings(what);
        logs.expectNoErrorsSince(mark, what);
      }),
      { numRuns: runs(400) },
    );
    await expectHealthy(t);
    await ref.check('service.subscribe');
  });

  it('studio channel frames (real WebSocket): one answer per frame, refusals never internal_error, the channel stays open', async () => {
    const ws = new WebSocket(`${t.ws}/studio/channel`);
    const frames: any[] = [];
    let closed: number | null = null;
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.on('close', (code) => (closed = code));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const waitFor = async (pred: () => boolean, what: string) => {
      const deadline = Date.now() + 3000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        if (closed !== null) throw new Error(`channel closed (${closed}) while waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    let barrierId = -1e9;
    /** A listSessions call after the frame: when its answer is in, the frame has been handled. */
    const barrier = async () => {
      const id = --barrierId;
      ws.send(JSON.stringify({ kind: 'call', id, command: 'listSessions', args: [] }));
      await waitFor(() => frames.some((f) => f.id === id && f.kind === 'result'), 'the barrier');
    };
    // JSON cannot carry BigInt or cycles: the browser host sends what JSON.stringify makes of a value.
    const toJson = (f: Record<string, unknown>) => {
      const field = (v: unknown) => {
        try {
          return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
        } catch {
          return 'null'; // cyclic or too deep for JSON.stringify: not something a browser can send as JSON
        }
      };
      return `{${Object.entries(f).map(([k, v]) => `${JSON.stringify(k)}:${field(v)}`).join(',')}}`;
    };

    const structured = fc.oneof(
      { weight: 4, arbitrary: callArb.map(({ command, args }) => ({ kind: 'call' as unknown, command, args })) },
      { weight: 2, arbitrary: subscribeArb.map(({ event, args }) => ({ kind: 'subscribe' as unknown, event, args })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.oneof(fc.constantFrom<unknown>('unsubscribe', 'result', 'event', 'CALL', ''), jsonish), command: commandName, event: eventName, args: anyArg }, { requiredKeys: ['kind'], noNullPrototype: true }) },
    );
    const idArb = fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>('unique') }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(0)) }, { weight: 1, arbitrary: jsonish });
    let unique = 0;
    const frameArb = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(structured, idArb).map(([f, id]) => ({ text: toJson({ ...f, id: id === 'unique' ? ++unique : id }) as string | Buffer })) },
      { weight: 1, arbitrary: fc.oneof(nastyString, jsonish.map((v) => JSON.stringify(v)), fc.constantFrom('{', '{"kind":"call","id":1', '[]', 'null', '{"id":1}', '{"kind":"call"}')).map((text) => ({ text: text as string | Buffer })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((b) => ({ text: Buffer.from(b) as string | Buffer })) },
      {
        // Deep JSON within the channel's 256 KiB frame limit, where a value is described in an error message.
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('seek', 'setSpeed', 'setLoop', 'setFilters', 'createSession', 'nope'), fc.integer({ min: 1000, max: 40_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
          .map(([command, depth, kind]) => ({ text: `{"kind":"call","id":${++unique},"command":"${command}","args":["st-a",${deepJsonText(depth, kind)}]}` as string | Buffer })),
      },
    );

    let lastUnsubscribed: { id: number; from: number } | null = null;
    await fc.assert(
      fc.asyncProperty(frameArb, async ({ text }) => {
        resetSessions();
        const mark = logs.mark();
        const what = `frame ${typeof text === 'string' ? text.slice(0, 300) : `<binary ${text.toString('hex')}>`}`;
        if (lastUnsubscribed) {
          const { id, from } = lastUnsubscribed;
          expect(frames.slice(from).filter((f) => f.kind === 'event' && f.id === id), `events for subscription ${id} after its unsubscribe`).toEqual([]);
          lastUnsubscribed = null;
        }
        const before = allSettings(t);
        let parsed: any;
        let valid = false;
        if (typeof text === 'string') {
          try {
            parsed = JSON.parse(text);
            valid = parsed !== null && typeof parsed === 'object' && typeof parsed.id === 'number';
          } catch {
            /* not JSON */
          }
        }
        const from = frames.length;
        ws.send(text, { binary: typeof text !== 'string' });
        tally.add('channel frame');
        const answersTo = (id: number) => frames.slice(from).filter((f) => f.kind === 'result' && f.id === id);
        const expectId = !valid ? -1 : parsed.kind === 'unsubscribe' ? null : parsed.id;
        await barrier();
        if (expectId !== null) await waitFor(() => answersTo(expectId).length > 0, `the answer to ${what}`);
        for (const f of frames.slice(from)) {
          if (f.kind === 'result' && !f.ok) expect(f.error.code, `${what}: ${JSON.stringify(f.error)}`).not.toBe('internal_error');
        }
        if (expectId !== null) {
          const answers = answersTo(expectId);
          expect(answers.length, `${what}: answered ${answers.length} times`).toBe(1);
          const a = answers[0];
          if (!a.ok) expect(a.error.message.length, what).toBeGreaterThan(0);
          if (!valid || !['call', 'subscribe'].includes(parsed.kind)) expect(a, what).toMatchObject({ ok: false, error: { code: 'bad_frame' } });
          if (parsed?.kind === 'subscribe' && a.ok) {
            ws.send(JSON.stringify({ kind: 'unsubscribe', id: expectId }));
            await barrier();
            lastUnsubscribed = { id: expectId, from: frames.length };
          }
        }
        expect(closed, `${what}: the channel closed`).toBeNull();
        const named = valid ? stringsIn(parsed) : new Set<string>();
        expectOthersUnchanged(before, named, what);
        if (!named.has(REF)) ref.checkSettings(what);
        logs.expectNoErrorsSince(mark, what);
      }),
      { numRuns: runs(800) },
    );
    ws.close();
    await expectHealthy(t);
    await ref.check('studio channel');
  });

  it('Electron IPC (fake ipcMain, structured-clone arguments): results as data, untrusted senders change nothing, subscriptions clean up', async () => {
    class Sender implements IpcSender {
      sent: unknown[][] = [];
      destroyed = false;
      private onDestroyed: (() => void) | null = null;
      constructor(readonly id: number) {}
      send(channel: string, ...args: unknown[]) {
        this.sent.push([channel, ...structuredClone(args)]);
      }
      isDestroyed() {
        return this.destroyed;
      }
      once(_e: 'destroyed', fn: () => void) {
        this.onDestroyed = fn;
      }
      destroy() {
        this.destroyed = true;
        this.onDestroyed?.();
      }
    }
    const sender = new Sender(41);
    const event = (trusted: boolean): IpcEvent => ({ sender, senderFrame: trusted ? { url: PAGE } : { url: 'https://evil.example/' } });
    const clone = (v: unknown): { ok: true; v: unknown } | { ok: false } => {
      try {
        return { ok: true, v: structuredClone(v) };
      } catch {
        return { ok: false };
      }
    };

    const invokeCase = fc.record({ kind: fc.constant('invoke' as const), call: callArb, trusted: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) });
    const subscribeCase = fc.record({
      kind: fc.constant('subscribe' as const),
      id: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map((n) => n as unknown) }, { weight: 1, arbitrary: anyArg }),
      sub: subscribeArb,
      trusted: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: invokeCase }, { weight: 1, arbitrary: subscribeCase }), async (c) => {
        resetSessions();
        const mark = logs.mark();
        const before = allSettings(t);
        if (c.kind === 'invoke') {
          const { command, args } = c.call;
          // A renderer can only invoke channels that exist; send the args for a random one.
          const name = typeof command === 'string' && (STUDIO_COMMANDS as readonly string[]).includes(command) ? command : STUDIO_COMMANDS[0];
          const argList = Array.isArray(args) ? args : [args];
          const cloned = clone(argList);
          fc.pre(cloned.ok);
          const what = `ipc ${name}(${show(argList)}) from a ${c.trusted ? 'trusted' : 'foreign'} page`;
          tally.add('ipc invoke');
          const r = (await ipc.handlers.get(ipcCommandChannel(name as (typeof STUDIO_COMMANDS)[number]))!(event(c.trusted), ...(cloned as { v: unknown[] }).v)) as IpcResult;
          expect(() => structuredClone(r), `${what}: the result cannot cross IPC`).not.toThrow();
          if (!c.trusted) {
            expect(r, what).toEqual({ ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted page' } });
            expect(allSettings(t), `${what}: an untrusted call changed something`).toEqual(before);
          } else if (!r.ok) {
            expect(r.error.code, `${what}: ${r.error.message}`).not.toBe('internal_error');
            expect(r.error.message.length, what).toBeGreaterThan(0);
            expectOthersUnchanged(before, new Set(), what);
          } else {
            expectOthersUnchanged(before, stringsIn(argList), what);
          }
        } else {
          const cloned = clone([c.id, c.sub.event, c.sub.args]);
          fc.pre(cloned.ok);
          const [id, name, args] = (cloned as { v: unknown[] }).v;
          const what = `ipc subscribe(${show(id)}, ${show(name)}, ${show(args)}) from a ${c.trusted ? 'trusted' : 'foreign'} page`;
          const subscribersBefore = POOL.map((code) => t.engine.sessions.get(code)!.subscriberCount);
          const from = sender.sent.length;
          tally.add('ipc subscribe');
          expect(() => ipc.listeners.get(IPC_SUBSCRIBE)!(event(c.trusted), id, name, args), what).not.toThrow();
          const mine = () => sender.sent.slice(from).filter((m) => m[0] === IPC_EVENT && Object.is(m[1], id));
          if (!c.trusted || typeof id !== 'number' || !Number.isSafeInteger(id)) {
            expect(sender.sent.length, `${what}: ignored, yet something was sent`).toBe(from);
          } else {
            const refusal = mine().find((m) => m[2] === null && m.length === 4);
            if (refusal) expect((refusal[3] as { code: string }).code, `${what}: ${JSON.stringify(refusal[3])}`).not.toBe('internal_error');
          }
          expect(() => ipc.listeners.get(IPC_UNSUBSCRIBE)!(event(c.trusted), id), what).not.toThrow();
          expect(POOL.map((code) => t.engine.sessions.get(code)!.subscriberCount), `${what}: still attached after unsubscribe`).toEqual(subscribersBefore);
          const n = mine().length;
          await new Promise((r) => setTimeout(r, 0));
          expect(mine().length, `${what}: events after unsubscribe`).toBe(n);
          expectOthersUnchanged(before, new Set(), what);
        }
        ref.checkSettings('ipc');
        logs.expectNoErrorsSince(mark, `ipc ${show(c)}`);
      }),
      { numRuns: runs(1000) },
    );
    // Unsubscribing junk is harmless, and a closed page's subscriptions go with it.
    for (const junk of [undefined, null, 'x', NaN, {}, -1, 2 ** 60]) expect(() => ipc.listeners.get(IPC_UNSUBSCRIBE)!(event(true), junk)).not.toThrow();
    sender.destroy();
    await expectHealthy(t);
    await ref.check('electron ipc');
  });
});
