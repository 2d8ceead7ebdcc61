/**
 * The wire contract decoders code against (shared/spec/binary-streaming-guide.md).
 *
 * The same object shapes travel as JSON text on `/stream/{code}` and as MessagePack on
 * `/stream/binary/{code}`. Fields named in the guide are never renamed or dropped; extra
 * fields are allowed and marked as such below.
 */

export interface StreamMetadata {
  num_channels: number;
  frequency_hz: number;
  duration_seconds: number;
  total_packets: number;
  // ---- extras beyond the guide ----
  bin_size_ms: number;
  /** Number of packets in this session's timeline (after trial/target filters). */
  timeline_packets: number;
  /** NWB unit ids, in channel order: channel_ids[i] is unit_ids[i]. */
  unit_ids: number[];
  num_trials: number;
  num_targets: number;
  units: { position: string; velocity: string; time: string };
  dataset: DatasetProvenance;
  filters: SessionFilters;
  speed: number;
  loop: boolean;
  /** The session withholds the truth: kinematics and intention are null in every packet. */
  blind: boolean;
  /** Which bins decoders' predictions are scored on. */
  evaluate: EvaluationWindow;
  /** What is done to the stream (null: nothing). Hidden in blind sessions. */
  perturbations: Perturbations | null;
}

/**
 * Seeded stress applied to the packets about to be sent, never to the dataset; scoring still
 * compares with the unperturbed truth. Every kind is optional and they compose. Times (`at_s`,
 * `period_s`) are seconds of the session's stream (sequence_number × bin width), so the same
 * seed and settings give the same packets.
 */
export interface Perturbations {
  seed: number;
  /** Channels silenced: a list, or a fraction chosen from the seed; from `at_s` on. */
  dropout?: { channels?: number[]; fraction?: number; at_s?: number };
  /** The array moved: every channel reads its neighbour `shift` away, or a seeded permutation; from `at_s` on. */
  shuffle?: { mode: 'shift' | 'permute'; shift?: number; at_s?: number };
  /**
   * Per-channel firing-rate gain drifting slowly: log-gain a mean-reverting random walk (sd
   * `amount`, correlation time 60 s) or a sinusoid of amplitude `amount` and period `period_s`.
   */
  drift?: { mode: 'walk' | 'sine'; amount: number; period_s?: number };
  /** Counts added to every channel: Poisson(`amount`) or round(Gaussian(0, `amount`)), never below zero. */
  noise?: { mode: 'poisson' | 'gaussian'; amount: number };
  /** All channels spike together now and then: `rate_hz` bursts a second, `count` spikes each. */
  bursts?: { rate_hz: number; count: number };
  /** Packets held back by a uniform random delay up to `max_ms`; order kept. */
  jitter?: { max_ms: number };
  /** A fraction of packets not sent: their sequence numbers are gaps, as real loss would be. */
  loss?: { fraction: number };
}

export const PERTURBATION_KINDS = ['dropout', 'shuffle', 'drift', 'noise', 'bursts', 'jitter', 'loss'] as const;
export type PerturbationKind = (typeof PERTURBATION_KINDS)[number];

/**
 * Which bins are scored: every bin with a finite truth (`all`), only bins inside trials
 * (`trials`), or the movement window the NLB uses for MC_Maze (`movement`: move_onset_time
 * −250 ms … +450 ms of each trial).
 */
export type EvaluationWindow = 'all' | 'trials' | 'movement';
export const EVALUATION_WINDOWS: readonly EvaluationWindow[] = ['all', 'trials', 'movement'];

/** The predicted quantities a decoder may send back (units as in the packets: mm, mm/s). */
export type Axis = 'x' | 'y' | 'vx' | 'vy';
export const AXES: readonly Axis[] = ['x', 'y', 'vx', 'vy'];

export interface DatasetProvenance {
  /** Absolute path of the file the engine loaded (the synthetic recording's cache file too). */
  path: string;
  name: string;
  synthetic: boolean;
  description: string;
}

/** The two stream endpoints a decoder connects to: JSON text or MessagePack. */
export type ClientEndpoint = 'json' | 'binary';

/** The endpoint paths; `{session_code}` is the session's code, percent-encoded. */
export const STREAM_PATHS: Record<ClientEndpoint, string> = {
  json: '/stream/{session_code}',
  binary: '/stream/binary/{session_code}',
};

/** The path of a session's stream on an endpoint. */
export function streamPath(code: string, endpoint: ClientEndpoint): string {
  return STREAM_PATHS[endpoint].replace('{session_code}', encodeURIComponent(code));
}

export interface SessionFilters {
  trial_id: number | null;
  target_id: number | null;
}

export interface MetadataMessage extends StreamMetadata {
  type: 'metadata';
  data: StreamMetadata;
  session: { code: string; url: string };
}

export interface SpikesField {
  channel_ids: number[];
  spike_counts: number[];
  bin_size_ms: number;
}

/** A field is null where the bin has no finite behaviour sample (JSON has no NaN). */
export interface KinematicsField {
  vx: number | null;
  vy: number | null;
  x: number | null;
  y: number | null;
}

export interface IntentionField {
  target_id: number | null;
  target_x: number | null;
  target_y: number | null;
  distance_to_target: number | null;
}

export interface DataPacket {
  type: 'data';
  /** Wall-clock Unix seconds at send. */
  timestamp: number;
  /** Per session, +1 per packet built; gaps seen by a client are its own drops. */
  sequence_number: number;
  spikes: SpikesField;
  kinematics: KinematicsField;
  intention: IntentionField;
  trial_id: number | null;
  trial_time_ms: number | null;
  // ---- extras beyond the guide ----
  /** Bin index in the recording (bin k covers [k·25 ms, (k+1)·25 ms)). */
  bin_index: number;
  /** Start of the bin on the recording's clock, seconds. */
  time_s: number;
  /** Packets a second at 1× (40 at the default 25 ms bins; spikes.bin_size_ms says the width). */
  frequency_hz: number;
}

export interface ErrorMessage {
  type: 'error';
  /** Stable machine-readable reason, e.g. `invalid_session_code`. */
  code: string;
  message: string;
  /** For a report of refused predictions: how many since the last report. */
  count?: number;
}

/**
 * The answer to a client's control message (pause, seek, ping…). Never sent unasked: the
 * guide's Quick Start reads `sequence_number` from every message after the metadata.
 */
export interface StatusMessage {
  type: 'status';
  state: PlaybackStatus;
  position_s: number;
  speed: number;
  loop: boolean;
}

export type PlaybackStatus = 'playing' | 'paused' | 'ended';

export type ServerMessage = MetadataMessage | DataPacket | ErrorMessage | StatusMessage;

/**
 * A decoder's answer to data packet `sequence_number`: any non-empty subset of the four axes
 * (null = no estimate). Never answered (no reply traffic at the packet rate); bad ones are
 * counted and reported in an `error` message at most once a second.
 */
export interface PredictionMessage {
  type: 'prediction';
  sequence_number: number;
  x?: number | null;
  y?: number | null;
  vx?: number | null;
  vy?: number | null;
  /** The decoder's own compute time, reported beside the measured round trip. */
  latency_ms?: number;
}

/** A decoder names itself (or use `?decoder=NAME` on connect). */
export interface HelloMessage {
  type: 'hello';
  decoder: string;
  version?: string;
}

/** Messages a client may send on a stream socket (JSON or MessagePack, same shapes). */
export type ClientMessage =
  | { type: 'ping' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'seek'; position_s: number }
  | { type: 'speed'; speed: number }
  | { type: 'loop'; loop: boolean }
  | PredictionMessage
  | HelloMessage
  /** Starts every decoder's scores of this session afresh. */
  | { type: 'reset_scores' };

/**
 * WebSocket close codes (4xxx are ours; 1001 is "going away" on shutdown; 1006 is recorded,
 * never sent, for a peer cut off without a closing handshake).
 */
export const CloseCode = {
  GoingAway: 1001,
  Abnormal: 1006,
  /** A client that keeps sending far more messages than the packet rate (a flood). */
  PolicyViolation: 1008,
  InvalidRequest: 4000,
  Unauthorized: 4401,
  NotFound: 4404,
  FilterConflict: 4409,
  TooSlow: 4408,
  SessionLimit: 4429,
  SessionDeleted: 4410,
} as const;

export const SESSION_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SPEED_MIN = 0.1;
export const SPEED_MAX = 20;

export function isValidSessionCode(code: string): boolean {
  return SESSION_CODE_PATTERN.test(code);
}
