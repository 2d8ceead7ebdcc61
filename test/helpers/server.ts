import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeMsgpack } from '../../src/shared/codecs.ts';
import { Engine, type EngineOptions } from '../../src/main/playback/engine.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/main/server.ts';
import { EMPTY_PONG, takeServerFrames } from './wsFrames.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** The built-in recording is generated once and reused by every test run (git-ignored). */
export const TEST_CACHE_DIR = join(REPO_ROOT, '.cache', 'test');

export interface TestServer {
  engine: Engine;
  server: RunningServer;
  http: string;
  ws: string;
  close(): Promise<void>;
}

export async function startTestServer(opts: { engine?: EngineOptions; server?: ServerOptions } = {}): Promise<TestServer> {
  const engine = await Engine.start({ cacheDir: TEST_CACHE_DIR, ...opts.engine });
  // Never the user's ~/PhantomLink/recordings: a test that records writes into a temp folder.
  const recordings = opts.server?.recordings ?? { root: mkdtempSync(join(tmpdir(), 'phantomlink-test-recordings-')) };
  const server = await startServer(engine, { port: 0, ...opts.server, recordings });
  return {
    engine,
    server,
    http: server.url,
    ws: server.url.replace(/^http/, 'ws'),
    close: () => server.close('test over'),
  };
}

export interface Closed {
  code: number;
  reason: string;
}

/** A real ws client that queues every message, decoded, and remembers how it closed. */
export class TestClient {
  readonly messages: any[] = [];
  readonly arrivals: number[] = [];
  readonly rawSizes: number[] = [];
  closed: Closed | null = null;
  private waiters: Array<() => void> = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      this.rawSizes.push(buf.length);
      this.messages.push(isBinary ? decodeMsgpack(buf) : JSON.parse(buf.toString('utf8')));
      this.arrivals.push(performance.now());
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `pred` holds, or fails after `timeoutMs` with a useful message. */
  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (have ${this.messages.length} messages, closed=${JSON.stringify(this.closed)})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get packets(): any[] {
    return this.messages.filter((m) => m.type === 'data');
  }

  async packetsAtLeast(n: number, timeoutMs = 5000): Promise<any[]> {
    await this.until(() => this.packets.length >= n, `${n} packets`, timeoutMs);
    return this.packets;
  }

  async closedWith(timeoutMs = 5000): Promise<Closed> {
    await this.until(() => this.closed !== null, 'close', timeoutMs);
    return this.closed!;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  }

  close(): void {
    this.ws.close();
  }
}

export async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A peer that completes the WebSocket handshake and then never reads again: its kernel
 * buffers fill and it never answers pings (a stuck decoder, or a half-open connection).
 */
export async function stuckPeer(wsBase: string, path: string): Promise<import('node:net').Socket> {
  const { connect } = await import('node:net');
  const url = new URL(wsBase + path);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${Buffer.from('phantomlink-test').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      socket.once('data', (chunk) => (chunk.toString().startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(chunk.toString().slice(0, 200)))));
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  socket.pause();
  return socket;
}

/**
 * A decoder that reads its socket at a fixed byte rate (slower than the stream) and answers a
 * ping only when it has read up to it, as a real client that cannot keep up would.
 */
export async function throttledReader(wsBase: string, path: string, bytesPerSecond: number) {
  const socket = await stuckPeer(wsBase, path);
  let pending: Buffer = Buffer.alloc(0);
  const frames = () => {
    pending = takeServerFrames(pending, (op) => {
      if (op === 9 && !socket.destroyed) socket.write(EMPTY_PONG);
    });
  };
  const TICK_MS = 20;
  const perTick = Math.max(1, Math.round((bytesPerSecond * TICK_MS) / 1000));
  const timer = setInterval(() => {
    const chunk = socket.read(Math.min(perTick, socket.readableLength)) as Buffer | null;
    if (!chunk) return void socket.read(0); // let the stream refill from the kernel
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    frames();
  }, TICK_MS);
  socket.on('close', () => clearInterval(timer));
  return { socket, stop: () => (clearInterval(timer), socket.destroy()) };
}
