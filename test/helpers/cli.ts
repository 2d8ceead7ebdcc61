/**
 * `phantomlink` as a user runs it: bin/phantomlink.mjs in a process of its own, with the test
 * cache for the built-in recording. Its output is collected; `killCliProcesses` (afterEach)
 * kills whatever a test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, TEST_CACHE_DIR } from './server.ts';

export const CLI_BIN = join(REPO_ROOT, 'bin', 'phantomlink.mjs');
const running: ChildProcess[] = [];

/** `direct`: executed as a program (its shebang picks Node and its flags), as `npx phantomlink` does. */
export function runCli(args: string[], direct = false) {
  const child = spawn(direct ? CLI_BIN : process.execPath, direct ? args : [CLI_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PHANTOMLINK_CACHE_DIR: TEST_CACHE_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close', not 'exit': by then stdout and stderr have been read to the end.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  /** Waits until stdout matches (fails if the process exits first, or after `timeoutMs`). */
  const output = async (pattern: RegExp, timeoutMs = 30_000) => {
    const t0 = Date.now();
    while (!pattern.test(stdout)) {
      if (child.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`no ${pattern} in output:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return stdout.match(pattern)!;
  };
  /** `serve`: the REST base URL from its banner, once it listens. */
  const http = async (timeoutMs = 30_000) => (await output(/REST API:\s+(http:\/\/\S+)\//, timeoutMs))[1];
  return {
    child,
    exited,
    output,
    http,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

export function killCliProcesses(): void {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
}
