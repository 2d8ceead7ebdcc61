/**
 * A recording's log file: lines land whole and in order, on the event loop while the disk is
 * quick and through the thread pool once a write was slow. It hands its line buffers on to the
 * next recording's when it closes: what one writes must never land in another's file, whatever
 * is appended after the close.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlFile } from '../../src/main/recorder/jsonlFile.ts';
import { HUNG_WRITE_MS, POOL_FOR_MAX_MS, POOL_FOR_MS, SLOW_WRITE_MS, WritePath } from '../../src/main/recorder/writePath.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A log on a named pipe whose reader opens it at once but reads only after 300 ms: a disk that stalls. */
async function stalledPipe(dir: string, name: string, errors: unknown[], via: WritePath): Promise<{ log: JsonlFile; out: string; done: Promise<unknown> }> {
  const pipe = join(dir, `${name}.jsonl`);
  const out = join(dir, `${name}.out`);
  expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
  const reader = spawn('sh', ['-c', 'exec 3<"$1"; sleep 0.3; cat <&3 > "$2"', 'sh', pipe, out]);
  const done = new Promise((r) => reader.once('exit', r));
  return { log: await JsonlFile.open(pipe, (e) => errors.push(e), via), out, done };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pl-jsonl-'));
  dirs.push(d);
  return d;
}

describe('JsonlFile', () => {
  it('lines appended after a close are dropped, and never reach the file that reuses its buffers', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const first = await JsonlFile.open(join(dir, 'first.jsonl'), (e) => errors.push(e));
    first.append('{"n":1}\n');
    await first.close();

    // The next log takes the writers the first gave back.
    const second = await JsonlFile.open(join(dir, 'second.jsonl'), (e) => errors.push(e));
    first.append('{"late":true}\n');
    second.append('{"n":2}\n');
    first.append('{"late":true}\n');
    await second.close();

    expect(readFileSync(join(dir, 'first.jsonl'), 'utf8')).toBe('{"n":1}\n');
    expect(readFileSync(join(dir, 'second.jsonl'), 'utf8')).toBe('{"n":2}\n');
    expect(first.bytes).toBe(8);
    expect(errors).toEqual([]);
  });

  it('many logs opened and closed in turn write their own lines, however large', async () => {
    const dir = tempDir();
    const big = `${'x'.repeat(70_000)}\n`; // grows a writer past its first size
    for (let i = 0; i < 5; i++) {
      const f = await JsonlFile.open(join(dir, `${i}.jsonl`), () => {});
      f.append(i % 2 === 0 ? big : `{"i":${i}}\n`);
      await f.close();
    }
    for (let i = 0; i < 5; i++) expect(readFileSync(join(dir, `${i}.jsonl`), 'utf8')).toBe(i % 2 === 0 ? big : `{"i":${i}}\n`);
  });

  it('lines are in the file as soon as they are committed (a write on the event loop)', async () => {
    const dir = tempDir();
    const via = new WritePath();
    const f = await JsonlFile.open(join(dir, 'now.jsonl'), () => {}, via);
    f.append('{"n":1}\n');
    expect(readFileSync(join(dir, 'now.jsonl'), 'utf8')).toBe('{"n":1}\n');
    expect(via.onEventLoop).toBe(true);
    await f.close();
  });

  it.skipIf(spawnSync('mkfifo', ['--version']).status !== 0)('after a slow write every log writes through the thread pool, its lines whole and in order', async () => {
    const via = new WritePath();
    const dir = tempDir();
    const errors: unknown[] = [];
    const big = `{"fill":"${'x'.repeat(100_000)}"}\n`; // more than a pipe holds: a write waits for its reader
    const lines = Array.from({ length: 50 }, (_, i) => `{"i":${i}}\n`).join('');
    const first = await stalledPipe(dir, 'first', errors, via);
    first.log.append(big);
    expect(via.onEventLoop).toBe(false);
    for (let i = 0; i < 50; i++) first.log.append(`{"i":${i}}\n`);

    // From now on a commit returns before its lines are written, in any log: this one's reader
    // has not even started when append returns.
    const second = await stalledPipe(dir, 'second', errors, via);
    second.log.append(big);
    expect(existsSync(second.out)).toBe(false);

    await Promise.all([first.log.close(), second.log.close(), first.done, second.done]);
    expect(readFileSync(first.out, 'utf8')).toBe(big + lines);
    expect(readFileSync(second.out, 'utf8')).toBe(big);
    expect(errors).toEqual([]);
  });

  it(`a slow write sends logs to the thread pool for ${POOL_FOR_MS / 1000} s, each further one twice as long (at most ${POOL_FOR_MAX_MS / 60_000} min); a hung one, for good`, () => {
    let now = 0;
    const via = new WritePath(() => now);
    via.wrote(0.5, 'a.jsonl', 100);
    expect(via.onEventLoop).toBe(true);
    const pooledFor: number[] = [];
    for (let k = 0; k < 10; k++) {
      via.wrote(SLOW_WRITE_MS + 1, 'a.jsonl', 100);
      const from = now;
      while (!via.onEventLoop) now += 1000;
      pooledFor.push(now - from);
    }
    expect(pooledFor).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600].map((s) => s * 1000));
    via.wrote(HUNG_WRITE_MS + 1, 'a.jsonl', 100);
    now += 100 * POOL_FOR_MAX_MS;
    expect(via.onEventLoop).toBe(false);
    expect(via.takeStats()).toEqual({ count: 12, over1ms: 11, maxMs: HUNG_WRITE_MS + 1 });
    expect(via.takeStats().count).toBe(0);
  });

  it('a hung write, even the first, sends the logs to the thread pool for good', () => {
    let now = 0;
    const via = new WritePath(() => now);
    via.wrote(HUNG_WRITE_MS + 1, 'a.jsonl', 100);
    now += 100 * POOL_FOR_MAX_MS;
    expect(via.onEventLoop).toBe(false);
  });
});
