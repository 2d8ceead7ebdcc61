/**
 * StudioApi on the engine, with no Electron import: Electron's IPC wiring and the browser
 * host's studio channel both forward untrusted (command, args) pairs here. Arguments are
 * validated before anything runs; refusals come back as StudioError with a stable code.
 */
import type {
  DatasetSummary,
  PlaybackSnapshot,
  StudioCommand,
  StudioCommandMap,
  StudioEvent,
  StudioEventMap,
  Unsubscribe,
} from '../../shared/studioApi.ts';
import { STUDIO_COMMANDS, STUDIO_EVENTS, type RedisStatus, type Scoreboard } from '../../shared/studioApi.ts';
import type { RedisConfig } from '../../shared/redisConfig.ts';
import { streamPath } from '../../shared/wire.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { performance } from 'node:perf_hooks';
import { processStats, startProcessStats } from '../common/processStats.ts';
import { APP_VERSION } from '../common/version.ts';
import type { WsUrls } from '../http/listener.ts';
import type { Engine } from '../playback/engine.ts';
import type { Session } from '../playback/session.ts';
import { StudioError, toStudioError } from './errors.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import { StudioPacketFeed } from './packetFeed.ts';
import { ReferenceDecoders } from './referenceDecoders.ts';
import { clientSummaries, datasetSummary, playbackSnapshot, recordingDetail, sessionSummary, targetSummaries, trialSummaries } from './projections.ts';
import type { RecentFiles } from './recentFiles.ts';
import { validateCommandArgs, validateEventArgs } from './validate.ts';
import type { RecordingService } from '../../shared/recordings.ts';

/** What the studio needs of the server: where it listens (status bar, stream URLs) and the live scores. */
export interface StudioServer extends WsUrls {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | null;
  readonly scoring: Scoring;
  /** The Redis bridge, where the host has one. */
  readonly redis?: RedisControl;
  readonly recordings: RecordingService;
}

/** What the studio needs of the Redis face (the face itself is the server's to mount). */
export interface RedisControl {
  connect(config: RedisConfig): Promise<RedisStatus>;
  disconnect(): Promise<RedisStatus>;
  status(): RedisStatus;
}

const REDIS_OFF: RedisStatus = { state: 'off', url: null, nextAttemptAt: null, lastError: 'this host has no Redis bridge', config: null, sessions: [], decoders: [] };

export interface StudioHostEffects {
  /** Shows a file dialog (Electron); absent in the browser host. */
  chooseFile?: () => Promise<string | null>;
  /** Presentation mode changed (Electron: enter/leave full screen). */
  onPresentation?: (on: boolean) => void;
  recent?: RecentFiles;
  /** How often polled subscriptions (sessions, clients, metrics) look for changes. Default 250 ms. */
  pollMs?: number;
  /** Packet coalescing period for the renderer. Default 50 ms (20 flushes/s at any speed). */
  packetFlushMs?: number;
}

type Handlers = {
  [K in StudioCommand]: (...args: StudioCommandMap[K]['args']) => Promise<StudioCommandMap[K]['result']> | StudioCommandMap[K]['result'];
};

export class StudioService {
  private readonly handlers: Handlers;
  private presentation = false;
  private readonly presentationListeners = new Set<(on: boolean) => void>();
  private readonly pollMs: number;
  private readonly flushMs: number;
  private readonly references = new ReferenceDecoders();

  constructor(
    private readonly engine: Engine,
    private readonly server: StudioServer,
    private readonly effects: StudioHostEffects = {},
  ) {
    this.pollMs = effects.pollMs ?? 250;
    this.flushMs = effects.packetFlushMs ?? 50;
    startProcessStats();
    const sessions = engine.sessions;
    const act = (code: string, fn: (s: Session) => void): PlaybackSnapshot => {
      const s = sessions.require(code);
      fn(s);
      return playbackSnapshot(s);
    };
    const openAndRemember = async (path: string): Promise<DatasetSummary> => {
      const ds = await engine.openDataset(path);
      await this.effects.recent?.add(ds.provenance.path);
      return datasetSummary(ds);
    };
    const recordings = server.recordings;
    const summaries = () => sessions.list().map((s) => sessionSummary(s, server, recordings.activeOn(s.code)));
    this.handlers = {
      listSessions: summaries,
      createSession: (req) => {
        const s = sessions.create(req.code || sessions.unusedCode(), req.filters, {
          speed: req.speed,
          loop: req.loop,
          paused: req.paused,
          blind: req.blind,
          evaluate: req.evaluate,
          bin_ms: req.binMs,
          perturbations: req.perturbations,
        });
        return sessionSummary(s, server, recordings.activeOn(s.code));
      },
      deleteSession: (code) => {
        sessions.require(code);
        sessions.delete(code, 'session deleted in the studio');
      },
      play: (code) => act(code, (s) => s.play()),
      pause: (code) => act(code, (s) => s.pause()),
      stop: (code) => act(code, (s) => s.stop()),
      seek: (code, seconds) => act(code, (s) => s.seek(seconds)),
      setSpeed: (code, speed) => act(code, (s) => s.setSpeed(speed)),
      setLoop: (code, loop) => act(code, (s) => s.setLoop(loop)),
      setFilters: (code, filters) => act(code, (s) => s.setFilters(filters)),
      setPerturbations: (code, p) => act(code, (s) => s.setPerturbations(p)),
      getPlayback: (code) => playbackSnapshot(sessions.require(code)),
      openDataset: (path) => openAndRemember(path),
      chooseDataset: async () => {
        const path = await this.effects.chooseFile?.();
        return path ? openAndRemember(path) : null;
      },
      recentDatasets: async () => (await this.effects.recent?.list()) ?? [],
      setPresentation: (on) => this.setPresentation(on),
      getDataset: () => datasetSummary(engine.dataset),
      getTrials: () => trialSummaries(engine.dataset),
      getTargets: () => targetSummaries(engine.dataset),
      resetScores: (code) => server.scoring.reset(sessions.require(code)),
      startReferenceDecoder: (code) => {
        const s = sessions.require(code);
        this.references.start(s.code, server.wsUrl(streamPath(s.code, 'binary')));
        return this.scoreboard(s).referenceDecoder!;
      },
      stopReferenceDecoder: (code) => this.references.stop(sessions.require(code).code),
      redisConnect: (config) => (server.redis ? server.redis.connect(config) : REDIS_OFF),
      redisDisconnect: () => (server.redis ? server.redis.disconnect() : REDIS_OFF),
      redisStatus: () => server.redis?.status() ?? REDIS_OFF,
      startRecording: (code) => recordings.start(sessions.require(code).code),
      stopRecording: (code) => recordings.stop(sessions.require(code).code),
      listRecordings: () => recordings.list(),
      getRecording: async (id) => recordingDetail(await recordings.get(id)),
      deleteRecording: (id) => recordings.delete(id),
      exportRecording: async (id, format) => (await recordings.export(id, format)).done,
      serverInfo: () => ({
        httpUrl: server.url,
        wsUrl: server.url.replace(/^http/, 'ws'),
        host: server.host,
        port: server.port,
        version: APP_VERSION,
        canChooseFile: this.effects.chooseFile !== undefined,
        token: server.token,
      }),
    };
  }

  /** Runs a command from an untrusted transport. Rejects with StudioError only. */
  async call(command: unknown, args: unknown): Promise<unknown> {
    try {
      if (typeof command !== 'string' || !(STUDIO_COMMANDS as readonly string[]).includes(command)) {
        throw new StudioError('unknown_command', `unknown studio command ${describeValue(command)}`);
      }
      const c = command as StudioCommand;
      const valid = validateCommandArgs(c, args);
      return await (this.handlers[c] as (...a: unknown[]) => unknown)(...valid);
    } catch (err) {
      throw toStudioError(err);
    }
  }

  /** Typed entry for in-process callers (tests, the Electron main). */
  invoke<K extends StudioCommand>(command: K, ...args: StudioCommandMap[K]['args']): Promise<StudioCommandMap[K]['result']> {
    return this.call(command, args) as Promise<StudioCommandMap[K]['result']>;
  }

  /** Subscribes an untrusted transport to an event; throws StudioError for a bad request. */
  subscribe(event: unknown, args: unknown, emit: (payload: unknown) => void): Unsubscribe {
    try {
      if (typeof event !== 'string' || !(STUDIO_EVENTS as readonly string[]).includes(event)) {
        throw new StudioError('unknown_event', `unknown studio event ${describeValue(event)}`);
      }
      const e = event as StudioEvent;
      const valid = validateEventArgs(e, args);
      return this.subscribeTyped(e, valid, emit as (p: StudioEventMap[typeof e]['event']) => void);
    } catch (err) {
      throw toStudioError(err);
    }
  }

  private subscribeTyped<E extends StudioEvent>(event: E, args: StudioEventMap[E]['args'], emit: (p: StudioEventMap[E]['event']) => void): Unsubscribe {
    const sessions = this.engine.sessions;
    const emitAny = emit as (p: unknown) => void;
    switch (event) {
      case 'sessions': {
        const read = () => sessions.list().map((s) => sessionSummary(s, this.server, this.server.recordings.activeOn(s.code)));
        const stopPoll = this.poll(read, emitAny);
        // A recording starting or failing shows at once (the record button), not at the next poll.
        const off = this.server.recordings.onChange(() => emitAny(read()));
        return () => {
          stopPoll();
          off();
        };
      }
      case 'recordings':
        return this.watchRecordings(emitAny);
      case 'exports': {
        const recordings = this.server.recordings;
        emitAny(recordings.exports());
        return recordings.onExport(() => emitAny(recordings.exports()));
      }
      case 'clients':
        return this.poll(() => clientSummaries(sessions.list()), emitAny);
      case 'metrics':
        return this.poll(() => {
          // The status bar shows the worst session's send lateness over the last minute.
          const now = performance.now();
          const list = sessions.list();
          let worst: ReturnType<Session['lateness']['summary']> | null = null;
          for (const s of list) {
            const l = s.lateness.summary(now);
            if ((l.p99_ms ?? -1) > (worst?.p99_ms ?? -1)) worst = l;
          }
          const proc = processStats();
          return {
            latenessP50Ms: worst?.p50_ms ?? null,
            latenessP99Ms: worst?.p99_ms ?? null,
            latenessMaxMs: worst?.max_ms ?? null,
            clients: list.reduce((n, s) => n + s.clientCount, 0),
            sessions: list.length,
            rssMb: proc.rss_mb,
            eventLoopLagP99Ms: proc.event_loop_lag_ms.p99,
          };
        }, emitAny, 1000);
      case 'dataset':
        emitAny(datasetSummary(this.engine.dataset));
        return this.engine.onDatasetChanged((ds) => emitAny(datasetSummary(ds)));
      case 'presentation': {
        const l = (on: boolean) => emitAny(on);
        this.presentationListeners.add(l);
        l(this.presentation);
        return () => this.presentationListeners.delete(l);
      }
      case 'playback': {
        const [code] = args as StudioEventMap['playback']['args'];
        // State changes arrive at once; the position is refreshed by polling while playing.
        let bound: Session | undefined;
        let off: Unsubscribe = () => {};
        const bind = () => {
          const s = sessions.get(code);
          if (s === bound) return;
          off();
          bound = s;
          off = s ? s.onState(() => emitAny(playbackSnapshot(s))) : () => {};
        };
        const stopPoll = this.poll(() => {
          bind();
          return bound ? playbackSnapshot(bound) : null;
        }, (p) => p && emitAny(p));
        return () => {
          stopPoll();
          off();
        };
      }
      case 'packets': {
        const [code] = args as StudioEventMap['packets']['args'];
        const feed = new StudioPacketFeed(sessions, this.server.scoring, code, this.flushMs, emitAny);
        return () => feed.close();
      }
      case 'scoreboard': {
        const [code] = args as StudioEventMap['scoreboard']['args'];
        return this.poll(() => {
          const s = sessions.get(code);
          return s ? this.scoreboard(s) : null;
        }, (b) => b && emitAny(b));
      }
      case 'redis':
        return this.poll(() => this.server.redis?.status() ?? REDIS_OFF, emitAny, 500);
    }
    throw new StudioError('unknown_event', `unknown studio event ${describeValue(event)}`);
  }

  /**
   * The recordings list: at once, on every change (start, stop, failure, delete), and every
   * second while one records (its duration and size grow). Reads never overlap.
   */
  private watchRecordings(emit: (list: unknown) => void): Unsubscribe {
    const recordings = this.server.recordings;
    let closed = false;
    let reading = false;
    let again = false;
    let last = '';
    const read = async () => {
      if (reading) return void (again = true);
      reading = true;
      try {
        do {
          again = false;
          const list = await recordings.list().catch(() => null);
          if (closed || !list) break;
          const json = JSON.stringify(list);
          if (json !== last) {
            last = json;
            emit(list);
          }
        } while (again && !closed);
      } finally {
        reading = false;
      }
    };
    void read();
    const off = recordings.onChange(() => void read());
    const timer = setInterval(() => {
      if (last.includes('"status":"recording"')) void read();
    }, 1000);
    return () => {
      closed = true;
      off();
      clearInterval(timer);
    };
  }

  /** Stops what the studio started (reference decoders); the server closes the rest. */
  close(): void {
    this.references.stopAll();
  }

  private scoreboard(s: Session): Scoreboard {
    const board = this.server.scoring.scoreboard(s);
    return { ...board, referenceDecoder: this.references.status(s.code, board.decoders) };
  }

  /** The host (Electron's View menu) switches presentation mode; renderers follow. */
  setPresentation(on: boolean): void {
    if (on === this.presentation) return;
    this.presentation = on;
    this.effects.onPresentation?.(on);
    for (const l of this.presentationListeners) l(on);
  }

  /** Emits `read()` now and whenever its JSON changes, checked every `ms`. */
  private poll<T>(read: () => T, emit: (v: T) => void, ms = this.pollMs): Unsubscribe {
    let last = '';
    const tick = () => {
      const v = read();
      const json = JSON.stringify(v);
      if (json !== last) {
        last = json;
        emit(v);
      }
    };
    tick();
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }
}
