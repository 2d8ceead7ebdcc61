/**
 * Load benchmark: time from process start to the first data packet, and peak RSS, for the
 * built-in `default` and `full` recordings, each measurement in a fresh child process
 * (bench/load-child.ts: Engine + server on a free port + one client, exits at the first packet).
 *
 *   node --import tsx bench/load.ts [--quick] [--runner tsx|bundle|both] [--warm-runs 3] [--baseline DIR] [--bin-ms 5]
 *
 * cold: an empty temporary cache dir, so the recording is generated and written first.
 * warm: the cache file is present (the one the cold run wrote); the goal applies to warm.
 *
 * Two ways to run the child, because they differ a lot:
 *  - `tsx`:    `node --import tsx bench/load-child.ts` — the sources through the TS loader.
 *  - `bundle`: load-child.ts bundled with esbuild (packages external) and run by plain Node —
 *              how the product runs: bin/phantomlink.mjs bundles the CLI the same way, and the
 *              Electron app is bundled by electron-vite. The tsx loader also pushes h5wasm's
 *              4 MB module through its transform, which costs time and memory the product does not pay.
 *
 * --baseline DIR: another checkout of the repository (with node_modules), e.g. the commit before a
 * change (`git worktree add /tmp/old <commit>` + `npm ci` there). Its bench/load-child.ts is bundled
 * too and run warm, alternating with this tree's bundled warm runs on the same cache file, so the
 * two are compared under the same machine load (a shared machine's load moves a lot between runs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BENCH_DIR, QUICK, REPO_ROOT, arg, fmt, hostSample, hostUsage, machineInfo, machineLine, mdTable, median, metOrNot, round, writeResults } from './lib.ts';

type Preset = 'default' | 'full';
type Runner = 'tsx' | 'bundle';
const PRESETS: Preset[] = ['default', 'full'];
const RUNNERS: Runner[] = ((): Runner[] => {
  const r = arg('runner') ?? (QUICK ? 'bundle' : 'both');
  return r === 'both' ? ['bundle', 'tsx'] : [r as Runner];
})();
const WARM_RUNS = Number(arg('warm-runs') ?? (QUICK ? 1 : 3));
const BASELINE = arg('baseline') ? resolve(arg('baseline')!) : null;
/** `--bin-ms 5`: the first packet of a session at that width (results in load-<w>ms.md). */
const BIN_MS = arg('bin-ms');
/** Issue 9 part 5: the full recording loaded lighter (it was 0.89 s and 464 MB before). */
const GOAL = { preset: 'full' as Preset, firstPacketMs: 900, peakRssMb: 200 };
const CHILD_TIMEOUT_MS = 300_000;

interface Mark {
  stage: string;
  at_ms: number;
  rss_mb: number;
}
interface ChildResult {
  preset: Preset;
  marks: Mark[];
  first_packet_ms: number;
  max_rss_mb: number;
  memory_at_end_mb: Record<string, number>;
  dataset: { units: number; bins: number; duration_s: number; base_mb: number };
  cpu_ms: { user: number; system: number };
}
interface Run extends ChildResult {
  /** 'baseline': the --baseline checkout's bundled child. */
  runner: Runner | 'baseline';
  cache: 'cold' | 'warm';
  /** Spawn to result line, measured by this process (includes process creation). */
  spawn_to_result_ms: number;
}

/** Bundles `<root>/bench/load-child.ts` next to it (so its imports resolve in that checkout's node_modules). */
async function bundleChild(root = REPO_ROOT): Promise<string> {
  const dir = join(root, 'bench', '.cache');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `load-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, 'bench', 'load-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

function runChild(runner: Run['runner'], bundlePath: string, preset: Preset, cacheDir: string, cache: 'cold' | 'warm'): Promise<Run> {
  const script = runner === 'tsx' ? ['--import', 'tsx', join(BENCH_DIR, 'load-child.ts')] : [bundlePath];
  const cwd = runner === 'baseline' ? BASELINE! : REPO_ROOT;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...script, '--preset', preset, '--cache-dir', cacheDir, ...(BIN_MS ? ['--bin-ms', BIN_MS] : [])], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let result: ChildResult | null = null;
    let resultAt = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^LOAD_RESULT (.*)$/m.exec(out);
      if (m && !result) {
        result = JSON.parse(m[1]) as ChildResult;
        resultAt = performance.now();
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!result) return reject(new Error(`load-child (${runner}, ${preset}, ${cache}) exited ${code ?? signal} without a result:\n${err.slice(-2000)}`));
      resolve({ ...(result as ChildResult), runner, cache, spawn_to_result_ms: resultAt - t0 });
    });
  });
}

function gitHead(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown commit';
  }
}

/** Stage durations: each mark minus the previous one (the first counts from process start). */
function stageDurations(r: Run): Array<{ stage: string; ms: number; rss_mb: number }> {
  return r.marks.map((m, i) => ({ stage: m.stage, ms: m.at_ms - (i === 0 ? 0 : r.marks[i - 1].at_ms), rss_mb: m.rss_mb }));
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const bundlePath = RUNNERS.includes('bundle') ? await bundleChild() : '';
  const baselinePath = BASELINE ? await bundleChild(BASELINE) : '';
  const baselineCommit = BASELINE ? gitHead(BASELINE) : null;
  const runs: Run[] = [];
  const host0 = hostSample();
  const tempDirs: string[] = [];
  try {
    for (const preset of PRESETS) {
      for (const runner of RUNNERS) {
        const cacheDir = mkdtempSync(join(tmpdir(), `phantomlink-bench-load-${preset}-`));
        tempDirs.push(cacheDir);
        const cold = await runChild(runner, bundlePath, preset, cacheDir, 'cold');
        runs.push(cold);
        console.error(`${preset} ${runner} cold: first packet ${fmt(cold.first_packet_ms, 0)} ms, peak RSS ${fmt(cold.max_rss_mb, 0)} MB`);
        const withBaseline = BASELINE !== null && runner === 'bundle';
        for (let i = 0; i < WARM_RUNS; i++) {
          // With a baseline, the two alternate (which goes first alternates too).
          const order: Array<Run['runner']> = !withBaseline ? [runner] : i % 2 === 0 ? ['baseline', runner] : [runner, 'baseline'];
          for (const r of order) {
            const warm = await runChild(r, r === 'baseline' ? baselinePath : bundlePath, preset, cacheDir, 'warm');
            runs.push(warm);
            console.error(`${preset} ${r} warm ${i + 1}: first packet ${fmt(warm.first_packet_ms, 0)} ms, peak RSS ${fmt(warm.max_rss_mb, 0)} MB`);
          }
        }
      }
    }
  } finally {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    for (const b of [bundlePath, baselinePath]) if (b) rmSync(b, { force: true });
  }

  const host = hostUsage(host0, hostSample());
  const pick = (preset: Preset, runner: Run['runner'], cache: 'cold' | 'warm') => runs.filter((r) => r.preset === preset && r.runner === runner && r.cache === cache);
  /** The warm run whose first-packet time is the median (for the stage breakdown). */
  const medianRun = (rs: Run[]) => [...rs].sort((a, b) => a.first_packet_ms - b.first_packet_ms)[Math.floor((rs.length - 1) / 2)];

  const summary = PRESETS.flatMap((preset) =>
    RUNNERS.map((runner) => {
      const warm = pick(preset, runner, 'warm');
      const cold = pick(preset, runner, 'cold')[0];
      const firstMs = median(warm.map((r) => r.first_packet_ms));
      const rssMb = median(warm.map((r) => r.max_rss_mb));
      const goalApplies = preset === GOAL.preset;
      return {
        preset,
        runner,
        dataset: warm[0].dataset,
        warm_first_packet_ms: warm.map((r) => round(r.first_packet_ms, 1)),
        warm_first_packet_median_ms: round(firstMs, 1),
        warm_peak_rss_mb: warm.map((r) => round(r.max_rss_mb, 1)),
        warm_peak_rss_median_mb: round(rssMb, 1),
        cold_first_packet_ms: round(cold.first_packet_ms, 1),
        cold_peak_rss_mb: round(cold.max_rss_mb, 1),
        goal_time_met: goalApplies ? firstMs <= GOAL.firstPacketMs : null,
        goal_rss_met: goalApplies ? rssMb <= GOAL.peakRssMb : null,
      };
    }),
  );

  const runnerLabel = (r: Runner) => (r === 'bundle' ? 'bundled, plain node (as the product runs)' : '`node --import tsx` (sources through the TS loader)');
  const s = (ms: number) => `${fmt(ms / 1000, 2)} s`;
  const mainTable = mdTable(
    ['preset', 'child runs as', `warm: start → first packet (median of ${WARM_RUNS}) [runs]`, 'warm: peak RSS (median) [runs]', 'cold (generate + write first): first packet / peak RSS', `goal (${GOAL.preset}, warm): ≤ ${GOAL.firstPacketMs / 1000} s, ≤ ${GOAL.peakRssMb} MB`],
    summary.map((r) => [
      `${r.preset} (${r.dataset.units} units, ${fmt(r.dataset.duration_s / 60, 1)} min; dataset ${fmt(r.dataset.base_mb, 1)} MB)`,
      runnerLabel(r.runner),
      `**${s(r.warm_first_packet_median_ms)}** [${r.warm_first_packet_ms.map((v) => fmt(v / 1000, 2)).join(', ')}]`,
      `**${fmt(r.warm_peak_rss_median_mb, 0)} MB** [${r.warm_peak_rss_mb.map((v) => fmt(v, 0)).join(', ')}]`,
      `${s(r.cold_first_packet_ms)} / ${fmt(r.cold_peak_rss_mb, 0)} MB`,
      r.goal_time_met === null ? '(goal is for full)' : `time ${metOrNot(r.goal_time_met)}, memory ${metOrNot(!!r.goal_rss_met)}`,
    ]),
  );

  const baselineSummary = BASELINE
    ? PRESETS.map((preset) => {
        const b = pick(preset, 'baseline', 'warm');
        const c = pick(preset, 'bundle', 'warm');
        return {
          preset,
          baseline_first_packet_ms: b.map((r) => round(r.first_packet_ms, 1)),
          baseline_first_packet_median_ms: round(median(b.map((r) => r.first_packet_ms)), 1),
          baseline_peak_rss_mb: b.map((r) => round(r.max_rss_mb, 1)),
          baseline_peak_rss_median_mb: round(median(b.map((r) => r.max_rss_mb)), 1),
          first_packet_ms: c.map((r) => round(r.first_packet_ms, 1)),
          first_packet_median_ms: round(median(c.map((r) => r.first_packet_ms)), 1),
          peak_rss_mb: c.map((r) => round(r.max_rss_mb, 1)),
          peak_rss_median_mb: round(median(c.map((r) => r.max_rss_mb)), 1),
        };
      })
    : null;
  const baselineSection = baselineSummary
    ? [
        `## Side by side with a baseline: ${baselineCommit} (${BASELINE})`,
        '',
        `Bundled warm runs of the baseline and of this tree, alternating on the same cache file (${WARM_RUNS} each per preset), so both ` +
          `see the same machine load. Medians [runs].`,
        '',
        mdTable(
          ['preset', 'first packet: baseline', 'first packet: this tree', 'peak RSS: baseline', 'peak RSS: this tree'],
          baselineSummary.map((r) => [
            r.preset,
            `**${s(r.baseline_first_packet_median_ms)}** [${r.baseline_first_packet_ms.map((v) => fmt(v / 1000, 2)).join(', ')}]`,
            `**${s(r.first_packet_median_ms)}** [${r.first_packet_ms.map((v) => fmt(v / 1000, 2)).join(', ')}]`,
            `**${fmt(r.baseline_peak_rss_median_mb, 0)} MB** [${r.baseline_peak_rss_mb.map((v) => fmt(v, 0)).join(', ')}]`,
            `**${fmt(r.peak_rss_median_mb, 0)} MB** [${r.peak_rss_mb.map((v) => fmt(v, 0)).join(', ')}]`,
          ]),
        ),
        '',
        ...PRESETS.flatMap((preset) => {
          const w = stageDurations(medianRun(pick(preset, 'baseline', 'warm')));
          return [`Baseline, ${preset}, median warm run (ms / RSS MB at the end of each stage): ${w.map((st) => `${st.stage} ${fmt(st.ms, 0)} / ${fmt(st.rss_mb, 0)}`).join('; ')}.`, ''];
        }),
      ]
    : [];

  const stageTables = PRESETS.flatMap((preset) =>
    RUNNERS.map((runner) => {
      const warm = medianRun(pick(preset, runner, 'warm'));
      const cold = pick(preset, runner, 'cold')[0];
      const w = stageDurations(warm);
      const c = stageDurations(cold);
      const rows = w.map((st, i) => [st.stage, fmt(c[i]?.ms, 0), fmt(c[i]?.rss_mb, 0), fmt(st.ms, 0), fmt(st.rss_mb, 0)]);
      rows.push(['**total: start → first packet**', `**${fmt(cold.first_packet_ms, 0)}**`, `peak ${fmt(cold.max_rss_mb, 0)}`, `**${fmt(warm.first_packet_ms, 0)}**`, `peak ${fmt(warm.max_rss_mb, 0)}`]);
      return [
        `### ${preset}, ${runnerLabel(runner)}`,
        '',
        mdTable(['stage (ends when…)', 'cold ms', 'cold RSS MB', 'warm ms (median run)', 'warm RSS MB'], rows),
        '',
        `Memory at the end of the median warm run (MB): ${Object.entries(warm.memory_at_end_mb).map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', ')}. ` +
          `Spawn → result line as seen by the parent: ${fmt(warm.spawn_to_result_ms, 0)} ms.`,
      ].join('\n');
    }),
  );

  const md = [
    `# Load benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Each measurement is a fresh Node process (bench/load-child.ts): Engine.start with the built-in recording, startServer on a free port, ` +
      `one MessagePack client; it exits at the first data packet. Times are from the child's process start (performance time origin). ` +
      `Peak RSS is process.resourceUsage().maxRSS. cold = empty temporary cache dir (the recording is generated and written first); ` +
      `warm = the cache file present (${WARM_RUNS} run${WARM_RUNS > 1 ? 's' : ''}, median). The goal applies to ${GOAL.preset}, warm. ` +
      `"dataset" is what the loaded recording keeps for the session: spikes and behaviour in 5 ms base bins, from which every bin is derived.`,
    '',
    mainTable,
    '',
    `The machine while this ran: ${fmt(host.machine_busy_cores, 2)} of ${machine.cpus} cores busy on average (children included), ` +
      `CPU pressure (PSI "some") ${host.cpu_pressure_some_percent === null ? 'n/a' : `${fmt(host.cpu_pressure_some_percent, 1)} %`}. ` +
      `Other work on the shared cores shows up as spread between the warm runs.`,
    '',
    ...baselineSection,
    '## Stages (duration of each stage, and RSS when it ended)',
    '',
    ...stageTables.flatMap((t) => [t, '']),
  ].join('\n');

  console.log(md);
  const file = writeResults(BIN_MS ? `load-${BIN_MS}ms` : 'load', md, {
    benchmark: 'load',
    quick: QUICK,
    machine,
    host,
    goal: GOAL,
    warm_runs: WARM_RUNS,
    runners: RUNNERS,
    summary,
    baseline: BASELINE ? { dir: BASELINE, commit: baselineCommit, summary: baselineSummary } : null,
    runs,
  });
  console.log(`\nwrote ${file}`);
}

await main();
