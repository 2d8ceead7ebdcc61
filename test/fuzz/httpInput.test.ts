/**
 * Hostile HTTP input (issue 4): random and adversarial paths, query strings, methods and REST
 * bodies, sent with real `fetch`, `node:http` and raw sockets to one real server.
 *
 * Properties: no 5xx ever; every 4xx is JSON `{error:{code,message}}` with both non-empty;
 * a refused request changes nothing; the process stays up (GET /health after each batch);
 * a reference session nobody targets keeps streaming to its client with no sequence gap and
 * unchanged settings.
 */
import { request as httpRequest, METHODS } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  LogWatch,
  ReferenceSession,
  Tally,
  deepJsonText,
  dropSessionsExcept,
  edgyNumber,
  expectHealthy,
  hostileObject,
  jsonish,
  nastyString,
  runs,
  settingsOf,
  tryEncode,
  codeLike,
} from './support.ts';

const REF = 'REF-http-q7';
const POOL = ['fzA', 'fzB'] as const;
const KEEP = new Set<string>([REF, ...POOL]);

let t: TestServer;
let ref: ReferenceSession;
const tally = new Tally();
const logs = new LogWatch();
const statuses = new Map<number, number>();

beforeAll(async () => {
  t = await startTestServer();
  const target = t.engine.dataset.targets.find((x) => x.trialIds.length > 0)!;
  ref = await ReferenceSession.open(t, REF, { speed: 1.5, loop: true, target_id: target.id, binary: true });
});
afterAll(async () => {
  console.log(`[fuzz http] server log: ${logs.summary()}`);
  console.log(`[fuzz http] ${tally.total} requests: ${tally}; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(' ')}`);
  ref?.close();
  await t?.close();
});

/** Before each case: only the reference and the pool exist, the pool sessions paused (they need not stream). */
function resetSessions(): void {
  dropSessionsExcept(t, KEEP);
  for (const code of POOL) {
    const s = t.engine.sessions.get(code) ?? t.engine.sessions.create(code, undefined, { paused: true });
    s.pause();
  }
}

// ------------------------------------------------------------------ generators

const ROUTE_WORDS = [
  'api', 'sessions', 'create', 'cleanup', 'control', 'trials', 'by-target', 'targets', 'metadata', 'health', 'metrics', 'stream',
  'binary', 'studio', 'channel', 'examples', 'vendor', 'msgpack.min.js', 'index.html', 'pause', 'resume', 'play', 'stop', 'seek',
  'speed', 'loop', 'position', 'prometheus', '', '.', '..',
];

const segment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ROUTE_WORDS, ...POOL) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(nastyString, fc.constantFrom('raw', 'encoded', 'double'))
      .map(([s, how]) => (how === 'raw' ? s : how === 'encoded' ? tryEncode(s) : tryEncode(tryEncode(s)))),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom('%', '%E0', '%A4', '%A', '%ZZ', '%00', '%2F', '%2e', '%C3', '.', 'a'), { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1000, maxLength: 4000 }) },
);

const TEMPLATES = [
  '/api/sessions/{a}', '/api/sessions/{a}/{b}', '/api/control/{a}/{b}', '/api/control/{a}/position', '/api/trials/{a}',
  '/api/trials/by-target/{a}', '/examples/{a}', '/studio/{a}', '/vendor/{a}', '/api/{a}', '/{a}', '/stream/{a}', '/{a}/{b}',
];

const pathArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...TEMPLATES), segment, segment).map(([tpl, a, b]) => tpl.replace('{a}', a).replace('{b}', b)),
  fc.tuple(fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([segs, slash]) => `/${segs.join('/')}${slash ? '/' : ''}`),
);

const QUERY_KEYS = ['code', 'custom_code', 'session_code', 'speed', 'loop', 'enabled', 'paused', 'trial_id', 'target_id', 'position_seconds', 'position_s', 'position', 'max_idle_s'];
const queryPair = fc.tuple(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: nastyString }),
  fc.oneof(nastyString, edgyNumber.map(String)),
  fc.boolean(),
);
const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('', '?', '?&&=&', '?=', '?%', '?a=%E0%A4%A', '?trial_id=1&trial_id=2') },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.array(queryPair, { maxLength: 5 }), fc.boolean()).map(([pairs, repeat]) => {
      const all = repeat && pairs.length ? [...pairs, pairs[0]] : pairs;
      return `?${all.map(([k, v, enc]) => (enc ? `${tryEncode(k)}=${tryEncode(v)}` : `${k}=${v}`)).join('&')}`;
    }),
  },
);

const INVALID_JSON = ['{', '}', '{"code":', '[1,]', "{'code':'a'}", 'NaN', 'Infinity', '{"a":1}}', '{"a":"\\x"}', '{"speed":01}', '"', 'nul', '{"a":1,}', '\u0000', '\uFEFF{}', '{"a":"\uD800"}', '//', '<xml/>'];

/** A REST body, as the bytes sent (undefined: no body). */
const bodyArb: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: jsonish.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.constantFrom(...INVALID_JSON) },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('speed', 'paused', 'loop', 'trial_id', 'code', 'position_seconds'), fc.integer({ min: 100, max: 20_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([k, depth, kind]) => `{"${k}":${deepJsonText(depth, kind)}}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 60_000 }).map((n) => JSON.stringify({ code: 'x'.repeat(n) })) },
);

/** Methods fetch may send and Node's parser knows (CONNECT, TRACE and TRACK are forbidden to fetch). */
const FETCH_METHODS = METHODS.filter((m) => !['CONNECT', 'TRACE', 'TRACK'].includes(m));
const methodArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS') }, { weight: 1, arbitrary: fc.constantFrom(...FETCH_METHODS) });

// ------------------------------------------------------------------ helpers

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(method: string, path: string, body?: string | Uint8Array, contentType?: string, headers: Record<string, string> = {}, base = t.http): Promise<Answer> {
  tally.add('fetch');
  const withBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
  const res = await fetch(base + path, {
    method,
    body: (withBody ? body : undefined) as BodyInit | undefined,
    headers: { ...headers, ...(withBody && contentType ? { 'content-type': contentType } : {}) },
    redirect: 'manual',
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The answer contract: never 5xx; a 4xx is JSON {error:{code,message}}, both non-empty. */
function expectContract(method: string, a: Answer, what: string): void {
  statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  expect(a.status, `${what} → ${a.status} ${a.text.slice(0, 300)}`).toBeLessThan(500);
  if (a.status < 400) return;
  expect(a.contentType, `${what}: content type of a ${a.status}`).toMatch(/^application\/json/);
  if (method === 'HEAD') return;
  let body: any;
  expect(() => (body = JSON.parse(a.text)), `${what}: ${a.status} body is JSON: ${a.text.slice(0, 200)}`).not.toThrow();
  expect(typeof body?.error?.code, `${what}: error.code in ${a.text.slice(0, 200)}`).toBe('string');
  expect(typeof body?.error?.message, `${what}: error.message in ${a.text.slice(0, 200)}`).toBe('string');
  expect(body.error.code.length).toBeGreaterThan(0);
  expect(body.error.message.trim().length).toBeGreaterThan(0);
}

/** Headers a client might send: content negotiation (/metrics serves Prometheus text to scrapers), credentials, origins. */
const headersArb: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/openmetrics-text; version=1.0.0', 'text/html', '*/*', 'text/plain, application/json', 'text/plain;q=0.1', ''),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    ),
    authorization: fc.oneof(fc.constantFrom('Bearer x', 'Bearer', 'Basic Zm9vOmJhcg==', 'bearer  a b'), fc.string({ unit: 'grapheme-ascii', maxLength: 40 })),
    origin: fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', '::1, 10.0.0.1'),
  },
  { requiredKeys: [], noNullPrototype: true },
);

const describeCase = (method: string, path: string, body?: string | Uint8Array) =>
  `${method} ${path.slice(0, 200)}${body === undefined ? '' : ` body=${JSON.stringify(typeof body === 'string' ? body.slice(0, 120) : `<${body.length} bytes>`)}`}`;

/** The body as the server would parse it, or null (no body, not JSON: the fields came from the query). */
function parseOrNull(body: string | Uint8Array | undefined): any {
  if (body === undefined) return null;
  try {
    return JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    return null;
  }
}

/** After a case: the reference is untouched unless the request named it. */
function checkReference(text: string, what: string): void {
  let named = ref.isNamedIn(text);
  try {
    named ||= ref.isNamedIn(decodeURIComponent(text));
  } catch {
    /* malformed encoding: the raw text was checked */
  }
  if (!named) ref.checkSettings(what);
}

// ------------------------------------------------------------------ properties

describe('hostile HTTP input', () => {
  it('random paths, queries, methods and bodies (fetch): never 5xx, 4xx always JSON, nothing else changes', async () => {
    await fc.assert(
      fc.asyncProperty(methodArb, pathArb, queryArb, bodyArb, fc.constantFrom(undefined, 'application/json', 'text/plain', 'multipart/form-data'), headersArb, async (method, path, query, body, ct, headers) => {
        fc.pre((path + query).length < 12_000); // longer request lines hit Node's header limit: the raw-socket property covers them
        resetSessions();
        const mark = logs.mark();
        const what = describeCase(method, path + query, body);
        const a = await send(method, path + query, body, ct, headers);
        expectContract(method, a, what);
        logs.expectNoErrorsSince(mark, what);
        checkReference(path + query + (typeof body === 'string' ? body : ''), what);
      }),
      { numRuns: runs(600) },
    );
    await expectHealthy(t);
    await ref.check('random paths');
  });

  it('POST /api/sessions/create with random and wrong-typed fields: 201 creates what was asked, a refusal creates nothing', async () => {
    const fieldValue = fc.oneof(jsonish, edgyNumber, nastyString, fc.boolean(), fc.constant(null), codeLike, hostileObject);
    // A well-formed request with one or two fields swapped for hostile values: each field's check is reached.
    const FIELDS = ['code', 'speed', 'loop', 'paused', 'trial_id', 'target_id', 'custom_code', 'session_code'] as const;
    const wellFormed = fc.record(
      {
        code: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        speed: fc.double({ min: 0.1, max: 20, noNaN: true }),
        loop: fc.boolean(),
        paused: fc.boolean(),
        trial_id: fc.integer({ min: 0, max: 300 }),
        target_id: fc.integer({ min: 0, max: 80 }),
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    const mutated = fc
      .tuple(wellFormed, fc.uniqueArray(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 2 }), fc.array(fieldValue, { minLength: 2, maxLength: 2 }))
      .map(([ok, fields, values]) => {
        const b: Record<string, unknown> = { ...ok };
        fields.forEach((f, i) => (b[f] = values[i]));
        return b;
      });
    const createBody = fc.oneof({ weight: 1, arbitrary: wellFormed }, { weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: jsonish });
    const bodyText = fc.oneof({ weight: 5, arbitrary: createBody.map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: bodyArb });
    await fc.assert(
      fc.asyncProperty(bodyText, fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryArb }), async (body, query) => {
        resetSessions();
        const mark = logs.mark();
        const before = new Set(t.engine.sessions.list().map((s) => s.code));
        const what = describeCase('POST', `/api/sessions/create${query}`, body);
        const a = await send('POST', `/api/sessions/create${query}`, body, 'application/json');
        expectContract('POST', a, what);
        const after = t.engine.sessions.list().map((s) => s.code);
        if (a.status === 201) {
          const created = JSON.parse(a.text);
          expect(after, what).toContain(created.session_code);
          expect(after.filter((c) => !before.has(c)), what).toEqual([created.session_code]);
          const sent = parseOrNull(body);
          if (sent && typeof sent === 'object' && !Array.isArray(sent)) {
            if (typeof sent.code === 'string' && sent.code !== '') expect(created.session_code, what).toBe(sent.code);
            if (typeof sent.speed === 'number') expect(settingsOf(t, created.session_code)!.speed, what).toBe(sent.speed);
            if (typeof sent.loop === 'boolean') expect(settingsOf(t, created.session_code)!.loop, what).toBe(sent.loop);
          }
        } else {
          expect([400, 404, 409, 413], what).toContain(a.status);
          expect(new Set(after), `${what}: a refused create changed the session list`).toEqual(before);
        }
        logs.expectNoErrorsSince(mark, what);
        checkReference(query + (typeof body === 'string' ? body : ''), what);
      }),
      { numRuns: runs(500) },
    );
    await expectHealthy(t);
    await ref.check('create bodies');
  });

  it('POST /api/control/{code}/{action} with random arguments: a refusal changes nothing, an answer does what it says', async () => {
    const ACTIONS = ['pause', 'resume', 'play', 'stop', 'seek', 'speed', 'loop', 'position'];
    const value = fc.oneof(edgyNumber, jsonish, nastyString, fc.boolean(), hostileObject, fc.double({ min: 0, max: 700, noNaN: true }));
    // The field each action reads, under each of its names, alone or with noise beside it.
    const controlBody = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(fc.constantFrom('speed', 'loop', 'enabled', 'position_seconds', 'position_s', 'position'), value, fc.option(fc.dictionary(fc.string({ maxLength: 6 }), jsonish, { maxKeys: 2 })))
          .map(([k, v, noise]) => JSON.stringify({ ...(noise ?? {}), [k]: v })),
      },
      { weight: 1, arbitrary: fc.record({ speed: value, loop: value, enabled: value, position_seconds: value, position_s: value, position: value }, { requiredKeys: [], noNullPrototype: true }).map((b) => JSON.stringify(b)) },
      { weight: 1, arbitrary: bodyArb },
    );
    const codeArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...POOL) }, { weight: 1, arbitrary: codeLike }, { weight: 1, arbitrary: nastyString.map(tryEncode) });
    const actionArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: nastyString.map(tryEncode) });
    const method = fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') });
    await fc.assert(
      fc.asyncProperty(method, codeArb, actionArb, controlBody, fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryArb }), fc.boolean(), async (m, code, action, body, query, playing) => {
        resetSessions();
        const mark = logs.mark();
        if (playing) for (const c of POOL) t.engine.sessions.get(c)!.play();
        const target = (POOL as readonly string[]).includes(code) ? code : null;
        const before = target ? settingsOf(t, target) : null;
        const path = `/api/control/${code}/${action}${query}`;
        const what = describeCase(m, path, body);
        const a = await send(m, path, body, 'application/json');
        expectContract(m, a, what);
        if (target && a.status >= 400) expect(settingsOf(t, target), `${what}: refused, yet the session changed`).toEqual(before);
        if (target && a.status === 200 && m === 'POST') {
          const r = JSON.parse(a.text);
          const now = settingsOf(t, target)!;
          expect(r).toMatchObject({ ok: true, session_code: target, status: now.status, speed: now.speed, loop: now.loop });
          const sent = parseOrNull(body);
          if (action === 'speed' && typeof sent?.speed === 'number') expect(now.speed, what).toBe(sent.speed);
          if (action === 'loop' && typeof sent?.loop === 'boolean') expect(now.loop, what).toBe(sent.loop);
          if (action === 'pause') expect(now.status, what).not.toBe('playing');
          if (action === 'resume' || action === 'play') expect(now.status, what).toBe('playing');
          if (action === 'stop') expect([now.status, r.position_packets], what).toEqual(['paused', 0]);
        }
        logs.expectNoErrorsSince(mark, what);
        checkReference(path + (typeof body === 'string' ? body : ''), what);
      }),
      { numRuns: runs(600) },
    );
    await expectHealthy(t);
    await ref.check('control requests');
  });

  it('oversize and boundary-size bodies (node:http, one connection each): over 64 KiB is a JSON 413, at 64 KiB it is read', async () => {
    const LIMIT = 64 * 1024;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: LIMIT + 1, max: 300 * 1024 }), fc.constantFrom(LIMIT - 1, LIMIT, LIMIT + 1)),
        fc.constantFrom('/api/sessions/create', '/api/sessions/cleanup', `/api/control/${POOL[0]}/speed`),
        fc.boolean(),
        async (size, path, chunked) => {
          resetSessions();
        const mark = logs.mark();
          // A JSON object padded with spaces to exactly `size` bytes: parseable if the server reads it all.
          const json = path.endsWith('speed') ? '{"speed":1}' : path.endsWith('cleanup') ? '{"max_idle_s":100000}' : '{"paused":true}';
          const body = Buffer.from(json + ' '.repeat(size - json.length));
          const a = await rawHttp('POST', path, body, chunked);
          const what = `POST ${path} with ${size} bytes${chunked ? ' (chunked)' : ''}`;
          expectContract('POST', a, what);
          if (size > LIMIT) expect([a.status, JSON.parse(a.text).error.code], what).toEqual([413, 'body_too_large']);
          else expect(a.status, what).toBeLessThan(300);
          logs.expectNoErrorsSince(mark, what);
        },
      ),
      { numRuns: runs(24) },
    );
    await expectHealthy(t);
    await ref.check('oversize bodies');
  });

  it('with an access token (remote access): a missing or wrong token gets a JSON 401, the right one gets in, never 5xx', async () => {
    const TOKEN = 'fuzz-Tok_3n';
    const ts = await startTestServer({ server: { token: TOKEN } });
    try {
      const tokenValue = fc.oneof(
        { weight: 3, arbitrary: fc.constant(TOKEN) },
        { weight: 3, arbitrary: fc.constantFrom(TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), ` ${TOKEN}`, `${TOKEN} `, `${TOKEN}\u0000`, '', 'null', TOKEN.replace('_', '%5F')) },
        { weight: 1, arbitrary: nastyString },
      );
      const header = fc.oneof(
        fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER\t${TOKEN}`, `Bearer  ${TOKEN}  `, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, 'Bearer', `Bearer ${TOKEN} extra`, `Token ${TOKEN}`),
        fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
      );
      const PATHS = ['/health', '/api/sessions', '/api/metadata', '/metrics', '/metrics/prometheus', '/api/trials/1', '/', '/nope', '/studio', '/studio/', '/studio/index.html', '/studio/channel', '/examples/', '/vendor/msgpack.min.js'];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...PATHS),
          fc.array(tokenValue.map((v) => tryEncode(v)), { maxLength: 2 }),
          fc.option(header, { nil: undefined }),
          fc.constantFrom('GET', 'POST', 'HEAD'),
          async (path, tokens, auth, method) => {
            const mark = logs.mark();
            const query = tokens.length ? `?${tokens.map((v) => `token=${v}`).join('&')}` : '';
            const url = new URL(ts.http + path + query);
            // The server's rule: a well-formed Bearer header decides; without one, the first ?token= does.
            const bearer = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth.trim());
            const presented = bearer ? bearer[1] : url.searchParams.get('token');
            const exempt = path === '/studio' || (path.startsWith('/studio/') && path !== '/studio/channel');
            const allowed = presented === TOKEN || exempt;
            const what = `${method} ${path}${query} authorization=${JSON.stringify(auth)}`;
            const a = await send(method, path + query, undefined, undefined, auth === undefined ? {} : { authorization: auth }, ts.http);
            expectContract(method, a, what);
            if (allowed) expect(a.status, what).not.toBe(401);
            else {
              expect(a.status, what).toBe(401);
              if (method !== 'HEAD') expect(JSON.parse(a.text).error.code, what).toBe('unauthorized');
            }
            logs.expectNoErrorsSince(mark, what);
          },
        ),
        { numRuns: runs(200) },
      );
    } finally {
      await ts.close();
    }
    await expectHealthy(t);
    await ref.check('access token');
  });

  it('raw request lines (net socket): never 5xx and never a hang; every answer is JSON, also when Node\'s parser refuses the request', async () => {
    const rawTarget = fc.oneof(
      pathArb.chain((p) => queryArb.map((q) => p + q)),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).map((s) => `/${s}`),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => `/api/sessions/${s}`),
      fc.integer({ min: 10_000, max: 40_000 }).map((n) => `/${'a'.repeat(n)}`),
      fc.constantFrom('*', '//evil.example/x', 'http://[::1/x', 'http://127.0.0.1/health', '/health#frag', '/../../etc/passwd', '/%2e%2e/%2e%2e/', ''),
    );
    const rawMethod = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PUT') },
      { weight: 2, arbitrary: fc.constantFrom(...METHODS) },
      { weight: 1, arbitrary: fc.constantFrom('get', 'post', 'FOO', 'G ET', 'GET\tX', '', 'ÄÖÜ') },
    );
    const version = fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', '') });
    await fc.assert(
      fc.asyncProperty(rawMethod, rawTarget, version, fc.option(bodyArb, { nil: undefined }), async (method, target, ver, body) => {
        resetSessions();
        const mark = logs.mark();
        const bytes = typeof body === 'string' ? Buffer.from(body) : body ? Buffer.from(body) : Buffer.alloc(0);
        const head = `${method} ${target} ${ver}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${bytes.length}\r\n\r\n`;
        const what = `raw ${JSON.stringify(head.slice(0, 200))}`;
        const res = await rawSocket(Buffer.concat([Buffer.from(head, 'utf8'), bytes]));
        expect(res.timedOut, `${what}: the server neither answered nor closed in 5 s`).toBe(false);
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(res.text);
        expect(m, `${what}: no HTTP status line in ${JSON.stringify(res.text.slice(0, 200))}`).not.toBeNull();
        const status = Number(m![1]);
        const [headers, ...rest] = res.text.split('\r\n\r\n');
        const text = rest.join('\r\n\r\n');
        const contentType = /\r\ncontent-type: *([^\r\n]*)/i.exec(headers)?.[1] ?? '';
        if (!/\r\ntransfer-encoding: *chunked/i.test(headers)) {
          expectContract(method.toUpperCase() === 'HEAD' ? 'HEAD' : method, { status, contentType, text }, what);
        } else {
          expect(status, what).toBeLessThan(500);
        }
        logs.expectNoErrorsSince(mark, what);
        checkReference(target, what);
      }),
      { numRuns: runs(300) },
    );
    await expectHealthy(t);
    await ref.check('raw request lines');
  });
});

/** One request through Node's http client (the default keep-alive agent). */
function rawHttp(method: string, path: string, body: Buffer, chunked: boolean): Promise<Answer> {
  tally.add('node:http');
  return new Promise((resolve, reject) => {
    const req = httpRequest(t.http + path, {
      method,
      headers: chunked ? { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } : { 'content-type': 'application/json', 'content-length': body.length },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer 413 and close while the rest of the body is still being written.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (chunked) {
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      req.end();
    } else req.end(body);
  });
}

/** Writes bytes on a fresh TCP connection and reads until the server closes it (5 s at most). */
function rawSocket(bytes: Buffer): Promise<{ text: string; timedOut: boolean }> {
  tally.add('raw socket');
  return new Promise((resolve) => {
    const s = connect(t.server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), timedOut });
    };
    const timer = setTimeout(() => finish(true), 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => finish(false));
    s.on('close', () => finish(false));
    s.write(bytes);
  });
}
