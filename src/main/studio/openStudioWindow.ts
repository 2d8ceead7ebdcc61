import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants, getPriority, setPriority, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** A system Chromium or Chrome, if one is installed. */
export function findChromium(): string | null {
  const fromEnv = process.env.PHANTOMLINK_BROWSER;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * The nice value the studio's browser runs at (Linux, macOS), the engine running at 0: the
 * window may take what the decoders' 40 Hz stream leaves, never the other way round. (Windows:
 * the BELOW_NORMAL priority class, the same constant.) See bench/README.md, "Window".
 */
export const WINDOW_NICE = osConstants.priority.PRIORITY_BELOW_NORMAL; // 10

/** `nice` (coreutils, BSD): on PATH or in its usual places. */
export function findNice(): string | null {
  const dirs = ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const d of dirs) {
    const p = join(d, 'nice');
    if (existsSync(p)) return p;
  }
  return null;
}

/** The browser's arguments for the studio: an app window (no tabs or address bar), a fresh profile. */
export function studioWindowArgs(url: string, profileDir: string): string[] {
  return [`--app=${url}`, `--user-data-dir=${profileDir}`, '--no-first-run', '--window-size=1600,1000'];
}

export interface BrowserLaunchOptions {
  /** `lowered` (what the studio does) or `normal` (as before; bench/window.ts compares the two). */
  priority?: 'lowered' | 'normal';
  /** Tests: another platform's path, `nice`'s location (null: none), the OS priority calls. */
  platform?: NodeJS.Platform;
  nicePath?: string | null;
  os?: { getPriority(pid?: number): number; setPriority(pidOrPriority: number, priority?: number): void };
}

export interface LaunchedBrowser {
  child: ChildProcess;
  /** How it was started, for the terminal: e.g. "below the engine's priority (nice 10)". */
  priority: string;
}

/**
 * Starts the studio's browser, detached (its own process group and session: Ctrl+C in the
 * server's terminal leaves it alone), so that it and EVERY process it forks (zygote, renderers,
 * GPU, utilities) run below the engine's priority, without privileges:
 *
 * - Linux, macOS: through `nice -n 10`, which lowers itself and then execs the browser, so the
 *   browser's first instruction already runs at nice 10 and every fork inherits it (renicing the
 *   browser after the spawn would race its first forks, and on Linux a nice value is per thread:
 *   threads already running would keep theirs). An unprivileged browser cannot raise itself back
 *   (Chromium tries, for its display threads: it needs CAP_SYS_NICE). On Linux the new session
 *   also gets its own scheduler autogroup (sched_autogroup_enabled), and between autogroups only
 *   the group's nice counts, so the browser's group is set to nice 10 as well
 *   (/proc/PID/autogroup: the group's, so processes forked later are covered too).
 * - Windows: the priority class BELOW_NORMAL, which a process hands to the processes it creates.
 *   This process lowers itself for the synchronous spawn and restores itself right after, so the
 *   browser is born BELOW_NORMAL (no window in which it could start a child at NORMAL).
 *
 * Without `nice` the browser starts at normal priority, and `priority` says so.
 */
export function spawnStudioBrowser(command: string, args: string[], opts: BrowserLaunchOptions = {}): LaunchedBrowser {
  const platform = opts.platform ?? process.platform;
  const os = opts.os ?? { getPriority, setPriority };
  const spawnOpts: SpawnOptions = { stdio: 'ignore', detached: true };
  if (opts.priority === 'normal') return { child: spawn(command, args, spawnOpts), priority: 'at normal priority' };

  if (platform === 'win32') {
    let lowered = false;
    let prev = 0;
    try {
      prev = os.getPriority();
      os.setPriority(WINDOW_NICE);
      lowered = true;
    } catch {
      /* cannot change our own class: set the browser's after the spawn below */
    }
    let child: ChildProcess;
    let restored = true;
    try {
      child = spawn(command, args, spawnOpts);
    } finally {
      if (lowered) {
        try {
          os.setPriority(prev);
        } catch {
          restored = false;
        }
      }
    }
    let set = true;
    try {
      if (child.pid !== undefined) os.setPriority(child.pid, WINDOW_NICE); // already so when inherited; harmless
    } catch {
      set = false;
    }
    const how = lowered ? 'below normal priority' : set ? 'below normal priority (set after its start)' : 'at normal priority (could not lower it)';
    return { child, priority: restored ? how : `${how}; could not restore the server's own priority` };
  }

  const nice = opts.nicePath === undefined ? findNice() : opts.nicePath;
  if (!nice) return { child: spawn(command, args, spawnOpts), priority: 'at normal priority (no `nice` found to lower it)' };
  const child = spawn(nice, ['-n', String(WINDOW_NICE), command, ...args], spawnOpts);
  // spawn() returns once the child has called setsid() and exec'd `nice`: its session exists.
  if (platform === 'linux' && child.pid !== undefined) lowerAutogroup(child.pid);
  return { child, priority: `below the engine's priority (nice ${WINDOW_NICE})` };
}

/** Sets the scheduler autogroup of `pid` to nice 10, if it has one of its own (not ours). */
function lowerAutogroup(pid: number): void {
  try {
    const group = (p: string) => readFileSync(`/proc/${p}/autogroup`, 'utf8').split(' ')[0];
    if (group(String(pid)) !== group('self')) writeFileSync(`/proc/${pid}/autogroup`, String(WINDOW_NICE));
  } catch {
    /* no autogroups in this kernel, or the process is gone */
  }
}

/**
 * Opens the studio page in a Chromium "app" window (no tabs or address bar), the closest a
 * machine without the Electron runtime gets to the desktop window, below the engine's priority
 * (spawnStudioBrowser). Returns what it did, as a line for the terminal.
 */
export function openStudioWindow(url: string): string {
  const browser = findChromium();
  if (!browser) return `no Chromium or Chrome found: open ${url} in a browser`;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return `no display: open ${url} in a browser on a machine that can reach this one`;
  }
  const profile = mkdtempSync(join(tmpdir(), 'phantomlink-studio-'));
  const { child, priority } = spawnStudioBrowser(browser, studioWindowArgs(url, profile));
  child.on('error', () => {});
  child.unref();
  return `opened the studio in ${browser} (app window, ${priority}): ${url}`;
}
