/** The engine as the studio shows it (camelCase, the StudioApi contract's shapes). */
import type {
  ClientSummary,
  DatasetSummary,
  PlaybackInfo,
  PlaybackSnapshot,
  RecordingDetail,
  SessionSummary,
  TargetSummary,
  TrialSummary,
} from '../../shared/studioApi.ts';
import type { StoredRecording } from '../../shared/recordings.ts';
import { streamPath } from '../../shared/wire.ts';
import type { Dataset } from '../dataset/types.ts';
import type { WsUrls } from '../http/listener.ts';
import type { Session } from '../playback/session.ts';

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
  if (k) {
    for (let i = 0; i < ds.numBins; i += 8) {
      const p = ds.kinematicsAt(i);
      grow(p.x, p.y);
    }
  }
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

export function trialSummaries(ds: Dataset): TrialSummary[] {
  return ds.trials.map((t) => ({ id: t.id, targetId: t.targetId, success: t.success, startTime: t.startTime, duration: t.effectiveStopTime - t.startTime }));
}

export function targetSummaries(ds: Dataset): TargetSummary[] {
  return ds.targets.map((t) => ({ id: t.id, x: t.x, y: t.y, numTrials: t.trialIds.length }));
}

export function playbackInfo(s: Session): PlaybackInfo {
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
    blind: st.blind,
    evaluate: st.evaluate,
    binMs: st.bin_ms,
    perturbations: st.perturbations,
  };
}

export function playbackSnapshot(s: Session): PlaybackSnapshot {
  return { ...playbackInfo(s), trialStartsS: s.trialStartsSeconds() };
}

export function sessionSummary(s: Session, urls: WsUrls, recording: SessionSummary['recording'] = null): SessionSummary {
  return {
    ...playbackInfo(s),
    clients: s.clientCount,
    streamUrl: urls.wsUrl(streamPath(s.code, 'json')),
    binaryStreamUrl: urls.wsUrl(streamPath(s.code, 'binary')),
    recording,
  };
}

/** A stored recording for the studio: its events, and each decoder's combined R² at every snapshot. */
export function recordingDetail(r: StoredRecording): RecordingDetail {
  return {
    summary: r.summary,
    events: r.events,
    scores: r.scores.map((s) => ({
      tMs: s.t_ms,
      decoders: (s.decoders ?? []).map((d) => ({ name: d.name, r2: d.cumulative?.r2 ?? null, n: d.cumulative?.n ?? 0, latencyP50Ms: d.latency?.p50Ms ?? null })),
    })),
  };
}

/** Every connected client, in the order they connected. */
export function clientSummaries(sessions: readonly Session[]): ClientSummary[] {
  return sessions
    .flatMap((s) =>
      s.clients().map((c) => ({
        id: c.id,
        session: s.code,
        endpoint: c.endpoint,
        address: c.address,
        packetsSent: c.packetsSent,
        drops: c.drops,
        bufferedBytes: c.bufferedBytes,
      })),
    )
    .sort((a, b) => a.id - b.id);
}
