/**
 * The one contract between the engine and the studio UI.
 *
 * The renderer talks only to `StudioApi`. In Electron the preload implements it over IPC; in
 * the browser host a small client implements it over the WebSocket studio channel. Both
 * transports, and main's handlers, are typed from the maps below, so a channel name or a
 * payload that does not match fails to compile everywhere at once.
 */
import type { RedisConfig } from './redisConfig.ts';
import type { Axis, ClientEndpoint, EvaluationWindow, Perturbations, PlaybackStatus, SessionFilters } from './wire.ts';

// ---------------------------------------------------------------- payloads

export interface DatasetSummary {
  path: string;
  name: string;
  synthetic: boolean;
  description: string;
  numUnits: number;
  numTrials: number;
  numTargets: number;
  durationSeconds: number;
  totalPackets: number;
  totalSpikes: number;
  hasKinematics: boolean;
  notes: string[];
  /** Workspace extent of the targets and cursor, mm, for the 2-D view. */
  bounds: { xMin: number; xMax: number; yMin: number; yMax: number } | null;
}

export interface TrialSummary {
  id: number;
  targetId: number | null;
  success: boolean | null;
  startTime: number;
  duration: number;
}

export interface TargetSummary {
  id: number;
  x: number;
  y: number;
  numTrials: number;
}

/** A session's playback as the studio shows it; the two shapes below add to it. */
export interface PlaybackInfo {
  code: string;
  status: PlaybackStatus;
  /** Seconds into the session timeline (the filtered timeline when a filter is set). */
  positionS: number;
  durationS: number;
  speed: number;
  loop: boolean;
  filters: SessionFilters;
  packetsSent: number;
  /** Recording time of the next packet. */
  recordingTimeS: number;
  /** Packets carry no kinematics or intention (decoders cannot peek); scoring goes on. */
  blind: boolean;
  evaluate: EvaluationWindow;
  /** Width of a bin (5, 10, 20, 25 or 50 ms): packets go out at 1000 / binMs Hz at 1×. */
  binMs: number;
  /** Seeded stress on what decoders receive (the raster shows it too); null: the clean stream. */
  perturbations: Perturbations | null;
}

/** The followed session, for the transport and plots. */
export interface PlaybackSnapshot extends PlaybackInfo {
  /** Session-timeline seconds where trials start (scrubber marks). */
  trialStartsS: number[];
}

/** A row of the sessions list. */
export interface SessionSummary extends PlaybackInfo {
  clients: number;
  streamUrl: string;
  binaryStreamUrl: string;
  /** The recording running on this session, if any (the record button's red dot and clock). */
  recording: { id: string; startedAt: string } | null;
}

// ---------------------------------------------------------------- recordings

/** recording: being written · complete · recovered: found unfinished at a start and closed · failed: stopped by an error. */
export type RecordingState = 'recording' | 'complete' | 'recovered' | 'failed';

/** A row of the recordings list. */
export interface RecordingSummary {
  /** The folder name: `<code>_<YYYYMMDD-HHMMSS>Z`. */
  id: string;
  sessionCode: string;
  status: RecordingState;
  /** Why it failed (disk full, folder removed…); null otherwise. */
  error: string | null;
  /** ISO 8601, UTC. */
  startedAt: string;
  stoppedAt: string | null;
  /** Seconds recorded (so far, while recording). */
  durationS: number;
  dataset: { name: string; synthetic: boolean };
  decoders: string[];
  /** The best cumulative combined R² at the last score snapshot. */
  best: { decoder: string; r2: number } | null;
  counts: { packets: number; predictions: number; events: number };
  sizeBytes: number;
}

/** One control or state event as recorded (events.jsonl). */
export interface RecordedEvent {
  t_ms: number;
  kind: string;
  position_s: number;
  detail: Record<string, unknown>;
}

/** One recording opened in the studio: its events and each decoder's combined R² over time. */
export interface RecordingDetail {
  summary: RecordingSummary;
  events: RecordedEvent[];
  scores: Array<{ tMs: number; decoders: Array<{ name: string; r2: number | null; n: number; latencyP50Ms: number | null }> }>;
}

export interface ClientSummary {
  id: number;
  session: string;
  endpoint: ClientEndpoint;
  address: string;
  packetsSent: number;
  drops: number;
  /** Bytes queued on the socket: how far behind the client is. */
  bufferedBytes: number;
}

export interface MetricsSummary {
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
  clients: number;
  sessions: number;
  rssMb: number;
  eventLoopLagP99Ms: number;
}

export interface ServerInfo {
  httpUrl: string;
  wsUrl: string;
  host: string;
  port: number;
  version: string;
  /** The host has a native file dialog (Electron): `chooseDataset` shows it. */
  canChooseFile: boolean;
  /** The token remote clients must present (`?token=`), or null when none is required. */
  token: string | null;
}

/** One packet, slimmed for drawing: the same bin the decoders receive. */
export interface StudioPacket {
  seq: number;
  bin: number;
  /** Session-timeline seconds of this packet. */
  positionS: number;
  counts: number[];
  x: number | null;
  y: number | null;
  vx: number | null;
  vy: number | null;
  trialId: number | null;
  trialTimeMs: number | null;
  targetId: number | null;
}

/** One decoder's answer to one packet, for the overlays (decoded cursor and traces). */
export interface StudioPrediction {
  seq: number;
  /** DecoderSummary.id */
  decoder: string;
  x: number | null;
  y: number | null;
  vx: number | null;
  vy: number | null;
}

/** Packets coalesced per flush, so a 20× session does not flood the renderer. */
export interface PacketBatch {
  code: string;
  packets: StudioPacket[];
  /** Predictions that arrived since the last batch (for packets of this batch or earlier ones). */
  predictions: StudioPrediction[];
}

export interface CreateSessionRequest {
  code?: string;
  filters?: SessionFilters;
  speed?: number;
  loop?: boolean;
  paused?: boolean;
  blind?: boolean;
  evaluate?: EvaluationWindow;
  binMs?: number;
  perturbations?: Perturbations | null;
}

// ---------------------------------------------------------------- live scoring

/** One output's scores as scikit-learn defines them; null where undefined (fewer than 2 pairs, constant data). */
export interface AxisScore {
  r2: number | null;
  r: number | null;
  rmse: number | null;
  /** Pairs scored. */
  n: number;
}

export interface ScoreSet {
  axes: Partial<Record<Axis, AxisScore>>;
  /** `r2_score(..., multioutput='variance_weighted')` over the predicted axes (FALCON's metric). */
  r2: number | null;
  n: number;
}

/** Round-trip latency: arrival of the prediction − send of its packet, on the server's monotonic clock. */
export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface DecoderCounts {
  /** Prediction messages received. */
  predictions: number;
  /** Predictions scored (a bin in the evaluation window with a finite truth). */
  evaluated: number;
  /** Packets sent after the first one it answered that got no prediction within a second. */
  missing: number;
  /** Predictions that arrived after the session had sent its next packet. */
  late: number;
  /** Second and later predictions for one packet (the first wins). */
  duplicates: number;
  /** For packets too old to join (over the join window) or sent before the decoder connected or the last reset. */
  stale: number;
  /** For sequence numbers the session never sent. */
  unknown: number;
  /** Malformed: wrong types, non-finite values, no axis. */
  invalid: number;
  /** Dropped because the decoder sent far more than the packet rate. */
  throttled: number;
}

export interface DecoderSummary {
  /** Stable key for the row, colours and overlays. */
  id: string;
  name: string;
  version: string | null;
  endpoint: ClientEndpoint | 'redis';
  address: string;
  connected: boolean;
  /** The axes it has predicted. */
  axes: Axis[];
  counts: DecoderCounts;
  /** Since the session's scores were last reset. */
  cumulative: ScoreSet;
  /** The last 30 s of wall time. */
  rolling: ScoreSet;
  latency: LatencySummary;
  rollingLatency: LatencySummary;
  /** Median of the `latency_ms` the decoder reports for its own compute, if it does. */
  reportedLatencyP50Ms: number | null;
  /** Combined R² per trial, oldest first (the most recent trials). */
  trials: Array<{ trialId: number; r2: number | null; n: number }>;
}

export interface Scoreboard {
  code: string;
  blind: boolean;
  evaluate: EvaluationWindow;
  /** When the scores were last reset (Unix ms). */
  resetAt: number;
  decoders: DecoderSummary[];
  /** The reference decoder the studio starts for this session, if any. */
  referenceDecoder: ReferenceDecoderStatus | null;
}

export interface ReferenceDecoderStatus {
  /** The decoder's name on the scoreboard. */
  name: string;
  state: 'starting' | 'training' | 'predicting' | 'exited';
  /** Its last line of output (training progress, or why it exited). */
  message: string;
}

// ---------------------------------------------------------------- recordings: export

export const EXPORT_FORMATS = ['nwb', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const isExportFormat = (v: unknown): v is ExportFormat => (EXPORT_FORMATS as readonly unknown[]).includes(v);

/** An export of a recording (run as its own process), as it goes and as it ended. */
export interface ExportJob {
  recordingId: string;
  format: ExportFormat;
  state: 'running' | 'done' | 'failed';
  /** What it is doing ("writing predictions"…), and how far (0–1). */
  stage: string;
  fraction: number;
  /** The NWB file or CSV folder written (when done). */
  path: string | null;
  files: string[];
  /** What could not be included and why (empty: everything). */
  omitted: string[];
  error: string | null;
  startedAt: number;
  endedAt: number | null;
}

// ---------------------------------------------------------------- Redis bridge (BRAND)

/** off: not configured; retrying: Redis unreachable, the next attempt is at `nextAttemptAt`. */
export type RedisState = 'off' | 'connecting' | 'connected' | 'retrying';

/** One published session: its streams and what became of its entries. */
export interface RedisSessionStatus {
  code: string;
  /** Stream names, BRAND's `binned_spikes` first; the truth's streams are absent for blind sessions. */
  streams: string[];
  /** The key holding the session metadata (JSON), written before the first entry. */
  metadataKey: string;
  /** Entries Redis acknowledged (one per packet; each packet is one entry in every stream). */
  written: number;
  /** Dropped before writing: Redis too slow, the pending queue was full. */
  dropped: number;
  /** Could not be written: Redis unreachable or it answered an error. */
  failed: number;
  /** Spike counts above 127 clipped to fit int8. */
  clipped: number;
  /** Packet → acknowledged write, last pipeline (ms). */
  lagMs: number | null;
}

/** One decoder stream read back and scored. */
export interface RedisDecoderStatus {
  stream: string;
  name: string;
  axes: Axis[];
  /** Entries read. */
  entries: number;
  /** Joined to a published entry and handed to the scoreboard. */
  scored: number;
  /** Skipped: wrong sizes or types, no i_in, unknown session. */
  malformed: number;
  lastProblem: string | null;
}

export interface RedisStatus {
  state: RedisState;
  /** redis://HOST:PORT/DB, or null when off. */
  url: string | null;
  /** Unix ms of the next connection attempt while retrying. */
  nextAttemptAt: number | null;
  lastError: string | null;
  config: RedisConfig | null;
  sessions: RedisSessionStatus[];
  decoders: RedisDecoderStatus[];
}

// ---------------------------------------------------------------- the maps

/** Commands: name → (argument tuple, result). Every command returns a promise. */
export interface StudioCommandMap {
  listSessions: { args: []; result: SessionSummary[] };
  createSession: { args: [req: CreateSessionRequest]; result: SessionSummary };
  deleteSession: { args: [code: string]; result: void };
  play: { args: [code: string]; result: PlaybackSnapshot };
  pause: { args: [code: string]; result: PlaybackSnapshot };
  stop: { args: [code: string]; result: PlaybackSnapshot };
  seek: { args: [code: string, seconds: number]; result: PlaybackSnapshot };
  setSpeed: { args: [code: string, speed: number]; result: PlaybackSnapshot };
  setLoop: { args: [code: string, loop: boolean]; result: PlaybackSnapshot };
  setFilters: { args: [code: string, filters: SessionFilters]; result: PlaybackSnapshot };
  /** Puts the stream under seeded stress, changes it, or (null) restores the clean stream. */
  setPerturbations: { args: [code: string, perturbations: Perturbations | null]; result: PlaybackSnapshot };
  getPlayback: { args: [code: string]; result: PlaybackSnapshot };
  /** Opens a file by path (browser host) — Electron's File › Open uses `chooseDataset`. */
  openDataset: { args: [path: string]; result: DatasetSummary };
  /** Shows the host's file dialog, if it has one; null when cancelled or unavailable. */
  chooseDataset: { args: []; result: DatasetSummary | null };
  recentDatasets: { args: []; result: string[] };
  /** Enter or leave presentation mode (Electron: full screen); every window follows the `presentation` event. */
  setPresentation: { args: [on: boolean]; result: void };
  getDataset: { args: []; result: DatasetSummary };
  getTrials: { args: []; result: TrialSummary[] };
  getTargets: { args: []; result: TargetSummary[] };
  serverInfo: { args: []; result: ServerInfo };
  /** Starts every decoder's scores of the session afresh. */
  resetScores: { args: [code: string]; result: void };
  /** Starts the reference (ridge) decoder as a client process of the session. */
  startReferenceDecoder: { args: [code: string]; result: ReferenceDecoderStatus };
  stopReferenceDecoder: { args: [code: string]; result: void };
  /** Publishes to Redis (BRAND's conventions) and scores the decoder streams named; replaces a previous bridge. */
  redisConnect: { args: [config: RedisConfig]; result: RedisStatus };
  redisDisconnect: { args: []; result: RedisStatus };
  redisStatus: { args: []; result: RedisStatus };
  /** Starts recording the session into a new folder of the recordings root. */
  startRecording: { args: [code: string]; result: RecordingSummary };
  stopRecording: { args: [code: string]; result: RecordingSummary };
  listRecordings: { args: []; result: RecordingSummary[] };
  getRecording: { args: [id: string]; result: RecordingDetail };
  deleteRecording: { args: [id: string]; result: void };
  /**
   * Exports a stopped recording into its folder (NWB or CSV) and resolves when the export ends:
   * the job as it ended, `state` done or failed (the `exports` event shows it as it goes).
   */
  exportRecording: { args: [id: string, format: ExportFormat]; result: ExportJob };
}

/** Subscriptions: name → (argument tuple, event payload). */
export interface StudioEventMap {
  sessions: { args: []; event: SessionSummary[] };
  playback: { args: [code: string]; event: PlaybackSnapshot };
  packets: { args: [code: string]; event: PacketBatch };
  clients: { args: []; event: ClientSummary[] };
  metrics: { args: []; event: MetricsSummary };
  dataset: { args: []; event: DatasetSummary };
  /** The host asks for presentation mode (Electron: View › Presentation, full screen). */
  presentation: { args: []; event: boolean };
  /** The session's live scoreboard, a few times a second. */
  scoreboard: { args: [code: string]; event: Scoreboard };
  /** The Redis bridge's status, when it changes (checked a few times a second). */
  redis: { args: []; event: RedisStatus };
  /** The recordings list, on every start, stop, failure or delete, and while any records. */
  recordings: { args: []; event: RecordingSummary[] };
  /** Exports running and recently ended (newest last): at once, and on every progress step. */
  exports: { args: []; event: ExportJob[] };
}

export type StudioCommand = keyof StudioCommandMap;
export type StudioEvent = keyof StudioEventMap;

export type Unsubscribe = () => void;

/** What the renderer sees: commands return promises, subscriptions return an unsubscribe. */
export type StudioApi = {
  [K in StudioCommand]: (...args: StudioCommandMap[K]['args']) => Promise<StudioCommandMap[K]['result']>;
} & {
  subscribe<E extends StudioEvent>(
    event: E,
    args: StudioEventMap[E]['args'],
    listener: (payload: StudioEventMap[E]['event']) => void,
  ): Unsubscribe;
};

/** Every command name, for hosts that must register or expose each one (checked against the map). */
export const STUDIO_COMMANDS = [
  'listSessions',
  'createSession',
  'deleteSession',
  'play',
  'pause',
  'stop',
  'seek',
  'setSpeed',
  'setLoop',
  'setFilters',
  'setPerturbations',
  'getPlayback',
  'openDataset',
  'chooseDataset',
  'recentDatasets',
  'setPresentation',
  'getDataset',
  'getTrials',
  'getTargets',
  'serverInfo',
  'resetScores',
  'startReferenceDecoder',
  'stopReferenceDecoder',
  'redisConnect',
  'redisDisconnect',
  'redisStatus',
  'startRecording',
  'stopRecording',
  'listRecordings',
  'getRecording',
  'deleteRecording',
  'exportRecording',
] as const satisfies readonly StudioCommand[];

export const STUDIO_EVENTS = ['sessions', 'playback', 'packets', 'clients', 'metrics', 'dataset', 'presentation', 'scoreboard', 'redis', 'recordings', 'exports'] as const satisfies readonly StudioEvent[];

// Compile-time check that the lists above name every command and event exactly.
type Missing<A extends string, L extends readonly string[]> = Exclude<A, L[number]>;
const _allCommands: Missing<StudioCommand, typeof STUDIO_COMMANDS> extends never ? true : never = true;
const _allEvents: Missing<StudioEvent, typeof STUDIO_EVENTS> extends never ? true : never = true;
void _allCommands;
void _allEvents;

/** IPC channel names: one per command (derived from the map keys), three for subscriptions. */
export const ipcCommandChannel = (c: StudioCommand) => `studio:cmd:${c}` as const;
export const IPC_SUBSCRIBE = 'studio:subscribe';
export const IPC_UNSUBSCRIBE = 'studio:unsubscribe';
export const IPC_EVENT = 'studio:event';

/** What an IPC command handler returns: errors travel as data, since Electron keeps only an Error's message. */
export type IpcResult = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** Studio channel (browser host) frames. */
export type StudioClientFrame =
  | { kind: 'call'; id: number; command: StudioCommand; args: unknown[] }
  | { kind: 'subscribe'; id: number; event: StudioEvent; args: unknown[] }
  | { kind: 'unsubscribe'; id: number };

export type StudioServerFrame =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { kind: 'event'; id: number; payload: unknown };
