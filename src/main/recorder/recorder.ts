import { mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPacket } from '../../shared/wire.ts';
import { APP_VERSION } from '../common/version.ts';
import { log } from '../common/log.ts';
import { builtinOrigin } from '../dataset/synthetic/builtin.ts';
import type { Dataset } from '../dataset/types.ts';
import type { Session, SessionEvent, SessionSubscriber } from '../playback/session.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Decoder, PredictedValues, PredictionOutcome } from '../evaluation/sessionScoring.ts';
import { PacketColumns, PredictionColumns } from './columns.ts';
import { describeFsError } from './errors.ts';
import {
  FLUSH_EVERY_MS,
  RECORDING_FILES,
  RECORDING_FORMAT_VERSION,
  SCORE_EVERY_MS,
  type EventKind,
  type RecordingManifest,
  type RecordingStatus,
  type ScoreRecord,
} from './format.ts';
import { JsonlFile } from './jsonlFile.ts';
import { fileSha256, gitCommit, hostInfo } from './provenance.ts';

/**
 * Lines go to the kernel twice per FLUSH_EVERY_MS: a SIGKILL then loses at most a second even
 * when a write was slow, as format.ts promises.
 */
const FLUSH_PERIOD_MS = FLUSH_EVERY_MS / 2;
/** A removed folder is noticed within this many flushes (2 s). */
const DIR_CHECK_EVERY = 4;

/** An event line, or a slot whose line waits for something slow (a dataset's hash): order is kept. */
interface EventSlot {
  line: string | null;
}

type LogName = 'packets' | 'predictions' | 'events' | 'scores';

/**
 * One recording of one session into one folder (format.ts). A passive subscriber of the session
 * (it records every packet built, lost ones too, and never keeps an idle session alive), a
 * listener of its scoring (every prediction with its outcome and latency) and of its events.
 * Nothing here writes on the tick: the tick fills typed columns, a timer turns them into lines and
 * appends them. Any write error stops this recording as `failed`; the session plays on.
 */
export class Recorder implements SessionSubscriber {
  readonly passive = true;
  status: RecordingStatus = 'recording';
  error: string | null = null;
  readonly manifest: RecordingManifest;
  /** Session clock at start: every t_ms is measured from here. */
  private readonly t0: number;
  private readonly packets = new PacketColumns();
  private readonly predictions = new PredictionColumns();
  private readonly events: EventSlot[] = [];
  private eventCount = 0;
  private scoreCount = 0;
  private readonly files = {} as Record<LogName, JsonlFile>;
  private readonly offs: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly hashing: Promise<unknown>[] = [];
  private manifestWrite: Promise<void> = Promise.resolve();
  private checkingDir = false;
  private flushes = 0;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly id: string,
    readonly session: Session,
    private readonly scoring: Scoring,
    private readonly onEnd: (r: Recorder) => void,
  ) {
    this.t0 = session.now();
    const ds = session.currentDataset;
    const st = session.state();
    this.manifest = {
      format_version: RECORDING_FORMAT_VERSION,
      id,
      session_code: session.code,
      status: 'recording',
      error: null,
      started_at: new Date().toISOString(),
      stopped_at: null,
      duration_s: null,
      dataset: datasetOf(ds),
      bin_ms: st.bin_ms,
      blind: st.blind,
      evaluate: st.evaluate,
      perturbations: st.perturbations,
      app: { name: 'PhantomLink Studio', version: APP_VERSION, commit: null },
      host: { ...hostInfo(), pid: process.pid },
      decoders: [],
      counts: { packets: 0, predictions: 0, events: 0 },
      best_score: null,
    };
  }

  /**
   * Makes the folder (refusing one that exists: the store picks another name), opens the logs,
   * writes the manifest and starts recording. Throws the file system's error; nothing is attached then.
   */
  static async start(dir: string, id: string, session: Session, scoring: Scoring, onEnd: (r: Recorder) => void): Promise<Recorder> {
    await mkdir(dir);
    const r = new Recorder(dir, id, session, scoring, onEnd);
    try {
      for (const name of ['packets', 'predictions', 'events', 'scores'] as const) {
        r.files[name] = await JsonlFile.open(join(dir, RECORDING_FILES[name]), (err, f) => r.fail(describeFsError(err, f.path)));
      }
      r.manifest.app.commit = await gitCommit();
      await writeManifestAtomically(dir, r.manifest);
    } catch (err) {
      await Promise.all(Object.values(r.files).map((f) => f.close()));
      throw err;
    }
    r.attach();
    return r;
  }

  /** Packets, predictions and events so far, and the folder's size as written. */
  get counts(): RecordingManifest['counts'] {
    return {
      packets: this.packets.total + this.packets.length,
      predictions: this.predictions.total + this.predictions.length,
      events: this.eventCount,
    };
  }

  get bytesWritten(): number {
    return Object.values(this.files).reduce((n, f) => n + f.bytes, 0);
  }

  /** Seconds recorded so far (or in all, once stopped). */
  get durationS(): number {
    return this.manifest.duration_s ?? (this.session.now() - this.t0) / 1000;
  }

  private attach(): void {
    const s = this.session;
    const sc = this.scoring.of(s);
    const st = s.state();
    for (const d of sc.list()) if (d.connected) this.sawDecoder(d.name, d.version, d.endpoint);
    this.event('recording_started', st.position_s, {
      status: st.status,
      speed: st.speed,
      loop: st.loop,
      filters: st.filters,
      perturbations: st.perturbations,
      packets_sent: st.packets_sent,
      decoders: this.manifest.decoders.map((d) => d.name),
    });
    s.attach(this);
    this.offs.push(
      s.onEvent((e) => this.onSessionEvent(e)),
      sc.onOutcome(this.onOutcome),
      () => s.detach(this),
    );
    this.whenHashed(s.currentDataset, (sha) => {
      this.manifest.dataset.sha256 = sha;
      this.rewriteManifest();
    });
    // Both timers start at a random phase: 64 recordings started together (serve --record, a
    // script) would otherwise format their lines, and their scoreboards (~1 ms each with 10
    // decoders), on the same tick, one burst that every session's next packet waits behind.
    this.every(FLUSH_PERIOD_MS, () => this.flush());
    this.every(SCORE_EVERY_MS, () => this.snapshotScores());
  }

  private every(periodMs: number, fn: () => void): void {
    const first = setTimeout(() => {
      fn();
      this.timers.push(setInterval(fn, periodMs).unref());
    }, Math.random() * periodMs).unref();
    this.timers.push(first);
  }

  // ------------------------------------------------------------------ what it hears

  onPacket(p: DataPacket): void {
    // The send time the scoring measures latency from (SentLog, taken before the first socket
    // write), not our turn among the subscribers: latency_ms = prediction t_ms − packet t_ms.
    const sent = this.session.sent;
    const slot = sent.slotOf(p.sequence_number);
    const at = slot >= 0 ? sent.sentAtMs(slot) : this.session.now();
    this.packets.push(p.sequence_number, p.bin_index, at - this.t0, p.trial_id, false);
  }

  onLost(seq: number, bin: number, trial: number | null): void {
    this.packets.push(seq, bin, this.session.now() - this.t0, trial, true);
  }

  onSessionClosed(): void {
    void this.stop();
  }

  private readonly onOutcome = (
    decoder: Decoder,
    seq: number,
    outcome: PredictionOutcome | 'invalid',
    arrivalMs: number,
    latencyMs: number,
    reportedMs: number,
    values: PredictedValues,
  ): void => {
    this.predictions.push(this.predictions.nameIndex(decoder.name), seq, outcome, arrivalMs - this.t0, latencyMs, reportedMs, values);
  };

  private onSessionEvent(e: SessionEvent): void {
    if (e.kind === 'decoder_connected') {
      const d = e.detail as { decoder: string; version: string | null; endpoint: string };
      this.sawDecoder(d.decoder, d.version, d.endpoint);
    }
    if (e.kind !== 'dataset') return this.event(e.kind, e.position_s, e.detail);
    // The dataset's hash is part of the event; later events wait behind it, in order.
    const slot = this.slot(e.position_s);
    const ds = this.session.currentDataset;
    this.whenHashed(ds, (sha) => {
      const o = datasetOf(ds);
      slot.fill({ ...e.detail, path: o.path ?? e.detail.path, sha256: sha, synthetic: o.synthetic });
    });
  }

  private sawDecoder(name: string, version: string | null, endpoint: string): void {
    const known = this.manifest.decoders.find((d) => d.name === name);
    if (known) known.version = version ?? known.version;
    else this.manifest.decoders.push({ name, version, endpoint });
  }

  private event(kind: EventKind, positionS: number, detail: Record<string, unknown>): void {
    this.slot(positionS, kind).fill(detail);
  }

  /** Reserves the next event line now (its time is now); `fill` writes it. */
  private slot(positionS: number, kind: EventKind = 'dataset'): { fill: (detail: Record<string, unknown>) => void } {
    const t = this.session.now() - this.t0;
    const slot: EventSlot = { line: null };
    this.events.push(slot);
    this.eventCount++;
    return { fill: (detail) => (slot.line = `${JSON.stringify({ t_ms: round3(t), kind, position_s: positionS, detail })}\n`) };
  }

  private whenHashed(ds: Dataset, then: (sha: string | null) => void): void {
    if (ds.provenance.synthetic) return then(null);
    const p = fileSha256(ds.provenance.path).then((sha) => {
      if (this.status === 'recording' || this.stopping) then(sha);
    });
    this.hashing.push(p);
  }

  // ------------------------------------------------------------------ writing

  /** Hands what was collected to the files (off the tick: a timer), and checks the folder is still there. */
  private flush(): void {
    if (this.status !== 'recording') return;
    this.packets.drainTo(this.files.packets.writer);
    this.files.packets.commit();
    this.predictions.drainTo(this.files.predictions.writer);
    this.files.predictions.commit();
    let lines = '';
    while (this.events.length > 0 && this.events[0].line !== null) lines += this.events.shift()!.line;
    this.files.events.append(lines);
    // Writes into a folder removed while open succeed on Linux (the inode lives on): look for it,
    // every DIR_CHECK_EVERY flushes (a stat is a round trip through libuv's thread pool, and 64
    // recordings flush 128 times a second).
    if (this.flushes++ % DIR_CHECK_EVERY === 0 && !this.checkingDir && !this.stopping) {
      this.checkingDir = true;
      stat(join(this.dir, RECORDING_FILES.manifest))
        .catch((err) => this.fail(describeFsError(err, this.dir)))
        .finally(() => (this.checkingDir = false));
    }
  }

  private snapshotScores(): void {
    if (this.status !== 'recording') return;
    const record: ScoreRecord = { t_ms: round3(this.session.now() - this.t0), decoders: this.scoring.scoreboard(this.session).decoders };
    this.scoreCount++;
    let best: RecordingManifest['best_score'] = null;
    for (const d of record.decoders) {
      const r2 = d.cumulative.r2;
      if (r2 !== null && (best === null || r2 > best.r2)) best = { decoder: d.name, r2 };
    }
    if (best) this.manifest.best_score = best;
    this.files.scores.append(`${JSON.stringify(record)}\n`);
  }

  /** Stops recording: last score snapshot, everything written, the manifest `complete`. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.status !== 'recording') return;
      const st = this.session.state();
      this.event('recording_stopped', st.position_s, { packets_sent: st.packets_sent });
      this.snapshotScores();
      this.detach();
      await Promise.all(this.hashing);
      this.flush();
      // Slots still waiting (a hash that failed) are written as they are.
      for (const e of this.events) e.line ??= '';
      this.flush();
      await Promise.all(Object.values(this.files).map((f) => f.close()));
      if (this.status !== 'recording') return; // a write failed on the way: fail() has said so
      this.finish('complete', null);
      await this.rewriteManifest();
      log.info('recording_stopped', { recording: this.id, session: this.session.code, ...this.manifest.counts, duration_s: this.manifest.duration_s });
      this.onEnd(this);
    })();
    return this.stopping;
  }

  /** A write failed or the folder went away: stop this recording only, say why everywhere. */
  fail(message: string): void {
    if (this.status !== 'recording') return;
    this.finish('failed', message);
    this.detach();
    log.error('recording_failed', { recording: this.id, session: this.session.code, dir: this.dir, error: message });
    void Promise.all(Object.values(this.files).map((f) => f.close())).then(() => this.rewriteManifest());
    this.onEnd(this);
  }

  private finish(status: RecordingStatus, error: string | null): void {
    this.status = status;
    this.error = error;
    const m = this.manifest;
    m.status = status;
    m.error = error;
    m.duration_s = round3((this.session.now() - this.t0) / 1000);
    m.stopped_at = new Date(Date.parse(m.started_at) + m.duration_s * 1000).toISOString();
    m.counts = { packets: this.packets.total, predictions: this.predictions.total, events: this.eventCount - this.events.length };
  }

  private detach(): void {
    for (const off of this.offs.splice(0)) off();
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  /** Rewrites the manifest (serialised); on a full disk, in place when tmp + rename cannot be. */
  private rewriteManifest(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.manifest)) as RecordingManifest;
    this.manifestWrite = this.manifestWrite.then(async () => {
      try {
        await writeManifestAtomically(this.dir, snapshot);
      } catch (err) {
        try {
          await writeManifestInPlace(this.dir, snapshot);
        } catch {
          log.warn('recording_manifest_unwritable', { recording: this.id, error: describeFsError(err, join(this.dir, RECORDING_FILES.manifest)) });
        }
      }
    });
    return this.manifestWrite;
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function datasetOf(ds: Dataset): RecordingManifest['dataset'] {
  const p = ds.provenance;
  const origin = p.synthetic ? builtinOrigin(p.path) : null;
  return {
    name: p.name,
    path: p.synthetic ? null : p.path,
    sha256: null,
    synthetic: p.synthetic ? (origin ?? { preset: 'unknown', seed: 0 }) : null,
    channels: ds.numUnits,
    duration_s: ds.durationSeconds,
  };
}

/** tmp file + rename: a reader (or a crash) sees the old manifest or the new one, never half. */
export async function writeManifestAtomically(dir: string, m: RecordingManifest): Promise<void> {
  const path = join(dir, RECORDING_FILES.manifest);
  await writeFile(`${path}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Overwrites the manifest's own blocks: what is left when the disk has no room for a new file. */
async function writeManifestInPlace(dir: string, m: RecordingManifest): Promise<void> {
  const fh = await open(join(dir, RECORDING_FILES.manifest), 'r+');
  try {
    const buf = Buffer.from(`${JSON.stringify(m)}\n`);
    await fh.write(buf, 0, buf.length, 0);
    await fh.truncate(buf.length);
  } finally {
    await fh.close();
  }
}
