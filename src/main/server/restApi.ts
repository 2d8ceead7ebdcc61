import { BIN_MS, FREQUENCY_HZ } from '../../shared/bins.ts';
import type { Engine } from '../engine.ts';
import type { Dataset, Trial } from '../dataset/types.ts';
import type { Session } from '../playback/session.ts';
import { SessionError, generateSessionCode } from '../playback/sessionManager.ts';
import { FilterError } from '../playback/timeline.ts';
import { Created, HttpError, Router, type RequestContext } from './http.ts';
import type { MetricsCollector } from './metrics.ts';
import { ParamError, fieldGetter, filtersFrom, optionalBool, optionalId, optionalNumber, requiredNumber } from './params.ts';
import type { StreamEndpoint } from './streamEndpoint.ts';

const VERSION = '0.1.0';

/** Maps the engine's refusals to HTTP statuses; anything else is a bug (500). */
async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof ParamError || err instanceof RangeError) throw new HttpError(400, 'invalid_parameter', err.message);
    if (err instanceof FilterError) throw new HttpError(err.code === 'empty_timeline' ? 409 : 404, err.code, err.message);
    if (err instanceof SessionError) {
      const status = { invalid_session_code: 400, session_exists: 409, session_not_found: 404, session_limit: 409, filter_conflict: 409 }[err.code];
      throw new HttpError(status, err.code, err.message);
    }
    throw err;
  }
}

export function trialJson(t: Trial) {
  return {
    trial_id: t.id,
    nwb_id: t.nwbId,
    start_time: t.startTime,
    stop_time: Number.isFinite(t.stopTime) ? t.stopTime : null,
    effective_stop_time: t.effectiveStopTime,
    duration: t.effectiveStopTime - t.startTime,
    target_id: t.targetId,
    success: t.success,
    first_bin: t.firstBin,
    end_bin: t.endBin,
    columns: t.columns,
  };
}

export function datasetJson(ds: Dataset) {
  return {
    dataset: ds.provenance.name,
    file: ds.provenance.path,
    synthetic: ds.provenance.synthetic,
    description: ds.provenance.description,
    num_channels: ds.numUnits,
    unit_ids: ds.unitIds,
    duration_seconds: ds.durationSeconds,
    total_packets: ds.numBins,
    frequency_hz: FREQUENCY_HZ,
    bin_size_ms: BIN_MS,
    num_trials: ds.trials.length,
    num_targets: ds.targets.length,
    total_spikes: ds.totalSpikes,
    has_kinematics: ds.kinematics !== null,
    units: { position: 'mm', velocity: 'mm/s', time: 's' },
    notes: ds.notes,
  };
}

/** The REST API, on the original Python server's paths so existing scripts keep working. */
export function restApi(engine: Engine, streams: StreamEndpoint, metrics: MetricsCollector): Router {
  const r = new Router();
  const sessions = engine.sessions;

  const sessionOr404 = (code: string): Session => {
    const s = sessions.get(code);
    if (!s) throw new HttpError(404, 'session_not_found', `session "${code.slice(0, 80)}" not found`);
    return s;
  };
  const sessionJson = (s: Session) => ({
    ...s.state(),
    session_code: s.code,
    clients: streams.clientsOf(s).map((c) => c.info()),
    client_count: s.clientCount,
    created: new Date(s.createdAt).toISOString(),
    last_activity: new Date(s.lastActivity).toISOString(),
    stream_url: streams.streamUrl(s.code, 'json'),
    stream_url_binary: streams.streamUrl(s.code, 'msgpack'),
  });
  const trialOr404 = (raw: string): Trial => {
    const id = optionalId('trial_id', raw);
    const t = id === null ? undefined : engine.dataset.trials[id];
    if (!t) throw new HttpError(404, 'unknown_trial', `trial ${raw.slice(0, 40)} not found (trials are 0..${engine.dataset.trials.length - 1})`);
    return t;
  };
  const control = (action: (s: Session, get: ReturnType<typeof fieldGetter>) => void) => (ctx: RequestContext) =>
    guard(() => {
      const s = sessionOr404(ctx.params.code);
      action(s, fieldGetter(ctx.body, ctx.url.searchParams));
      return { ok: true, session_code: s.code, ...s.state() };
    });

  r.on('GET', '/', () => ({
    service: 'PhantomLink Studio',
    version: VERSION,
    description: 'Replays a neural recording as a live 40 Hz stream of 25 ms bins (JSON and MessagePack WebSocket endpoints).',
    dataset: datasetJson(engine.dataset),
    endpoints: {
      stream_json: streams.streamUrlTemplate('json'),
      stream_binary: streams.streamUrlTemplate('msgpack'),
      filters: '?trial_id=N and/or ?target_id=M',
      create_session: 'POST /api/sessions/create',
      list_sessions: 'GET /api/sessions',
      session: 'GET|DELETE /api/sessions/{session_code}',
      cleanup: 'POST /api/sessions/cleanup',
      metadata: 'GET /api/metadata',
      trials: 'GET /api/trials, /api/trials/{id}, /api/trials/by-target/{target_id}',
      targets: 'GET /api/targets',
      control: 'POST /api/control/{session_code}/pause|resume|stop|seek|speed|loop, GET /api/control/{session_code}/position',
      health: 'GET /health',
      metrics: 'GET /metrics',
    },
  }));
  r.on('GET', '/health', () => ({
    status: 'healthy',
    dataset_loaded: true,
    dataset_loading: engine.isLoading,
    active_sessions: sessions.size,
    active_connections: streams.clients.size,
  }));
  r.on('GET', '/metrics', () => metrics.collect());

  r.on('POST', '/api/sessions/create', (ctx) =>
    guard(() => {
      const get = fieldGetter(ctx.body, ctx.url.searchParams);
      const rawCode = get('code', 'custom_code', 'session_code');
      if (rawCode !== undefined && typeof rawCode !== 'string') throw new ParamError('code must be a string');
      const code = rawCode || generateSessionCode((c) => sessions.get(c) !== undefined);
      const paused = optionalBool('paused', get('paused'));
      const s = sessions.create(code, filtersFrom(get), {
        speed: optionalNumber('speed', get('speed')),
        loop: optionalBool('loop', get('loop')),
        paused,
      });
      return new Created({ ...sessionJson(s), message: 'Session created. Connect to stream_url or stream_url_binary.' });
    }),
  );
  r.on('GET', '/api/sessions', () => ({
    sessions: sessions.list().map(sessionJson),
    count: sessions.size,
    max_sessions: sessions.maxSessions,
    idle_ttl_s: sessions.idleTtlMs / 1000,
  }));
  r.on('GET', '/api/sessions/:code', (ctx) => sessionJson(sessionOr404(ctx.params.code)));
  r.on('DELETE', '/api/sessions/:code', (ctx) => {
    const s = sessionOr404(ctx.params.code);
    const clients = s.clientCount;
    sessions.delete(s.code);
    return { message: `session ${s.code} deleted`, session_code: s.code, clients_closed: clients };
  });
  r.on('POST', '/api/sessions/cleanup', (ctx) =>
    guard(() => {
      const get = fieldGetter(ctx.body, ctx.url.searchParams);
      const maxIdle = optionalNumber('max_idle_s', get('max_idle_s'));
      if (maxIdle !== undefined && maxIdle < 0) throw new ParamError('max_idle_s must be ≥ 0');
      const removed = sessions.cleanup(maxIdle === undefined ? undefined : maxIdle * 1000);
      return { cleaned_up: removed.length, sessions: removed, message: `Removed ${removed.length} idle sessions` };
    }),
  );

  r.on('GET', '/api/metadata', () => datasetJson(engine.dataset));
  r.on('GET', '/api/trials', () => {
    const trials = engine.dataset.trials.map(trialJson);
    return { trials, count: trials.length };
  });
  r.on('GET', '/api/trials/by-target/:id', (ctx) =>
    guard(() => {
      const id = optionalId('target_id', ctx.params.id);
      const target = id === null ? undefined : engine.dataset.targets[id];
      if (!target) throw new HttpError(404, 'unknown_target', `target ${ctx.params.id.slice(0, 40)} not found (targets are 0..${engine.dataset.targets.length - 1})`);
      const trials = target.trialIds.map((t) => trialJson(engine.dataset.trials[t]));
      return { trials, count: trials.length, target_index: target.id, target: { x: target.x, y: target.y } };
    }),
  );
  r.on('GET', '/api/trials/:id', (ctx) => guard(() => trialJson(trialOr404(ctx.params.id))));
  r.on('GET', '/api/targets', () => ({
    targets: engine.dataset.targets.map((t) => ({ target_id: t.id, x: t.x, y: t.y, num_trials: t.trialIds.length })),
    count: engine.dataset.targets.length,
    units: 'mm',
  }));

  r.on('POST', '/api/control/:code/pause', control((s) => s.pause()));
  r.on('POST', '/api/control/:code/resume', control((s) => s.play()));
  r.on('POST', '/api/control/:code/play', control((s) => s.play()));
  r.on('POST', '/api/control/:code/stop', control((s) => s.stop()));
  r.on('POST', '/api/control/:code/seek', control((s, get) => s.seek(requiredNumber('position_seconds', get('position_seconds', 'position_s', 'position')))));
  r.on('POST', '/api/control/:code/speed', control((s, get) => s.setSpeed(requiredNumber('speed', get('speed')))));
  r.on('POST', '/api/control/:code/loop', control((s, get) => {
    const loop = optionalBool('loop', get('loop', 'enabled'));
    if (loop === undefined) throw new ParamError('loop needs "loop": true or false');
    s.setLoop(loop);
  }));
  r.on('GET', '/api/control/:code/position', (ctx) => {
    const s = sessionOr404(ctx.params.code);
    return { session_code: s.code, ...s.state() };
  });
  return r;
}
