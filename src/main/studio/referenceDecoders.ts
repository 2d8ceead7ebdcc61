import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DecoderSummary, ReferenceDecoderStatus } from '../../shared/studioApi.ts';
import { log } from '../common/log.ts';
import { packageRoot } from '../common/packageRoot.ts';

/** The reference decoder's name on the scoreboard. */
export const REFERENCE_NAME = 'reference';

interface Running {
  child: ChildProcess;
  lastLine: string;
  exited: boolean;
  /** The studio asked it to stop (it then exits cleanly, by itself). */
  stopping: boolean;
}

/**
 * The reference (ridge) decoder the studio starts with one click, so a demo needs nothing else:
 * `phantomlink decoder` as a real client process of the session's binary stream. Its state is
 * read from the scoreboard (a connected row with no prediction yet is training) and from its
 * process (its last line of output, its exit).
 */
export class ReferenceDecoders {
  private readonly bySession = new Map<string, Running>();

  /** Starts one for the session (at most one each); `url` is the session's binary stream URL. */
  start(code: string, url: string): void {
    const current = this.bySession.get(code);
    if (current && !current.exited) return;
    const bin = join(packageRoot(), 'bin', 'phantomlink.mjs');
    // In Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it plain Node.
    const child = spawn(process.execPath, [bin, 'decoder', '--url', url, '--name', REFERENCE_NAME], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running: Running = { child, lastLine: 'starting…', exited: false, stopping: false };
    this.bySession.set(code, running);
    const keepLastLine = (chunk: Buffer) => {
      const line = chunk.toString('utf8').trim().split('\n').filter(Boolean).at(-1);
      if (line) running.lastLine = line.slice(0, 200);
    };
    child.stdout!.on('data', keepLastLine);
    child.stderr!.on('data', keepLastLine);
    child.on('error', (err) => {
      running.exited = true;
      running.lastLine = `could not start the decoder: ${err.message}`;
    });
    child.on('exit', (codeOrNull, signal) => {
      running.exited = true;
      running.lastLine = running.stopping ? 'stopped' : `exited (${signal ?? `code ${codeOrNull}`}): ${running.lastLine}`;
      log.info('reference_decoder_exit', { session: code, code: codeOrNull, signal });
    });
    log.info('reference_decoder_started', { session: code, pid: child.pid });
  }

  stop(code: string): void {
    const r = this.bySession.get(code);
    if (!r || r.exited) return;
    r.stopping = true;
    r.child.kill('SIGTERM');
  }

  stopAll(): void {
    for (const code of this.bySession.keys()) this.stop(code);
  }

  /** What the studio shows for the session's reference decoder; null when none was started. */
  status(code: string, decoders: readonly DecoderSummary[]): ReferenceDecoderStatus | null {
    const r = this.bySession.get(code);
    if (!r) return null;
    if (r.exited) return { name: REFERENCE_NAME, state: 'exited', message: r.lastLine };
    const row = decoders.find((d) => d.connected && (d.name === REFERENCE_NAME || d.name.startsWith(`${REFERENCE_NAME}-`)));
    const state = !row ? 'starting' : row.counts.predictions === 0 ? 'training' : 'predicting';
    return { name: row?.name ?? REFERENCE_NAME, state, message: r.lastLine };
  }
}
