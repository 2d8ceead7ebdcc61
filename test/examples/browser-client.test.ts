/**
 * examples/browser-client.html in real Chromium (playwright-core, Debian's /usr/bin/chromium),
 * served by the server at /examples/, plus the guide's JavaScript client snippet run unmodified
 * in a page (with an import-map stand-in for msgpack-lite, which is not installed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../helpers/server.ts';
import { chromiumMissing, CHROMIUM, firstGap, guideBlock, noteSkip, REPO_ROOT } from './support.ts';

const skip = noteSkip('browser example tests', chromiumMissing());
const SHOTS = join(REPO_ROOT, 'test-results', 'examples');

let t: TestServer;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  t = await startTestServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A page that records console output, page errors and failed requests. */
async function openPage(url?: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  pages.push(page);
  const errors: string[] = [];
  const failed: string[] = [];
  const external: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:') external.push(r.url());
  });
  if (url) await page.goto(url);
  return { page, errors, failed, external };
}

const text = (page: Page, id: string) => page.locator(`#${id}`).innerText();
const intOf = async (page: Page, id: string) => Number((await text(page, id)).replace(/[^\d.-]/g, ''));

describe.skipIf(skip)('examples/browser-client.html', () => {
  it('streams: metadata, live packet count and rate, trial/target, cursor and spike plots', async () => {
    const { page, errors, failed, external } = await openPage(`${t.http}/examples/browser-client.html?session=browser-test`);
    await page.waitForFunction(() => Number(document.getElementById('packets')!.textContent!.replace(/\D/g, '')) >= 20, null, { timeout: 10_000 });
    expect(await text(page, 'channels')).toBe('142');
    expect(await text(page, 'status')).toMatch(/live/i);
    expect(await text(page, 'url')).toBe(`${t.ws}/stream/binary/browser-test`);

    // Let it run into a trial so the screenshot shows a target, and the rate window fill.
    await page.waitForFunction(() => Number(document.getElementById('packets')!.textContent!.replace(/\D/g, '')) >= 160, null, { timeout: 15_000 });
    const rate = await intOf(page, 'rate');
    expect(rate).toBeGreaterThan(30);
    expect(rate).toBeLessThan(50);
    expect(await text(page, 'gaps')).toBe('0');
    expect(await text(page, 'trial')).toMatch(/^(—|\d+)$/);
    expect(await text(page, 'target')).toMatch(/^(—|\d+)$/);
    expect(await text(page, 'dataset')).toMatch(/SYNTHETIC/);
    expect(await text(page, 'filters')).toMatch(/none/);
    expect(await page.locator('#error').isVisible()).toBe(false);

    // The page's sequence number matches the session's packet count on the server.
    const seq = await intOf(page, 'seq');
    const served = (await api(t.http, 'GET', '/api/control/browser-test/position')).body;
    expect(seq).toBeLessThanOrEqual(served.packets_sent);
    expect(seq).toBeGreaterThan(served.packets_sent - 20);

    // Both plots have drawn something: cyan-ish cursor/bars pixels on the dark canvas.
    const lit = await page.evaluate(() =>
      ['cursor', 'spikes'].map((id) => {
        const c = document.getElementById(id) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 180 && d[i + 1] > 120 && d[i] < 150) n++;
        return n;
      }),
    );
    expect(lit[0], 'cursor plot pixels').toBeGreaterThan(50);
    expect(lit[1], 'spike bar pixels').toBeGreaterThan(20);

    await page.screenshot({ path: join(SHOTS, 'browser-client.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(external, 'no requests leave the machine (no CDN)').toEqual([]);
  });

  it('passes trial/target filters to the stream and shows them', async () => {
    const targets = (await api(t.http, 'GET', '/api/targets')).body.targets;
    const target = targets.find((x: any) => x.num_trials > 0).target_id;
    const { page, errors } = await openPage(`${t.http}/examples/browser-client.html?session=browser-filter&target_id=${target}`);
    await page.waitForFunction(() => Number(document.getElementById('packets')!.textContent!.replace(/\D/g, '')) >= 10, null, { timeout: 10_000 });
    expect(await text(page, 'url')).toBe(`${t.ws}/stream/binary/browser-filter?target_id=${target}`);
    expect(await text(page, 'filters')).toBe(`target_id=${target}`);
    expect(await text(page, 'target')).toBe(String(target));
    expect(errors).toEqual([]);
  });

  it('shows the server’s error text for a bad session code, and the close', async () => {
    const { page, errors } = await openPage(`${t.http}/examples/browser-client.html?session=${encodeURIComponent('bad code!')}`);
    const banner = page.locator('#error');
    await banner.waitFor({ state: 'visible', timeout: 5000 });
    await page.waitForFunction(() => /closed/i.test(document.getElementById('status')!.textContent!), null, { timeout: 5000 });
    const shown = await banner.innerText();
    expect(shown).toContain('invalid_session_code');
    expect(shown).toContain('invalid session code "bad code!": use 1–64 letters, digits, "-" or "_"');
    expect(shown).toContain('4000');
    expect(await text(page, 'packets')).toBe('0');
    expect(await page.locator('#toggle').innerText()).toBe('Reconnect');
    await page.screenshot({ path: join(SHOTS, 'browser-client-error.png') });
    expect(errors).toEqual([]);
  });

  it('shows an invalid filter refusal in the server’s words', async () => {
    const { page } = await openPage(`${t.http}/examples/browser-client.html?session=browser-bad-filter&trial_id=abc`);
    await page.locator('#error').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#error').innerText()).toContain('trial_id must be a non-negative integer (got "abc")');
  });

  it('disconnects and reconnects on the button', async () => {
    const { page } = await openPage(`${t.http}/examples/browser-client.html?session=browser-toggle`);
    await page.waitForFunction(() => Number(document.getElementById('packets')!.textContent!.replace(/\D/g, '')) >= 5, null, { timeout: 10_000 });
    await page.locator('#toggle').click();
    await page.waitForFunction(() => /disconnected/i.test(document.getElementById('status')!.textContent!), null, { timeout: 5000 });
    expect(await page.locator('#error').isVisible()).toBe(false);
    await page.locator('#toggle').click();
    await page.waitForFunction(() => /live/i.test(document.getElementById('status')!.textContent!), null, { timeout: 5000 });
    await page.waitForFunction(() => Number(document.getElementById('packets')!.textContent!.replace(/\D/g, '')) >= 5, null, { timeout: 10_000 });
  });
});

describe.skipIf(skip)('guide: JavaScript client snippet, unmodified, in Chromium', () => {
  it('logs the metadata, then packets with consecutive sequence numbers', async () => {
    const snippet = guideBlock('### JavaScript/TypeScript Client', 'javascript');
    expect(snippet.startsWith("import msgpack from 'msgpack-lite';\n")).toBe(true);
    expect(snippet).toContain("new WebSocket('ws://localhost:8000/stream/binary/my-session')");

    // Around the snippet, never in it: msgpack-lite is not installed, so an import map points
    // the bare specifier at a two-line module exposing `decode` from @msgpack/msgpack (served by
    // PhantomLink at /vendor/msgpack.min.js); and, like the Python test's prelude, WebSocket is
    // wrapped to send ws://localhost:8000 to the test server.
    const shim = 'export default { decode: (bytes) => globalThis.MessagePack.decode(bytes) };';
    const html = `<!doctype html><meta charset="utf-8"><title>guide JS snippet</title>
<script type="importmap">${JSON.stringify({ imports: { 'msgpack-lite': `data:text/javascript,${encodeURIComponent(shim)}` } })}</script>
<script src="/vendor/msgpack.min.js"></script>
<script>
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url, protocols) {
      const u = new URL(url);
      if (u.host === 'localhost:8000') u.host = location.host;
      super(u.toString(), protocols);
    }
  };
</script>
<script type="module">
${snippet}</script>`;
    // The page must come from the server itself (a loopback origin): Chromium's Local Network
    // Access checks block a WebSocket to 127.0.0.1 from a page Playwright fulfils by route.
    // So: open a page of the server, then replace its document with the test page.
    const { page, errors } = await openPage(`${t.http}/health`);
    // console.log('Metadata:', obj) / console.log('Packet:', n), in the order they were logged
    // (the values are fetched asynchronously, so keep the order with promises).
    const logged: Array<Promise<{ label: string; value: unknown }>> = [];
    let packetsLogged = 0;
    // Stops before the page closes: a value fetched from a closed page rejects, and a rejection
    // nobody awaits fails the whole run (seen once under load).
    let collecting = true;
    page.on('console', (msg) => {
      if (!collecting) return;
      const args = msg.args();
      if (args.length !== 2) return;
      if (msg.text().startsWith('Packet:')) packetsLogged++;
      logged.push(Promise.all([args[0].jsonValue(), args[1].jsonValue()]).then(([label, value]) => ({ label: String(label), value })));
    });
    await page.setContent(html);
    const deadline = Date.now() + 10_000;
    while (packetsLogged < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    collecting = false;
    expect(errors).toEqual([]);
    const logs = await Promise.all(logged);

    expect(logs[0].label).toBe('Metadata:');
    expect(logs[0].value).toMatchObject({ num_channels: 142, frequency_hz: 40 });
    const seqs = logs.filter((l) => l.label === 'Packet:').map((l) => l.value as number);
    expect(seqs.length).toBeGreaterThanOrEqual(30);
    expect(seqs.every((s) => Number.isInteger(s))).toBe(true);
    expect(firstGap(seqs)).toBeNull();
    // Nothing else was logged: every message after the metadata was a data packet.
    expect(logs.filter((l) => l.label !== 'Packet:')).toHaveLength(1);
    await page.close();
  });
});
