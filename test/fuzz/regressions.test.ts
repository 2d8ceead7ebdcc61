/**
 * Regressions for the bugs the hostile-input properties found (FOUND_BUGS.md, items 1–7):
 * each failed before its fix.
 */
import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStudioIpc, type IpcEvent } from '../../src/main/studio/electronIpc.ts';
import { StudioService } from '../../src/main/studio/studioService.ts';
import type { IpcResult } from '../../src/shared/studioApi.ts';
import { api, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

describe('studio channel', () => {
  // A regression would throw in the ws 'message' handler: vitest reports that uncaught error as a failure.
  it('regression: a studio-channel frame whose kind is {"toString":1} is refused, and the server lives on', async () => {
    const t = await startTestServer();
    try {
      t.server.attachStudio(new StudioService(t.engine, t.server));
      const ws = new WebSocket(`${t.ws}/studio/channel`);
      await new Promise((r) => ws.once('open', r));
      const answer = new Promise<any>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
      ws.send(JSON.stringify({ kind: { toString: 1 }, id: 1 }));
      expect(await answer).toMatchObject({ kind: 'result', ok: false, error: { code: 'bad_frame' } });
      expect((await fetch(`${t.http}/health`)).status).toBe(200);
      ws.close();
    } finally {
      await t.close();
    }
  });
});

describe('with one server', () => {
  let t: TestServer;
  let service: StudioService;
  beforeAll(async () => {
    t = await startTestServer();
    service = new StudioService(t.engine, t.server);
    t.server.attachStudio(service);
  });
  afterAll(async () => {
    await t.close();
  });

  it('regression: StudioService.call with a command {"toString":1} is refused as unknown_command, not internal_error', async () => {
    const err: any = await service.call({ toString: 1 }, []).catch((e: any) => e);
    expect(err.code).toBe('unknown_command');
  });
  it('regression: StudioService.subscribe with an event {"toString":1} is refused as unknown_event, not internal_error', () => {
    expect(() => service.subscribe({ toString: 1 }, [], () => {})).toThrow(expect.objectContaining({ code: 'unknown_event' }));
  });
  it('regression: over IPC, seek with a cyclic {"toString":1} argument is refused as invalid_argument, not internal_error', async () => {
    const handlers = new Map<string, (e: IpcEvent, ...a: unknown[]) => unknown>();
    registerStudioIpc({ handle: (c, f) => handlers.set(c, f), on: () => {} }, service, () => true);
    const cyclic: Record<string, unknown> = { toString: 1 };
    cyclic.self = cyclic;
    const sender = { id: 1, send: () => {}, isDestroyed: () => false, once: () => {} };
    const r = (await handlers.get('studio:cmd:seek')!({ sender }, 'abc', structuredClone(cyclic))) as IpcResult;
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
  });
  it('regression: over the studio channel, a call whose command is {"toString":"x"} is answered unknown_command', async () => {
    const ws = new WebSocket(`${t.ws}/studio/channel`);
    await new Promise((r) => ws.once('open', r));
    const answer = new Promise<any>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.send(JSON.stringify({ kind: 'call', id: 7, command: { toString: 'x' }, args: [] }));
    expect(await answer).toMatchObject({ id: 7, ok: false, error: { code: 'unknown_command' } });
    ws.close();
  });

  it('regression: REST fields whose value is an object with a "toString" key get a 400, not a 500', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'bug3' });
    for (const [path, body] of [
      ['/api/sessions/create', '{"speed":{"toString":1}}'],
      ['/api/sessions/create', '{"paused":{"toString":1}}'],
      ['/api/sessions/create', '{"trial_id":[{"toString":1}]}'],
      ['/api/control/bug3/speed', '{"speed":{"toString":1}}'],
      ['/api/control/bug3/seek', '{"position_seconds":{"toString":1}}'],
      ['/api/control/bug3/loop', '{"loop":{"toString":1}}'],
      ['/api/sessions/cleanup', '{"max_idle_s":{"toString":1}}'],
    ]) {
      const r = await api(t.http, 'POST', path, body);
      expect({ path, body, status: r.status }).toEqual({ path, body, status: 400 });
    }
  });
  it('regression: after a 413 the client can reuse its keep-alive connection (no ECONNRESET on the next request)', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        const r = await fetch(`${t.http}/api/sessions/create`, { method: 'POST', body: 'x'.repeat(200_000) });
        await r.text();
        await (await fetch(`${t.http}/health`)).text();
      } catch (err) {
        failures.push(String((err as { cause?: { code?: string } }).cause?.code ?? err));
      }
    }
    expect(failures).toEqual([]);
  });
});

/** Writes a raw request on its own connection and reads until the server closes it. */
function rawExchange(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer to ${JSON.stringify(request.slice(0, 60))}`))), 5000);
    s.on('data', (d) => (out += d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const [headers, ...rest] = out.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
    s.write(request);
  });
}

const WS_HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: cGhhbnRvbWxpbmstdGVzdA==\r\nSec-WebSocket-Version: 13\r\n';

describe('refusals below the router (FOUND_BUGS.md #6, #7)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });
  const jsonError = (body: string) => JSON.parse(body).error as { code: string; message: string };

  it('regression: a request Node cannot parse (unknown method) gets a JSON error body, not a bare 400', async () => {
    const r = await fetch(`${t.http}/api/sessions`, { method: 'FOO' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await r.json()).error).toMatchObject({ code: 'bad_method', message: expect.stringContaining('unknown HTTP method') });
  });

  it('regression: a space in the request target and a 20 kB request line are answered in JSON (400, 431)', async () => {
    const space = await rawExchange(t.server.port, 'GET /api/sessions/a b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(space.status).toBe(400);
    expect(jsonError(space.body).code).toBeTruthy();
    const long = await rawExchange(t.server.port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(long.status).toBe(431);
    expect(jsonError(long.body)).toMatchObject({ code: 'headers_too_large' });
  });

  it('regression: CONNECT is answered 405 "not a proxy" instead of a silent close', async () => {
    const r = await rawExchange(t.server.port, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n');
    expect(r.status).toBe(405);
    expect(jsonError(r.body).message).toMatch(/not a proxy/);
  });

  it('regression: a plain GET carrying an Upgrade header (curl --http2 on http://) is served, not 404', async () => {
    const r = await rawExchange(
      t.server.port,
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: expect.any(String) });
  });

  it('regression: WebSocket handshakes we refuse say why in JSON with the right status line', async () => {
    const badUrl = await rawExchange(t.server.port, `GET http://[::1/x HTTP/1.1\r\nHost: x\r\n${WS_HEADERS}\r\n`);
    expect(badUrl.headers).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(jsonError(badUrl.body).code).toBe('bad_url');
    const post = await rawExchange(t.server.port, `POST /stream/abc HTTP/1.1\r\nHost: x\r\n${WS_HEADERS}Content-Length: 0\r\n\r\n`);
    expect(post.status).toBe(405);
    expect(post.headers).toMatch(/content-type: application\/json/i);
    const noKey = await rawExchange(t.server.port, 'GET /stream/abc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(noKey.status).toBe(400);
    expect(jsonError(noKey.body).message).toMatch(/Sec-WebSocket-Key/);
  });

  it('regression: a client frame over 64 KiB closes 1009 with a reason, recorded as closed by the server', async () => {
    const c = new TestClient(`${t.ws}/stream/binary/big-frame`);
    await c.packetsAtLeast(1);
    const id = Math.max(...[...t.server.streams.clients].map((x) => x.id));
    c.ws.send(Buffer.alloc(64 * 1024 + 1));
    expect(await c.closedWith()).toEqual({ code: 1009, reason: 'message over 64 KiB, the limit for client messages' });
    const record = (await api(t.http, 'GET', '/metrics')).body.recent_closes.find((r: any) => r.id === id);
    expect(record).toMatchObject({ code: 1009, by: 'server', reason: 'message over 64 KiB, the limit for client messages' });
  });
});

describe('at the session limit', () => {
  let t: TestServer;
  let service: StudioService;
  beforeAll(async () => {
    t = await startTestServer({ engine: { sessions: { maxSessions: 2 } } });
    service = new StudioService(t.engine, t.server);
  });
  afterAll(async () => {
    await t.close();
  });
  const fill = async () => {
    for (const s of t.engine.sessions.list()) t.engine.sessions.delete(s.code);
    t.engine.sessions.create('idle-a', undefined, { paused: true });
    await new Promise((r) => setTimeout(r, 5));
    t.engine.sessions.create('idle-b', undefined, { paused: true });
  };
  const codes = () => t.engine.sessions.list().map((s) => s.code).sort();

  it('regression: a refused REST create (speed 99) does not evict an idle session', async () => {
    await fill();
    const r = await api(t.http, 'POST', '/api/sessions/create', { code: 'bad', speed: 99 });
    expect(r.status).toBe(400);
    expect(codes()).toEqual(['idle-a', 'idle-b']);
  });
  it('regression: a refused stream connection (unknown target) does not evict an idle session', async () => {
    await fill();
    const c = new TestClient(`${t.ws}/stream/bad?target_id=99999`);
    expect((await c.closedWith()).code).toBe(4404);
    expect(codes()).toEqual(['idle-a', 'idle-b']);
  });
  it('regression: a refused studio createSession (unknown trial) does not evict an idle session', async () => {
    await fill();
    const err: any = await service.call('createSession', [{ code: 'bad', filters: { trial_id: 999999, target_id: null } }]).catch((e: any) => e);
    expect(err.code).toBe('unknown_trial');
    expect(codes()).toEqual(['idle-a', 'idle-b']);
  });
});
