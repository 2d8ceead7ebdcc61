import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

describe('remote access: off loopback every client presents a token', () => {
  let t: TestServer;
  beforeAll(async () => {
    // 0.0.0.0 listens on every interface; the tests still only talk to 127.0.0.1.
    t = await startTestServer({ server: { host: '0.0.0.0' } });
    t.server.attachStudio(new StudioService(t.engine, t.server));
  });
  afterAll(async () => {
    await t.close();
  });

  it('generates a token and puts it in the stream URLs it hands out', async () => {
    expect(t.server.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const ok = await fetch(`${t.http}/api/sessions/create?token=${t.server.token}`, { method: 'POST' });
    const body = await ok.json();
    expect(body.stream_url_binary).toBe(`${t.ws}/stream/binary/${body.session_code}?token=${t.server.token}`);
  });

  it('REST without the token is 401 with an explanation; with ?token= or a Bearer header it works', async () => {
    const none = await fetch(`${t.http}/api/metadata`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.message).toMatch(/token is required/);
    expect((await fetch(`${t.http}/api/metadata?token=wrong`)).status).toBe(401);
    expect((await fetch(`${t.http}/api/metadata?token=${t.server.token}`)).status).toBe(200);
    expect((await fetch(`${t.http}/api/metadata`, { headers: { authorization: `Bearer ${t.server.token}` } })).status).toBe(200);
  });

  it('streams without the token are closed with 4401; with it they stream', async () => {
    const refused = new TestClient(`${t.ws}/stream/binary/remote`);
    expect((await refused.closedWith()).code).toBe(4401);
    expect(refused.messages[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
    const ok = new TestClient(`${t.ws}/stream/binary/remote?token=${t.server.token}&target_id=0`);
    await ok.packetsAtLeast(2);
    expect(ok.messages[0].session.url).toBe(`${t.ws}/stream/binary/remote?token=${t.server.token}`);
    const bearer = new WebSocket(`${t.ws}/stream/remote`, { headers: { authorization: `Bearer ${t.server.token}` } });
    const first = await new Promise<any>((resolve) => bearer.once('message', (d) => resolve(JSON.parse(String(d)))));
    expect(first.type).toBe('metadata');
    ok.close();
    bearer.close();
  });

  it('the studio page loads, but its channel needs the token too', async () => {
    expect((await fetch(`${t.http}/studio/`)).status).not.toBe(401);
    const ws = new WebSocket(`${t.ws}/studio/channel`);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
  });
});

describe('loopback needs no token (the guide’s examples run as written)', () => {
  it('serves REST and streams without one', async () => {
    const t = await startTestServer();
    try {
      expect(t.server.token).toBeNull();
      expect((await fetch(`${t.http}/api/metadata`)).status).toBe(200);
      const c = new TestClient(`${t.ws}/stream/binary/local`);
      await c.packetsAtLeast(1);
      c.close();
    } finally {
      await t.close();
    }
  });
});
