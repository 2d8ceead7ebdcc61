import { STREAM_PATHS } from '../../shared/wire.ts';
import { ParamError } from '../common/errors.ts';
import { APP_VERSION } from '../common/version.ts';
import type { Trial } from '../dataset/types.ts';
import type { Engine } from '../playback/engine.ts';
import type { Session } from '../playback/session.ts';
import type { WsUrls } from '../http/listener.ts';
import { fieldGetter, filtersFrom, optionalBool, optionalId, optionalNumber, perturbationsFromQuery, requiredNumber, settingsFrom } from '../http/params.ts';
import { checkPerturbations } from '../playback/perturbations.ts';
import { Accepted, Created, HttpError, Router, type RequestContext } from '../http/router.ts';
import { toHttpError } from './errors.ts';
import type { MetricsCollector } from './metrics.ts';
import { datasetJson, exportJson, playbackJson, recordingJson, scoreboardJson, sessionJson, trialJson } from './projections.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { RecordingService } from '../../shared/recordings.ts';
import { EXPORT_FORMATS, isExportFormat } from '../../shared/studioApi.ts';

/** The REST API, on the original Python server's paths so existing scripts keep working. */
export function restApi(engine: Engine, urls: WsUrls, metrics: MetricsCollector, scoring: Scoring, recordings: RecordingService): Router {
  const r = new Router(toHttpError);
  const sessions = engine.sessions;

  const trialOr404 = (raw: string): Trial => {
    const id = optionalId('trial_id', raw);
    const t = id === null ? undefined : engine.dataset.trials[id];
    if (!t) throw new HttpError(404, 'unknown_trial', `trial ${raw.slice(0, 40)} not found (trials are 0..${engine.dataset.trials.length - 1})`);
    return t;
  };
  const control = (action: (s: Session, get: ReturnType<typeof fieldGetter>) => void) => (ctx: RequestContext) => {
    const s = sessions.require(ctx.params.code);
    action(s, fieldGetter(ctx.body, ctx.url.searchParams));
    return { ok: true, ...playbackJson(s) };
  };

  r.on('GET', '/', () => ({
    service: 'PhantomLink Studio',
    version: APP_VERSION,
    description: 'Replays a neural recording as a live 40 Hz stream of 25 ms bins (JSON and MessagePack WebSocket endpoints).',
    dataset: datasetJson(engine.dataset),
    endpoints: {
      stream_json: urls.wsUrl(STREAM_PATHS.json),
      stream_binary: urls.wsUrl(STREAM_PATHS.binary),
      filters: '?trial_id=N and/or ?target_id=M; a new session also takes ?blind=true and ?evaluate=all|trials|movement; ?decoder=NAME names a decoder',
      predictions: 'a decoder answers packet N with {"type":"prediction","sequence_number":N,"vx":…,"vy":…} on the same socket',
      create_session: 'POST /api/sessions/create',
      list_sessions: 'GET /api/sessions',
      session: 'GET|DELETE /api/sessions/{session_code}',
      decoders: 'GET /api/sessions/{session_code}/decoders (live scoreboard), POST …/decoders/reset',
      perturbations: 'POST|DELETE /api/sessions/{session_code}/perturbations (seeded stress on the stream)',
      cleanup: 'POST /api/sessions/cleanup',
      metadata: 'GET /api/metadata',
      trials: 'GET /api/trials, /api/trials/{id}, /api/trials/by-target/{target_id}',
      targets: 'GET /api/targets',
      control: 'POST /api/control/{session_code}/pause|resume|stop|seek|speed|loop, GET /api/control/{session_code}/position',
      health: 'GET /health',
      metrics: 'GET /metrics',
      recording: 'POST|DELETE /api/sessions/{session_code}/recording (start, stop recording the session)',
      recordings: `GET /api/recordings, GET|DELETE /api/recordings/{id} (folders in ${recordings.root})`,
      export: 'POST /api/recordings/{id}/export (format nwb|csv, wait true|false), GET /api/exports',
    },
  }));
  r.on('GET', '/health', () => ({
    status: 'healthy',
    dataset_loaded: true,
    dataset_loading: engine.isLoading,
    active_sessions: sessions.size,
    active_connections: metrics.clientCount(),
  }));
  r.on('GET', '/metrics', () => metrics.collect());

  r.on('POST', '/api/sessions/create', (ctx) => {
    const get = fieldGetter(ctx.body, ctx.url.searchParams);
    const rawCode = get('code', 'custom_code', 'session_code');
    if (rawCode !== undefined && typeof rawCode !== 'string') throw new ParamError('code must be a string');
    const code = rawCode || sessions.unusedCode();
    const paused = optionalBool('paused', get('paused'));
    const s = sessions.create(code, filtersFrom(get), {
      speed: optionalNumber('speed', get('speed')),
      loop: optionalBool('loop', get('loop')),
      paused,
      ...settingsFrom(get),
      perturbations: checkPerturbations(ctx.body.perturbations ?? perturbationsFromQuery(get)),
    });
    return new Created({ ...sessionJson(s, urls), message: 'Session created. Connect to stream_url or stream_url_binary.' });
  });
  r.on('GET', '/api/sessions', () => ({
    sessions: sessions.list().map((s) => sessionJson(s, urls)),
    count: sessions.size,
    max_sessions: sessions.maxSessions,
    idle_ttl_s: sessions.idleTtlMs / 1000,
  }));
  r.on('GET', '/api/sessions/:code', (ctx) => sessionJson(sessions.require(ctx.params.code), urls));
  r.on('POST', '/api/sessions/:code/perturbations', (ctx) => {
    const s = sessions.require(ctx.params.code);
    const body = Object.keys(ctx.body).length > 0 ? ctx.body : perturbationsFromQuery(fieldGetter({}, ctx.url.searchParams));
    if (body === undefined) throw new ParamError('give the perturbations as a JSON body ({"seed": 1, "dropout": {"fraction": 0.2}, …}) or as query parameters');
    s.setPerturbations(checkPerturbations(body));
    return playbackJson(s);
  });
  r.on('DELETE', '/api/sessions/:code/perturbations', (ctx) => {
    const s = sessions.require(ctx.params.code);
    s.setPerturbations(null);
    return playbackJson(s);
  });
  r.on('GET', '/api/sessions/:code/decoders', (ctx) => scoreboardJson(scoring.scoreboard(sessions.require(ctx.params.code))));
  r.on('POST', '/api/sessions/:code/decoders/reset', (ctx) => {
    const s = sessions.require(ctx.params.code);
    scoring.reset(s);
    return scoreboardJson(scoring.scoreboard(s));
  });
  r.on('DELETE', '/api/sessions/:code', (ctx) => {
    const s = sessions.require(ctx.params.code);
    const clients = s.clientCount;
    sessions.delete(s.code);
    return { message: `session ${s.code} deleted`, session_code: s.code, clients_closed: clients };
  });
  r.on('POST', '/api/sessions/:code/recording', async (ctx) => {
    const extra = Object.keys(ctx.body);
    if (extra.length) throw new ParamError(`POST …/recording takes no fields (got ${extra.slice(0, 5).join(', ')})`);
    return new Created({ recording: recordingJson(await recordings.start(sessions.require(ctx.params.code).code)), root: recordings.root });
  });
  r.on('DELETE', '/api/sessions/:code/recording', async (ctx) => ({ recording: recordingJson(await recordings.stop(sessions.require(ctx.params.code).code)) }));
  r.on('GET', '/api/recordings', async () => {
    const list = (await recordings.list()).map(recordingJson);
    return { recordings: list, count: list.length, root: recordings.root };
  });
  r.on('GET', '/api/recordings/:id', async (ctx) => {
    const rec = await recordings.get(ctx.params.id);
    return { recording: recordingJson(rec.summary), manifest: rec.manifest, events: rec.events, scores: rec.scores };
  });
  r.on('POST', '/api/recordings/:id/export', async (ctx) => {
    const extra = Object.keys(ctx.body).filter((k) => k !== 'format' && k !== 'wait');
    if (extra.length) throw new ParamError(`POST …/export takes format and wait (got ${extra.slice(0, 5).join(', ')})`);
    const get = fieldGetter(ctx.body, ctx.url.searchParams);
    const format = get('format') ?? 'nwb';
    if (!isExportFormat(format)) throw new ParamError(`format must be ${EXPORT_FORMATS.join(' or ')} (got ${JSON.stringify(format).slice(0, 40)})`);
    const wait = optionalBool('wait', get('wait')) ?? true;
    const { job: started, done } = await recordings.export(ctx.params.id, format);
    if (!wait) return new Accepted({ export: exportJson(started) });
    const job = await done;
    if (job.state === 'failed') throw new HttpError(422, 'export_failed', `export of ${job.recordingId} to ${format.toUpperCase()} failed: ${job.error}`);
    return { export: exportJson(job) };
  });
  r.on('GET', '/api/exports', () => ({ exports: recordings.exports().map(exportJson) }));
  r.on('DELETE', '/api/recordings/:id', async (ctx) => {
    await recordings.delete(ctx.params.id);
    return { message: `recording ${ctx.params.id} deleted`, id: ctx.params.id };
  });
  r.on('POST', '/api/sessions/cleanup', (ctx) => {
    const get = fieldGetter(ctx.body, ctx.url.searchParams);
    const maxIdle = optionalNumber('max_idle_s', get('max_idle_s'));
    if (maxIdle !== undefined && maxIdle < 0) throw new ParamError('max_idle_s must be ≥ 0');
    const removed = sessions.cleanup(maxIdle === undefined ? undefined : maxIdle * 1000);
    return { cleaned_up: removed.length, sessions: removed, message: `Removed ${removed.length} idle sessions` };
  });

  r.on('GET', '/api/metadata', () => datasetJson(engine.dataset));
  r.on('GET', '/api/trials', () => {
    const trials = engine.dataset.trials.map(trialJson);
    return { trials, count: trials.length };
  });
  r.on('GET', '/api/trials/by-target/:id', (ctx) => {
    const id = optionalId('target_id', ctx.params.id);
    const target = id === null ? undefined : engine.dataset.targets[id];
    if (!target) throw new HttpError(404, 'unknown_target', `target ${ctx.params.id.slice(0, 40)} not found (targets are 0..${engine.dataset.targets.length - 1})`);
    const trials = target.trialIds.map((t) => trialJson(engine.dataset.trials[t]));
    return { trials, count: trials.length, target_index: target.id, target: { x: target.x, y: target.y } };
  });
  r.on('GET', '/api/trials/:id', (ctx) => trialJson(trialOr404(ctx.params.id)));
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
  r.on('GET', '/api/control/:code/position', (ctx) => playbackJson(sessions.require(ctx.params.code)));
  return r;
}
