/**
 * A real redis-server per test (Debian's `/usr/bin/redis-server`): a free port, no persistence,
 * stopped by its PID. `restart()` brings it back on the same port, empty, as after a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const haveRedis = existsSync(REDIS_SERVER);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class TestRedis {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly bind: string,
    private readonly extra: string[],
  ) {}

  static async start(opts: { bind?: string; port?: number; args?: string[] } = {}): Promise<TestRedis> {
    const r = new TestRedis(opts.port ?? (await freePort()), opts.bind ?? '127.0.0.1', opts.args ?? []);
    await r.launch();
    return r;
  }

  get url(): string {
    return `redis://${this.bind}:${this.port}/0`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private launch(): Promise<void> {
    // Off loopback Redis refuses clients without a password unless protected mode is off (say so in the README).
    const open = this.bind === '127.0.0.1' ? [] : ['--protected-mode', 'no'];
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', this.bind, '--save', '', '--appendonly', 'no', ...open, ...this.extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`redis-server did not start on ${this.port}: ${out}`)), 10_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`redis-server exited ${code}: ${out}`));
      });
    });
  }

  /** Kills it (SIGKILL: a crash, nothing flushed) and waits until it is gone. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    process.kill(c.pid!, 'SIGKILL');
    await gone;
    this.child = null;
  }

  /** Freezes it (SIGSTOP): connected but answering nothing, a stalled Redis. */
  pause(): void {
    if (this.child?.pid) process.kill(this.child.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.child?.pid) process.kill(this.child.pid, 'SIGCONT');
  }

  restart(): Promise<void> {
    return this.launch();
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
  }
}
