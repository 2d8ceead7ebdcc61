/**
 * Shared bits of the benchmarks: arguments, machine description, statistics, markdown tables,
 * and writing results to bench/results/<name>.md + .json (<name>.quick.* for --quick runs, so a
 * smoke run never overwrites the full numbers).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

export const BENCH_DIR = import.meta.dirname;
export const REPO_ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export const QUICK = process.argv.includes('--quick');

/** `--name value` from argv, or undefined. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  node: string;
  platform: string;
  kernel: string;
  total_mem_gb: number;
  free_mem_gb: number;
  /** 1-minute load average when the benchmark started: others share these cores. */
  loadavg_1m: number;
  date: string;
  /** Node flags of this process (V8 tuning such as --max-semi-space-size), empty when none. */
  node_flags: string;
}

/**
 * The V8 flags the headless server runs with: `bin/phantomlink.mjs`'s shebang and `bin/start.mjs`
 * give them to Node (test/cli checks they agree). Benchmarks run their servers with them too.
 */
export const SERVER_V8_FLAGS = ['--max-semi-space-size=4'];

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpu_model: c[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    total_mem_gb: round(totalmem() / 2 ** 30, 1),
    free_mem_gb: round(freemem() / 2 ** 30, 1),
    loadavg_1m: round(loadavg()[0], 2),
    date: new Date().toISOString(),
    node_flags: process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--import')).join(' '),
  };
}

export function machineLine(m: MachineInfo): string {
  return `Machine: ${m.cpus} × ${m.cpu_model}, Node ${m.node}, ${m.platform} (kernel ${m.kernel}), ${m.total_mem_gb} GB RAM, load avg (1 min) at start ${m.loadavg_1m}, ${m.date}${m.node_flags ? `; this process ran with \`${m.node_flags}\`` : ''}`;
}

/** Nearest-rank quantile of already sorted values (DurationWindow's rule, over its histogram bins). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

export function sorted(values: Iterable<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export function quantile(values: Iterable<number>, q: number): number {
  return quantileSorted(sorted(values), q);
}

export function median(values: Iterable<number>): number {
  return quantile(values, 0.5);
}

export interface Dist {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function dist(values: Iterable<number>): Dist {
  const s = sorted(values);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    min: s.length ? s[0] : NaN,
    p50: quantileSorted(s, 0.5),
    p99: quantileSorted(s, 0.99),
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** A number with a fixed count of decimals, thousands separated. */
export function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function mdTable(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function metOrNot(ok: boolean): string {
  return ok ? '**met**' : '**NOT met**';
}

/**
 * Writes bench/results/<name>[.quick].md and .json; returns the markdown path. `raw` (per-tick
 * arrays, large) goes to <name>[.quick].raw.json, which is not committed (bench/.gitignore).
 */
export function writeResults(name: string, markdown: string, json: unknown, raw?: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = arg('out') ?? name; // --out NAME: a variant run that must not replace the main results
  const base = join(RESULTS_DIR, QUICK ? `${out}.quick` : out);
  writeFileSync(`${base}.md`, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  if (raw !== undefined) writeFileSync(`${base}.raw.json`, `${JSON.stringify(raw)}\n`);
  return `${base}.md`;
}

/** Nanoseconds since an arbitrary origin, as a Number (fine for intervals well under 100 days). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * `process.hrtime` ms minus `performance.now()` in this process. Both read CLOCK_MONOTONIC, so
 * `performance.now() + monoOffset()` is comparable across processes on the same machine.
 * Takes the sample with the tightest bracket.
 */
export function monoOffset(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 200; i++) {
    const a = performance.now();
    const h = Number(process.hrtime.bigint()) / 1e6;
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = h - (a + b) / 2;
    }
  }
  return offset;
}

export interface HostSample {
  /** Jiffies from /proc/stat: all CPUs' busy (non-idle, non-iowait) and total. */
  busy: number;
  total: number;
  /** /proc/pressure/cpu "some" total, µs (time some runnable task waited for a CPU). */
  pressureSomeUs: number | null;
  atMs: number;
}

/** What the whole machine is doing: the benchmarks share their cores with other work. */
export function hostSample(): HostSample {
  let busy = 0;
  let total = 0;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // cpu  user nice system idle iowait irq softirq steal ...
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    total = v.reduce((a, b) => a + b, 0);
    busy = total - v[3] - v[4];
  } catch {
    /* not Linux */
  }
  let pressureSomeUs: number | null = null;
  try {
    const m = /some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (m) pressureSomeUs = Number(m[1]);
  } catch {
    /* no PSI */
  }
  return { busy, total, pressureSomeUs, atMs: performance.now() };
}

export interface HostUsage {
  /** Busy share of all CPUs over the interval, % of the whole machine (100 = every core busy). */
  machine_busy_percent: number;
  /** Same in cores (e.g. 1.4 of 2). */
  machine_busy_cores: number;
  /** Share of wall time during which some runnable task waited for a CPU (PSI), %. */
  cpu_pressure_some_percent: number | null;
}

export function hostUsage(a: HostSample, b: HostSample): HostUsage {
  const frac = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : NaN;
  const n = cpus().length;
  const wallUs = (b.atMs - a.atMs) * 1000;
  return {
    machine_busy_percent: round(frac * 100, 1),
    machine_busy_cores: round(frac * n, 2),
    cpu_pressure_some_percent: a.pressureSomeUs !== null && b.pressureSomeUs !== null ? round(((b.pressureSomeUs - a.pressureSomeUs) / wallUs) * 100, 1) : null,
  };
}

/**
 * Bundles a benchmark's server role with esbuild into bench/.cache/<name>-<pid>.mjs, the way
 * `bin/phantomlink.mjs` bundles the CLI (`packages: 'external'`, Node 20 ESM), so the server runs
 * under plain Node as `phantomlink serve` does, not through a TypeScript loader (which adds
 * ~550 MB and its own start-up: bench/results/load.md). `contents` is the entry, resolved from
 * bench/ (e.g. `import { serverRole } from './ingest.ts'; await serverRole();`).
 * `import.meta.filename` is defined as a constant in the bundle, so the
 * `if (import.meta.filename === process.argv[1]) await main()` guard of any benchmark it pulls in
 * stays false. The file is removed when this process exits.
 */
export async function bundleServerRole(name: string, contents: string): Promise<string> {
  const { build } = await import('esbuild');
  const dir = join(BENCH_DIR, '.cache');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({
    stdin: { contents, resolveDir: BENCH_DIR, loader: 'ts', sourcefile: `${name}-entry.ts` },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    define: { 'import.meta.filename': JSON.stringify(`(bundled ${name})`) },
    logLevel: 'error',
  });
  process.on('exit', () => {
    try {
      rmSync(outfile, { force: true });
    } catch {
      /* gone */
    }
  });
  return outfile;
}
