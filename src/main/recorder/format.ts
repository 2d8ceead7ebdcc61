/**
 * The on-disk shape of a recording: what the recorder writes and the exporter reads.
 *
 * One folder per recording, `<root>/<SESSION-CODE>_<YYYYMMDD-HHMMSS>Z/` (UTC start time; a
 * `-2`, `-3`… suffix when taken), holding:
 *
 *   manifest.json      written when recording starts (atomically: tmp file + rename) and
 *                      rewritten when it stops or is recovered; `status` says which
 *   packets.jsonl      one PacketRecord per packet the session built (lost ones included)
 *   predictions.jsonl  one PredictionRecord per prediction received, scored or refused
 *   events.jsonl       one EventRecord per control or state change
 *   scores.jsonl       one ScoreRecord every SCORE_EVERY_MS and one at stop
 *
 * Every line is one JSON object ending in "\n", appended while the session runs and flushed
 * at least once a second, so a killed process loses at most the last second and at worst a
 * partial last line, which readers skip. Times are `t_ms`: milliseconds on the server's
 * monotonic clock since the recording started (`manifest.started_at` is that instant's wall
 * time), the same clock the scoreboard's latencies are measured on.
 */
import type { Axis, EvaluationWindow, Perturbations, SessionFilters } from '../../shared/wire.ts';
import type { DecoderSummary } from '../../shared/studioApi.ts';
import type { PredictionOutcome } from '../evaluation/sessionScoring.ts';
import type { SessionEventKind } from '../playback/session.ts';

export const RECORDING_FORMAT_VERSION = 1;
export const FLUSH_EVERY_MS = 1000;
export const SCORE_EVERY_MS = 5000;

export const RECORDING_FILES = {
  manifest: 'manifest.json',
  packets: 'packets.jsonl',
  predictions: 'predictions.jsonl',
  events: 'events.jsonl',
  scores: 'scores.jsonl',
} as const;

/**
 * recording: being written · complete: stopped normally · recovered: found unfinished at the
 * next start and closed then (stopped_at is the last record's time) · failed: stopped by an
 * error (disk full, folder gone), `error` says which.
 */
export type RecordingStatus = 'recording' | 'complete' | 'recovered' | 'failed';

export interface RecordingManifest {
  format_version: typeof RECORDING_FORMAT_VERSION;
  /** The folder name. */
  id: string;
  session_code: string;
  status: RecordingStatus;
  error: string | null;
  started_at: string; // ISO 8601, UTC
  stopped_at: string | null;
  duration_s: number | null;
  dataset: {
    name: string;
    /** Absolute path of the NWB file; null for the built-in synthetic recording. */
    path: string | null;
    sha256: string | null;
    synthetic: { preset: string; seed: number } | null;
    channels: number;
    duration_s: number;
  };
  bin_ms: number;
  blind: boolean;
  evaluate: EvaluationWindow;
  /** Perturbations in force when recording started (changes are events). */
  perturbations: Perturbations | null;
  app: { name: string; version: string; commit: string | null };
  /** `pid` (added): the writing process, so a second server on the same folder never "recovers" a live recording. */
  host: { hostname: string; platform: string; node: string; pid?: number };
  /** Every decoder seen during the recording (name, version, endpoint). */
  decoders: { name: string; version: string | null; endpoint: string }[];
  counts: { packets: number; predictions: number; events: number };
  /** Added: the best cumulative combined R² in the last score snapshot, for lists (null: none yet). */
  best_score?: { decoder: string; r2: number } | null;
}

/**
 * A packet as built: enough to rebuild its payload from the dataset (bin at `bin_ms`, the
 * session's perturbations, which are counter-based on `seq`).
 */
export interface PacketRecord {
  seq: number;
  /** Bin index at the session's width in the dataset's (filtered-timeline-independent) bins. */
  bin: number;
  t_ms: number;
  trial: number | null;
  /** Dropped on purpose by the `loss` perturbation: decoders never received it. */
  lost?: true;
}

export interface PredictionRecord {
  decoder: string;
  seq: number;
  /** Arrival on our monotonic clock. */
  t_ms: number;
  /**
   * Arrival minus the time the packet was sent to this decoder, as the scoreboard measures it:
   * WebSocket decoders from the packet's send time (its `t_ms`), Redis decoders from our XADD of
   * it (at or a little after `t_ms`: publishing is batched). Null when the sequence number was never sent.
   */
  latency_ms: number | null;
  /** What the decoder said it took, if it did. */
  reported_latency_ms: number | null;
  values: Partial<Record<Axis, number>>;
  outcome: RecordedOutcome;
}

/**
 * What became of a prediction (scoring's PredictionOutcome, or `invalid`: it could not be read),
 * in a fixed order: NWB stores an outcome as its position here.
 */
export const OUTCOMES = ['scored', 'late', 'duplicate', 'stale', 'unknown', 'invalid'] as const;
export type RecordedOutcome = (typeof OUTCOMES)[number];
// The list names exactly scoring's outcomes and `invalid`: a new outcome fails to compile here.
const _sameOutcomes: [RecordedOutcome] extends [PredictionOutcome | 'invalid'] ? ([PredictionOutcome | 'invalid'] extends [RecordedOutcome] ? true : never) : never = true;
void _sameOutcomes;

/** A session's own events, and the recording's start and stop around them. */
export type EventKind = 'recording_started' | 'recording_stopped' | SessionEventKind;

export interface EventRecord {
  t_ms: number;
  kind: EventKind;
  /** Session-timeline seconds when it happened. */
  position_s: number;
  /** Kind-specific: { speed }, { to_s }, { loop }, { filters: SessionFilters }, { perturbations },
   * { decoder, version, endpoint, address }, { decoder, code, reason }, { path, sha256 }… */
  detail: Record<string, unknown>;
}

export interface ScoreRecord {
  t_ms: number;
  decoders: DecoderSummary[];
}

/** Filters as recorded in `filters` events. */
export type RecordedFilters = SessionFilters;
