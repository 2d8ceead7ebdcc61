/**
 * Stress benchmark: what seeded perturbations cost, and what they do to a decoder.
 *
 *   node --import tsx bench/stress.ts [--quick] [--seconds N]
 *
 * 1. Cost per packet: PacketBuilder.build alone vs build + each perturbation kind (and all of
 *    them together), on the built-in `default` recording, interleaved rounds, medians (µs).
 * 2. The reference decoder under stress: a server as `phantomlink serve` runs it (in this
 *    process), one session at 20×, the reference decoder (`phantomlink decoder`, a real client
 *    process) trained on the clean stream; then for each kind at two strengths the scores are
 *    reset, the perturbation applied for --seconds of wall time (default 6 s ≈ 2 minutes of
 *    recording), and the decoder's combined velocity R² read from the live scoreboard, with a
 *    clean phase before each (the recovery) to show the decoder itself did not drift.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Perturbations } from '../src/shared/wire.ts';
import { Engine } from '../src/main/playback/engine.ts';
import { PacketBuilder } from '../src/main/playback/packets.ts';
import { Perturber } from '../src/main/playback/perturbations.ts';
import { startServer } from '../src/main/server.ts';
import { QUICK, REPO_ROOT, arg, fmt, machineInfo, machineLine, mdTable, median, round, writeResults } from './lib.ts';

const PHASE_S = Number(arg('seconds') ?? (QUICK ? 3 : 6));
const SPEED = 20;

/** Each kind at a mild and a strong setting (the table a lab would put in a paper). */
const KINDS: Array<{ kind: string; settings: [string, Omit<Perturbations, 'seed'>][] }> = [
  { kind: 'dropout', settings: [['20 % of channels', { dropout: { fraction: 0.2 } }], ['50 % of channels', { dropout: { fraction: 0.5 } }]] },
  { kind: 'array shift', settings: [['1 channel', { shuffle: { mode: 'shift', shift: 1 } }], ['permuted', { shuffle: { mode: 'permute' } }]] },
  { kind: 'gain drift', settings: [['walk, log-gain sd 0.3', { drift: { mode: 'walk', amount: 0.3 } }], ['sine ×e^±1, 20 s', { drift: { mode: 'sine', amount: 1, period_s: 20 } }]] },
  { kind: 'count noise', settings: [['Poisson +0.2/bin', { noise: { mode: 'poisson', amount: 0.2 } }], ['Poisson +1/bin', { noise: { mode: 'poisson', amount: 1 } }]] },
  { kind: 'bursts', settings: [['1/s × 3 spikes', { bursts: { rate_hz: 1, count: 3 } }], ['5/s × 10 spikes', { bursts: { rate_hz: 5, count: 10 } }]] },
  { kind: 'latency jitter', settings: [['≤ 10 ms', { jitter: { max_ms: 10 } }], ['≤ 40 ms', { jitter: { max_ms: 40 } }]] },
  { kind: 'packet loss', settings: [['5 %', { loss: { fraction: 0.05 } }], ['20 %', { loss: { fraction: 0.2 } }]] },
];

async function main(): Promise<void> {
  const machine = machineInfo();
  const engine = await Engine.start({ preset: 'default' });
  const ds = engine.dataset;

  // ---------------------------------------------------------------- 1. cost per packet
  const builder = new PacketBuilder(ds);
  const variants: Array<[string, Perturbations | null]> = [['build only', null]];
  for (const k of KINDS) variants.push([`${k.kind}: ${k.settings[1][0]}`, { seed: 1, ...k.settings[1][1] }]);
  variants.push(['all kinds at once', Object.assign({ seed: 1 }, ...KINDS.map((k) => k.settings[1][1]))]);
  const perturbers = variants.map(([, p]) => (p ? new Perturber(p, ds.numUnits, 0.025) : null));
  const PACKETS = QUICK ? 2000 : 10_000;
  const perRound: number[][] = variants.map(() => []);
  for (let round = 0; round < (QUICK ? 5 : 15); round++) {
    variants.forEach((_, v) => {
      const per = perturbers[v];
      const t0 = performance.now();
      for (let i = 0; i < PACKETS; i++) {
        const p = builder.build(i % ds.numBins, round * PACKETS + i, 0);
        per?.apply(p, round * PACKETS + i);
      }
      perRound[v].push(((performance.now() - t0) * 1000) / PACKETS);
    });
  }
  const base = median(perRound[0]);
  const costRows = variants.map(([name], v) => [name, fmt(median(perRound[v]), 2), v === 0 ? '—' : fmt(median(perRound[v]) - base, 2)]);

  // ---------------------------------------------------------------- 2. the reference decoder under stress
  const server = await startServer(engine, { port: 0 });
  const code = 'stress-bench';
  const session = engine.sessions.create(code, undefined, { speed: SPEED });
  const decoder = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'phantomlink.mjs'), 'decoder', '--url', server.wsUrl(`/stream/binary/${code}`), '--every', '60'], { stdio: 'ignore' });
  const board = () => server.scoring.scoreboard(session).decoders.find((d) => d.name === 'reference');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const deadline = Date.now() + 120_000;
  while (!((board()?.counts.predictions ?? 0) > 0) && Date.now() < deadline) await sleep(250);
  if (!board()?.counts.predictions) throw new Error('the reference decoder never started predicting');
  const phase = async (p: Perturbations | null) => {
    session.setPerturbations(p);
    server.scoring.reset(session);
    await sleep(PHASE_S * 1000);
    const d = board()!;
    return { r2: d.cumulative.r2, vx: d.cumulative.axes.vx?.r2 ?? null, vy: d.cumulative.axes.vy?.r2 ?? null, n: d.cumulative.n, latencyP50: d.latency.p50Ms, missing: d.counts.missing };
  };
  const clean = await phase(null);
  const r2Rows: string[][] = [['clean', '—', fmt(clean.r2, 3), fmt(clean.vx, 3), fmt(clean.vy, 3), fmt(clean.latencyP50, 2), '—']];
  const raw: unknown[] = [{ kind: 'clean', ...clean }];
  for (const k of KINDS) {
    for (const [label, settings] of k.settings) {
      const under = await phase({ seed: 7, ...settings });
      const after = await phase(null);
      r2Rows.push([k.kind, label, fmt(under.r2, 3), fmt(under.vx, 3), fmt(under.vy, 3), fmt(under.latencyP50, 2), fmt(after.r2, 3)]);
      raw.push({ kind: k.kind, label, settings, under, recovered: after });
    }
  }
  decoder.kill('SIGTERM');
  await server.close('bench over');

  const md = [
    `# Stress benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `## Cost of a perturbation per packet (built-in \`default\` recording, ${ds.numUnits} channels; ${PACKETS} packets × ${perRound[0].length} interleaved rounds, medians)`,
    '',
    mdTable(['variant', 'µs per packet', 'added by the perturbation (µs)'], costRows),
    '',
    `## The reference decoder under each perturbation (session at ${SPEED}×, ${PHASE_S} s of wall time ≈ ${fmt((PHASE_S * SPEED) / 60, 1)} min of recording per phase; scores reset at each phase; decoder trained once on the clean stream)`,
    '',
    mdTable(['kind', 'strength', 'velocity R² (variance-weighted)', 'vx R²', 'vy R²', 'latency p50 (ms)', 'R² when turned off again'], r2Rows),
    '',
    'R² as sklearn r2_score over the evaluated bins of the phase (all bins with truth); latency = arrival − send on the server clock. ' +
      'Jitter and loss do not change the bins a prediction is scored on, only when and whether the decoder gets them: jitter shows in the latency, ' +
      'loss in the missing history (the decoder fills a lost bin with its training mean).',
  ].join('\n');
  console.log(md);
  const file = writeResults('stress', md, { benchmark: 'stress', quick: QUICK, machine, phase_s: PHASE_S, speed: SPEED, cost_us: Object.fromEntries(variants.map(([n], v) => [n, round(median(perRound[v]), 3)])), decoder: raw });
  console.log(`\nwritten: ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
