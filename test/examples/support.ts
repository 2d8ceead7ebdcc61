/** Shared bits for the example tests: the guide's code blocks, child processes, tool availability. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/server.ts';

export { REPO_ROOT };
export const GUIDE_PATH = resolve(REPO_ROOT, '../shared/spec/binary-streaming-guide.md');
export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';

/** Why the Python examples cannot run here, or null when they can. */
export function pythonMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import websockets, msgpack'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} lacks websockets/msgpack: ${r.stderr.trim().split('\n').pop()}`;
}

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
}

/** Prints why a suite is skipped, so a skip is never silent. */
export function noteSkip(what: string, reason: string | null): boolean {
  if (reason) console.warn(`[skip] ${what}: ${reason}`);
  return reason !== null;
}

/**
 * The first ```lang fenced block under the heading `heading` (an exact heading line such as
 * "### Python Client"), byte for byte as it stands in the guide, without the fences.
 * Fails loudly if the heading or the block is missing, or the block is not inside the section.
 */
export function guideBlock(heading: string, lang: string): string {
  const guide = readFileSync(GUIDE_PATH, 'utf8');
  const lines = guide.split('\n');
  const h = lines.findIndex((l) => l.trimEnd() === heading);
  if (h < 0) throw new Error(`heading ${JSON.stringify(heading)} not found in ${GUIDE_PATH}`);
  const level = heading.match(/^#+/)![0].length;
  let open = -1;
  for (let i = h + 1; i < lines.length; i++) {
    const hm = /^(#+)\s/.exec(lines[i]);
    if (hm && hm[1].length <= level) break; // next section: the block is not under this heading
    if (lines[i].trimEnd() === '```' + lang) {
      open = i;
      break;
    }
  }
  if (open < 0) throw new Error(`no \`\`\`${lang} block under ${JSON.stringify(heading)} in ${GUIDE_PATH}`);
  const close = lines.findIndex((l, i) => i > open && l.trimEnd() === '```');
  if (close < 0) throw new Error(`unterminated code block under ${JSON.stringify(heading)}`);
  const code = lines.slice(open + 1, close).join('\n') + '\n';
  if (!guide.includes(code)) throw new Error('extracted block is not a verbatim substring of the guide');
  return code;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a child process to completion (killed after timeoutMs), capturing its output. */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Output of a run, for failure messages. */
export function show(r: RunResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** A TCP port on 127.0.0.1 that nothing listens on (taken and released). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Asserts a list of sequence numbers goes up by exactly one each time; returns the offending pair if not. */
export function firstGap(seqs: number[]): [number, number] | null {
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1] + 1) return [seqs[i - 1], seqs[i]];
  return null;
}
