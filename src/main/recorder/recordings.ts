import { lstat, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import type { ExportFormat, ExportJob, RecordedEvent, RecordingSummary } from '../../shared/studioApi.ts';
import type { RecordingService, StoredRecording } from '../../shared/recordings.ts';
import { log } from '../common/log.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Session } from '../playback/session.ts';
import type { SessionManager } from '../playback/sessionManager.ts';
import { RecordingRefusal, describeFsError } from './errors.ts';
import { ExportJobs } from './exportJobs.ts';
import { RECORDING_FILES, type RecordingManifest } from './format.ts';
import { RECORDING_ID_PATTERN, recordingDir, recordingId } from './ids.ts';
import { Recorder } from './recorder.ts';
import { recoverRecording } from './recovery.ts';

/** Where recordings go unless told otherwise: a folder a person finds, in their home. */
export function defaultRecordingsRoot(): string {
  return join(homedir(), 'PhantomLink', 'recordings');
}

export interface RecordingsOptions {
  /** Record every session, those playing now and every one created later (`serve --record DIR`). */
  recordAll?: boolean;
  /** Where exports find the built-in recording (the engine's cache; default: its default). */
  cacheDir?: string;
}

/** What is kept of a recording that ended in this process: its outcome, not its buffers. */
type EndedRecording = Pick<Recorder, 'id' | 'status' | 'error' | 'manifest' | 'durationS' | 'counts'>;

/**
 * The recordings folder: one Recorder per recording session, the list of what is on disk, and
 * the closing of recordings a killed process left unfinished. Paths come only from checked ids
 * (ids.ts): nothing outside the root is ever touched.
 */
export class Recordings implements RecordingService {
  readonly root: string;
  private readonly active = new Map<string, Recorder>();
  private readonly starting = new Set<string>();
  /** Recordings that ended here (failed ones too, whose manifest a full disk may have kept old). */
  private readonly ended = new Map<string, EndedRecording>();
  private readonly listeners = new Set<() => void>();
  private readonly tried = new WeakSet<Session>();
  private offSessions: () => void = () => {};
  private readonly exportJobs: ExportJobs;

  constructor(
    root: string,
    private readonly sessions: SessionManager,
    private readonly scoring: Scoring,
    private readonly opts: RecordingsOptions = {},
  ) {
    this.root = resolve(root);
    this.exportJobs = new ExportJobs(opts.cacheDir);
  }

  /**
   * Closes what a killed process left (status `recording`, written by a process that is gone) and,
   * with recordAll, starts recording every session. The root is created only when recording into it.
   */
  async open(): Promise<void> {
    if (this.opts.recordAll) await this.ensureRoot();
    await this.recoverUnfinished();
    if (this.opts.recordAll) {
      const startNew = () => {
        for (const s of this.sessions.list()) {
          if (this.tried.has(s) || this.active.has(s.code) || this.starting.has(s.code)) continue;
          this.tried.add(s);
          this.start(s.code).catch((err) => log.error('recording_not_started', { session: s.code, error: (err as Error).message }));
        }
      };
      this.offSessions = this.sessions.onChange(startNew);
      startNew();
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  activeOn(code: string): { id: string; startedAt: string } | null {
    const r = this.active.get(code);
    return r ? { id: r.id, startedAt: r.manifest.started_at } : null;
  }

  async start(code: string): Promise<RecordingSummary> {
    const session = this.sessions.require(code);
    if (this.active.has(code) || this.starting.has(code)) {
      throw new RecordingRefusal('recording_active', `session "${code}" is already being recorded (${this.active.get(code)?.id ?? 'starting'})`);
    }
    this.starting.add(code);
    try {
      await this.ensureRoot();
      const base = recordingId(session.code, new Date());
      for (let n = 1; n < 10_000; n++) {
        const id = n === 1 ? base : `${base}-${n}`;
        try {
          const r = await Recorder.start(join(this.root, id), id, session, this.scoring, (done) => this.onEnded(done));
          if (session.isClosed) {
            void r.stop();
            throw new RecordingRefusal('recording_unavailable', `session "${code}" closed while its recording was starting`);
          }
          this.active.set(code, r);
          log.info('recording_started', { recording: id, session: code, dir: r.dir });
          this.emit();
          return this.summaryOf(r.manifest, r);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          if (err instanceof RecordingRefusal) throw err;
          const message = describeFsError(err, join(this.root, id));
          log.error('recording_not_started', { session: code, error: message });
          throw new RecordingRefusal('recording_unavailable', `cannot record session "${code}": ${message}`);
        }
      }
      throw new RecordingRefusal('recording_unavailable', `cannot record session "${code}": too many recordings named ${base}`);
    } finally {
      this.starting.delete(code);
    }
  }

  async stop(code: string): Promise<RecordingSummary> {
    const r = this.active.get(code);
    if (!r) throw new RecordingRefusal('not_recording', `session "${code.slice(0, 80)}" is not being recorded`);
    await r.stop();
    return this.summaryOf(r.manifest, r);
  }

  /** Stops every recording (server shutdown): each ends `complete`. */
  async stopAll(): Promise<void> {
    this.offSessions();
    await Promise.all([...this.active.values()].map((r) => r.stop()));
  }

  async list(): Promise<RecordingSummary[]> {
    let entries: string[];
    try {
      entries = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory() && RECORDING_ID_PATTERN.test(e.name)).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RecordingRefusal('recording_unavailable', `cannot list recordings: ${describeFsError(err, this.root)}`);
    }
    const out: RecordingSummary[] = [];
    await Promise.all(
      entries.map(async (id) => {
        const live = this.liveRecorder(id);
        const m = live?.manifest ?? (await this.readManifest(join(this.root, id)));
        if (m) out.push(await this.summaryOf(m, live));
      }),
    );
    // A recording whose folder was removed under it stays listed as failed until it is deleted,
    // so the person sees why it stopped.
    const listed = new Set(entries);
    for (const r of this.ended.values()) if (r.status === 'failed' && !listed.has(r.id)) out.push(await this.summaryOf(r.manifest, r));
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<StoredRecording> {
    const dir = await this.existingDir(id);
    const live = this.liveRecorder(id);
    const manifest = live?.manifest ?? (await this.readManifest(dir));
    if (!manifest) throw new RecordingRefusal('recording_not_found', `recording "${id}" has no readable manifest`);
    const events: RecordedEvent[] = [];
    const scores: StoredRecording['scores'] = [];
    await readJsonl(join(dir, RECORDING_FILES.events), (v) => events.push(v as RecordedEvent));
    await readJsonl(join(dir, RECORDING_FILES.scores), (v) => scores.push(v as StoredRecording['scores'][number]));
    return { summary: await this.summaryOf(manifest, live), manifest: manifest as unknown as Record<string, unknown>, events, scores };
  }

  async export(id: string, format: ExportFormat): Promise<{ job: ExportJob; done: Promise<ExportJob> }> {
    const dir = await this.existingDir(id);
    if (this.liveRecorder(id)?.status === 'recording') {
      throw new RecordingRefusal('recording_active', `recording "${id}" is still being written: stop it before exporting`);
    }
    return this.exportJobs.start(id, dir, format);
  }

  exports(): ExportJob[] {
    return this.exportJobs.list();
  }

  onExport(listener: (job: ExportJob) => void): () => void {
    return this.exportJobs.onChange(listener);
  }

  async delete(id: string): Promise<void> {
    recordingDir(this.root, id);
    if (this.ended.get(id)?.status === 'failed' && !(await isDir(join(this.root, id)))) {
      this.ended.delete(id); // its folder is already gone: forget it
      return this.emit();
    }
    const dir = await this.existingDir(id);
    if (this.liveRecorder(id)?.status === 'recording') {
      throw new RecordingRefusal('recording_active', `recording "${id}" is still being written: stop it first`);
    }
    if (this.exportJobs.isRunning(id)) throw new RecordingRefusal('recording_active', `recording "${id}" is being exported: wait for it to finish`);
    await rm(dir, { recursive: true, force: true });
    this.ended.delete(id);
    log.info('recording_deleted', { recording: id });
    this.emit();
  }

  // ------------------------------------------------------------------ inside

  private async ensureRoot(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (err) {
      throw new RecordingRefusal('recording_unavailable', `cannot use the recordings folder: ${describeFsError(err, this.root)}`);
    }
  }

  /** The folder of a checked id that exists and is a real folder (never a symlink out of the root). */
  private async existingDir(id: string): Promise<string> {
    const dir = recordingDir(this.root, id);
    try {
      if ((await lstat(dir)).isDirectory()) return dir;
    } catch {
      /* not there */
    }
    throw new RecordingRefusal('recording_not_found', `no recording "${id}" in ${this.root}`);
  }

  private liveRecorder(id: string): Recorder | EndedRecording | undefined {
    for (const r of this.active.values()) if (r.id === id) return r;
    return this.ended.get(id);
  }

  private onEnded(r: Recorder): void {
    if (this.active.get(r.session.code) === r) this.active.delete(r.session.code);
    // Only what the list shows: the Recorder's columns and line buffers (~0.5 MB with 10
    // decoders) would otherwise live as long as the process, one set per recording made.
    this.ended.set(r.id, { id: r.id, status: r.status, error: r.error, manifest: r.manifest, durationS: r.durationS, counts: r.counts });
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  private async readManifest(dir: string): Promise<RecordingManifest | null> {
    try {
      return JSON.parse(await readFile(join(dir, RECORDING_FILES.manifest), 'utf8')) as RecordingManifest;
    } catch {
      return null;
    }
  }

  private async summaryOf(m: RecordingManifest, live?: Recorder | EndedRecording): Promise<RecordingSummary> {
    const sizes = await Promise.all(
      Object.values(RECORDING_FILES).map((f) =>
        stat(join(this.root, m.id, f)).then(
          (st) => st.size,
          () => 0, // not written (yet)
        ),
      ),
    );
    const size = sizes.reduce((a, b) => a + b, 0);
    const recording = live?.status === 'recording';
    return {
      id: m.id,
      sessionCode: m.session_code,
      status: live?.status ?? m.status,
      error: live?.error ?? m.error,
      startedAt: m.started_at,
      stoppedAt: recording ? null : m.stopped_at,
      durationS: recording ? Math.round(live.durationS * 10) / 10 : (m.duration_s ?? 0),
      dataset: { name: m.dataset.name, synthetic: m.dataset.synthetic !== null },
      decoders: m.decoders.map((d) => d.name),
      best: m.best_score ?? null,
      counts: recording ? live.counts : m.counts,
      sizeBytes: size,
    };
  }

  /** Folders left `recording` by a process that is gone: close them (status `recovered`). */
  private async recoverUnfinished(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory() && RECORDING_ID_PATTERN.test(e.name)).map((e) => e.name);
    } catch {
      return;
    }
    for (const id of names) {
      const dir = join(this.root, id);
      const m = await this.readManifest(dir);
      if (!m || m.status !== 'recording' || writerAlive(m)) continue;
      try {
        const r = await recoverRecording(dir, m);
        log.warn('recording_recovered', { recording: id, duration_s: r.duration_s, ...r.counts });
      } catch (err) {
        log.error('recording_not_recovered', { recording: id, error: describeFsError(err, dir) });
      }
    }
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Is the process that wrote this manifest still running on this host (another server on the same folder)? */
function writerAlive(m: RecordingManifest): boolean {
  const pid = m.host?.pid;
  if (!pid || m.host.hostname !== hostname() || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}


/** Every complete line of a JSONL file, parsed; damaged lines (a partial last one) are skipped. */
async function readJsonl(path: string, fn: (v: unknown) => void): Promise<void> {
  try {
    await stat(path);
  } catch {
    return;
  }
  for await (const line of createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    if (!line) continue;
    try {
      fn(JSON.parse(line));
    } catch {
      /* partial or damaged line: readers skip it (format.ts) */
    }
  }
}
