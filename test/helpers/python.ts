import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, with the Debian packages the tests use as independent references (numpy, scikit-learn, h5py…). */
export const PYTHON = '/usr/bin/python3';

/** Is Debian's Python there with these modules? (`.ci/run` installs them.) */
export function pythonHas(...modules: string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')]).status === 0;
}

/** Runs a Python script with `input` on stdin and returns its stdout parsed as JSON. */
export function runPythonJson<T = unknown>(script: string, input: string): T {
  const r = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
