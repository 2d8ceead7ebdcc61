import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

let t: TestServer;
const clients: TestClient[] = [];
const client = (path: string) => {
  const c = new TestClient(t.ws + path);
  clients.push(c);
  return c;
};
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await t.close();
});

describe('stream endpoints', () => {
  it('binary endpoint sends the guide metadata (nested and flat) then MessagePack packets', async () => {
    const c = client('/stream/binary/meta-bin');
    const packets = await c.packetsAtLeast(3);
    const meta = c.messages[0];
    expect(meta.type).toBe('metadata');
    expect(meta.num_channels).toBe(142);
    expect(meta.data).toMatchObject({ num_channels: 142, frequency_hz: 40 });
    expect(meta.total_packets).toBe(Math.floor(meta.duration_seconds * 40));
    expect(meta.session).toEqual({ code: 'meta-bin', url: `${t.ws}/stream/binary/meta-bin` });
    expect(meta.dataset.synthetic).toBe(true);
    expect(meta.dataset.path).toMatch(/\.nwb$/);
    const p = packets[0];
    for (const key of ['timestamp', 'sequence_number', 'spikes', 'kinematics', 'intention', 'trial_id', 'trial_time_ms']) {
      expect(p).toHaveProperty(key);
    }
    expect(Object.keys(p.spikes).sort()).toEqual(['bin_size_ms', 'channel_ids', 'spike_counts']);
    expect(p.spikes.spike_counts).toHaveLength(142);
    expect(p.spikes.bin_size_ms).toBe(25);
    expect(Object.keys(p.kinematics).sort()).toEqual(['vx', 'vy', 'x', 'y']);
    expect(Object.keys(p.intention).sort()).toEqual(['distance_to_target', 'target_id', 'target_x', 'target_y']);
    expect(Math.abs(p.timestamp - Date.now() / 1000)).toBeLessThan(5);
  });

  it('JSON endpoint sends the same packets as text', async () => {
    const c = client('/stream/meta-json');
    await c.packetsAtLeast(2);
    expect(c.messages[0].session.url).toBe(`${t.ws}/stream/meta-json`);
    expect(typeof c.packets[0].sequence_number).toBe('number');
  });

  it('several clients of one session, JSON and binary, get identical packets', async () => {
    const a = client('/stream/binary/shared');
    const b = client('/stream/binary/shared');
    const j = client('/stream/shared');
    await Promise.all([a.opened, b.opened, j.opened]);
    await Promise.all([a.packetsAtLeast(30), b.packetsAtLeast(30), j.packetsAtLeast(30)]);
    const bySeq = (c: TestClient) => new Map(c.packets.map((p) => [p.sequence_number, p]));
    const [ma, mb, mj] = [bySeq(a), bySeq(b), bySeq(j)];
    let common = 0;
    for (const [seq, p] of ma) {
      if (!mb.has(seq) || !mj.has(seq)) continue;
      common++;
      expect(mb.get(seq)).toEqual(p);
      expect(mj.get(seq)).toEqual(p);
    }
    expect(common).toBeGreaterThanOrEqual(25);
  });

  it('MessagePack is smaller than JSON for the same packet', async () => {
    const b = client('/stream/binary/sizes');
    const j = client('/stream/sizes');
    await Promise.all([b.packetsAtLeast(10), j.packetsAtLeast(10)]);
    const med = (xs: number[]) => xs.slice(1).sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
    expect(med(b.rawSizes)).toBeLessThan(med(j.rawSizes) * 0.75);
  });

  it('a target filter plays only that target’s trials; a trial filter only that trial', async () => {
    const targets = (await api(t.http, 'GET', '/api/targets')).body.targets;
    const target = targets.find((x: any) => x.num_trials > 0);
    const c = client(`/stream/binary/only-target?target_id=${target.target_id}`);
    const packets = await c.packetsAtLeast(40);
    expect(c.messages[0].filters).toEqual({ trial_id: null, target_id: target.target_id });
    for (const p of packets) expect(p.intention.target_id).toBe(target.target_id);

    const trial = (await api(t.http, 'GET', '/api/trials/3')).body;
    const d = client('/stream/only-trial?trial_id=3');
    const tp = await d.packetsAtLeast(20);
    for (const p of tp) expect(p.trial_id).toBe(3);
    expect(tp[0].bin_index).toBe(trial.first_bin);
    expect(tp[0].trial_time_ms).toBeLessThan(25);
  });

  it('seek, speed and loop over REST change what connected clients receive', async () => {
    const c = client('/stream/binary/ctl');
    await c.packetsAtLeast(3);
    let r = await api(t.http, 'POST', '/api/control/ctl/seek?position_seconds=100');
    expect(r.status).toBe(200);
    await sleep(150);
    const n = c.packets.length;
    await c.packetsAtLeast(n + 3);
    expect(c.packets[n].bin_index).toBeGreaterThanOrEqual(4000);
    expect(c.packets[n].bin_index).toBeLessThan(4010);

    r = await api(t.http, 'POST', '/api/control/ctl/speed', { speed: 10 });
    expect(r.body.speed).toBe(10);
    const before = c.packets.length;
    await sleep(500);
    expect(c.packets.length - before).toBeGreaterThan(100); // ~200 at 10×

    r = await api(t.http, 'POST', '/api/control/ctl/loop', { loop: false });
    expect(r.body.loop).toBe(false);
    const pos = (await api(t.http, 'GET', '/api/control/ctl/position')).body;
    expect(pos).toMatchObject({ session_code: 'ctl', speed: 10, loop: false, status: 'playing' });
  });

  it('pause over REST stops the client’s packets; resume continues the sequence without a burst', async () => {
    const c = client('/stream/binary/pausing');
    await c.packetsAtLeast(5);
    await api(t.http, 'POST', '/api/control/pausing/pause');
    await sleep(100);
    const n = c.packets.length;
    const lastSeq = c.packets[n - 1].sequence_number;
    await sleep(500);
    expect(c.packets.length).toBe(n);
    const resumedAt = performance.now();
    await api(t.http, 'POST', '/api/control/pausing/resume');
    await c.packetsAtLeast(n + 8);
    expect(c.packets[n].sequence_number).toBe(lastSeq + 1);
    const idx = c.messages.indexOf(c.packets[n]);
    const burst = c.arrivals.slice(idx).filter((a) => a - resumedAt < 60).length;
    expect(burst).toBeLessThanOrEqual(4);
  });

  it('client control messages work and malformed ones get an error reply while the stream goes on', async () => {
    const c = client('/stream/client-msgs');
    await c.packetsAtLeast(2);
    c.send('this is not json');
    await c.until(() => c.messages.some((m) => m.type === 'error'), 'error reply');
    expect(c.messages.find((m) => m.type === 'error').code).toBe('bad_message');
    c.send({ type: 'frobnicate' });
    c.send(Buffer.from([0xc1, 0xff, 0x00])); // invalid MessagePack, sent as binary
    c.send({ type: 'speed', speed: 99 });
    await c.until(() => c.messages.filter((m) => m.type === 'error').length >= 4, '4 error replies');
    const n = c.packets.length;
    await c.packetsAtLeast(n + 4);
    expect(c.closed).toBeNull();
    c.send({ type: 'pause' });
    await c.until(() => c.messages.some((m) => m.type === 'status' && m.state === 'paused'), 'paused status');
  });
});

describe('bad stream requests are refused with an error message and a 4xxx close', () => {
  const refused = async (path: string, closeCode: number, errCode: string, text: RegExp) => {
    const c = client(path);
    const closed = await c.closedWith();
    expect(closed.code).toBe(closeCode);
    expect(closed.reason.length).toBeGreaterThan(5);
    const err = c.messages.find((m) => m.type === 'error');
    expect(err?.code).toBe(errCode);
    expect(err?.message).toMatch(text);
  };

  it('invalid session codes', async () => {
    await refused('/stream/binary/' + 'x'.repeat(65), 4000, 'invalid_session_code', /1–64 letters/);
    await refused('/stream/bad%20code!', 4000, 'invalid_session_code', /invalid session code/);
    await refused('/stream/', 4000, 'invalid_session_code', /invalid session code/);
  });

  it('invalid, unknown or conflicting filters', async () => {
    await refused('/stream/f1?trial_id=abc', 4000, 'invalid_filter', /trial_id must be a non-negative integer/);
    await refused('/stream/f2?target_id=-1', 4000, 'invalid_filter', /target_id/);
    await refused('/stream/f3?trial_id=1&trial_id=2', 4000, 'invalid_filter', /given 2 times/);
    await refused('/stream/f4?speed=3', 4000, 'invalid_filter', /unknown query parameter "speed"/);
    await refused('/stream/binary/f5?trial_id=999999', 4404, 'unknown_trial', /does not exist/);
    await refused('/stream/binary/f6?target_id=999', 4404, 'unknown_target', /does not exist/);
    const running = client('/stream/binary/conflict?target_id=0');
    await running.packetsAtLeast(1);
    await refused('/stream/binary/conflict?target_id=1', 4409, 'filter_conflict', /already playing with target_id=0/);
    const joiner = client('/stream/binary/conflict'); // no filter: joins as is
    await joiner.packetsAtLeast(2);
    expect(joiner.messages[0].filters.target_id).toBe(0);
  });

  it('unknown stream paths', async () => {
    await refused('/stream/binary/a/b', 4404, 'unknown_endpoint', /use \/stream\/\{session_code\}/);
  });

  it('a refused connection leaves the server and other sessions streaming', async () => {
    const c = client('/stream/binary/survivor');
    await c.packetsAtLeast(2);
    const n = c.packets.length;
    await refused('/stream/binary/survivor?trial_id=zz', 4000, 'invalid_filter', /trial_id/);
    await c.packetsAtLeast(n + 5);
    expect((await api(t.http, 'GET', '/health')).body.status).toBe('healthy');
  });
});
