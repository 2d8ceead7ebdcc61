/** Sessions, clients, trials, scores and the dataset as REST shows them (snake_case, like the wire). */
import type { AxisScore, DecoderSummary, LatencySummary, ExportJob, RecordingSummary, Scoreboard, ScoreSet } from '../../shared/studioApi.ts';
import { streamPath } from '../../shared/wire.ts';
import type { Dataset, Trial } from '../dataset/types.ts';
import { datasetMetadata } from '../playback/metadata.ts';
import type { ClientInfo, Session } from '../playback/session.ts';
import type { WsUrls } from '../http/listener.ts';

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
    ...datasetMetadata(ds),
    total_spikes: ds.totalSpikes,
    has_kinematics: ds.kinematics !== null,
    notes: ds.notes,
  };
}

export function clientJson(c: ClientInfo, session: string) {
  return {
    id: c.id,
    session,
    endpoint: c.endpoint,
    address: c.address,
    connected_at: new Date(c.connectedAt).toISOString(),
    packets_sent: c.packetsSent,
    bytes_sent: c.bytesSent,
    drops: c.drops,
    buffered_bytes: c.bufferedBytes,
  };
}

/** What a control request answers: the session's playback state. */
export function playbackJson(s: Session) {
  return { session_code: s.code, ...s.state() };
}

export function sessionJson(s: Session, urls: WsUrls) {
  return {
    ...playbackJson(s),
    clients: s.clients().map((c) => clientJson(c, s.code)),
    client_count: s.clientCount,
    created: new Date(s.createdAt).toISOString(),
    last_activity: new Date(s.lastActivity).toISOString(),
    stream_url: urls.wsUrl(streamPath(s.code, 'json')),
    stream_url_binary: urls.wsUrl(streamPath(s.code, 'binary')),
  };
}

function axisJson(a: AxisScore) {
  return { r2: a.r2, pearson_r: a.r, rmse: a.rmse, n: a.n };
}

function scoreSetJson(s: ScoreSet) {
  return {
    r2_combined: s.r2,
    n: s.n,
    axes: Object.fromEntries(Object.entries(s.axes).map(([axis, a]) => [axis, axisJson(a)])),
  };
}

function latencyJson(l: LatencySummary) {
  return { count: l.count, p50_ms: l.p50Ms, p99_ms: l.p99Ms, max_ms: l.maxMs };
}

export function decoderJson(d: DecoderSummary) {
  return {
    name: d.name,
    version: d.version,
    endpoint: d.endpoint,
    address: d.address,
    connected: d.connected,
    axes: d.axes,
    counts: d.counts,
    cumulative: scoreSetJson(d.cumulative),
    rolling_30s: scoreSetJson(d.rolling),
    latency_ms: { ...latencyJson(d.latency), rolling_30s: latencyJson(d.rollingLatency), reported_p50: d.reportedLatencyP50Ms },
    per_trial: d.trials.map((t) => ({ trial_id: t.trialId, r2_combined: t.r2, n: t.n })),
  };
}

/** `GET /api/sessions/{code}/decoders`: every figure of the live scoreboard. */
export function scoreboardJson(b: Omit<Scoreboard, 'referenceDecoder'>) {
  return {
    session_code: b.code,
    blind: b.blind,
    evaluate: b.evaluate,
    reset_at: new Date(b.resetAt).toISOString(),
    metrics: 'R² as sklearn r2_score per axis; r2_combined as r2_score(multioutput="variance_weighted"); latency = arrival − send on the server clock',
    decoders: b.decoders.map(decoderJson),
  };
}

/** A recordings-list row, in REST's snake_case. */
export function recordingJson(r: RecordingSummary) {
  return {
    id: r.id,
    session_code: r.sessionCode,
    status: r.status,
    error: r.error,
    started_at: r.startedAt,
    stopped_at: r.stoppedAt,
    duration_s: r.durationS,
    dataset: r.dataset,
    decoders: r.decoders,
    best_score: r.best,
    counts: r.counts,
    size_bytes: r.sizeBytes,
  };
}

/** An export job, in REST's snake_case. */
export function exportJson(j: ExportJob) {
  return {
    recording_id: j.recordingId,
    format: j.format,
    state: j.state,
    stage: j.stage,
    fraction: j.fraction,
    path: j.path,
    files: j.files,
    omitted: j.omitted,
    error: j.error,
    started_at: new Date(j.startedAt).toISOString(),
    ended_at: j.endedAt === null ? null : new Date(j.endedAt).toISOString(),
  };
}
