/**
 * Electron: the engine runs in the main ("Browser") process; the window's processes (renderers,
 * GPU, utilities, zygote) are lowered below it, so opening or drawing the studio never takes a
 * core from the decoders' 40 Hz stream (bench/README.md, "Window"). No privileges needed: a
 * process may always lower its own children's priority.
 *
 * Takes the `app`-like object as a parameter (no electron import here): tested in plain Node.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { WINDOW_NICE } from './openStudioWindow.ts';

/** What this module needs of Electron's `app`. */
export interface AppLike {
  /** Electron's app.getAppMetrics(): every process of the app, `type` 'Browser' for main. */
  getAppMetrics(): ReadonlyArray<{ pid: number; type: string }>;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

export interface WindowPriorityOptions {
  /** Period of the sweep that catches processes started later (a GPU relaunch), ms. */
  sweepMs?: number;
  /** Tests: another platform's behaviour, the OS priority calls. */
  platform?: NodeJS.Platform;
  os?: { getPriority(pid: number): number; setPriority(pid: number, priority: number): void };
}

export interface WindowPriority {
  /** Lowers every non-Browser process now; returns how many processes (Linux: threads) it changed. */
  sweep(): number;
  stop(): void;
}

/** After a process appears: sweep soon, and again once it is surely running. */
const AFTER_EVENT_MS = [100, 1000];

/**
 * Lowers the app's window processes to nice 10 (Windows: BELOW_NORMAL) now, whenever a window,
 * web contents or child process appears or goes (a crashed one is relaunched), after each page
 * load, and every `sweepMs` (default 5 s). On Linux a nice value belongs to a thread, so every
 * thread of each process is lowered (threads it creates later inherit the creating thread's).
 * A priority already at or below the target is left alone. Costs a few hundred µs a sweep.
 */
export function lowerWindowProcesses(app: AppLike, opts: WindowPriorityOptions = {}): WindowPriority {
  const platform = opts.platform ?? process.platform;
  const os = opts.os ?? { getPriority, setPriority };
  const lower = (id: number): number => {
    try {
      if (os.getPriority(id) >= WINDOW_NICE) return 0;
      os.setPriority(id, WINDOW_NICE);
      return 1;
    } catch {
      return 0; // gone already
    }
  };
  const threadsOf = (pid: number): number[] => {
    if (platform !== 'linux') return [pid];
    try {
      return readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return [pid];
    }
  };
  let stopped = false;
  const sweep = (): number => {
    if (stopped) return 0;
    let changed = 0;
    let metrics: ReadonlyArray<{ pid: number; type: string }> = [];
    try {
      metrics = app.getAppMetrics();
    } catch {
      return 0;
    }
    for (const m of metrics) {
      if (m.type === 'Browser' || m.pid === process.pid || !(m.pid > 0)) continue;
      for (const id of threadsOf(m.pid)) changed += lower(id);
    }
    return changed;
  };
  const timers = new Set<NodeJS.Timeout>();
  const soon = () => {
    for (const ms of AFTER_EVENT_MS) {
      const t = setTimeout(() => {
        timers.delete(t);
        sweep();
      }, ms);
      t.unref?.();
      timers.add(t);
    }
  };
  app.on('web-contents-created', (_event: unknown, contents?: { on?(event: string, fn: () => void): unknown }) => {
    soon();
    contents?.on?.('did-finish-load', () => void sweep());
  });
  for (const event of ['browser-window-created', 'child-process-gone', 'render-process-gone']) app.on(event, soon);
  const every = setInterval(sweep, opts.sweepMs ?? 5000);
  every.unref?.();
  sweep();
  return {
    sweep,
    stop() {
      stopped = true;
      clearInterval(every);
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
