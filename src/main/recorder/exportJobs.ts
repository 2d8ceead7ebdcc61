/**
 * Exports started from REST or the studio. Each runs `phantomlink export --json` as a child
 * process: reloading the source dataset and h5wasm's writes do not yield, and on the engine's
 * thread they would hold packets back. The job reports its stage and fraction as the child
 * prints them; one export per recording and format at a time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ExportJob, ExportFormat } from '../../shared/studioApi.ts';
import { log } from '../common/log.ts';
import { packageRoot } from '../common/packageRoot.ts';
import type { ExportResult } from './exportRecording.ts';

export type { ExportJob } from '../../shared/studioApi.ts';

/** Jobs kept after they end, newest last, so a list shows recent results. */
const KEEP_ENDED = 20;

export class ExportJobs {
  private readonly jobs = new Map<string, ExportJob>();
  /** The end of each running export, by recording and format: a second start joins it. */
  private readonly running = new Map<string, Promise<ExportJob>>();
  private readonly listeners = new Set<(job: ExportJob) => void>();

  /** `cacheDir`: where the child finds the built-in recording (the engine's cache). */
  constructor(private readonly cacheDir?: string) {}

  /** Every change of a job (progress, end). */
  onChange(listener: (job: ExportJob) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An export of the recording is running. */
  isRunning(recordingId: string): boolean {
    for (const j of this.jobs.values()) if (j.recordingId === recordingId && j.state === 'running') return true;
    return false;
  }

  list(): ExportJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }

  /**
   * Starts exporting the recording in `dir` (already checked to be one of ours): the job as it
   * starts, and `done`, which resolves when it ends with the job as it ended (`state` done or
   * failed). A second start for the same recording and format while one runs joins it.
   */
  start(recordingId: string, dir: string, format: ExportFormat): { job: ExportJob; done: Promise<ExportJob> } {
    const key = `${recordingId}:${format}`;
    const running = this.running.get(key);
    if (running) return { job: { ...this.jobs.get(key)! }, done: running };
    const job: ExportJob = { recordingId, format, state: 'running', stage: 'starting', fraction: 0, path: null, files: [], omitted: [], error: null, startedAt: Date.now(), endedAt: null };
    this.jobs.delete(key); // re-inserted: newest last
    this.jobs.set(key, job);
    this.trim();
    const done = this.spawn(job, dir).finally(() => this.running.delete(key));
    this.running.set(key, done);
    this.emit(job);
    return { job: { ...job }, done };
  }

  private spawn(job: ExportJob, dir: string): Promise<ExportJob> {
    const bin = join(packageRoot(), 'bin', 'phantomlink.mjs');
    return new Promise((resolve) => {
      // In Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it plain Node.
      const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
      if (this.cacheDir) env.PHANTOMLINK_CACHE_DIR = this.cacheDir;
      const child = spawn(process.execPath, [bin, 'export', dir, '--format', job.format, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderrTail = '';
      let pending = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => {
        pending += d.toString('utf8');
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const p = parseProgress(line);
          if (p) {
            job.stage = p.stage;
            job.fraction = p.fraction;
            this.emit(job);
          } else if (line.trim()) stderrTail = line.trim().slice(0, 300);
        }
      });
      const end = (error: string | null, result: ExportResult | null) => {
        if (job.state !== 'running') return;
        job.state = error ? 'failed' : 'done';
        job.error = error;
        job.endedAt = Date.now();
        if (result) {
          job.fraction = 1;
          job.stage = 'done';
          job.path = result.path;
          job.files = result.files;
          job.omitted = result.omitted;
        }
        log[error ? 'warn' : 'info']('recording_export', { recording: job.recordingId, format: job.format, path: job.path, error });
        this.emit(job);
        resolve({ ...job });
      };
      child.on('error', (err) => end(`could not start the export: ${err.message}`, null));
      child.on('close', (code, signal) => {
        const out = parseResult(stdout);
        if (out && 'error' in out) end(out.error, null);
        else if (out && code === 0) end(null, out);
        else end(`the export stopped (${signal ?? `exit code ${code}`})${stderrTail ? `: ${stderrTail}` : ''}`, null);
      });
    });
  }

  private emit(job: ExportJob): void {
    const copy = { ...job };
    for (const l of this.listeners) l(copy);
  }

  private trim(): void {
    for (const [key, j] of this.jobs) {
      if (this.jobs.size <= KEEP_ENDED) break;
      if (j.state !== 'running') this.jobs.delete(key);
    }
  }
}

function parseProgress(line: string): { stage: string; fraction: number } | null {
  if (!line.startsWith('{')) return null;
  try {
    const p = JSON.parse(line) as { stage?: unknown; fraction?: unknown };
    return typeof p.stage === 'string' && typeof p.fraction === 'number' ? { stage: p.stage, fraction: p.fraction } : null;
  } catch {
    return null;
  }
}

function parseResult(stdout: string): ExportResult | { error: string } | null {
  const line = stdout.trim().split('\n').at(-1);
  if (!line) return null;
  try {
    return JSON.parse(line) as ExportResult | { error: string };
  } catch {
    return null;
  }
}
