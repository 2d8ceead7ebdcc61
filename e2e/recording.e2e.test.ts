/**
 * Recording from the studio in Chromium (browser host), as a person does it: REC on a session
 * while a decoder answers, the red dot and clock, stop, the recording in the list, open it (its
 * events and scores), export it to NWB and CSV, delete it with confirmation.
 *
 *   npx vitest run e2e/recording.e2e.test.ts     (needs out/renderer: `npm run build`)
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/main/dataset/loadDataset.ts';
import type { TestServer } from '../test/helpers/server.ts';
import { CHROMIUM, connectClient, createSessionInUi, ensureBuilt, eventually, openStudioOnTestServer, SHOTS_DIR, waitAttr } from './support.ts';

const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
if (missing) console.warn(`[skip] recording e2e: ${missing}`);

let t: TestServer;
let browser: Browser;
let page: Page;
let problems: string[] = [];
let root: string;

beforeAll(async () => {
  if (missing) return;
  ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'phantomlink-e2e-recordings-'));
  ({ t, browser, page, problems } = await openStudioOnTestServer({ server: { recordings: { root } } }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const tid = (id: string) => page.locator(`[data-testid="${id}"]`);

describe.skipIf(missing !== null)('recording in the studio (Chromium)', () => {
  it('REC, a red dot and a running clock, stop; the recording is listed, opens with its events, and is deleted on confirmation', async () => {
    const code = 'e2e-rec';
    const url = await createSessionInUi(page, code);
    const decoder = await connectClient(`${url}?decoder=e2e-decoder`);
    decoder.ws.on('message', (raw) => {
      if (!Buffer.isBuffer(raw)) return;
      const m = decoder.messages.at(-1);
      if (m?.type === 'data') decoder.send({ type: 'prediction', sequence_number: m.sequence_number, vx: 1, vy: 1 });
    });

    const rec = tid(`session-record-${code}`);
    await expect.poll(() => rec.textContent()).toBe('REC');
    await rec.click();
    await waitAttr(rec, 'data-recording', 'true');
    // The clock runs: 00:0x after a couple of seconds.
    await eventually(() => rec.textContent(), (s) => /^\d+:0[2-9]/.test(s ?? ''), 'the recording clock to pass 2 s');
    const [id] = await eventually(
      () => page.locator('[data-testid^="recording-item-"][data-status="recording"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('recording-item-', ''))),
      (ids) => ids.length === 1,
      'the recording in the list, recording',
    );
    expect(id).toMatch(new RegExp(`^${code}_\\d{8}-\\d{6}Z$`));
    await page.screenshot({ path: join(SHOTS_DIR, 'recording-running.png') });

    await rec.click();
    await waitAttr(rec, 'data-recording', 'false');
    const row = tid(`recording-item-${id}`);
    await waitAttr(row, 'data-status', 'complete');
    expect(await row.textContent()).toContain('e2e-decoder');
    expect(existsSync(join(root, id, 'manifest.json'))).toBe(true);

    await row.click();
    const view = tid('recording-view');
    await waitAttr(view, 'data-id', id);
    const kinds = await eventually(
      () => tid('recording-events').locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
      (k) => k.includes('recording_stopped'),
      'the events',
    );
    expect(kinds[0]).toBe('recording_started');
    // The decoder was connected before REC: the first event names it.
    expect(await tid('recording-events').locator('li').first().textContent()).toContain('e2e-decoder');
    expect(await tid('recording-scores').locator('polyline, circle').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS_DIR, 'recording-opened.png') });

    // Export from the studio: NWB, then CSV, into the recording's folder.
    await tid('recording-export-nwb').click();
    const result = tid('recording-export-result');
    await waitAttr(result, 'data-state', 'done');
    const nwb = join(root, id, `${id}.nwb`);
    expect(await result.textContent()).toBe(`NWB: ${id}.nwb`);
    await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toContainEqual(expect.stringContaining(`Exported NWB to ${nwb}`));
    const exported = await loadDataset(nwb);
    expect(exported.numBins).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS_DIR, 'recording-exported.png') });
    await tid('recording-export-csv').click();
    await eventually(() => result.textContent(), (s) => s === 'CSV: csv', 'the CSV export');
    const csv = readFileSync(join(root, id, 'csv', 'e2e-decoder.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^sequence,bin,time_s,/);
    expect(csv.length).toBeGreaterThan(10);

    // Delete asks first.
    await tid('recording-delete').click();
    expect(await row.count()).toBe(1);
    expect(await tid('recording-delete').textContent()).toMatch(/Delete for good\?/);
    await tid('recording-delete').click();
    await eventually(() => row.count(), (n) => n === 0, 'the row to go');
    expect(existsSync(join(root, id))).toBe(false);
    decoder.close();
  }, 90_000);

  it('the page logged no errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
