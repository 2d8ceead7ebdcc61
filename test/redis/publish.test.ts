/**
 * Publishing in BRAND's conventions, checked from outside: a real redis-server, the server
 * publishing a session while a WebSocket client receives the same session, and Python
 * (python3-redis + numpy, as a BRAND node reads) decoding every stream's bytes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, pythonHas } from '../helpers/python.ts';
import { api, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';
import { haveRedis, TestRedis } from '../helpers/redisServer.ts';

const READ = join(import.meta.dirname, 'read_streams.py');

function readStreams(redis: TestRedis, prefix = ''): any {
  const r = spawnSync(PYTHON, [READ, String(redis.port), redis.bind, prefix], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`read_streams.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.skipIf(!haveRedis || !pythonHas('redis', 'numpy'))('publishing to Redis in BRAND’s layout', () => {
  let redis: TestRedis;
  let t: TestServer;
  beforeAll(async () => {
    redis = await TestRedis.start();
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('binned_spikes holds int8 counts, uint64 i = the WebSocket sequence_number, uint64 monotonic ts and sync JSON, equal to the packets sent; counts over 127 clipped and counted', async () => {
    // Bursts of 100 spikes on every channel over wide noise: some counts cannot fit int8.
    await api(t.http, 'POST', '/api/sessions/create', { code: 'brand-a', paused: true, perturbations: { seed: 3, bursts: { rate_hz: 4, count: 100 }, noise: { mode: 'gaussian', amount: 50 } } });
    const status = await t.server.redis.connect({ url: redis.url, sessions: ['brand-a'], prefix: null, decoders: [] });
    expect(status.sessions[0].streams).toEqual(['binned_spikes', 'phantomlink_kinematics', 'phantomlink_intention', 'phantomlink_trial']);
    const ws = new TestClient(`${t.ws}/stream/binary/brand-a`);
    await ws.until(() => ws.messages.length >= 1, 'metadata');
    // The metadata key is written in the pipeline ahead of the first entry: a node finds it first.
    await sleep(100);
    const before = readStreams(redis);
    expect(before.metadata.num_channels).toBe(ws.messages[0].num_channels);
    expect(before.metadata.streams.binned_spikes).toBe('binned_spikes');

    await api(t.http, 'POST', '/api/control/brand-a/resume');
    await ws.until(() => ws.messages.length >= 121, '120 packets', 10_000);
    await api(t.http, 'POST', '/api/control/brand-a/pause');
    await sleep(200);
    const got = readStreams(redis);
    const packets = new Map(ws.messages.slice(1).map((p: any) => [p.sequence_number, p]));
    const spikes = got.binned_spikes;
    expect(spikes.length).toBeGreaterThanOrEqual(120);
    expect(got.types.binned_spikes).toBe('stream');
    let clipped = 0;
    let prevTs = 0;
    for (const e of spikes) {
      const p: any = packets.get(e.i);
      expect(p, `entry i=${e.i} was sent over WebSocket`).toBeDefined();
      expect(e.sizes).toEqual({ samples: p.spikes.spike_counts.length, ts: 8, sync: e.sizes.sync, i: 8 });
      expect(e.samples).toEqual(p.spikes.spike_counts.map((c: number) => Math.min(c, 127)));
      clipped += p.spikes.spike_counts.filter((c: number) => c > 127).length;
      expect(e.sync).toEqual({ session: 'brand-a', sequence_number: p.sequence_number, bin_index: p.bin_index });
      expect(e.ts).toBeGreaterThanOrEqual(prevTs);
      prevTs = e.ts;
    }
    expect(clipped).toBeGreaterThan(0);
    expect(t.server.redis.status().sessions[0].clipped).toBe(clipped);
    // ts is CLOCK_MONOTONIC: Python's time.monotonic_ns() on this host is a few seconds later at most.
    expect(got.now_ns - prevTs).toBeGreaterThan(0);
    expect(got.now_ns - prevTs).toBeLessThan(10e9);
    // Consecutive: no entry lost on a healthy Redis.
    expect(spikes[spikes.length - 1].i - spikes[0].i + 1).toBe(spikes.length);

    // Our streams: the truth, as float32 / int32, for the same i.
    for (const e of got.phantomlink_kinematics) {
      const p: any = packets.get(e.i);
      const k = p.kinematics;
      const want = [k.x, k.y, k.vx, k.vy].map((v: number | null) => (v === null ? null : Math.fround(v)));
      expect(e.samples).toEqual(want);
    }
    for (const e of got.phantomlink_intention) {
      const p: any = packets.get(e.i);
      expect(e.target_id).toBe(p.intention.target_id ?? -1);
      expect(e.samples[0]).toBe(p.intention.target_x === null ? null : Math.fround(p.intention.target_x));
    }
    for (const e of got.phantomlink_trial) {
      const p: any = packets.get(e.i);
      expect(e.trial_id).toBe(p.trial_id ?? -1);
      expect(e.trial_time_ms).toBe(p.trial_time_ms === null ? null : Math.fround(p.trial_time_ms));
    }
    expect(got.phantomlink_trial.length).toBe(spikes.length);
    const st = t.server.redis.status();
    expect(st.state).toBe('connected');
    expect(st.sessions[0]).toMatchObject({ code: 'brand-a', written: spikes.length, dropped: 0, failed: 0 });
    // REST shows the same.
    const rest = await api(t.http, 'GET', '/api/redis');
    expect(rest.status).toBe(200);
    expect(rest.body.sessions[0].written).toBe(spikes.length);
    ws.ws.close();
    await t.server.redis.disconnect();
  }, 30_000);

  it('several sessions are prefixed per session; a blind one publishes no truth; every stream is trimmed (MAXLEN ~)', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'open-1', speed: 20 });
    await api(t.http, 'POST', '/api/sessions/create', { code: 'blind-1', blind: true, speed: 20 });
    const st = await t.server.redis.connect({ url: redis.url, sessions: ['open-1', 'blind-1'], prefix: 'lab:', decoders: [] });
    expect(st.sessions.map((s) => s.streams)).toEqual([
      ['lab:open-1:binned_spikes', 'lab:open-1:phantomlink_kinematics', 'lab:open-1:phantomlink_intention', 'lab:open-1:phantomlink_trial'],
      ['lab:blind-1:binned_spikes', 'lab:blind-1:phantomlink_trial'],
    ]);
    // 20×: 800 entries a second; the streams stay near 6000 entries.
    await sleep(9000);
    const blind = readStreams(redis, 'lab:blind-1:');
    expect(blind.types.phantomlink_kinematics).toBe('none');
    expect(blind.types.phantomlink_intention).toBe('none');
    expect(blind.metadata.blind).toBe(true);
    expect(blind.metadata.streams.kinematics).toBeNull();
    expect(blind.binned_spikes.length).toBeGreaterThan(1000);
    const open = readStreams(redis, 'lab:open-1:');
    const written = t.server.redis.status().sessions[0].written;
    expect(written).toBeGreaterThan(6500);
    for (const key of ['binned_spikes', 'phantomlink_kinematics', 'phantomlink_intention', 'phantomlink_trial']) {
      expect(open[key].length).toBeLessThan(6000 + 200);
      expect(open[key].length).toBeGreaterThanOrEqual(6000);
    }
    await t.server.redis.disconnect();
    expect(t.server.redis.status().state).toBe('off');
  }, 40_000);
});
