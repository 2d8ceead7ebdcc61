/**
 * Export benchmark: wall time and peak RSS of `phantomlink export` (NWB and CSV) on generated
 * recordings of 10 and 60 minutes, 10 decoders answering every packet at 40 Hz — the 1-hour one
 * is 144,000 packets and 1.44 M predictions. Memory must not grow with the recording's length.
 *
 *   node --import tsx bench/export.ts [--quick] [--minutes 10,60] [--keep]
 *
 * The recordings are generated in the recording format (src/main/recorder/format.ts) from the
 * built-in `default` recording: packets loop over its bins, each decoder answers every packet
 * 2–6 ms later with the truth plus noise, an event every minute, a score snapshot every 5 s.
 * Each export runs as a user runs it (`node bin/phantomlink.mjs export …`, its own process)
 * under /usr/bin/time, which reports the process's peak RSS; three runs each, the median shown.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltin } from '../src/main/playback/engine.ts';
import { RECORDING_FILES, RECORDING_FORMAT_VERSION, SCORE_EVERY_MS, type RecordingManifest } from '../src/main/recorder/format.ts';
import type { DecoderSummary } from '../src/shared/studioApi.ts';
import { QUICK, REPO_ROOT, SERVER_V8_FLAGS, arg, fmt, machineInfo, machineLine, mdTable, median, round, writeResults } from './lib.ts';

const MINUTES = (arg('minutes') ?? (QUICK ? '1,3' : '10,60')).split(',').map(Number);
const DECODERS = 10;
const BIN_MS = 25;
const RUNS = QUICK ? 1 : 3;
const HEAP_CAP_MB = 64;

/** Appends lines through a 1 MB buffer. */
class Lines {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  add(obj: unknown): void {
    const s = JSON.stringify(obj);
    this.parts.push(s);
    this.size += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join('\n') + '\n');
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function summary(name: string, n: number): DecoderSummary {
  const axis = { r2: 0.6, r: 0.8, rmse: 40, n };
  const score = { axes: { x: axis, y: axis, vx: axis, vy: axis }, r2: 0.6, n };
  const lat = { count: n, p50Ms: 3, p99Ms: 6, maxMs: 9 };
  return {
    id: name,
    name,
    version: '1',
    endpoint: 'binary',
    address: '127.0.0.1',
    connected: true,
    axes: ['x', 'y', 'vx', 'vy'],
    counts: { predictions: n, evaluated: n, missing: 0, late: 0, duplicates: 0, stale: 0, unknown: 0, invalid: 0, throttled: 0 },
    cumulative: score,
    rolling: score,
    latency: lat,
    rollingLatency: lat,
    reportedLatencyP50Ms: 1,
    trials: [],
  };
}

async function generate(dir: string, minutes: number): Promise<{ packets: number; predictions: number; bytes: number }> {
  const ds = await loadBuiltin('default');
  mkdirSync(dir, { recursive: true });
  const packets = Math.round((minutes * 60 * 1000) / BIN_MS);
  const names = Array.from({ length: DECODERS }, (_, i) => `decoder-${i + 1}`);
  const manifest: RecordingManifest = {
    format_version: RECORDING_FORMAT_VERSION,
    id: dir.split('/').at(-1)!,
    session_code: 'bench',
    status: 'complete',
    error: null,
    started_at: '2026-12-06T12:00:00.000Z',
    stopped_at: new Date(Date.parse('2026-12-06T12:00:00.000Z') + packets * BIN_MS).toISOString(),
    duration_s: (packets * BIN_MS) / 1000,
    dataset: { name: ds.provenance.name, path: null, sha256: null, synthetic: { preset: 'default', seed: 1 }, channels: ds.numUnits, duration_s: ds.durationSeconds },
    bin_ms: BIN_MS,
    blind: false,
    evaluate: 'all',
    perturbations: null,
    app: { name: 'phantomlink-studio', version: 'bench', commit: null },
    host: { hostname: 'bench', platform: process.platform, node: process.version },
    decoders: names.map((name) => ({ name, version: '1', endpoint: 'binary' })),
    counts: { packets, predictions: packets * DECODERS, events: Math.floor(minutes) },
  };
  writeFileSync(join(dir, RECORDING_FILES.manifest), JSON.stringify(manifest, null, 2));
  const pk = new Lines(join(dir, RECORDING_FILES.packets));
  const pr = new Lines(join(dir, RECORDING_FILES.predictions));
  const ev = new Lines(join(dir, RECORDING_FILES.events));
  const sc = new Lines(join(dir, RECORDING_FILES.scores));
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed / 2 ** 32 - 0.5);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  for (let seq = 0; seq < packets; seq++) {
    const bin = seq % ds.numBins;
    const t = seq * BIN_MS;
    const trial = ds.trialOfBin[bin];
    pk.add({ seq, bin, t_ms: t, trial: trial < 0 ? null : trial });
    const k = ds.kinematicsAt(bin);
    for (const name of names) {
      const latency = r(2 + 4 * (rnd() + 0.5));
      const values = Number.isFinite(k.vx) ? { x: r(k.x + 20 * rnd()), y: r(k.y + 20 * rnd()), vx: r(k.vx + 80 * rnd()), vy: r(k.vy + 80 * rnd()) } : { vx: 0, vy: 0 };
      pr.add({ decoder: name, seq, t_ms: r(t + latency), latency_ms: latency, reported_latency_ms: 1, values, outcome: 'scored' });
    }
    if (t % 60_000 === 0) ev.add({ t_ms: t, kind: seq === 0 ? 'recording_started' : 'seek', position_s: (bin * BIN_MS) / 1000, detail: { to_s: (bin * BIN_MS) / 1000 } });
    if (t % SCORE_EVERY_MS === 0 && t > 0) sc.add({ t_ms: t, decoders: names.map((n) => summary(n, seq)) });
  }
  for (const l of [pk, pr, ev, sc]) l.close();
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { packets, predictions: packets * DECODERS, bytes };
}

interface Run {
  wall_s: number;
  peak_rss_mb: number;
  out_mb: number;
}

/** Node's flags as the CLI's shebang sets them (`npx phantomlink` runs it that way), plus `extra`. */
function exportOnce(dir: string, format: 'nwb' | 'csv', out: string, extra: string[] = []): Run {
  rmSync(out, { recursive: true, force: true });
  const node = [process.execPath, ...SERVER_V8_FLAGS, ...extra, join(REPO_ROOT, 'bin', 'phantomlink.mjs')];
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...node, 'export', dir, '--format', format, '--out', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`export failed (${r.status}): ${r.stderr}`);
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no /usr/bin/time line in: ${r.stderr}`);
  const outBytes = format === 'nwb' ? statSync(out).size : readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0);
  return { wall_s: Number(m[1]), peak_rss_mb: Number(m[2]) / 1024, out_mb: outBytes / 2 ** 20 };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const work = mkdtempSync(join(tmpdir(), 'phantomlink-bench-export-'));
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const minutes of MINUTES) {
      const dir = join(work, `bench_${minutes}min`);
      const t0 = performance.now();
      const g = await generate(dir, minutes);
      console.error(`generated ${minutes} min: ${g.packets} packets, ${g.predictions} predictions, ${fmt(g.bytes / 2 ** 20, 0)} MB in ${fmt((performance.now() - t0) / 1000, 1)} s`);
      for (const format of ['nwb', 'csv'] as const) {
        const runs: Run[] = [];
        for (let i = 0; i < RUNS; i++) {
          const run = exportOnce(dir, format, join(work, `out-${minutes}.${format}`));
          console.error(`  ${format} run ${i + 1}: ${fmt(run.wall_s, 2)} s, peak RSS ${fmt(run.peak_rss_mb, 0)} MB, ${fmt(run.out_mb, 0)} MB written`);
          runs.push(run);
        }
        rows.push({
          minutes,
          format,
          heap_cap_mb: null,
          packets: g.packets,
          predictions: g.predictions,
          recording_mb: round(g.bytes / 2 ** 20, 1),
          wall_s: runs.map((r) => round(r.wall_s, 2)),
          wall_median_s: round(median(runs.map((r) => r.wall_s)), 2),
          peak_rss_mb: runs.map((r) => round(r.peak_rss_mb, 1)),
          peak_rss_median_mb: round(median(runs.map((r) => r.peak_rss_mb)), 1),
          out_mb: round(runs[0].out_mb, 1),
        });
      }
      if (minutes === Math.max(...MINUTES)) {
        // Proof that what the export holds does not grow with the recording: it completes with
        // V8's heap capped well below the RSS above (RSS there is V8 sizing its heap to the
        // allocation rate, not data kept).
        for (const format of ['nwb', 'csv'] as const) {
          const run = exportOnce(dir, format, join(work, `out-cap.${format}`), [`--max-old-space-size=${HEAP_CAP_MB}`]);
          console.error(`  ${format} with the heap capped at ${HEAP_CAP_MB} MB: ${fmt(run.wall_s, 2)} s, peak RSS ${fmt(run.peak_rss_mb, 0)} MB`);
          rows.push({ minutes, format, heap_cap_mb: HEAP_CAP_MB, packets: g.packets, predictions: g.predictions, recording_mb: round(g.bytes / 2 ** 20, 1), wall_s: [round(run.wall_s, 2)], wall_median_s: round(run.wall_s, 2), peak_rss_mb: [round(run.peak_rss_mb, 1)], peak_rss_median_mb: round(run.peak_rss_mb, 1), out_mb: round(run.out_mb, 1) });
        }
      }
      if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else console.error(`kept ${work}`);
  }
  const md = [
    '# Export: a recording to NWB and CSV',
    '',
    machineLine(machine),
    '',
    `${DECODERS} decoders answering every packet at 40 Hz (25 ms bins); \`phantomlink export\` as a process with the shebang's Node flags (${SERVER_V8_FLAGS.join(' ')}), peak RSS from /usr/bin/time; median of ${RUNS} run(s) [runs]. The capped rows run once with \`--max-old-space-size=${HEAP_CAP_MB}\`: the export's live memory fits, whatever the length.`,
    '',
    mdTable(
      ['recording', 'packets', 'predictions', 'logs on disk', 'format', 'wall time [runs]', 'peak RSS [runs]', 'written'],
      rows.map((r: any) => [
        `${r.minutes} min`,
        r.packets.toLocaleString('en-US'),
        r.predictions.toLocaleString('en-US'),
        `${fmt(r.recording_mb, 0)} MB`,
        r.heap_cap_mb ? `${r.format.toUpperCase()}, heap capped at ${r.heap_cap_mb} MB` : r.format.toUpperCase(),
        `**${fmt(r.wall_median_s, 2)} s** [${r.wall_s.map((v: number) => fmt(v, 2)).join(', ')}]`,
        `**${fmt(r.peak_rss_median_mb, 0)} MB** [${r.peak_rss_mb.map((v: number) => fmt(v, 0)).join(', ')}]`,
        `${fmt(r.out_mb, 0)} MB`,
      ]),
    ),
    '',
  ].join('\n');
  const path = writeResults('export', md, { machine, decoders: DECODERS, bin_ms: BIN_MS, runs: RUNS, rows });
  console.log(md);
  console.error(`wrote ${path}`);
}

await main();
