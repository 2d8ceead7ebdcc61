/**
 * A stand-in for the recorder (issue 12 §1, written in parallel): records a real session of a
 * real server into the recording format (src/main/recorder/format.ts), so export can be tested
 * on what a session really streams and scores. Packets come from a session subscriber (the bin
 * and send time the session logged), predictions and their outcomes from the session's real
 * scoring (its `predict` is observed, not replaced), scores from its scoreboard. Events are
 * written by the test as it acts. To be replaced by the real recorder after merge.
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataPacket } from '../../src/shared/wire.ts';
import type { Session } from '../../src/main/playback/session.ts';
import type { RunningServer } from '../../src/main/server.ts';
import type { SessionScoring } from '../../src/main/evaluation/sessionScoring.ts';
import {
  RECORDING_FILES,
  RECORDING_FORMAT_VERSION,
  type EventKind,
  type EventRecord,
  type PacketRecord,
  type PredictionRecord,
  type RecordingManifest,
  type ScoreRecord,
} from '../../src/main/recorder/format.ts';

export interface TestRecording {
  dir: string;
  /** Appends an event now (the test calls it when it acts on the session). */
  event(kind: EventKind, detail?: Record<string, unknown>): void;
  /** Writes a score snapshot from the live scoreboard. */
  snapshot(): void;
  /** Stops recording: a last snapshot, the manifest rewritten `complete`. */
  stop(): void;
}

export function recordSession(server: RunningServer, session: Session, dir: string, dataset: RecordingManifest['dataset']): TestRecording {
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const counts = { packets: 0, predictions: 0, events: 0 };
  const decoders = new Map<string, RecordingManifest['decoders'][number]>();
  const line = (file: keyof typeof RECORDING_FILES, record: unknown) => appendFileSync(join(dir, RECORDING_FILES[file]), JSON.stringify(record) + '\n');
  const manifest = (status: RecordingManifest['status'], stoppedMs: number | null): RecordingManifest => ({
    format_version: RECORDING_FORMAT_VERSION,
    id: dir.split('/').at(-1)!,
    session_code: session.code,
    status,
    error: null,
    started_at: startedAt,
    stopped_at: stoppedMs === null ? null : new Date(Date.parse(startedAt) + stoppedMs).toISOString(),
    duration_s: stoppedMs === null ? null : stoppedMs / 1000,
    dataset,
    bin_ms: session.settings.bin_ms,
    blind: session.settings.blind,
    evaluate: session.settings.evaluate,
    perturbations: null,
    app: { name: 'phantomlink-studio', version: 'test', commit: null },
    host: { hostname: 'test', platform: process.platform, node: process.version },
    decoders: [...decoders.values()],
    counts: { ...counts },
  });
  writeFileSync(join(dir, RECORDING_FILES.manifest), JSON.stringify(manifest('recording', null), null, 2));

  const subscriber = {
    onPacket(p: DataPacket) {
      const slot = session.sent.slotOf(p.sequence_number);
      const record: PacketRecord = { seq: p.sequence_number, bin: p.bin_index, t_ms: session.sent.sentAtMs(slot) - t0, trial: p.trial_id };
      line('packets', record);
      counts.packets++;
    },
  };
  session.attach(subscriber);

  const scoring: SessionScoring = server.scoring.of(session);
  const predict = scoring.predict.bind(scoring);
  scoring.predict = (decoder, seq, values, reportedMs, arrivalMs) => {
    const outcome = predict(decoder, seq, values, reportedMs, arrivalMs);
    const slot = session.sent.slotOf(seq);
    const sentAt = slot >= 0 ? session.sent.sentAtMs(slot) : NaN;
    const kept: PredictionRecord['values'] = {};
    for (const [axis, v] of Object.entries(values)) if (Number.isFinite(v)) kept[axis as keyof typeof kept] = v;
    const record: PredictionRecord = {
      decoder: decoder.name,
      seq,
      t_ms: arrivalMs - t0,
      latency_ms: Number.isFinite(sentAt) ? arrivalMs - sentAt : null,
      reported_latency_ms: Number.isFinite(reportedMs) ? reportedMs : null,
      values: kept,
      outcome,
    };
    line('predictions', record);
    counts.predictions++;
    if (!decoders.has(decoder.name)) decoders.set(decoder.name, { name: decoder.name, version: decoder.version, endpoint: decoder.endpoint });
    return outcome;
  };

  const now = () => performance.now() - t0;
  const rec: TestRecording = {
    dir,
    event(kind, detail = {}) {
      const record: EventRecord = { t_ms: now(), kind, position_s: session.state().position_s, detail };
      line('events', record);
      counts.events++;
    },
    snapshot() {
      const record: ScoreRecord = { t_ms: now(), decoders: scoring.summaries() };
      line('scores', record);
    },
    stop() {
      rec.event('recording_stopped');
      rec.snapshot();
      session.detach(subscriber);
      scoring.predict = predict;
      writeFileSync(join(dir, RECORDING_FILES.manifest), JSON.stringify(manifest('complete', now()), null, 2));
    },
  };
  rec.event('recording_started');
  return rec;
}
