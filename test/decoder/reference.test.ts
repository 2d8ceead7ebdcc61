/**
 * The reference decoder (`phantomlink decoder`, through bin/phantomlink.mjs) and the numpy example
 * (examples/decoder_ridge.py) as real child processes against a real server: they train, answer
 * every packet with well-formed predictions (seen on the server's scoreboard), print a clearly
 * positive running R², and exit 0 on SIGTERM. Plus the failure paths: no server, a close code
 * with its reason, a blind session, a dataset swap mid-stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { closedPort } from '../examples/support.ts';
import { PYTHON, pythonHas } from '../helpers/python.ts';
import { api, REPO_ROOT, sleep, startTestServer, type TestServer } from '../helpers/server.ts';

const BIN = join(REPO_ROOT, 'bin', 'phantomlink.mjs');
const PY_EXAMPLE = join(REPO_ROOT, 'examples', 'decoder_ridge.py');
const FIXTURE = join(REPO_ROOT, '..', 'shared', 'fixtures', 'nwb', 'pynapple_A8604-211122.nwb');
/** The fastest playback: 30 s of recording train in 1.5 s. */
const SPEED = 20;

const pyMissing = pythonHas('numpy', 'websockets', 'msgpack') ? null : `${PYTHON} lacks numpy/websockets/msgpack`;
if (pyMissing) console.warn(`[skip] examples/decoder_ridge.py: ${pyMissing}`);
const fixtureMissing = existsSync(FIXTURE) ? null : `${FIXTURE} not found`;
if (fixtureMissing) console.warn(`[skip] dataset swap: ${fixtureMissing}`);

/** A child process whose output is kept, with waits on it. */
class Proc {
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (c) => (this.stdout += c));
    this.child.stderr!.setEncoding('utf8').on('data', (c) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve((this.exit = { code, signal }))));
  }

  get output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Waits until the stdout matches `re` at least `times` times; returns the matches. */
  async waitFor(re: RegExp, times = 1, timeoutMs = 20_000): Promise<RegExpMatchArray[]> {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = [...this.stdout.matchAll(g)];
      if (found.length >= times) return found;
      if (this.exit) throw new Error(`exited (${JSON.stringify(this.exit)}) before printing ${re} ×${times}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} ×${times}\n${this.output}`);
      await sleep(50);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000) {
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

const running: Proc[] = [];
const decoder = (...args: string[]) => {
  const p = new Proc(process.execPath, [BIN, 'decoder', ...args]);
  running.push(p);
  return p;
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const p of running) if (!p.exit) p.child.kill('SIGKILL');
  await t?.close();
});

async function createSession(code: string, extra: Record<string, unknown> = {}) {
  const r = await api(t.http, 'POST', '/api/sessions/create', { code, speed: SPEED, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

async function scoreboardRow(code: string, name: string): Promise<any> {
  const r = await api(t.http, 'GET', `/api/sessions/${code}/decoders`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const row = r.body.decoders.find((d: any) => d.name === name);
  expect(row, JSON.stringify(r.body.decoders.map((d: any) => d.name))).toBeDefined();
  return row;
}

/**
 * Every packet is answered: over one second of predicting, the server received about as many
 * predictions as it sent packets, none refused (bad sequence number, duplicate, wrong types).
 */
async function expectEveryPacketAnswered(code: string, name: string, p: Proc): Promise<any> {
  const sent = async () => (await api(t.http, 'GET', `/api/sessions/${code}`)).body.packets_sent as number;
  const [s0, r0] = [await sent(), await scoreboardRow(code, name)];
  await sleep(1500);
  const [s1, r1] = [await sent(), await scoreboardRow(code, name)];
  const answered = r1.counts.predictions - r0.counts.predictions;
  expect(s1 - s0).toBeGreaterThan(SPEED * 40 * 0.5);
  expect(answered / (s1 - s0), `${answered} predictions for ${s1 - s0} packets\n${p.output}`).toBeGreaterThan(0.9);
  expect(r1.counts).toMatchObject({ duplicates: 0, unknown: 0, invalid: 0, stale: 0 });
  expect(r1.connected).toBe(true);
  expect(r1.axes).toEqual(['vx', 'vy']);
  return r1;
}

describe('phantomlink decoder (the reference decoder)', () => {
  it('trains, answers every packet, scores itself clearly above 0 and exits 0 on SIGTERM', async () => {
    await createSession('dec-ts');
    const p = decoder('--url', t.ws, '--session', 'dec-ts', '--train-s', '30', '--every', '1', '--name', 'ref-test');
    await p.waitFor(/metadata: .*142 channels, 25 ms bins/);
    const [trained] = await p.waitFor(/trained on (\d+) bins in [\d.]+ s \(worker thread\): λ = ([\d.]+)·n/);
    expect(Number(trained[1])).toBeGreaterThan(1000); // 30 s = 1200 bins, less the first window and the bins without truth
    const row = await expectEveryPacketAnswered('dec-ts', 'ref-test', p);
    expect(row.version).toBe(pkg.version);
    const scores = await p.waitFor(/score: \d+ answered · R² vx (-?[\d.]+) vy (-?[\d.]+) combined (-?[\d.]+)/, 2);
    const own = Number(scores.at(-1)![3]);
    expect(own, p.output).toBeGreaterThan(0.3);
    // The server's score of the same predictions agrees with the decoder's own.
    const server = (await scoreboardRow('dec-ts', 'ref-test')).cumulative.r2_combined;
    expect(server).toBeGreaterThan(0.3);
    expect(Math.abs(server - own)).toBeLessThan(0.1);

    expect(await p.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(p.stdout).toMatch(/SIGTERM: closing the connection…\nclosed \(1000 decoder stopped\)\nanswered \d+ packets; R² vx/);
    expect(p.stderr, p.output).toBe('');
  });

  it('says clearly when no server is there, after retrying, and exits 1', async () => {
    const port = await closedPort();
    const p = decoder('--port', String(port), '--session', 'x', '--retries', '1');
    expect(await p.exited, p.output).toEqual({ code: 1, signal: null });
    expect(p.stdout).toContain(`cannot reach ws://127.0.0.1:${port}/stream/binary/x (ECONNREFUSED); retrying in 1 s (1/1)…`);
    expect(p.stderr.trim().split('\n')).toEqual([
      `phantomlink decoder: cannot reach ws://127.0.0.1:${port}/stream/binary/x (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}) after 2 attempt(s): is the PhantomLink server running? (npx phantomlink serve)`,
    ]);
  });

  it('prints the close code and reason when the server closes the stream, and exits 1', async () => {
    await createSession('dec-del');
    const p = decoder('--url', `${t.ws}/stream/binary/dec-del`, '--train-s', '600');
    await p.waitFor(/^training: collecting 24000 bins/m);
    expect((await api(t.http, 'DELETE', '/api/sessions/dec-del')).status).toBe(200);
    expect(await p.exited, p.output).toEqual({ code: 1, signal: null });
    expect(p.stderr).toMatch(/the server closed the connection: 4410 \(session deleted\): \S/);
    expect(p.stdout).toMatch(/stopped before the model was ready \(training/);
  });

  it('refuses to train on a blind session (no kinematics) with the reason', async () => {
    await createSession('dec-blind', { blind: true });
    const p = decoder('--url', t.ws, '--session', 'dec-blind');
    expect(await p.exited, p.output).toEqual({ code: 1, signal: null });
    expect(p.stdout).toMatch(/metadata: .*, BLIND/);
    expect(p.stderr).toMatch(/the session is blind \(its packets carry no kinematics\): there is nothing to train on/);
  });

  it('refuses bad arguments with the usage (exit 2)', async () => {
    const p = decoder('--history', '0');
    expect(await p.exited).toEqual({ code: 2, signal: null });
    expect(p.stderr).toMatch(/--history must be a positive integer \(got 0\)[\s\S]*Usage:\n  phantomlink decoder/);
  });
});

describe.skipIf(!!pyMissing)('examples/decoder_ridge.py (numpy)', () => {
  it('trains, answers every packet, scores itself clearly above 0 and exits 0 on SIGTERM', async () => {
    await createSession('dec-py');
    const p = new Proc(PYTHON, [PY_EXAMPLE, '--url', t.ws, '--session', 'dec-py', '--train-s', '30', '--name', 'py-test']);
    running.push(p);
    const [trained] = await p.waitFor(/trained on (\d+) bins: lambda = ([\d.]+) \* n/);
    expect(Number(trained[1])).toBeGreaterThan(1000);
    await expectEveryPacketAnswered('dec-py', 'py-test', p);
    const scores = await p.waitFor(/score: \d+ bins · R² vx (-?[\d.]+) vy (-?[\d.]+) combined (-?[\d.]+)/, 1, 10_000);
    const own = Number(scores.at(-1)![3]);
    expect(own, p.output).toBeGreaterThan(0.3);
    expect((await scoreboardRow('dec-py', 'py-test')).cumulative.r2_combined).toBeGreaterThan(0.3);
    expect(await p.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(p.stdout).toMatch(/stopped: R² [\d.]+ over \d+ bins/);
    expect(p.stderr, p.output).toBe('');
  });
});

// Last: it swaps the server's dataset.
describe.skipIf(!!fixtureMissing)('a dataset swap mid-stream', () => {
  it('drops the model and retrains on the new channels (JSON endpoint), and keeps running', async () => {
    await createSession('dec-swap');
    const p = decoder('--url', t.ws, '--session', 'dec-swap', '--json', '--train-s', '5', '--every', '1', '--lambda', '1');
    await p.waitFor(/^predicting: answering every data packet/m);
    await p.waitFor(/^score: /m);
    const row = await scoreboardRow('dec-swap', 'reference');
    expect(row.endpoint).toBe('json');
    expect(row.counts.predictions).toBeGreaterThan(0);
    expect(row.counts).toMatchObject({ duplicates: 0, unknown: 0, invalid: 0, stale: 0 });
    await t.engine.openDataset(FIXTURE);
    await p.waitFor(/^dataset changed: pynapple_A8604-211122\.nwb, 3 channels \(was .*, 142\): dropping the model and retraining from scratch$/m);
    await p.waitFor(/^training: collecting 200 bins .*\(5 bins × 3 channels \+ bias = 16 features\)/m);
    // This fixture has no behaviour: nothing to train on, and the decoder says why.
    await p.waitFor(/^only 0 usable bins in \d+ \(need 100\): still collecting… \(most bins have no kinematics: does this dataset have behaviour\?\)$/m);
    expect(p.exit, p.output).toBeNull();
    expect(await p.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(p.stdout).toContain('SIGINT: closing the connection…');
    // The only complaint allowed: a prediction in flight during the swap, for a packet of the old timeline.
    for (const line of p.stderr.split('\n').filter(Boolean)) expect(line, p.output).toMatch(/server says: \[bad_prediction\] 1 message refused .*too old/);
  });
});
