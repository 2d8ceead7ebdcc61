/**
 * Window benchmark: does opening and playing the studio in Chromium cost the decoders their
 * timing? The server's send lateness (sent − due, per packet) while the studio window opens and
 * plays, side by side with the same run without a window.
 *
 *   node --import tsx bench/window.ts [--quick] [--rounds N] [--open-s 8] [--play-s 30] [--variants none,normal,lowered]
 *        [--quiet-psi 10] [--max-wait-s 300] [--quiet-cores 0.25] [--quiet-runs N] [--max-minutes 120]
 *
 * As a new user runs it, each variant of each round starts from scratch:
 *  - a server process as `phantomlink serve` runs: the CLI's wiring (Engine with the built-in
 *    `default` recording, startServer, the studio attached) bundled with esbuild and run by
 *    plain Node with the product's V8 flags (bench/lib.ts SERVER_V8_FLAGS), in its own session
 *    (its own terminal: on Linux, its own scheduler autogroup);
 *  - one MessagePack decoder in another process and session (bench/timing-clients.ts, which
 *    checks every packet), streaming `my-session`, the session the studio then follows;
 *  - after SETTLE s, the studio window, opened the way the product opens it:
 *      `none`     no window (the reference);
 *      `normal`   spawnStudioBrowser(..., { priority: 'normal' }): as before this change;
 *      `lowered`  spawnStudioBrowser(...): what `serve --open` does now (nice 10, autogroup nice 10).
 *    Both with studioWindowArgs (app window, 1600×1000, fresh profile) plus headless, software
 *    rendering and quiet flags (CHROMIUM_ARGS) and a DevTools port.
 *  - phases, by the packet's send time: `before` (the last SETTLE − 1 s before the window),
 *    `opening` (the first --open-s s after the launch) and `playing` (the next --play-s s).
 *
 * The lateness is what the server's session records for /metrics (its `lateness.record`
 * wrapped, as bench/timing.ts does), every packet. Variants are interleaved (round r runs them
 * in an order rotated by r); the tables give medians over rounds.
 *
 * Why not Playwright: the priorities must be the product's, so the browser is started by the
 * product's own function; the page is then checked over the DevTools protocol (one
 * Runtime.evaluate, after the measured phases), which keeps this process idle while measuring
 * (a Playwright connection subscribes to the page's events, e.g. every WebSocket frame).
 *
 * Running as root (this machine), Chromium would use CAP_SYS_NICE to raise its own threads
 * (display threads to nice −8, others back to 0), which no new user's browser can: so as root
 * the browser is started through a wrapper that drops that one capability (`setpriv
 * --bounding-set=-sys_nice`), and everything else is as is (`--privileged-browser`: keep it, a
 * diagnostic). `--one-cgroup`: see ONE_CGROUP. The machine is shared: each run waits for CPU
 * pressure to fall, the load of other processes is measured per phase, and `--quiet-runs N`
 * adds rounds until every variant has N runs with a quiet opening and playing phase.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnStudioBrowser, studioWindowArgs } from '../src/main/studio/openStudioWindow.ts';
import {
  BENCH_DIR,
  QUICK,
  REPO_ROOT,
  SERVER_V8_FLAGS,
  arg,
  dist,
  fmt,
  hostSample,
  hostUsage,
  machineInfo,
  machineLine,
  mdTable,
  median,
  metOrNot,
  monoOffset,
  round,
  writeResults,
  type Dist,
  type HostUsage,
} from './lib.ts';

const CODE = 'my-session';

// ------------------------------------------------------------------ the server process (bundled, plain Node)

async function serverMain(): Promise<void> {
  const { Engine } = await import('../src/main/playback/engine.ts');
  const { startServer } = await import('../src/main/server.ts');
  const { StudioService } = await import('../src/main/studio/studioService.ts');
  // As cli.ts `serve` wires it (its banner and signal handling aside).
  const engine = await Engine.start({ preset: 'default' });
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  server.attachStudio(new StudioService(engine, server));
  const sent: number[] = [];
  const lateness: number[] = [];
  let watched: unknown = null;
  const watch = () => {
    const s = engine.sessions.get(CODE);
    if (!s || s === watched) return;
    watched = s;
    // Every value the session records for /metrics (sent = performance.now() ms, sent − due).
    const window = s.lateness as unknown as { record(nowMs: number, ms: number): void };
    const record = window.record.bind(window);
    window.record = (nowMs, ms) => {
      sent.push(nowMs);
      lateness.push(ms);
      record(nowMs, ms);
    };
  };
  engine.sessions.onChange(watch);
  const { PerformanceObserver } = await import('node:perf_hooks');
  const gc: number[] = []; // start, duration, start, duration, … (performance.now() ms)
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push(e.startTime, e.duration);
  }).observe({ entryTypes: ['gc'] });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    if (m.type !== 'report') return;
    const cpu = process.cpuUsage(cpu0);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
    process.send!({ type: 'report', sent, lateness, gc, monoOffsetMs: monoOffset(), cpuPercent }, () => {
      void server.close('benchmark over').finally(() => process.exit(0));
    });
  });
  process.send!({ type: 'ready', url: server.url });
}

// ------------------------------------------------------------------ the benchmark

type Variant = 'none' | 'normal' | 'lowered';
type Phase = 'before' | 'opening' | 'playing';
const PHASES: Phase[] = ['before', 'opening', 'playing'];

interface PageCheck {
  status: string | null;
  fps: number;
  canvases: number;
  /** Page load end and first contentful paint, ms after the browser was launched. */
  loadedMs: number | null;
  fcpMs: number | null;
}

interface BrowserProcs {
  processes: number;
  threads: number;
  /** Lowest and highest nice value over every thread of every process in the browser's session. */
  niceMin: number;
  niceMax: number;
  autogroups: string[];
  /** CPU time of the browser's processes alive at the end, s (since its launch). */
  cpuS: number;
  types: Record<string, number>;
}

interface Run {
  round: number;
  variant: Variant;
  /** Seconds waited for the machine to calm down before this run (PSI gate). */
  waitedS: number;
  /** Server main thread (the engine's): CPU and run-queue wait (ms per s) per phase; GC pauses per phase. */
  serverMain: Record<Phase, { cpu_percent: number; runqueue_wait_ms_per_s: number }>;
  gc: Record<Phase, { n: number; max_ms: number; total_ms: number }>;
  /** Cores used by processes other than this benchmark's (machine busy − ours), per phase. */
  others: Record<Phase, number>;
  phases: Record<Phase, Dist & { over5: number; over10: number }>;
  host: Record<Phase, HostUsage>;
  page: PageCheck | null;
  browser: BrowserProcs | null;
  launchedAs: string | null;
  decoder: { packets: number; gaps: number; outOfOrder: number; closed: boolean };
  serverCpuPercent: number;
  /** Per packet (not in the summary JSON): send time in s from the window's launch, lateness ms. */
  raw?: { t: number[]; lateness: number[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const monoNow = () => Number(process.hrtime.bigint()) / 1e6;
const log = (s: string) => console.log(`[window bench] ${s}`);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * `--one-cgroup` (root, Linux cgroup v1 `cpu`): server, decoder and browser in one CPU cgroup of
 * their own, where autogroups do not apply (they apply only to tasks of the root cgroup): what a
 * systemd desktop gives a terminal's processes (one scope), or a kernel without autogroups.
 * Nice values then count thread against thread. Created for the run, removed after.
 */
const ONE_CGROUP = process.argv.includes('--one-cgroup') ? `/sys/fs/cgroup/cpu/phantomlink-bench-window-${process.pid}` : null;
function intoCgroup(pid: number): void {
  if (ONE_CGROUP) writeFileSync(join(ONE_CGROUP, 'cgroup.procs'), String(pid));
}
/** What the renderer benchmark uses too: headless, software rendering, nothing in the background. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Process groups started here (each is detached): killed on the way out, whatever happens. */
const groups = new Set<number>();
function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}
process.on('exit', () => {
  for (const pid of groups) killGroup(pid);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

function messageFrom<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${type}" from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMsg = (m: any) => {
      if (m?.type !== type) return;
      clearTimeout(t);
      child.off('message', onMsg);
      resolve(m as T);
    };
    child.on('message', onMsg);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`pid ${child.pid} exited (${code}) before "${type}"`));
    });
  });
}

/** /proc/PID/stat fields after the command name: [state, ppid, pgrp, session, ...]. */
function statFields(path: string): string[] | null {
  try {
    const s = readFileSync(path, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Every process of the browser's session (it was started detached: session id = its pid). */
function browserProcs(sid: number): BrowserProcs {
  const tck = 100; // USER_HZ
  const out: BrowserProcs = { processes: 0, threads: 0, niceMin: Infinity, niceMax: -Infinity, autogroups: [], cpuS: 0, types: {} };
  const groupsSeen = new Set<string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(`/proc/${name}/stat`);
    if (!f || Number(f[3]) !== sid) continue;
    out.processes++;
    out.cpuS += (Number(f[11]) + Number(f[12])) / tck;
    let type = 'browser';
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? (/chrom/.test(cmd) ? 'browser' : 'other');
    } catch {
      /* gone */
    }
    out.types[type] = (out.types[type] ?? 0) + 1;
    try {
      groupsSeen.add(readFileSync(`/proc/${name}/autogroup`, 'utf8').trim());
    } catch {
      /* no autogroups */
    }
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${name}/task`);
    } catch {
      /* gone */
    }
    for (const tid of tids) {
      const t = statFields(`/proc/${name}/task/${tid}/stat`);
      if (!t) continue;
      out.threads++;
      const nice = Number(t[16]);
      out.niceMin = Math.min(out.niceMin, nice);
      out.niceMax = Math.max(out.niceMax, nice);
    }
  }
  out.autogroups = [...groupsSeen];
  return out;
}

/** CPU time (s) of a process and every descendant alive now (utime + stime from /proc). */
function treeCpuS(pid: number): number {
  let total = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const f = statFields(`/proc/${p}/stat`);
    if (!f) continue;
    total += (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      /* gone */
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(' ')) if (c) stack.push(Number(c));
      } catch {
        /* gone, or no CONFIG_PROC_CHILDREN */
      }
    }
  }
  return total;
}

/** The main thread's CPU time and time spent waiting for a core (run queue), ms: /proc/PID/task/PID/schedstat. */
function schedstat(pid: number): { cpuMs: number; waitMs: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return { cpuMs: NaN, waitMs: NaN };
  }
}

/** CPU pressure (PSI "some" avg10, %), or null. */
function psiAvg10(): number | null {
  try {
    return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return null;
  }
}

/** One Runtime.evaluate in the studio page over the DevTools protocol (no subscriptions). */
async function checkPage(profile: string, studioUrl: string, launchEpochMs: number): Promise<PageCheck | null> {
  try {
    const port = Number(readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; url: string; webSocketDebuggerUrl: string }>;
    const page = targets.find((t) => t.type === 'page' && t.url.startsWith(studioUrl));
    if (!page) return null;
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const expression = `(async () => {
      const t0 = performance.now(); let frames = 0;
      await new Promise((r) => { const f = () => { frames++; if (performance.now() - t0 < 1000) requestAnimationFrame(f); else r(); }; requestAnimationFrame(f); });
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { status: document.querySelector('[data-testid="transport-play-pause"]')?.getAttribute('data-status') ?? null,
        fps: (frames * 1000) / (performance.now() - t0), canvases: document.querySelectorAll('canvas').length,
        timeOrigin: performance.timeOrigin, loadEventEnd: nav ? nav.loadEventEnd : null, fcp: fcp ? fcp.startTime : null };
    })()`;
    const reply = await new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer from the page')), 10_000);
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.id !== 1) return;
        clearTimeout(t);
        resolve(m.result?.result?.value);
      });
      ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
    });
    ws.close();
    return {
      status: reply.status,
      fps: round(reply.fps, 1),
      canvases: reply.canvases,
      loadedMs: reply.loadEventEnd ? round(reply.timeOrigin + reply.loadEventEnd - launchEpochMs, 0) : null,
      fcpMs: reply.fcp !== null ? round(reply.timeOrigin + reply.fcp - launchEpochMs, 0) : null,
    };
  } catch (err) {
    log(`page check failed: ${(err as Error).message}`);
    return null;
  }
}

/** As root, a wrapper that starts Chromium without CAP_SYS_NICE, as any unprivileged user's. */
function browserCommand(dir: string): { command: string; note: string } {
  if (process.getuid?.() !== 0) return { command: CHROMIUM, note: `${CHROMIUM}, as this (unprivileged) user` };
  if (process.argv.includes('--privileged-browser')) return { command: CHROMIUM, note: `${CHROMIUM} as root WITH CAP_SYS_NICE (--privileged-browser, a diagnostic: Chromium raises its own threads, which a new user's cannot)` };
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (!setpriv) return { command: CHROMIUM, note: `${CHROMIUM} as root WITH CAP_SYS_NICE (no setpriv to drop it): Chromium can raise its own threads, which a new user's cannot` };
  const wrapper = join(dir, 'chromium-unprivileged');
  writeFileSync(wrapper, `#!/bin/sh\n# Chromium as an unprivileged user's: no CAP_SYS_NICE (RLIMIT_NICE is 0), so it cannot raise its threads' priority.\nexec ${setpriv} --bounding-set=-sys_nice -- ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return { command: wrapper, note: `${CHROMIUM} through \`setpriv --bounding-set=-sys_nice\` (this process is root; a new user's browser has no CAP_SYS_NICE either)` };
}

async function runVariant(variant: Variant, roundNo: number, bundle: string, browser: string, work: string, t: { settleS: number; openS: number; playS: number; quietPsi: number; maxWaitS: number }): Promise<Run> {
  // The machine is shared: start when other work has calmed down (CPU pressure over the last 10 s).
  const w0 = performance.now();
  while ((psiAvg10() ?? 0) > t.quietPsi && performance.now() - w0 < t.maxWaitS * 1000) await sleep(5000);
  const waitedS = round((performance.now() - w0) / 1000, 0);
  const serverLog = join(work, `server-${roundNo}-${variant}.log`);
  const server = spawn(process.execPath, [...SERVER_V8_FLAGS, bundle, '--server'], {
    cwd: REPO_ROOT,
    detached: true, // its own terminal, session and autogroup
    stdio: ['ignore', 'ignore', openSync(serverLog, 'w'), 'ipc'],
  });
  groups.add(server.pid!);
  intoCgroup(server.pid!);
  const { url } = await messageFrom<{ url: string }>(server, 'ready', 60_000);
  const decoder = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'timing-clients.ts'), '--url', url.replace(/^http/, 'ws'), '--sessions', CODE, '--per', '1'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  groups.add(decoder.pid!);
  intoCgroup(decoder.pid!);
  await messageFrom(decoder, 'ready', 60_000);

  await sleep(1000);
  server.send({ type: 'mark' }); // server CPU from here
  const ours = () => treeCpuS(server.pid!) + treeCpuS(decoder.pid!) + (launched ? treeCpuS(launched.pid) : 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  let launched: { pid: number; profile: string; epochMs: number; how: string } | null = null;
  const hb = hostSample();
  const ob = ours();
  const sb = schedstat(server.pid!);
  const marks: Record<Phase | 'end', number> = { before: monoNow(), opening: 0, playing: 0, end: 0 };
  await sleep((t.settleS - 1) * 1000);
  const studioUrl = `${url}/studio/`;
  const h0 = hostSample();
  const o0 = ours();
  const s0 = schedstat(server.pid!);
  marks.opening = monoNow();
  if (variant !== 'none') {
    const profile = mkdtempSync(join(work, 'profile-'));
    const epochMs = Date.now();
    const { child, priority } = spawnStudioBrowser(browser, [...studioWindowArgs(studioUrl, profile), ...CHROMIUM_ARGS, '--remote-debugging-port=0'], { priority: variant });
    child.on('error', (e) => log(`browser: ${e.message}`));
    child.unref();
    groups.add(child.pid!);
    launched = { pid: child.pid!, profile, epochMs, how: priority };
  }
  await sleep(t.openS * 1000);
  marks.playing = monoNow();
  const h1 = hostSample();
  const o1 = ours();
  const s1 = schedstat(server.pid!);
  await sleep(t.playS * 1000);
  marks.end = monoNow();
  const h2 = hostSample();
  const o2 = ours();
  const s2 = schedstat(server.pid!);
  const mainThread = (a: typeof sb, b: typeof sb, ms: number) => ({ cpu_percent: round(((b.cpuMs - a.cpuMs) / ms) * 100, 2), runqueue_wait_ms_per_s: round(((b.waitMs - a.waitMs) / ms) * 1000, 2) });
  const othersCores = (a: typeof hb, b: typeof hb, oa: number, ob2: number) => round(hostUsage(a, b).machine_busy_cores - (ob2 - oa) / ((b.atMs - a.atMs) / 1000), 2);
  const others = { before: othersCores(hb, h0, ob, o0), opening: othersCores(h0, h1, o0, o1), playing: othersCores(h1, h2, o1, o2) };

  // ---- after the measured phases: the page and the browser's processes, then tear down
  let page: PageCheck | null = null;
  let procs: BrowserProcs | null = null;
  if (launched) {
    page = await checkPage(launched.profile, studioUrl, launched.epochMs);
    procs = browserProcs(launched.pid);
    killGroup(launched.pid, 'SIGTERM');
    for (let i = 0; i < 30 && existsSync(`/proc/${launched.pid}`) && statFields(`/proc/${launched.pid}/stat`)?.[0] !== 'Z'; i++) await sleep(100);
    killGroup(launched.pid);
    groups.delete(launched.pid);
    rmSync(launched.profile, { recursive: true, force: true });
  }
  decoder.send({ type: 'stop' });
  const dec = await messageFrom<{ clients: Array<{ packets: number; gaps: number; outOfOrder: number; closed: unknown }> }>(decoder, 'results', 30_000);
  groups.delete(decoder.pid!);
  server.send({ type: 'report' });
  const rep = await messageFrom<{ sent: number[]; lateness: number[]; gc: number[]; monoOffsetMs: number; cpuPercent: number }>(server, 'report', 30_000);
  await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
  groups.delete(server.pid!);

  const bounds: Record<Phase, [number, number]> = { before: [marks.before, marks.opening], opening: [marks.opening, marks.playing], playing: [marks.playing, marks.end] };
  const phases = {} as Run['phases'];
  const gc = {} as Run['gc'];
  for (const p of PHASES) {
    const [a, b] = bounds[p];
    const v: number[] = [];
    for (let i = 0; i < rep.sent.length; i++) {
      const at = rep.sent[i] + rep.monoOffsetMs;
      if (at >= a && at < b) v.push(rep.lateness[i]);
    }
    phases[p] = { ...dist(v), over5: v.filter((x) => x > 5).length, over10: v.filter((x) => x > 10).length };
    const pauses: number[] = [];
    for (let i = 0; i < rep.gc.length; i += 2) {
      const at = rep.gc[i] + rep.monoOffsetMs;
      if (at >= a && at < b) pauses.push(rep.gc[i + 1]);
    }
    gc[p] = { n: pauses.length, max_ms: pauses.length ? round(Math.max(...pauses), 2) : 0, total_ms: round(pauses.reduce((x, y) => x + y, 0), 1) };
  }
  const serverMain = {
    before: mainThread(sb, s0, marks.opening - marks.before),
    opening: mainThread(s0, s1, marks.playing - marks.opening),
    playing: mainThread(s1, s2, marks.end - marks.playing),
  };
  const c = dec.clients[0];
  return {
    round: roundNo,
    variant,
    waitedS,
    others,
    serverMain,
    gc,
    phases,
    host: { before: hostUsage(hb, h0), opening: hostUsage(h0, h1), playing: hostUsage(h1, h2) },
    page,
    browser: procs,
    launchedAs: launched?.how ?? null,
    decoder: { packets: c.packets, gaps: c.gaps, outOfOrder: c.outOfOrder, closed: !!c.closed },
    serverCpuPercent: round(rep.cpuPercent, 1),
    raw: { t: rep.sent.map((x) => round((x + rep.monoOffsetMs - marks.opening) / 1000, 4)), lateness: rep.lateness.map((x) => round(x, 3)) },
  };
}

async function main(): Promise<void> {
  if (!existsSync(join(REPO_ROOT, 'out', 'renderer', 'index.html'))) throw new Error('out/renderer is missing: npx electron-vite build first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (CHROMIUM_PATH)`);
  const rounds = Number(arg('rounds') ?? (QUICK ? 1 : 5));
  const t = {
    settleS: Number(arg('settle-s') ?? 5),
    openS: Number(arg('open-s') ?? 8),
    playS: Number(arg('play-s') ?? (QUICK ? 10 : 30)),
    quietPsi: Number(arg('quiet-psi') ?? 10),
    maxWaitS: Number(arg('max-wait-s') ?? (QUICK ? 0 : 300)),
  };
  /** A phase counts as quiet when other processes used less than this many cores during it. */
  const QUIET_CORES = Number(arg('quiet-cores') ?? 0.25);
  const QUIET_RUNS = Number(arg('quiet-runs') ?? 0);
  const MAX_MINUTES = Number(arg('max-minutes') ?? 120);
  const variants = (arg('variants') ?? 'none,normal,lowered').split(',') as Variant[];
  const machine = machineInfo();
  const work = mkdtempSync(join(tmpdir(), 'phantomlink-bench-window-'));
  let { command: browser, note: browserNote } = browserCommand(work);
  if (ONE_CGROUP) {
    mkdirSync(ONE_CGROUP);
    process.on('exit', () => {
      try {
        rmdirSync(ONE_CGROUP);
      } catch {
        /* still in use: removed when empty by hand */
      }
    });
    // The browser moves itself in before it execs Chromium: every process it forks is born inside.
    const wrapper = join(work, 'chromium-in-cgroup');
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${ONE_CGROUP}/cgroup.procs\nexec ${browser} "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = wrapper;
    browserNote += `; server, decoder and browser in one CPU cgroup of their own (\`--one-cgroup\`: no autogroups, as in a systemd desktop session)`;
  }

  // The server as `phantomlink serve` runs it: the sources bundled by esbuild, plain Node.
  const { build } = await import('esbuild');
  mkdirSync(join(BENCH_DIR, '.cache'), { recursive: true });
  const bundle = join(BENCH_DIR, '.cache', `window-server-${process.pid}.mjs`);
  await build({ entryPoints: [join(BENCH_DIR, 'window.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  process.on('exit', () => rmSync(bundle, { force: true }));

  // Chromium's files into the page cache once, so no variant pays a cold start.
  {
    const warm = mkdtempSync(join(work, 'warm-'));
    const r = spawnSync(browser, [...CHROMIUM_ARGS, `--user-data-dir=${warm}`, '--dump-dom', 'about:blank'], { timeout: 30_000, stdio: 'ignore' });
    log(`Chromium warm-up: exit ${r.status ?? r.signal}`);
  }

  const runs: Run[] = [];
  const h0 = hostSample();
  const t0 = performance.now();
  // At least `rounds` rounds; then more (to --max-minutes) until every variant has --quiet-runs
  // runs whose opening and playing phases were both quiet.
  const quietRuns = (v: Variant) => runs.filter((r) => r.variant === v && r.others.opening < QUIET_CORES && r.others.playing < QUIET_CORES).length;
  const more = (r: number) => r < rounds || (variants.some((v) => quietRuns(v) < QUIET_RUNS) && performance.now() - t0 < MAX_MINUTES * 60_000);
  let roundsRun = 0;
  for (let r = 0; more(r); r++) {
    roundsRun = r + 1;
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
      log(`round ${r + 1}${r < rounds ? `/${rounds}` : ` (quiet runs so far: ${variants.map((x) => `${x} ${quietRuns(x)}`).join(', ')})`}: ${v}`);
      const run = await runVariant(v, r + 1, bundle, browser, work, t);
      runs.push(run);
      const o = run.phases.opening;
      const p = run.phases.playing;
      log(
        `  opening p50/p99/max ${fmt(o.p50)}/${fmt(o.p99)}/${fmt(o.max)} ms; playing ${fmt(p.p50)}/${fmt(p.p99)}/${fmt(p.max)} ms; ` +
          `machine ${fmt(run.host.opening.machine_busy_cores)}/${fmt(run.host.playing.machine_busy_cores)} cores, PSI ${fmt(run.host.opening.cpu_pressure_some_percent, 1)}/${fmt(run.host.playing.cpu_pressure_some_percent, 1)} %` +
          (run.page ? `; page ${run.page.status}, ${run.page.fps} fps, loaded at ${run.page.loadedMs} ms` : '') +
          (run.browser ? `; browser nice ${run.browser.niceMin}..${run.browser.niceMax}, ${run.browser.autogroups.join(', ')}` : ''),
      );
      await sleep(2000);
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  const host = hostUsage(h0, hostSample());
  rmSync(work, { recursive: true, force: true });

  // ---- summary: medians over rounds, over every run and over the quiet ones
  const of = (v: Variant) => runs.filter((r) => r.variant === v);
  const medOf = (rs: Run[], f: (r: Run) => number | null | undefined) => {
    const xs = rs.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return xs.length ? median(xs) : NaN;
  };
  const quiet = (r: Run, p: Phase) => r.others[p] < QUIET_CORES;
  const GOAL_MAX_MS = 10;
  type PhaseSummary = { p50: number; p99: number; max: number; worst_max: number; over10_total: number; quiet_runs: number; quiet_p50: number; quiet_p99: number; quiet_max: number; quiet_worst_max: number };
  const summary = variants.map((v) => ({
    variant: v,
    rounds: of(v).length,
    phases: Object.fromEntries(
      PHASES.map((p) => {
        const all = of(v);
        const q = all.filter((r) => quiet(r, p));
        const s: PhaseSummary = {
          p50: medOf(all, (r) => r.phases[p].p50),
          p99: medOf(all, (r) => r.phases[p].p99),
          max: medOf(all, (r) => r.phases[p].max),
          worst_max: Math.max(...all.map((r) => r.phases[p].max)),
          over10_total: all.reduce((n, r) => n + r.phases[p].over10, 0),
          quiet_runs: q.length,
          quiet_p50: medOf(q, (r) => r.phases[p].p50),
          quiet_p99: medOf(q, (r) => r.phases[p].p99),
          quiet_max: medOf(q, (r) => r.phases[p].max),
          quiet_worst_max: q.length ? Math.max(...q.map((r) => r.phases[p].max)) : NaN,
        };
        return [p, s];
      }),
    ) as Record<Phase, PhaseSummary>,
    others: { opening: medOf(of(v), (r) => r.others.opening), playing: medOf(of(v), (r) => r.others.playing) },
    wait: { opening: medOf(of(v), (r) => r.serverMain.opening.runqueue_wait_ms_per_s), playing: medOf(of(v), (r) => r.serverMain.playing.runqueue_wait_ms_per_s) },
    psi: { opening: medOf(of(v), (r) => r.host.opening.cpu_pressure_some_percent), playing: medOf(of(v), (r) => r.host.playing.cpu_pressure_some_percent) },
    loadedMs: medOf(of(v), (r) => r.page?.loadedMs),
    fps: medOf(of(v), (r) => r.page?.fps),
    browserCores: medOf(of(v), (r) => (r.browser ? r.browser.cpuS / (t.openS + t.playS) : null)),
    serverCpu: medOf(of(v), (r) => r.serverCpuPercent),
  }));
  const lowered = summary.find((s) => s.variant === 'lowered');
  const verdict = (ph: PhaseSummary, quietOnly: boolean) => {
    const m = quietOnly ? ph.quiet_max : ph.max;
    return Number.isNaN(m) ? 'no quiet run' : metOrNot(m <= GOAL_MAX_MS);
  };
  const goal = lowered
    ? {
        quiet: { opening: lowered.phases.opening.quiet_max <= GOAL_MAX_MS, playing: lowered.phases.playing.quiet_max <= GOAL_MAX_MS },
        all: { opening: lowered.phases.opening.max <= GOAL_MAX_MS, playing: lowered.phases.playing.max <= GOAL_MAX_MS },
      }
    : null;
  const label: Record<Variant, string> = { none: 'no window', normal: 'window, normal priority (as before)', lowered: 'window, lowered (`serve --open` now)' };
  const triple = (a: number, b: number, c: number) => (Number.isNaN(c) ? '–' : `${fmt(a)} / ${fmt(b)} / **${fmt(c)}**`);
  const waited = runs.reduce((n, r) => n + r.waitedS, 0);

  const md = [
    `# Window benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Run: ${roundsRun} round(s) × ${variants.join(', ')} (interleaved, order rotated each round${QUIET_RUNS > 0 ? `; at least ${rounds}, then more until each variant had ${QUIET_RUNS} quiet runs or ${MAX_MINUTES} min had passed` : ''}), ${fmt(wallS / 60, 1)} min. Each run: a fresh server process as \`phantomlink serve\` runs ` +
      `(esbuild bundle, plain Node, \`${SERVER_V8_FLAGS.join(' ')}\`, built-in \`default\` recording, studio attached), one MessagePack decoder in another process streaming \`${CODE}\`, ` +
      `each in its own session (on Linux: its own scheduler autogroup, as two terminals). After ${t.settleS} s the studio opens (\`spawnStudioBrowser\` + \`studioWindowArgs\`, ` +
      `plus \`${CHROMIUM_ARGS.join(' ')}\`); phases: before (${t.settleS - 1} s), opening (${t.openS} s from the launch), playing (the next ${t.playS} s). Browser: ${browserNote}.`,
    '',
    `The machine is shared. Each run started once CPU pressure (PSI some, avg10) was ≤ ${t.quietPsi} % or after ${t.maxWaitS} s (${fmt(waited / 60, 1)} min waited in all). ` +
      `"Others" = cores busy (/proc/stat) minus this benchmark's processes (server, decoder, browser and their children, this process); a phase is **quiet** when others used < ${QUIET_CORES} cores during it: ` +
      `the 2-core machine a new user has. Over the whole benchmark the machine was ${fmt(host.machine_busy_cores)} of ${machine.cpus} cores busy (ours included), CPU pressure ${fmt(host.cpu_pressure_some_percent, 1)} %.`,
    '',
    '## Send lateness (sent − due, ms, every packet): p50 / p99 / max, median over rounds',
    '',
    mdTable(
      ['variant', 'phase', 'quiet runs: p50 / p99 / max', 'quiet runs: worst max', 'all runs: p50 / p99 / max', 'all runs: worst max', 'ticks > 10 ms (all runs)'],
      summary.flatMap((s) =>
        PHASES.map((p) => {
          const ph = s.phases[p];
          return [label[s.variant], p, `${triple(ph.quiet_p50, ph.quiet_p99, ph.quiet_max)} (${ph.quiet_runs} of ${s.rounds})`, fmt(ph.quiet_worst_max), triple(ph.p50, ph.p99, ph.max), fmt(ph.worst_max), String(ph.over10_total)];
        }),
      ),
    ),
    '',
    ...(goal && lowered
      ? [
          mdTable(
            ['goal (lowered window)', 'quiet runs (median max)', '', 'all runs (median max)', ''],
            (['opening', 'playing'] as const).map((p) => [
              `send lateness max ≤ ${GOAL_MAX_MS} ms while the window ${p === 'opening' ? 'opens' : 'plays'}`,
              `${fmt(lowered.phases[p].quiet_max)} ms (${lowered.phases[p].quiet_runs} runs)`,
              verdict(lowered.phases[p], true),
              `${fmt(lowered.phases[p].max)} ms`,
              verdict(lowered.phases[p], false),
            ]),
          ),
          '',
        ]
      : []),
    '## The window and the machine (medians over rounds)',
    '',
    mdTable(
      ['variant', 'page loaded (load event) after launch', 'studio fps after the run', 'browser CPU (cores, launch → end)', 'server CPU (% of a core, before → end)', 'others, cores (opening / playing)', 'CPU pressure, PSI some % (opening / playing)', 'engine thread run-queue wait, ms/s (opening / playing)'],
      summary.map((s) => [
        label[s.variant],
        Number.isNaN(s.loadedMs) ? '–' : `${fmt(s.loadedMs / 1000, 2)} s`,
        Number.isNaN(s.fps) ? '–' : fmt(s.fps, 1),
        Number.isNaN(s.browserCores) ? '–' : fmt(s.browserCores, 2),
        fmt(s.serverCpu, 1),
        `${fmt(s.others.opening)} / ${fmt(s.others.playing)}`,
        `${fmt(s.psi.opening, 1)} / ${fmt(s.psi.playing, 1)}`,
        `${fmt(s.wait.opening, 1)} / ${fmt(s.wait.playing, 1)}`,
      ]),
    ),
    '',
    '## Every run',
    '',
    mdTable(
      ['round', 'variant', 'waited', 'before p50 / p99 / max', 'opening p50 / p99 / max', 'playing p50 / p99 / max', 'ticks > 10 ms', 'others, cores; PSI % (before; opening; playing)', 'engine thread: run-queue wait ms/s (before; opening; playing)', 'GC pauses n, max ms (opening; playing)', 'page', 'browser threads: nice min..max; autogroup', 'decoder packets, gaps'],
      runs.map((r) => [
        r.round,
        r.variant,
        `${r.waitedS} s`,
        `${fmt(r.phases.before.p50)} / ${fmt(r.phases.before.p99)} / ${fmt(r.phases.before.max)}`,
        `${fmt(r.phases.opening.p50)} / ${fmt(r.phases.opening.p99)} / ${fmt(r.phases.opening.max)}`,
        `${fmt(r.phases.playing.p50)} / ${fmt(r.phases.playing.p99)} / ${fmt(r.phases.playing.max)}`,
        `${r.phases.opening.over10} / ${r.phases.playing.over10}`,
        PHASES.map((p) => `${fmt(r.others[p])}, ${fmt(r.host[p].cpu_pressure_some_percent, 0)}`).join('; '),
        PHASES.map((p) => fmt(r.serverMain[p].runqueue_wait_ms_per_s, 1)).join('; '),
        `${r.gc.opening.n}, ${fmt(r.gc.opening.max_ms, 1)}; ${r.gc.playing.n}, ${fmt(r.gc.playing.max_ms, 1)}`,
        r.page ? `${r.page.status}, ${r.page.fps} fps, ${r.page.canvases} canvases, loaded ${fmt((r.page.loadedMs ?? NaN) / 1000, 2)} s` : r.variant === 'none' ? '–' : 'NOT CHECKED',
        r.browser ? `${r.browser.processes} procs, ${r.browser.threads} threads: ${r.browser.niceMin}..${r.browser.niceMax}; ${r.browser.autogroups.join(', ')}` : '–',
        `${r.decoder.packets}, ${r.decoder.gaps}${r.decoder.closed ? ' (closed early)' : ''}`,
      ]),
    ),
  ].join('\n');

  console.log(md);
  const file = writeResults('window', md, {
    benchmark: 'window',
    quick: QUICK,
    machine,
    config: { rounds, rounds_run: roundsRun, quiet_runs_wanted: QUIET_RUNS, max_minutes: MAX_MINUTES, variants, ...t, quiet_cores: QUIET_CORES, chromium: CHROMIUM, chromium_args: CHROMIUM_ARGS, browser: browserNote, server_v8_flags: SERVER_V8_FLAGS, session: CODE },
    goal: goal ? { max_ms: GOAL_MAX_MS, met: goal } : null,
    host,
    summary,
    runs: runs.map(({ raw: _raw, ...r }) => r),
  }, { runs: runs.map((r) => ({ round: r.round, variant: r.variant, ...r.raw })) });
  console.log(`\nwrote ${file}`);
  process.exit(0);
}

if (process.argv.includes('--server')) await serverMain();
else await main();
