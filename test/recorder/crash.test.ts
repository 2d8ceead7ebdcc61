/**
 * Crash safety: `phantomlink serve --record DIR` is killed with SIGKILL mid-recording; the next
 * start on the same folder closes the unfinished recording (`recovered`), which is readable and
 * misses at most about a second of packets before the kill.
 */
import { type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killCliProcesses, runCli } from '../helpers/cli.ts';
import { FLUSH_EVERY_MS, RECORDING_FILES } from '../../src/main/recorder/format.ts';
import { api, TestClient } from '../helpers/server.ts';
import { readRecording, tempRoot, until } from './support.ts';

afterEach(killCliProcesses);

/** `phantomlink serve --record root`, once it listens. */
async function serve(root: string): Promise<{ child: ChildProcess; http: string; ws: string; stderr: () => string }> {
  const p = runCli(['serve', '--port', '0', '--record', root, '--log-level', 'warn']);
  const http = await p.http(60_000);
  expect(p.stdout).toContain(`recordings:     ${root}   (recording every session)`);
  return { child: p.child, http, ws: http.replace(/^http/, 'ws'), stderr: () => p.stderr };
}

describe('SIGKILL while recording', () => {
  it('the next start closes the recording as recovered; at most ~1 s of packets is lost', async () => {
    const root = tempRoot('crash');
    const a = await serve(root);
    // A decoder on a session created by connecting: --record records it.
    const dec = new TestClient(`${a.ws}/stream/crash-run?decoder=echo`);
    dec.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'data') dec.send({ type: 'prediction', sequence_number: m.sequence_number, vx: 1, vy: 2 });
    });
    await dec.packetsAtLeast(100, 15_000); // 2.5 s of recording
    const [id] = readdirSync(root);
    expect(id).toMatch(/^crash-run_\d{8}-\d{6}Z$/);
    const lastReceived = dec.packets.at(-1).sequence_number as number;
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const dir = join(root, id);
    expect(JSON.parse(readFileSync(join(dir, RECORDING_FILES.manifest), 'utf8')).status).toBe('recording');
    // As if the kill had cut a line in half.
    appendFileSync(join(dir, RECORDING_FILES.packets), '{"seq":99999,"bin":1');

    const b = await serve(root);
    const list = await api(b.http, 'GET', '/api/recordings');
    const row = list.body.recordings.find((r: any) => r.id === id);
    expect(row).toMatchObject({ status: 'recovered', session_code: 'crash-run', decoders: ['echo'] });
    const rec = readRecording(dir);
    expect(readFileSync(join(dir, RECORDING_FILES.packets), 'utf8').endsWith('\n')).toBe(true);
    expect(rec.packets.some((p) => p.seq === 99999)).toBe(false);
    expect(rec.manifest).toMatchObject({ status: 'recovered', counts: { packets: rec.packets.length, predictions: rec.predictions.length, events: rec.events.length } });
    // Every packet up to the last one on disk, in order.
    rec.packets.forEach((p, i) => expect(p.seq).toBe(rec.packets[0].seq + i));
    const lastT = Math.max(...[rec.packets, rec.predictions, rec.events, rec.scores].map((l) => l.at(-1)?.t_ms ?? 0));
    expect(Math.abs(Date.parse(rec.manifest.stopped_at!) - (Date.parse(rec.manifest.started_at) + lastT))).toBeLessThanOrEqual(1);
    // What was lost: packets after the last one on disk, before the kill.
    const lostMs = killedAt - (Date.parse(rec.manifest.started_at) + rec.packets.at(-1)!.t_ms);
    expect(lostMs).toBeLessThanOrEqual(FLUSH_EVERY_MS + 100);
    expect(rec.packets.at(-1)!.seq).toBeGreaterThan(lastReceived - 45);
    expect(rec.predictions.filter((p) => p.decoder === 'echo').length).toBeGreaterThan(50);
    expect(rec.events[0].kind).toBe('recording_started');

    // The restarted server records what plays now, in the same folder, and the recovered one stays readable.
    const again = new TestClient(`${b.ws}/stream/after-crash`);
    await again.packetsAtLeast(5);
    await until(() => readdirSync(root).some((n) => n.startsWith('after-crash_')), 'a new recording');
    const detail = await api(b.http, 'GET', `/api/recordings/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.events.length).toBe(rec.events.length);
    again.close();
    b.child.kill('SIGINT');
    await new Promise((r) => b.child.once('exit', r));
    const after = readdirSync(root).find((n) => n.startsWith('after-crash_'))!;
    expect(readRecording(join(root, after)).manifest.status).toBe('complete');
  }, 120_000);
});
