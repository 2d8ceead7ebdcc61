/** examples/binary_client_example.py (the guide's "Examples → Basic Streaming") against a real server. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { closedPort, noteSkip, PYTHON, pythonMissing, REPO_ROOT, run, show } from './support.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'binary_client_example.py');
const skip = noteSkip('examples/binary_client_example.py', pythonMissing());

let t: TestServer;
beforeAll(async () => {
  if (!skip) t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const num = (out: string, re: RegExp): number => {
  const m = re.exec(out);
  if (!m) throw new Error(`no match for ${re} in:\n${out}`);
  return Number(m[1]);
};

describe.skipIf(skip)('examples/binary_client_example.py', () => {
  it('compares sizes honestly, streams 200 packets at ~40/s with no gaps, and shows a sample packet', async () => {
    const r = await run(PYTHON, [EXAMPLE, '--url', t.ws, '--session', 'py-example'], { timeoutMs: 30_000 });
    expect(r.code, show(r)).toBe(0);
    const out = r.stdout;

    // 1) sizes: the same packets in both encodings, MessagePack clearly smaller (about half).
    const json = num(out, /JSON packet:\s+(\d+) bytes\/packet/);
    const bin = num(out, /MessagePack packet:\s+(\d+) bytes\/packet/);
    expect(bin).toBeLessThan(json);
    const reduction = num(out, /Size reduction: ([\d.]+)%/);
    expect(reduction).toBeCloseTo(100 * (1 - bin / json), 0);
    expect(reduction).toBeGreaterThan(35);
    expect(reduction).toBeLessThan(65);
    expect(out).toMatch(/compared:\s+\d+ packets with the same sequence numbers/);

    // 2) + 3) streaming and timing.
    expect(out).toContain('142 channels at 40 Hz');
    expect(num(out, /Packets received: (\d+)/)).toBe(200);
    const rate = num(out, /Rate: ([\d.]+) packets\/s/);
    expect(rate).toBeGreaterThan(30);
    expect(rate).toBeLessThan(50);
    expect(out).toMatch(/Inter-arrival: mean [\d.]+ ms, p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/);
    const p50 = num(out, /p50 ([\d.]+) ms, p99/);
    expect(p50).toBeGreaterThan(15);
    expect(p50).toBeLessThan(35);
    expect(num(out, /Sequence gaps: (\d+)/)).toBe(0);

    // A sample packet with the guide's fields.
    for (const field of ['timestamp:', 'sequence_number:', 'trial_id:', 'trial_time_ms:', 'spikes:', 'kinematics:', 'intention:']) {
      expect(out).toContain(field);
    }
    expect(out).toMatch(/spikes:\s+142 channels \(0\.\.141\), bin 25 ms/);
    expect(r.stderr).toBe('');
  });

  it('exits non-zero with one clear line when no server is running', async () => {
    const port = await closedPort();
    const r = await run(PYTHON, [EXAMPLE, '--host', '127.0.0.1', '--port', String(port)]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines, show(r)).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach ws://127.0.0.1:${port}`);
    expect(lines[0]).toContain('is the PhantomLink server running?');
  });

  it('shows the server’s reason when it refuses the session code', async () => {
    const r = await run(PYTHON, [EXAMPLE, '--url', t.http, '--session', 'no spaces allowed']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/server refused .*\[invalid_session_code\] invalid session code "no spaces allowed"/);
  });
});
