import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('REST API on the original server’s paths', () => {
  it('GET / describes the service and the dataset; /health says healthy', async () => {
    const root = await api(t.http, 'GET', '/');
    expect(root.status).toBe(200);
    expect(root.body.endpoints.stream_binary).toBe(`${t.ws}/stream/binary/{session_code}`);
    expect(root.body.dataset.synthetic).toBe(true);
    const health = await api(t.http, 'GET', '/health');
    expect(health.body).toMatchObject({ status: 'healthy', dataset_loaded: true });
  });

  it('metadata, trials, targets and trials by target agree with each other', async () => {
    const meta = (await api(t.http, 'GET', '/api/metadata')).body;
    expect(meta).toMatchObject({ num_channels: 142, frequency_hz: 40, synthetic: true });
    expect(meta.num_trials).toBeGreaterThanOrEqual(200);
    expect(meta.total_packets).toBe(Math.floor(meta.duration_seconds * 40));
    const trials = (await api(t.http, 'GET', '/api/trials')).body;
    expect(trials.count).toBe(meta.num_trials);
    const t5 = (await api(t.http, 'GET', '/api/trials/5')).body;
    expect(t5).toEqual(trials.trials[5]);
    expect(t5.columns).toHaveProperty('go_cue_time');
    const targets = (await api(t.http, 'GET', '/api/targets')).body;
    expect(targets.count).toBe(meta.num_targets);
    const byTarget = (await api(t.http, 'GET', `/api/trials/by-target/${t5.target_id}`)).body;
    expect(byTarget.trials.map((x: any) => x.trial_id)).toContain(5);
    expect(byTarget.trials.every((x: any) => x.target_id === t5.target_id)).toBe(true);
    expect(targets.targets.reduce((n: number, x: any) => n + x.num_trials, 0)).toBe(
      trials.trials.filter((x: any) => x.target_id !== null).length,
    );
  });

  it('creates, lists, shows and deletes sessions (custom and generated codes)', async () => {
    const created = await api(t.http, 'POST', '/api/sessions/create', { code: 'rest-a', target_id: 0, speed: 2, loop: false, paused: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ session_code: 'rest-a', speed: 2, loop: false, status: 'paused', filters: { trial_id: null, target_id: 0 } });
    expect(created.body.stream_url_binary).toBe(`${t.ws}/stream/binary/rest-a`);
    // The original server took the code as a query parameter.
    const legacy = await api(t.http, 'POST', '/api/sessions/create?custom_code=rest-legacy');
    expect(legacy.body.session_code).toBe('rest-legacy');
    const gen = await api(t.http, 'POST', '/api/sessions/create');
    expect(gen.body.session_code).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    const list = (await api(t.http, 'GET', '/api/sessions')).body;
    expect(list.sessions.map((s: any) => s.session_code)).toEqual(expect.arrayContaining(['rest-a', 'rest-legacy', gen.body.session_code]));
    expect((await api(t.http, 'GET', '/api/sessions/rest-a')).body.filters.target_id).toBe(0);

    const c = new TestClient(`${t.ws}/stream/binary/rest-a`);
    await c.until(() => c.messages.length >= 1, 'metadata');
    const del = await api(t.http, 'DELETE', '/api/sessions/rest-a');
    expect(del.body.clients_closed).toBe(1);
    const closed = await c.closedWith();
    expect(closed.code).toBe(4410);
    expect((await api(t.http, 'GET', '/api/sessions/rest-a')).status).toBe(404);
  });

  it('cleanup removes idle sessions and keeps ones with clients', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'idle-one' });
    const c = new TestClient(`${t.ws}/stream/busy-one`);
    await c.packetsAtLeast(1);
    const r = await api(t.http, 'POST', '/api/sessions/cleanup', { max_idle_s: 0 });
    expect(r.body.sessions).toContain('idle-one');
    expect(r.body.sessions).not.toContain('busy-one');
    c.close();
  });

  it('controls playback: pause, resume, stop, seek, speed, loop, position', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'ctl2' });
    expect((await api(t.http, 'POST', '/api/control/ctl2/pause')).body.status).toBe('paused');
    expect((await api(t.http, 'POST', '/api/control/ctl2/seek', { position_s: 12.5 })).body.position_s).toBe(12.5);
    expect((await api(t.http, 'POST', '/api/control/ctl2/resume')).body.status).toBe('playing');
    expect((await api(t.http, 'POST', '/api/control/ctl2/stop')).body).toMatchObject({ status: 'paused', position_s: 0 });
    expect((await api(t.http, 'POST', '/api/control/ctl2/speed?speed=0.5')).body.speed).toBe(0.5);
    expect((await api(t.http, 'POST', '/api/control/ctl2/loop', { enabled: false })).body.loop).toBe(false);
    const pos = (await api(t.http, 'GET', '/api/control/ctl2/position')).body;
    expect(pos).toMatchObject({ session_code: 'ctl2', speed: 0.5, loop: false, position_s: 0 });
  });

  it('/metrics reports per-session packets, clients, drops, lateness and bytes per format, plus process figures', async () => {
    const b = new TestClient(`${t.ws}/stream/binary/metered`);
    const j = new TestClient(`${t.ws}/stream/metered`);
    await Promise.all([b.packetsAtLeast(10), j.packetsAtLeast(10)]);
    const m = (await api(t.http, 'GET', '/metrics')).body;
    const s = m.sessions.find((x: any) => x.code === 'metered');
    expect(s.clients).toBe(2);
    expect(s.packets_sent).toBeGreaterThanOrEqual(10);
    expect(s.bytes_sent.msgpack).toBeGreaterThan(0);
    expect(s.bytes_sent.json).toBeGreaterThan(s.bytes_sent.msgpack);
    expect(s.send_lateness_last_minute.count).toBeGreaterThan(5);
    expect(s.send_lateness_last_minute.p99_ms).toBeGreaterThanOrEqual(0);
    expect(s.drops_per_client).toHaveLength(2);
    expect(m.process.rss_mb).toBeGreaterThan(10);
    expect(m.process.event_loop_lag_ms).toHaveProperty('p99');
    b.close();
    j.close();
  });
});

describe('bad REST input gets JSON 400/404/409, never a 500', () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['POST', '/api/sessions/create', { code: 'has space' }, 400, /invalid session code/],
    ['POST', '/api/sessions/create', { code: 'y'.repeat(65) }, 400, /1–64/],
    ['POST', '/api/sessions/create', { code: 42 }, 400, /code must be a string/],
    ['POST', '/api/sessions/create', { speed: 'fast' }, 400, /speed must be a number/],
    ['POST', '/api/sessions/create', { speed: 50 }, 400, /between 0.1 and 20/],
    ['POST', '/api/sessions/create', { trial_id: 1.5 }, 400, /trial_id must be a non-negative integer/],
    ['POST', '/api/sessions/create', { trial_id: 100000 }, 404, /does not exist/],
    ['POST', '/api/sessions/create', '{not json', 400, /not valid JSON/],
    ['POST', '/api/sessions/create', '[1,2]', 400, /JSON object/],
    ['GET', '/api/sessions/nope', undefined, 404, /not found/],
    ['DELETE', '/api/sessions/nope', undefined, 404, /not found/],
    ['GET', '/api/trials/abc', undefined, 400, /trial_id must be a non-negative integer/],
    ['GET', '/api/trials/999999', undefined, 404, /not found/],
    ['GET', '/api/trials/by-target/999', undefined, 404, /not found/],
    ['POST', '/api/control/nope/pause', undefined, 404, /not found/],
    ['POST', '/api/control/bad-input/seek', { position_s: 'soon' }, 400, /must be a number/],
    ['POST', '/api/control/bad-input/seek', {}, 400, /position_seconds must be a number/],
    ['POST', '/api/control/bad-input/seek', { position_s: 1e9 }, 400, /past the end/],
    ['POST', '/api/control/bad-input/speed', { speed: 0 }, 400, /between 0.1 and 20/],
    ['POST', '/api/control/bad-input/loop', { loop: 'maybe' }, 400, /true or false/],
    ['GET', '/api/sessions/%E0%A4%A', undefined, 400, /percent-encoding/],
    ['PUT', '/api/sessions', undefined, 405, /not allowed/],
    ['GET', '/no/such/route', undefined, 404, /no route/],
    ['POST', '/api/sessions/cleanup', { max_idle_s: -5 }, 400, /≥ 0/],
  ];

  it.each(cases)('%s %s %j → %i', async (method, path, body, status, message) => {
    if (path.includes('bad-input')) await api(t.http, 'POST', '/api/sessions/create', { code: 'bad-input' });
    const r = await api(t.http, method, path, body);
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
    expect(typeof r.body.error.code).toBe('string');
  });

  it('refuses a duplicate session code with 409 and an oversized body with 413', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'dup' });
    const r = await api(t.http, 'POST', '/api/sessions/create', { code: 'dup' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('session_exists');
    const big = await api(t.http, 'POST', '/api/sessions/create', JSON.stringify({ code: 'big', pad: 'x'.repeat(100_000) }));
    expect(big.status).toBe(413);
    expect((await api(t.http, 'GET', '/health')).status).toBe(200);
  });
});

describe('/metrics for Prometheus', () => {
  it('serves per-session counters and a lateness histogram in Prometheus text format', async () => {
    const c = new TestClient(`${t.ws}/stream/binary/prom`);
    await c.packetsAtLeast(10);
    const res = await fetch(`${t.http}/metrics/prometheus`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop());
    expect(value(/^phantomlink_packets_sent_total\{session="prom"\} /)).toBeGreaterThanOrEqual(10);
    expect(value(/^phantomlink_clients\{session="prom"\} /)).toBe(1);
    expect(value(/^phantomlink_bytes_sent_total\{session="prom",format="msgpack"\} /)).toBeGreaterThan(0);
    expect(value(/^phantomlink_send_lateness_seconds_count\{session="prom"\} /)).toBeGreaterThanOrEqual(10);
    expect(text).toMatch(/^phantomlink_send_lateness_seconds_bucket\{le="0\.001",session="prom"\} \d+/m);
    expect(text).toMatch(/^phantomlink_process_resident_memory_bytes \d+/m);
    // A scraper asking /metrics for text gets the same; a script gets JSON.
    const scraped = await fetch(`${t.http}/metrics`, { headers: { accept: 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1' } });
    expect(await scraped.text()).toMatch(/phantomlink_packets_sent_total/);
    expect((await api(t.http, 'GET', '/metrics')).body.sessions).toBeDefined();
    c.close();
  });
});
