/**
 * Perturbations from the edges (REST, stream query parameters) and their effect on a real
 * decoder's live score: the reference decoder's R² falls under dropout and recovers when it
 * is turned off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, REPO_ROOT, sleep, startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('perturbations at the edges', () => {
  it('a stream URL puts a new session under stress, its metadata says what was done; a conflicting one is refused', async () => {
    const c = new TestClient(`${t.ws}/stream/stressed?seed=9&dropout=ch:1,2&noise=poisson:0.5&loss=0.2&drift=sine:0.3:20`);
    await c.until(() => c.packets.length >= 40, '40 packets');
    expect(c.messages[0].perturbations).toEqual({
      seed: 9,
      dropout: { channels: [1, 2] },
      drift: { mode: 'sine', amount: 0.3, period_s: 20 },
      noise: { mode: 'poisson', amount: 0.5 },
      loss: { fraction: 0.2 },
    });
    for (const p of c.packets) expect(p.spikes.spike_counts.slice(1, 3)).toEqual([0, 0]);
    const seqs = c.packets.map((p) => p.sequence_number);
    expect(seqs[seqs.length - 1] - seqs[0] + 1).toBeGreaterThan(seqs.length); // gaps: packets lost
    const other = new TestClient(`${t.ws}/stream/stressed?seed=10&loss=0.2`);
    expect((await other.closedWith()).code).toBe(4409);
    const joiner = new TestClient(`${t.ws}/stream/stressed`);
    await joiner.until(() => joiner.packets.length >= 1, 'a packet');
    c.ws.close();
    joiner.ws.close();
  });

  it('bad perturbation values are refused with a reason, over a stream URL and over REST', async () => {
    const c = new TestClient(`${t.ws}/stream/bad-stress?loss=1.5`);
    const closed = await c.closedWith();
    expect(closed.code).toBe(4000);
    expect(c.messages.find((m) => m.type === 'error').message).toMatch(/loss\.fraction must be a number in \[0, 1\]/);
    const r = await api(t.http, 'POST', '/api/sessions/create', { code: 'bad-stress-2', perturbations: { jitter: { max_ms: 'soon' } } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/jitter\.max_ms/);
    expect((await api(t.http, 'GET', '/api/sessions/bad-stress-2')).status).toBe(404);
  });

  it('REST sets, changes and clears a session’s perturbations; connected decoders get new metadata each time', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'rest-stress' });
    const c = new TestClient(`${t.ws}/stream/rest-stress`);
    await c.until(() => c.packets.length >= 2, 'packets');
    const set = await api(t.http, 'POST', '/api/sessions/rest-stress/perturbations', { seed: 4, dropout: { fraction: 1 } });
    expect(set.status).toBe(200);
    expect(set.body.perturbations).toEqual({ seed: 4, dropout: { fraction: 1 } });
    await c.until(() => c.messages.filter((m) => m.type === 'metadata').length === 2, 'new metadata');
    const from = c.messages.length;
    await c.until(() => c.messages.slice(from).filter((m) => m.type === 'data').length >= 10, 'packets');
    for (const p of c.messages.slice(from).filter((m) => m.type === 'data')) expect(p.spikes.spike_counts.every((n: number) => n === 0)).toBe(true);
    const cleared = await api(t.http, 'DELETE', '/api/sessions/rest-stress/perturbations');
    expect(cleared.body.perturbations).toBeNull();
    await c.until(() => c.messages.filter((m) => m.type === 'metadata').length === 3, 'metadata again');
    const after = c.messages.length;
    await c.until(() => c.messages.slice(after).filter((m) => m.type === 'data').some((p) => p.spikes.spike_counts.some((n: number) => n > 0)), 'spikes again');
    const q = await api(t.http, 'POST', '/api/sessions/rest-stress/perturbations?seed=2&jitter=15');
    expect(q.body.perturbations).toEqual({ seed: 2, jitter: { max_ms: 15 } });
    c.ws.close();
  });
});

describe('bin width at the edges', () => {
  it('?bin_ms=10 streams 10 ms bins at 100 Hz, says so, and a truth decoder scores R² = 1 on them; REST and bad widths too', async () => {
    const c = new TestClient(`${t.ws}/stream/binary/narrow?bin_ms=10&decoder=truth10`);
    await c.until(() => c.packets.length >= 150, '150 packets');
    expect(c.messages[0]).toMatchObject({ bin_size_ms: 10, frequency_hz: 100, data: { bin_size_ms: 10, frequency_hz: 100 } });
    const arrivals = c.arrivals.slice(-100);
    expect((arrivals[99] - arrivals[0]) / 99).toBeGreaterThan(7); // ~10 ms apart
    expect((arrivals[99] - arrivals[0]) / 99).toBeLessThan(13);
    for (const p of c.packets) {
      expect(p.spikes.bin_size_ms).toBe(10);
      expect(p.frequency_hz).toBe(100);
      c.send({ type: 'prediction', sequence_number: p.sequence_number, vx: p.kinematics.vx, vy: p.kinematics.vy });
    }
    c.send({ type: 'ping' });
    await c.until(() => c.messages.some((m) => m.type === 'status'), 'status');
    const d = (await api(t.http, 'GET', '/api/sessions/narrow/decoders')).body.decoders[0];
    expect(d.counts.evaluated).toBeGreaterThan(100);
    expect(d.cumulative.r2_combined).toBe(1);
    const r = await api(t.http, 'POST', '/api/sessions/create', { code: 'wide', bin_ms: 50 });
    expect(r.body).toMatchObject({ bin_ms: 50 });
    const bad = await api(t.http, 'POST', '/api/sessions/create', { code: 'odd', bin_ms: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/bin_ms must be one of 5, 10, 20, 25, 50/);
    const conflict = new TestClient(`${t.ws}/stream/narrow?bin_ms=25`);
    expect((await conflict.closedWith()).code).toBe(4409);
    c.ws.close();
  });
});

describe('a decoder under stress', () => {
  let child: ChildProcess | null = null;
  afterAll(() => child?.kill('SIGTERM'));

  it('the reference decoder’s R² falls under dropout and recovers when it is turned off', async () => {
    await api(t.http, 'POST', '/api/sessions/create', { code: 'ref-stress', speed: 20 });
    child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'phantomlink.mjs'), 'decoder', '--url', `${t.ws}/stream/binary/ref-stress`, '--train-s', '60'], { stdio: 'ignore' });
    const board = async () => (await api(t.http, 'GET', '/api/sessions/ref-stress/decoders')).body.decoders.find((d: any) => d.name === 'reference');
    const deadline = Date.now() + 40_000;
    while (!((await board())?.counts.predictions > 0) && Date.now() < deadline) await sleep(200);
    /** Scores afresh for `ms` of wall time (at 20×, ~60 s of recording per 3 s) and returns the combined R². */
    const phase = async (ms: number) => {
      await api(t.http, 'POST', '/api/sessions/ref-stress/decoders/reset');
      await sleep(ms);
      const d = await board();
      expect(d.counts.evaluated).toBeGreaterThan(ms / 25); // it kept answering
      return d.cumulative.r2_combined as number;
    };
    const clean = await phase(3000);
    await api(t.http, 'POST', '/api/sessions/ref-stress/perturbations', { seed: 1, dropout: { fraction: 0.6 } });
    const dropped = await phase(3000);
    await api(t.http, 'DELETE', '/api/sessions/ref-stress/perturbations');
    const recovered = await phase(3000);
    expect(clean).toBeGreaterThan(0.4);
    expect(dropped).toBeLessThan(clean - 0.15);
    expect(recovered).toBeGreaterThan(dropped + 0.15);
  }, 60_000);
});
