/**
 * The one contract between the engine and the studio UI.
 *
 * The renderer talks only to `StudioApi`. In Electron the preload implements it over IPC; in
 * the browser host a small client implements it over the WebSocket studio channel. Both
 * transports, and main's handlers, are typed from the maps below, so a channel name or a
 * payload that does not match fails to compile everywhere at once.
 */
import type { ClientEndpoint, PlaybackStatus, SessionFilters } from './wire.ts';

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

/** Packets coalesced per flush, so a 20× session does not flood the renderer. */
export interface PacketBatch {
  code: string;
  packets: StudioPacket[];
}

export interface CreateSessionRequest {
  code?: string;
  filters?: SessionFilters;
  speed?: number;
  loop?: boolean;
  paused?: boolean;
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
  'getPlayback',
  'openDataset',
  'chooseDataset',
  'recentDatasets',
  'setPresentation',
  'getDataset',
  'getTrials',
  'getTargets',
  'serverInfo',
] as const satisfies readonly StudioCommand[];

export const STUDIO_EVENTS = ['sessions', 'playback', 'packets', 'clients', 'metrics', 'dataset', 'presentation'] as const satisfies readonly StudioEvent[];

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
