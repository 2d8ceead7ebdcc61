/** examples/node_client.mjs against a real server. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../helpers/server.ts';
import { closedPort, firstGap, REPO_ROOT, run, show } from './support.ts';

const CLIENT = join(REPO_ROOT, 'examples', 'node_client.mjs');

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const PACKET_LINE = /^seq (\d+) · trial (—|\d+) · target (—|\d+) · spikes (\d+) · x (—|-?[\d.]+) y (—|-?[\d.]+)$/;

describe('examples/node_client.mjs', () => {
  it('prints metadata, N packet lines with consecutive sequence numbers, a summary, and exits 0', async () => {
    const n = 40;
    const r = await run(process.execPath, [CLIENT, `${t.ws}/stream/binary/node-test`, String(n)]);
    expect(r.code, show(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`connecting to ${t.ws}/stream/binary/node-test (stopping after ${n} packets)`);
    expect(lines[1]).toMatch(/^metadata: session node-test · 142 channels · 40 Hz · [\d.]+ s · \d+ packets · \d+ trials · \d+ targets$/);
    expect(lines[2]).toMatch(/^dataset: .* \(SYNTHETIC\)$/);
    const packets = lines.filter((l) => l.startsWith('seq '));
    expect(packets, show(r)).toHaveLength(n);
    const parsed = packets.map((l) => {
      const m = PACKET_LINE.exec(l);
      if (!m) throw new Error(`unexpected packet line ${JSON.stringify(l)}`);
      return { seq: Number(m[1]), spikes: Number(m[4]) };
    });
    expect(firstGap(parsed.map((p) => p.seq))).toBeNull();
    const summary = lines[lines.length - 1];
    const m = /^summary: (\d+) packets in ([\d.]+) s · rate ([\d.]+) packets\/s · sequence gaps (\d+) \(0 packets missing\)$/.exec(summary);
    expect(m, summary).not.toBeNull();
    expect(Number(m![1])).toBe(n);
    expect(Number(m![3])).toBeGreaterThan(30);
    expect(Number(m![3])).toBeLessThan(50);
    expect(Number(m![4])).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('passes filters through and shows them in the metadata line', async () => {
    const targets = (await api(t.http, 'GET', '/api/targets')).body.targets;
    const target = targets.find((x: any) => x.num_trials > 0).target_id;
    const r = await run(process.execPath, [CLIENT, `${t.ws}/stream/binary/node-filtered?target_id=${target}`, '5']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`filters target_id=${target}`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('seq '))) expect(l).toContain(`· target ${target} ·`);
  });

  it('reports the server’s refusal (error message and close code) and exits 1', async () => {
    const r = await run(process.execPath, [CLIENT, `${t.ws}/stream/binary/node-bad?trial_id=abc`, '5']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('server error [invalid_filter]: trial_id must be a non-negative integer (got "abc")');
    expect(r.stderr).toContain('error: server closed the connection: 4000 invalid request: trial_id must be a non-negative integer');
  });

  it('says the server is not running when nothing listens', async () => {
    const port = await closedPort();
    const r = await run(process.execPath, [CLIENT, `ws://127.0.0.1:${port}/stream/binary/x`, '5']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error: cannot connect to ws://127.0.0.1:${port}/stream/binary/x: connection refused (is the PhantomLink server running? start it with: node bin/phantomlink.mjs serve --port 8000)`,
    );
  });

  it('rejects bad arguments with usage', async () => {
    const r = await run(process.execPath, [CLIENT, 'not-a-url']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: node examples\/node_client\.mjs/);
  });
});
