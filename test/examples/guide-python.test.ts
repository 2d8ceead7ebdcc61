/**
 * The guide's Python code, unmodified, against a real server: the Quick Start client and
 * the Error Handling fragment (shared/spec/binary-streaming-guide.md). The code is read
 * from the guide at test time, so a guide edit is tested as written.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sleep, startTestServer, type TestServer } from '../helpers/server.ts';
import { firstGap, guideBlock, noteSkip, PYTHON, pythonMissing, run, show } from './support.ts';

const RUNNER = join(import.meta.dirname, 'run_guide_snippet.py');
const skip = noteSkip('guide Python snippets', pythonMissing());

let t: TestServer;
beforeAll(async () => {
  if (!skip) t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const QUICK_START = guideBlock('### Python Client', 'python');
const ERROR_HANDLING = guideBlock('### 3. Error Handling', 'python');

/** "Seq: 12, Trial: 3, Spikes: 57" lines of the Quick Start's output. */
function quickStartLines(stdout: string) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('Seq: '))
    .map((l) => {
      const m = /^Seq: (\d+), Trial: (None|\d+), Spikes: (\d+)$/.exec(l);
      if (!m) throw new Error(`unexpected Quick Start line: ${JSON.stringify(l)}`);
      return { seq: Number(m[1]), trial: m[2] === 'None' ? null : Number(m[2]), spikes: Number(m[3]) };
    });
}

describe.skipIf(skip)('guide: Python Quick Start, unmodified', () => {
  it('is the guide’s code (sanity check of the extraction)', () => {
    expect(QUICK_START).toContain('uri = "ws://localhost:8000/stream/binary/my-session"');
    expect(QUICK_START).toContain("print(f\"Connected! Channels: {metadata['num_channels']}\")");
    expect(QUICK_START.trimEnd().endsWith('asyncio.run(stream_binary())')).toBe(true);
  });

  it('connects, prints the channel count, then one line per packet with consecutive sequence numbers', async () => {
    const packets = 60;
    const r = await run(PYTHON, [RUNNER, 'quickstart'], {
      env: { PL_GUIDE_CODE: QUICK_START, PL_SERVER: t.ws, PL_MESSAGES: String(packets + 1) },
    });
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain(`ws://localhost:8000/stream/binary/my-session -> ${t.ws}/stream/binary/my-session`);
    const out = r.stdout.split('\n');
    expect(out[0], show(r)).toBe('Connected! Channels: 142');
    const lines = quickStartLines(r.stdout);
    expect(lines, show(r)).toHaveLength(packets);
    expect(firstGap(lines.map((l) => l.seq)), show(r)).toBeNull();
    // Real content, not zeros: the synthetic recording fires ~10 spikes per 25 ms bin over 142 units.
    expect(lines.reduce((a, l) => a + l.spikes, 0)).toBeGreaterThan(packets);
    // Only those lines: any other output would mean the snippet printed something unexpected.
    expect(out.filter((l) => l !== '').length).toBe(packets + 1);
  });

  it('keeps running through REST pause, seek and speed changes (no non-data message reaches it)', async () => {
    // The Quick Start reads packet['sequence_number'] from every message after the first: any
    // other message (status, repeated metadata) sent on the stream would crash it with KeyError.
    const packets = 80;
    const session = 'my-session';
    const running = run(PYTHON, [RUNNER, 'quickstart'], {
      env: { PL_GUIDE_CODE: QUICK_START, PL_SERVER: t.ws, PL_MESSAGES: String(packets + 1) },
    });
    await sleep(600);
    expect((await api(t.http, 'POST', `/api/control/${session}/pause`)).status).toBe(200);
    await sleep(300);
    expect((await api(t.http, 'POST', `/api/control/${session}/seek`, { position_seconds: 30 })).status).toBe(200);
    expect((await api(t.http, 'POST', `/api/control/${session}/speed`, { speed: 2 })).status).toBe(200);
    expect((await api(t.http, 'POST', `/api/control/${session}/resume`)).status).toBe(200);
    const r = await running;
    await api(t.http, 'POST', `/api/control/${session}/speed`, { speed: 1 });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Connected! Channels: 142');
    const lines = quickStartLines(r.stdout);
    expect(lines, show(r)).toHaveLength(packets);
    expect(firstGap(lines.map((l) => l.seq)), show(r)).toBeNull();
  });
});

describe.skipIf(skip)('guide: Python Error Handling fragment, unmodified', () => {
  it('is the guide’s code (sanity check of the extraction)', () => {
    expect(ERROR_HANDLING).toContain('packet = msgpack.unpackb(message, raw=False)');
    expect(ERROR_HANDLING).toContain('logger.warning("Malformed packet received")');
  });

  it('decodes a real packet silently and logs a warning or an error for bad bytes', async () => {
    const r = await run(PYTHON, [RUNNER, 'error-handling'], {
      env: { PL_GUIDE_CODE: ERROR_HANDLING, PL_SERVER: t.ws, PL_SESSION: 'error-handling' },
    });
    expect(r.code, show(r)).toBe(0);
    const cases = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((c) => [c.case, c]),
    );

    // A packet exactly as the server sent it: decoded, nothing logged.
    expect(cases.valid.logs).toEqual([]);
    expect(cases.valid.packet).toMatchObject({ type: 'data', channels: 142 });
    expect(typeof cases.valid.packet.sequence_number).toBe('number');

    // Trailing bytes after a complete packet: msgpack.exceptions.ExtraData -> the warning branch.
    expect(cases.extra_data.logs).toEqual([['WARNING', 'Malformed packet received']]);

    // Cut in half / not MessagePack at all: the generic branch, an error with the reason.
    expect(cases.truncated.logs).toHaveLength(1);
    expect(cases.truncated.logs[0][0]).toBe('ERROR');
    expect(cases.truncated.logs[0][1]).toMatch(/^Deserialization error: .*incomplete input/);
    expect(cases.invalid.logs).toHaveLength(1);
    expect(cases.invalid.logs[0][0]).toBe('ERROR');
    expect(cases.invalid.logs[0][1]).toMatch(/^Deserialization error: /);
  });
});
