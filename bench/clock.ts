/**
 * Clock benchmark (diagnostic): what the session clock's waiting costs by itself — no packets,
 * no sockets — as the number of sessions and their phases vary.
 *
 *   node --import tsx bench/clock.ts [--quick] [--seconds N]
 *
 * Each configuration runs in a fresh child process (`--one <config>`) so GC and JIT state never
 * carry over. `PacketClock` configurations use src/main/playback/clock.ts as the engine does
 * (one clock per session; setTimeout to `spinMs` before the deadline, then setImmediate polling).
 * `shared-grid` is a sketch of an alternative, not engine code: ONE timer for all sessions on a
 * common 25 ms grid, setTimeout to 2 ms before, Atomics.wait (sleeps in the kernel, allocates
 * nothing) to 0.5 ms before, then a synchronous spin; every session due is served in one pass.
 * Lateness here is fired − due of the clock alone (the engine's send lateness adds the tick's work).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { PacketClock } from '../src/main/playback/clock.ts';
import { BENCH_DIR, QUICK, REPO_ROOT, arg, dist, fmt, machineInfo, machineLine, mdTable, round, writeResults, hostSample, hostUsage, type Dist } from './lib.ts';

const SECONDS = Number(arg('seconds') ?? (QUICK ? 3 : 10));

interface Config {
  name: string;
  kind: 'packetclock' | 'shared-grid';
  clocks: number;
  phase: 'aligned' | 'spread';
  spinMs: number;
}

const CONFIGS: Config[] = [
  { name: 'PacketClock ×1 (shared TickScheduler)', kind: 'packetclock', clocks: 1, phase: 'aligned', spinMs: 0.3 },
  { name: 'PacketClock ×10, started together', kind: 'packetclock', clocks: 10, phase: 'aligned', spinMs: 0.3 },
  { name: 'PacketClock ×10, started at spread moments (snapped to the shared grid)', kind: 'packetclock', clocks: 10, phase: 'spread', spinMs: 0.3 },
  { name: 'PacketClock ×64, started at spread moments (snapped to the shared grid)', kind: 'packetclock', clocks: 64, phase: 'spread', spinMs: 0.3 },
  { name: 'sketch: shared grid + Atomics.wait, 10 sessions', kind: 'shared-grid', clocks: 10, phase: 'aligned', spinMs: 0.5 },
  { name: 'sketch: shared grid + Atomics.wait, 64 sessions', kind: 'shared-grid', clocks: 64, phase: 'aligned', spinMs: 0.5 },
];

interface OneResult {
  cpu_percent: number;
  gc_per_s: number;
  gc_max_ms: number;
  lateness_ms: Dist;
}

async function runOne(cfg: Config): Promise<OneResult> {
  const late: number[] = [];
  let gcs = 0;
  let gcMax = 0;
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      gcs++;
      gcMax = Math.max(gcMax, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let stop: () => void;
  if (cfg.kind === 'packetclock') {
    const clocks = Array.from({ length: cfg.clocks }, () => new PacketClock((t) => {
      late.push(performance.now() - t.dueMs);
    }));
    // Start each clock at its phase without blocking the loop (a blocking wait would delay the clocks already started).
    await new Promise<void>((resolve) => {
      let next = 0;
      const step = () => {
        while (next < clocks.length && (cfg.phase === 'aligned' || performance.now() >= t0 + (next * 25) / clocks.length)) clocks[next++].start();
        if (next < clocks.length) setImmediate(step);
        else resolve();
      };
      step();
    });
    stop = () => clocks.forEach((c) => c.stop());
  } else {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let n = 1;
    let running = true;
    let timer: NodeJS.Timeout | null = null;
    const wake = () => {
      if (!running) return;
      const due = t0 + n * 25;
      let now = performance.now();
      if (due - now > cfg.spinMs) Atomics.wait(flag, 0, 0, due - now - cfg.spinMs);
      while ((now = performance.now()) < due) {
        /* the last ~0.5 ms */
      }
      for (let i = 0; i < cfg.clocks; i++) late.push(performance.now() - due);
      n++;
      timer = setTimeout(wake, Math.max(0, t0 + n * 25 - performance.now() - 2));
    };
    timer = setTimeout(wake, 23);
    stop = () => {
      running = false;
      if (timer) clearTimeout(timer);
    };
  }
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  obs.disconnect();
  return { cpu_percent: round(((cpu.user + cpu.system) / 1000 / wall) * 100, 1), gc_per_s: round(gcs / (wall / 1000), 1), gc_max_ms: round(gcMax, 3), lateness_ms: dist(late) };
}

async function main(): Promise<void> {
  const one = arg('one');
  if (one !== undefined) {
    const r = await runOne(CONFIGS[Number(one)]);
    process.stdout.write(`CLOCK_RESULT ${JSON.stringify(r)}\n`);
    process.exit(0);
  }
  const machine = machineInfo();
  const h0 = hostSample();
  const results: Array<Config & OneResult> = [];
  for (let i = 0; i < CONFIGS.length; i++) {
    const p = spawnSync(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'clock.ts'), '--one', String(i), '--seconds', String(SECONDS)], { cwd: REPO_ROOT, encoding: 'utf8' });
    const m = /CLOCK_RESULT (.*)/.exec(p.stdout ?? '');
    if (!m) throw new Error(`clock config ${i} failed: ${p.stderr}`);
    results.push({ ...CONFIGS[i], ...(JSON.parse(m[1]) as OneResult) });
    console.error(`${CONFIGS[i].name}: done`);
  }
  const host = hostUsage(h0, hostSample());
  const md = [
    `# Clock benchmark (diagnostic)${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Each row: a fresh process, ${SECONDS} s, clocks with no work attached (no packets, no sockets); lateness = fired − due. ` +
      `"spread" places the sessions' deadlines evenly over the 25 ms period (as sessions started at random moments are); "aligned" gives them one deadline. ` +
      `The shared-grid rows are a sketch of an alternative scheduler, not engine code. ` +
      `The machine during the benchmark: ${fmt(host.machine_busy_cores, 2)} of ${machine.cpus} cores busy, CPU pressure ${host.cpu_pressure_some_percent ?? 'n/a'} %.`,
    '',
    mdTable(
      ['scheduler', 'CPU (% of one core)', 'GC / s', 'GC max ms', 'lateness p50 ms', 'p99 ms', 'max ms', 'ticks'],
      results.map((r) => [r.name, fmt(r.cpu_percent, 1), fmt(r.gc_per_s, 1), fmt(r.gc_max_ms, 2), fmt(r.lateness_ms.p50, 3), fmt(r.lateness_ms.p99, 3), fmt(r.lateness_ms.max, 3), fmt(r.lateness_ms.n, 0)]),
    ),
  ].join('\n');
  console.log(md);
  const file = writeResults('clock', md, { benchmark: 'clock', quick: QUICK, machine, host, seconds: SECONDS, results });
  console.log(`\nwrote ${file}`);
}

await main();
