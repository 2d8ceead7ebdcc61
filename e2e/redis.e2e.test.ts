/**
 * The Redis panel (issue 13) in Chromium against the browser host and a real redis-server:
 * connect from the studio, see entries written; Redis killed: RETRYING with the next attempt;
 * back: CONNECTED; a typo in the URL is named before anything is sent. Screenshot in
 * test-results/e2e/redis-panel.png.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../test/helpers/server.ts';
import { haveRedis, TestRedis } from '../test/helpers/redisServer.ts';
import { CHROMIUM, ensureBuilt, eventually, openStudioOnTestServer, SHOTS_DIR, tid } from './support.ts';

const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !haveRedis ? 'no redis-server' : null;
if (missing) console.warn(`[skip] redis e2e: ${missing}`);

let t: TestServer;
let browser: Browser;
let page: Page;
let redis: TestRedis;
let problems: string[] = [];

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  redis = await TestRedis.start();
  ({ t, browser, page, problems } = await openStudioOnTestServer());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await redis?.stop();
});

describe.skipIf(missing !== null)('the Redis panel', () => {
  it('names a malformed URL before sending it', async () => {
    await tid(page, 'redis-url').fill('http://nope');
    await tid(page, 'redis-connect').click();
    expect(await tid(page, 'redis-error').textContent()).toMatch(/redis:\/\/HOST:PORT/);
    expect(await tid(page, 'redis-state').textContent()).toBe('OFF');
  });

  it('connects, shows entries written; Redis killed: RETRYING with the next attempt; restarted: CONNECTED again', async () => {
    await tid(page, 'redis-url').fill(redis.url);
    await tid(page, 'redis-sessions').fill('e2e-brand');
    await tid(page, 'redis-decoders').fill('wiener_filter:wiener:vx,vy');
    await tid(page, 'redis-connect').click();
    await eventually(() => tid(page, 'redis-state').textContent(), (s) => s === 'CONNECTED', 'CONNECTED', 10_000, 100);
    const written = () => tid(page, 'redis-session-e2e-brand').locator('[role="cell"]').nth(1).textContent();
    await eventually(written, (s) => Number((s ?? '0').replace(/\D/g, '')) > 20, 'entries written', 10_000, 200);
    expect(await tid(page, 'redis-decoder-wiener_filter').textContent()).toContain('wiener');
    await tid(page, 'redis-panel').screenshot({ path: join(SHOTS_DIR, 'redis-panel.png') });

    await redis.kill();
    await eventually(() => tid(page, 'redis-state').textContent(), (s) => s === 'RETRYING', 'RETRYING', 10_000, 100);
    expect(await tid(page, 'redis-retry').textContent()).toMatch(/next attempt in \d+ s/);
    await redis.restart();
    await eventually(() => tid(page, 'redis-state').textContent(), (s) => s === 'CONNECTED', 'CONNECTED again', 15_000, 100);
    await tid(page, 'redis-disconnect').click();
    await eventually(() => tid(page, 'redis-state').textContent(), (s) => s === 'OFF', 'OFF', 5000, 100);
    expect(problems).toEqual([]);
  }, 60_000);
});
