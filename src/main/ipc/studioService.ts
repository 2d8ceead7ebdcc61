/**
 * StudioApi on the engine, with no Electron import: Electron's IPC wiring and the browser
 * host's studio channel both forward untrusted (command, args) pairs here. Arguments are
 * validated before anything runs; refusals come back as StudioError with a stable code.
 */
import type { Engine } from '../engine.ts';
import type { Dataset } from '../dataset/types.ts';
import { DatasetError } from '../dataset/errors.ts';
import type { Session } from '../playback/session.ts';
import { SessionError, generateSessionCode } from '../playback/sessionManager.ts';
import { FilterError } from '../playback/timeline.ts';
import type { RunningServer } from '../server/index.ts';
import { ParamError } from '../server/params.ts';
import type {
  DatasetSummary,
  PlaybackSnapshot,
  SessionSummary,
  StudioCommand,
  StudioCommandMap,
  StudioEvent,
  StudioEventMap,
  Unsubscribe,
} from '../../shared/studioApi.ts';
import { STUDIO_COMMANDS, STUDIO_EVENTS } from '../../shared/studioApi.ts';
import { validateCommandArgs, validateEventArgs } from './validate.ts';
import { log } from '../log.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { StudioPacketFeed } from './packetFeed.ts';
import type { RecentFiles } from './recentFiles.ts';

export class StudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

/** Turns the engine's refusals into StudioErrors; anything else is a bug and is rethrown. */
export function toStudioError(err: unknown): StudioError {
  if (err instanceof StudioError) return err;
  if (err instanceof DatasetError) return new StudioError('dataset_error', err.message);
  if (err instanceof FilterError || err instanceof SessionError) return new StudioError(err.code, err.message);
  if (err instanceof ParamError || err instanceof RangeError) return new StudioError('invalid_argument', err.message);
  log.error('internal_error', { where: 'studio command', error: String(err), stack: (err as Error)?.stack });
  return new StudioError('internal_error', 'internal error (see the log)');
}

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

export function datasetSummary(ds: Dataset): DatasetSummary {
  let bounds: DatasetSummary['bounds'] = null;
  const grow = (x: number, y: number) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    bounds ??= { xMin: x, xMax: x, yMin: y, yMax: y };
    bounds.xMin = Math.min(bounds.xMin, x);
    bounds.xMax = Math.max(bounds.xMax, x);
    bounds.yMin = Math.min(bounds.yMin, y);
    bounds.yMax = Math.max(bounds.yMax, y);
  };
  for (const t of ds.targets) grow(t.x, t.y);
  const k = ds.kinematics;
  if (k) for (let i = 0; i < ds.numBins; i += 8) grow(k.x[i], k.y[i]);
  return {
    path: ds.provenance.path,
    name: ds.provenance.name,
    synthetic: ds.provenance.synthetic,
    description: ds.provenance.description,
    numUnits: ds.numUnits,
    numTrials: ds.trials.length,
    numTargets: ds.targets.length,
    durationSeconds: ds.durationSeconds,
    totalPackets: ds.numBins,
    totalSpikes: ds.totalSpikes,
    hasKinematics: ds.kinematics !== null,
    notes: ds.notes,
    bounds,
  };
}

export function playbackSnapshot(s: Session): PlaybackSnapshot {
  const st = s.state();
  return {
    code: s.code,
    status: st.status,
    positionS: st.position_s,
    durationS: st.duration_s,
    speed: st.speed,
    loop: st.loop,
    filters: st.filters,
    packetsSent: st.packets_sent,
    recordingTimeS: st.recording_time_s,
    trialStartsS: s.trialStartsSeconds(),
  };
}

export class StudioService {
  private readonly handlers: Handlers;
  private presentation = false;
  private readonly presentationListeners = new Set<(on: boolean) => void>();
  private readonly pollMs: number;
  private readonly flushMs: number;

  constructor(
    private readonly engine: Engine,
    private readonly server: RunningServer,
    private readonly effects: StudioHostEffects = {},
  ) {
    this.pollMs = effects.pollMs ?? 250;
    this.flushMs = effects.packetFlushMs ?? 50;
    const sessions = engine.sessions;
    const session = (code: string): Session => {
      const s = sessions.get(code);
      if (!s) throw new StudioError('session_not_found', `session "${code}" not found`);
      return s;
    };
    const act = (code: string, fn: (s: Session) => void): PlaybackSnapshot => {
      const s = session(code);
      fn(s);
      return playbackSnapshot(s);
    };
    const openAndRemember = async (path: string): Promise<DatasetSummary> => {
      const ds = await engine.openDataset(path);
      await this.effects.recent?.add(ds.provenance.path);
      return datasetSummary(ds);
    };
    this.handlers = {
      listSessions: () => sessions.list().map((s) => this.sessionSummary(s)),
      createSession: (req) => {
        const code = req.code || generateSessionCode((c) => sessions.get(c) !== undefined);
        const s = sessions.create(code, req.filters, { speed: req.speed, loop: req.loop, paused: req.paused });
        return this.sessionSummary(s);
      },
      deleteSession: (code) => {
        if (!sessions.delete(code, 'session deleted in the studio')) throw new StudioError('session_not_found', `session "${code}" not found`);
      },
      play: (code) => act(code, (s) => s.play()),
      pause: (code) => act(code, (s) => s.pause()),
      stop: (code) => act(code, (s) => s.stop()),
      seek: (code, seconds) => act(code, (s) => s.seek(seconds)),
      setSpeed: (code, speed) => act(code, (s) => s.setSpeed(speed)),
      setLoop: (code, loop) => act(code, (s) => s.setLoop(loop)),
      setFilters: (code, filters) => act(code, (s) => s.setFilters(filters)),
      getPlayback: (code) => playbackSnapshot(session(code)),
      openDataset: (path) => openAndRemember(path),
      chooseDataset: async () => {
        const path = await this.effects.chooseFile?.();
        return path ? openAndRemember(path) : null;
      },
      recentDatasets: async () => (await this.effects.recent?.list()) ?? [],
      setPresentation: (on) => this.setPresentation(on),
      getDataset: () => datasetSummary(engine.dataset),
      getTrials: () =>
        engine.dataset.trials.map((t) => ({
          id: t.id,
          targetId: t.targetId,
          success: t.success,
          startTime: t.startTime,
          duration: t.effectiveStopTime - t.startTime,
        })),
      getTargets: () => engine.dataset.targets.map((t) => ({ id: t.id, x: t.x, y: t.y, numTrials: t.trialIds.length })),
      serverInfo: () => ({
        httpUrl: server.url,
        wsUrl: server.url.replace(/^http/, 'ws'),
        host: server.host,
        port: server.port,
        version: '0.1.0',
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
      case 'sessions':
        return this.poll(() => sessions.list().map((s) => this.sessionSummary(s)), emitAny);
      case 'clients':
        return this.poll(
          () =>
            [...this.server.streams.clients].map((c) => ({
              id: c.id,
              session: c.session.code,
              endpoint: c.endpoint,
              address: c.remoteAddress,
              packetsSent: c.packetsSent,
              drops: c.drops,
              bufferedBytes: c.ws.bufferedAmount,
            })),
          emitAny,
        );
      case 'metrics':
        return this.poll(() => {
          const m = this.server.metrics.collect();
          const worst = m.sessions.reduce<(typeof m.sessions)[number] | null>(
            (w, s) => ((s.send_lateness_last_minute.p99_ms ?? -1) > (w?.send_lateness_last_minute.p99_ms ?? -1) ? s : w),
            null,
          );
          const l = worst?.send_lateness_last_minute;
          return {
            latenessP50Ms: l?.p50_ms ?? null,
            latenessP99Ms: l?.p99_ms ?? null,
            latenessMaxMs: l?.max_ms ?? null,
            clients: m.totals.clients,
            sessions: m.totals.sessions,
            rssMb: m.process.rss_mb,
            eventLoopLagP99Ms: m.process.event_loop_lag_ms.p99,
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
        const feed = new StudioPacketFeed(sessions, code, this.flushMs, emitAny);
        return () => feed.close();
      }
    }
    throw new StudioError('unknown_event', `unknown studio event ${describeValue(event)}`);
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

  private sessionSummary(s: Session): SessionSummary {
    const st = s.state();
    return {
      code: s.code,
      status: st.status,
      clients: s.clientCount,
      positionS: st.position_s,
      durationS: st.duration_s,
      speed: st.speed,
      loop: st.loop,
      filters: st.filters,
      streamUrl: this.server.streams.streamUrl(s.code, 'json'),
      binaryStreamUrl: this.server.streams.streamUrl(s.code, 'msgpack'),
    };
  }
}
