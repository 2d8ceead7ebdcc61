/**
 * Electron's main lowers its window's processes (src/main/studio/windowPriority.ts), tested in
 * plain Node (no Electron runtime here): a stand-in `app` lists real child processes, and their
 * threads' nice values are read back from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { lowerWindowProcesses, type WindowPriority } from '../../src/main/studio/windowPriority.ts';

const linux = process.platform === 'linux' && existsSync('/proc/self/task');

/** Nice value of every thread of `pid` (/proc/PID/task/TID/stat field 19). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

const children: ChildProcess[] = [];
const handles: WindowPriority[] = [];
afterEach(() => {
  for (const h of handles.splice(0)) h.stop();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A Node process with a worker thread (a renderer stand-in: several threads), once it runs. */
async function startChild(): Promise<number> {
  const code = `const { Worker } = require('node:worker_threads'); new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => console.log('up')); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child.pid!;
}

class StandInApp extends EventEmitter {
  processes: Array<{ pid: number; type: string }> = [{ pid: process.pid, type: 'Browser' }];
  getAppMetrics() {
    return this.processes;
  }
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!linux)('lowerWindowProcesses (Linux: every thread of every non-Browser process)', () => {
  it('lowers every thread of the listed processes at once, never the main (Browser) process', async () => {
    const [tab, gpu] = [await startChild(), await startChild()];
    const ownBefore = threadNices(process.pid);
    expect(threadNices(tab).length).toBeGreaterThan(2);
    const app = new StandInApp();
    app.processes.push({ pid: tab, type: 'Tab' }, { pid: gpu, type: 'GPU' });
    handles.push(lowerWindowProcesses(app, { sweepMs: 60_000 }));
    for (const pid of [tab, gpu]) for (const n of threadNices(pid)) expect(n).toBeGreaterThanOrEqual(10);
    expect(threadNices(process.pid)).toEqual(ownBefore);
  });

  it('catches a process that appears later: after a child-process event, a page load, or by the periodic sweep', async () => {
    const app = new StandInApp();
    handles.push(lowerWindowProcesses(app, { sweepMs: 60_000 }));
    // A GPU process relaunched after a crash: Electron reports the crash, the new one follows.
    const gpu = await startChild();
    app.processes.push({ pid: gpu, type: 'GPU' });
    app.emit('child-process-gone', {}, { type: 'GPU' });
    await until(() => threadNices(gpu).every((n) => n >= 10));

    // A renderer: web contents created, then its page loads.
    const tab = await startChild();
    const contents = new EventEmitter();
    app.emit('web-contents-created', {}, contents);
    app.processes.push({ pid: tab, type: 'Tab' });
    contents.emit('did-finish-load');
    expect(threadNices(tab).every((n) => n >= 10)).toBe(true);

    // Nothing announces it: the periodic sweep.
    const quiet = new StandInApp();
    handles.push(lowerWindowProcesses(quiet, { sweepMs: 100 }));
    const util = await startChild();
    quiet.processes.push({ pid: util, type: 'Utility' });
    expect(threadNices(util).some((n) => n < 10)).toBe(true);
    await until(() => threadNices(util).every((n) => n >= 10));
  });

  it('a thread the lowered process starts afterwards inherits the lower priority', async () => {
    const code = `console.log('up'); process.stdin.once('data', () => { const { Worker } = require('node:worker_threads'); new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => console.log('worker')); }); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const app = new StandInApp();
    app.processes.push({ pid: child.pid!, type: 'Tab' });
    handles.push(lowerWindowProcesses(app, { sweepMs: 60_000 }));
    const before = threadNices(child.pid!).length;
    child.stdin!.write('go\n');
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const after = threadNices(child.pid!);
    expect(after.length).toBeGreaterThan(before);
    expect(after.every((n) => n >= 10)).toBe(true);
  });
});

describe('lowerWindowProcesses (Windows, macOS: per process)', () => {
  it('sets BELOW_NORMAL (10) on each non-Browser process whose priority is higher, and again if it was raised back', () => {
    const prio = new Map<number, number>([[101, 0], [102, 0], [103, 19]]);
    const calls: Array<[number, number]> = [];
    const os = {
      getPriority: (pid: number) => prio.get(pid) ?? 0,
      setPriority: (pid: number, p: number) => {
        calls.push([pid, p]);
        prio.set(pid, p);
      },
    };
    const app = new StandInApp();
    app.processes = [
      { pid: 100, type: 'Browser' },
      { pid: 101, type: 'Tab' },
      { pid: 102, type: 'GPU' },
      { pid: 103, type: 'Utility' }, // already lower: left alone
    ];
    const h = lowerWindowProcesses(app, { platform: 'win32', os, sweepMs: 60_000 });
    handles.push(h);
    expect(calls).toEqual([
      [101, 10],
      [102, 10],
    ]);
    prio.set(101, 0); // Chrome put its foreground renderer back to NORMAL
    expect(h.sweep()).toBe(1);
    expect(calls.at(-1)).toEqual([101, 10]);
    h.stop();
    expect(h.sweep()).toBe(0);
  });
});
