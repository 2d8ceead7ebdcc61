/**
 * Runs every benchmark, one after another, each in its own Node process (so one benchmark's
 * heap, JIT state or sockets never colour the next one's numbers).
 *
 *   node --import tsx bench/run-all.ts [--quick]      (npm run bench [-- --quick])
 *
 * Each writes bench/results/<name>.md + .json (<name>.quick.* with --quick). Exits non-zero
 * if a benchmark fails to run; a missed goal is reported in the tables, not as a failure.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, QUICK, REPO_ROOT, SERVER_V8_FLAGS } from './lib.ts';

const BENCHMARKS = ['codec', 'timing', 'load', 'clock', 'renderer', 'ingest', 'latency', 'recording'];
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const failed: string[] = [];

for (const name of BENCHMARKS) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n===== bench/${name}.ts${QUICK ? ' --quick' : ''} =====\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...SERVER_V8_FLAGS, '--import', 'tsx', join(BENCH_DIR, `${name}.ts`), ...(QUICK ? ['--quick'] : [])], { cwd: REPO_ROOT, stdio: 'inherit' });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(name);
    console.log(`\n[bench] ${name} FAILED (exit ${r.status ?? r.signal}) after ${s} s`);
  } else {
    console.log(`\n[bench] ${name} done in ${s} s`);
  }
}

if (failed.length) {
  console.log(`\n[bench] failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\n[bench] all done; results in bench/results/`);
