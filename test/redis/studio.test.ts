/** The Redis bridge through StudioApi, as the renderer (or any untrusted transport) calls it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import type { RedisStatus } from '../../src/shared/studioApi.ts';
import { sleep, startTestServer, type TestServer } from '../helpers/server.ts';
import { freePort } from '../helpers/redisServer.ts';

let t: TestServer;
let studio: StudioService;
beforeAll(async () => {
  t = await startTestServer();
  studio = new StudioService(t.engine, t.server, { pollMs: 50 });
});
afterAll(() => t.close());

describe('Redis through StudioApi', () => {
  it('refuses malformed settings with the reason, and starts nothing', async () => {
    for (const [arg, msg] of [
      [{ url: 'http://x' }, /redis:\/\/HOST:PORT/],
      [{ url: 'redis://127.0.0.1:6379', sessions: 'bad code!' }, /not a session code/],
      [{ url: 'redis://127.0.0.1:6379', decoders: ['s:n:q'] }, /decoder axes/],
      [{ url: 'redis://127.0.0.1:6379', extra: 1 }, /unknown Redis setting\(s\) extra/],
      ['redis://127.0.0.1:6379', /must be an object/],
    ] as const) {
      await expect(studio.call('redisConnect', [arg])).rejects.toThrow(msg);
    }
    expect(((await studio.call('redisStatus', [])) as RedisStatus).state).toBe('off');
  });

  it('an unreachable Redis: the redis event says retrying, with the error and the next attempt; the password is never shown', async () => {
    const port = await freePort();
    const seen: RedisStatus[] = [];
    const off = studio.subscribe('redis', [], (s) => seen.push(s as RedisStatus));
    await studio.call('redisConnect', [{ url: `redis://:s3cret@127.0.0.1:${port}/2`, sessions: 'st-a,st-b', decoders: ['out:mine:x,y'] }]);
    const deadline = Date.now() + 5000;
    while (seen.at(-1)?.state !== 'retrying' && Date.now() < deadline) await sleep(50);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: 'retrying', url: `redis://:***@127.0.0.1:${port}/2` });
    expect(last.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
    expect(last.lastError).toMatch(/ECONNREFUSED/);
    expect(last.sessions.map((s) => s.streams[0])).toEqual(['st-a:binned_spikes', 'st-b:binned_spikes']);
    expect(last.decoders[0]).toMatchObject({ stream: 'out', name: 'mine', axes: ['x', 'y'] });
    expect(JSON.stringify(seen)).not.toContain('s3cret');
    off();
    expect(((await studio.call('redisDisconnect', [])) as RedisStatus).state).toBe('off');
  });
});
