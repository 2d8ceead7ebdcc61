/**
 * The headless studio's browser runs below the engine's priority, and so does everything it
 * forks (src/main/studio/openStudioWindow.ts). A stand-in "browser" (a shell script that forks
 * a child and sleeps) is started through the real code path, and both processes' nice values
 * are read back (/proc/PID/stat field 19).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WINDOW_NICE, openStudioWindow, spawnStudioBrowser } from '../../src/main/studio/openStudioWindow.ts';

const linux = process.platform === 'linux' && existsSync('/proc/self/stat');
const dir = mkdtempSync(join(tmpdir(), 'pl-standin-browser-'));
const BROWSER = join(dir, 'browser.sh');
writeFileSync(BROWSER, '#!/bin/sh\n# stand-in browser: its pid, its arguments, then a forked child\'s pid\necho "$$" > "$STANDIN_OUT.tmp"\necho "$*" >> "$STANDIN_OUT.tmp"\nsleep 60 &\necho "$!" >> "$STANDIN_OUT.tmp"\nmv "$STANDIN_OUT.tmp" "$STANDIN_OUT"\nwait\n');
chmodSync(BROWSER, 0o755);

/** Field 19 (nice) and 6 (session) of /proc/PID/stat. */
function stat(pid: number): { nice: number; session: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { nice: Number(f[16]), session: Number(f[3]) };
}
const autogroup = (pid: number | 'self') => (existsSync('/proc/self/autogroup') ? readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim() : null);

const started: number[] = [];
const ENV_KEYS = ['PHANTOMLINK_BROWSER', 'DISPLAY', 'STANDIN_OUT'] as const;
const envBefore = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL'); // its process group: it was started detached
    } catch {
      /* gone */
    }
  }
  for (const k of ENV_KEYS) {
    if (envBefore[k] === undefined) delete process.env[k];
    else process.env[k] = envBefore[k];
  }
});

/** Waits for the stand-in's report: [browser pid, its args, forked child pid]. */
async function report(out: string): Promise<{ pid: number; args: string; child: number }> {
  const t0 = Date.now();
  while (!existsSync(out)) {
    if (Date.now() - t0 > 5000) throw new Error('the stand-in browser never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  const [pid, args, child] = readFileSync(out, 'utf8').trim().split('\n');
  started.push(Number(pid));
  return { pid: Number(pid), args, child: Number(child) };
}

const lowered = Math.min(19, getPriority() + WINDOW_NICE);

describe.skipIf(!linux)('openStudioWindow: the browser below the engine', () => {
  it('starts the browser, and what it forks, at nice +10, in its own session and autogroup (nice 10 too)', async () => {
    const out = join(dir, 'open.txt');
    Object.assign(process.env, { PHANTOMLINK_BROWSER: BROWSER, DISPLAY: ':99', STANDIN_OUT: out });
    const ownGroup = autogroup('self');
    const line = openStudioWindow('http://127.0.0.1:1/studio/');
    expect(line).toBe(`opened the studio in ${BROWSER} (app window, below the engine's priority (nice 10)): http://127.0.0.1:1/studio/`);
    const r = await report(out);
    expect(r.args).toMatch(/^--app=http:\/\/127\.0\.0\.1:1\/studio\/ --user-data-dir=\S+ --no-first-run --window-size=1600,1000$/);
    rmSync(r.args.match(/--user-data-dir=(\S+)/)![1], { recursive: true, force: true });
    expect(stat(r.pid).nice).toBe(lowered);
    expect(stat(r.child).nice).toBe(lowered);
    expect(stat(r.pid).session).toBe(r.pid); // detached: Ctrl+C in the server's terminal leaves it alone
    expect(getPriority()).toBe(lowered - WINDOW_NICE); // the server's own priority is untouched
    if (ownGroup !== null) {
      expect(autogroup(r.pid)).toMatch(/ nice 10$/);
      expect(autogroup(r.child)).toBe(autogroup(r.pid));
      expect(autogroup('self')).toBe(ownGroup);
    }
  });

  it('starts it at normal priority when there is no `nice`, and says so', async () => {
    const out = join(dir, 'nonice.txt');
    process.env.STANDIN_OUT = out;
    const { child, priority } = spawnStudioBrowser(BROWSER, ['--app=x'], { nicePath: null });
    child.unref();
    expect(priority).toBe('at normal priority (no `nice` found to lower it)');
    const r = await report(out);
    expect(stat(r.pid).nice).toBe(getPriority());
    expect(stat(r.child).nice).toBe(getPriority());
  });

  it('on Windows: lowers itself to BELOW_NORMAL around the spawn (the browser is born with it), restores itself, and sets the browser too', async () => {
    const out = join(dir, 'win.txt');
    process.env.STANDIN_OUT = out;
    const calls: unknown[][] = [];
    const os = {
      getPriority: (...a: number[]) => (calls.push(['get', ...a]), 0),
      setPriority: (...a: number[]) => void calls.push(['set', ...a]),
    };
    const { child, priority } = spawnStudioBrowser(BROWSER, [], { platform: 'win32', os });
    child.unref();
    const r = await report(out);
    expect(priority).toBe('below normal priority');
    expect(calls).toEqual([['get'], ['set', 10], ['set', 0], ['set', r.pid, 10]]);
  });
});
