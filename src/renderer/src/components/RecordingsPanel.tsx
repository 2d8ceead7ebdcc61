/**
 * Recordings: the record button on each session (a red dot and the elapsed time while it
 * records), and the list of the recordings folder — when, dataset, duration, decoders, best
 * score, size — where one opens to show its scores and events on a timeline, or is deleted.
 */
import { useEffect, useRef, useState } from 'react';
import type { RecordedEvent, RecordingDetail, RecordingSummary } from '../../../shared/studioApi.ts';
import { formatBytes, formatClockSeconds, formatDuration } from '../data/format.ts';
import { elapsedSeconds, formatWhen } from '../data/recordings.ts';
import { useStore, useStudio } from '../state/hooks.ts';

/** Start/stop recording one session; its own one-second timer, so the list does not re-render for the clock. */
export function RecordButton({ code, recording }: { code: string; recording: { id: string; startedAt: string } | null }) {
  const store = useStore();
  const [, tick] = useState(0);
  useEffect(() => {
    if (!recording) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [recording]);
  return (
    <button
      type="button"
      className={`session-record${recording ? ' on' : ''}`}
      data-testid={`session-record-${code}`}
      data-recording={recording ? 'true' : 'false'}
      title={recording ? `Recording into ${recording.id}: click to stop` : 'Record this session (packets, predictions, events, scores)'}
      aria-label={recording ? `Stop recording ${code}` : `Record ${code}`}
      aria-pressed={recording !== null}
      onClick={(e) => {
        e.stopPropagation();
        void store.toggleRecording(code);
      }}
    >
      <span className="rec-dot" aria-hidden />
      <span className="rec-time">{recording ? formatClockSeconds(elapsedSeconds(recording.startedAt)) : 'REC'}</span>
    </button>
  );
}

export function RecordingsPanel() {
  const recordings = useStudio((s) => s.recordings);
  const loaded = useStudio((s) => s.recordingsLoaded);
  const open = useStudio((s) => s.openRecording);
  return (
    <section className="panel recordings-panel" aria-label="Recordings">
      <header className="panel-header">
        <h2>Recordings</h2>
        <span className="panel-meta">{recordings.length === 1 ? '1 recording' : `${recordings.length} recordings`}</span>
      </header>
      <ul className="recording-list" data-testid="recording-list">
        {!loaded && <li className="empty">Loading…</li>}
        {loaded && recordings.length === 0 && <li className="empty">No recordings yet. Press REC on a session.</li>}
        {recordings.map((r) => (
          <RecordingRow key={r.id} r={r} opened={open?.summary.id === r.id} />
        ))}
      </ul>
      {open && <RecordingView detail={open} summary={recordings.find((r) => r.id === open.summary.id) ?? open.summary} />}
    </section>
  );
}

const STATUS_LABEL: Record<RecordingSummary['status'], string> = { recording: '● REC', complete: 'complete', recovered: 'recovered', failed: 'FAILED' };

function RecordingRow({ r, opened }: { r: RecordingSummary; opened: boolean }) {
  const store = useStore();
  const best = r.best ? `R² ${r.best.r2.toFixed(3)}` : '—';
  return (
    <li
      className={`recording-item status-${r.status}${opened ? ' selected' : ''}`}
      data-testid={`recording-item-${r.id}`}
      data-status={r.status}
      tabIndex={0}
      title={r.error ?? r.id}
      onClick={() => void store.openRecordingDetail(opened ? null : r.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') void store.openRecordingDetail(opened ? null : r.id);
      }}
    >
      <span className="rec-when">{formatWhen(r.startedAt)}</span>
      <span className="rec-code">{r.sessionCode}</span>
      <span className={`rec-status rec-status-${r.status}`}>{STATUS_LABEL[r.status]}</span>
      <span className="rec-dataset" title={r.dataset.name}>
        {r.dataset.synthetic ? 'synthetic' : r.dataset.name}
      </span>
      <span className="rec-duration">{formatDuration(r.durationS)}</span>
      <span className="rec-decoders" title={r.decoders.join(', ')}>
        {r.decoders.length === 0 ? 'no decoders' : r.decoders.length === 1 ? r.decoders[0] : `${r.decoders.length} decoders`}
      </span>
      <span className="rec-best" title={r.best ? `best: ${r.best.decoder}` : 'no score yet'}>
        {best}
      </span>
      <span className="rec-size">{formatBytes(r.sizeBytes)}</span>
      {r.error && <span className="rec-error">{r.error}</span>}
    </li>
  );
}

/** One recording opened: a timeline of its events and each decoder's R² over time; export and delete. */
function RecordingView({ detail, summary }: { detail: RecordingDetail; summary: RecordingSummary }) {
  const store = useStore();
  const [confirm, setConfirm] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  // The panel sits at the foot of the sidebar: bring an opened recording into view.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [summary.id]);
  useEffect(() => {
    if (!confirm) return;
    const t = setTimeout(() => setConfirm(false), 3000);
    return () => clearTimeout(t);
  }, [confirm]);
  const durationMs = Math.max(1, summary.durationS * 1000, ...detail.events.map((e) => e.t_ms), ...detail.scores.map((s) => s.tMs));
  return (
    <div className="recording-view" data-testid="recording-view" data-id={summary.id} ref={ref}>
      <div className="recording-view-head">
        <span className="rec-code" title={summary.id}>
          {summary.id}
        </span>
        <button type="button" className="btn-small" data-testid="recording-close" onClick={() => void store.openRecordingDetail(null)} aria-label="Close the recording">
          ×
        </button>
      </div>
      <div className="recording-facts">
        {summary.counts.packets} packets · {summary.counts.predictions} predictions · {summary.counts.events} events
        {summary.best && ` · best ${summary.best.decoder} R² ${summary.best.r2.toFixed(3)}`}
      </div>
      {summary.error && <div className="recording-error">{summary.error}</div>}
      <ScoreChart detail={detail} durationMs={durationMs} />
      <EventTimeline events={detail.events} durationMs={durationMs} />
      <div className="recording-actions">
        <ExportButtons summary={summary} />
        <button
          type="button"
          className={`btn btn-danger${confirm ? ' confirm' : ''}`}
          data-testid="recording-delete"
          disabled={summary.status === 'recording'}
          title={summary.status === 'recording' ? 'Stop the recording first' : confirm ? 'Click again to delete its folder' : 'Delete this recording'}
          onClick={() => {
            if (confirm) void store.deleteRecording(summary.id);
            else setConfirm(true);
          }}
        >
          {confirm ? 'Delete for good?' : 'Delete'}
        </button>
      </div>
    </div>
  );
}

/**
 * Export to NWB or CSV (into the recording's folder, by a process of its own): a button each,
 * the stage and percentage while it runs, and where the last export went.
 */
function ExportButtons({ summary }: { summary: RecordingSummary }) {
  const store = useStore();
  const jobs = useStudio((s) => s.exports);
  const mine = jobs.filter((j) => j.recordingId === summary.id);
  const running = mine.find((j) => j.state === 'running');
  const last = mine.at(-1);
  const blocked = summary.status === 'recording';
  return (
    <>
      {(['nwb', 'csv'] as const).map((format) => (
        <button
          key={format}
          type="button"
          className="btn"
          data-testid={`recording-export-${format}`}
          disabled={blocked || running !== undefined}
          title={blocked ? 'Stop the recording first' : format === 'nwb' ? 'Export to one NWB file: bins, predictions, truth, events, scores' : 'Export one CSV per decoder, and the events'}
          onClick={() => void store.exportRecording(summary.id, format)}
        >
          {format.toUpperCase()}
        </button>
      ))}
      {running ? (
        <span className="export-progress" data-testid="recording-export-progress" title={running.stage}>
          <progress max={1} value={running.fraction} />
          {Math.floor(running.fraction * 100)} %
        </span>
      ) : (
        last && (
          <span className={`export-result${last.state === 'failed' ? ' failed' : ''}`} data-testid="recording-export-result" data-state={last.state} title={last.error ?? last.path ?? ''}>
            {last.state === 'failed' ? 'export failed' : `${last.format.toUpperCase()}: ${last.path?.split('/').at(-1)}`}
          </span>
        )
      )}
    </>
  );
}

const CHART_W = 300;
const CHART_H = 70;
const COLORS = ['#56b4e9', '#e69f00', '#3ccf91', '#f0e442', '#cc79a7', '#d55e00', '#0072b2', '#ffffff'];

/** Combined R² of each decoder at every score snapshot, on the recording's time axis (from min(0, worst) ≥ −1 up to 1). */
function ScoreChart({ detail, durationMs }: { detail: RecordingDetail; durationMs: number }) {
  const names = [...new Set(detail.scores.flatMap((s) => s.decoders.map((d) => d.name)))];
  if (names.length === 0) return <div className="recording-empty">No decoder scores in this recording.</div>;
  let lo = 0;
  for (const s of detail.scores) for (const d of s.decoders) if (d.r2 !== null && d.r2 < lo) lo = Math.max(-1, d.r2);
  const x = (t: number) => (t / durationMs) * CHART_W;
  const y = (r2: number) => CHART_H - ((Math.max(lo, Math.min(1, r2)) - lo) / (1 - lo)) * CHART_H;
  return (
    <div className="recording-chart">
      <svg viewBox={`0 0 ${CHART_W} ${CHART_H}`} preserveAspectRatio="none" data-testid="recording-scores" role="img" aria-label="R² over the recording">
        <line x1={0} x2={CHART_W} y1={y(0)} y2={y(0)} className="axis" />
        <line x1={0} x2={CHART_W} y1={y(1)} y2={y(1)} className="axis" />
        {names.map((name, i) => {
          const pts = detail.scores
            .map((s) => ({ t: s.tMs, r2: s.decoders.find((d) => d.name === name)?.r2 }))
            .filter((p): p is { t: number; r2: number } => typeof p.r2 === 'number')
            .map((p) => `${x(p.t).toFixed(1)},${y(p.r2).toFixed(1)}`);
          const color = COLORS[i % COLORS.length];
          // One snapshot (a short recording) is a dot; more are a line.
          if (pts.length === 1) {
            const [cx, cy] = pts[0].split(',');
            return <circle key={name} cx={cx} cy={cy} r={2.5} fill={color} />;
          }
          return pts.length > 0 ? <polyline key={name} points={pts.join(' ')} stroke={color} /> : null;
        })}
      </svg>
      <div className="recording-legend">
        {names.map((name, i) => (
          <span key={name} style={{ color: COLORS[i % COLORS.length] }}>
            {name}
          </span>
        ))}
        <span className="muted">R² ({lo.toFixed(lo === 0 ? 0 : 2)} to 1)</span>
      </div>
    </div>
  );
}

/** Every event as a tick on the recording's time axis, and listed below with its time. */
function EventTimeline({ events, durationMs }: { events: RecordedEvent[]; durationMs: number }) {
  return (
    <div className="recording-events">
      <svg viewBox={`0 0 ${CHART_W} 14`} preserveAspectRatio="none" className="event-strip" aria-hidden>
        {events.map((e, i) => (
          <line key={i} x1={(e.t_ms / durationMs) * CHART_W} x2={(e.t_ms / durationMs) * CHART_W} y1={0} y2={14} className={`ev ev-${e.kind}`} />
        ))}
      </svg>
      <ol className="event-list" data-testid="recording-events">
        {events.map((e, i) => (
          <li key={i} data-kind={e.kind}>
            <span className="ev-time">{formatClockSeconds(e.t_ms / 1000)}</span>
            <span className={`ev-kind ev-${e.kind}`}>{e.kind.replaceAll('_', ' ')}</span>
            <span className="ev-detail">{describeEvent(e)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function describeEvent(e: RecordedEvent): string {
  const d = e.detail;
  switch (e.kind) {
    case 'seek':
      return `to ${formatClockSeconds(Number(d.to_s))}`;
    case 'speed':
      return `${String(d.speed)}×`;
    case 'loop':
      return d.loop ? 'on' : 'off';
    case 'decoder_connected':
      return `${String(d.decoder)}${d.version ? ` v${String(d.version)}` : ''}`;
    case 'decoder_disconnected':
      return `${String(d.decoder)}${d.code !== null && d.code !== undefined ? ` · ${String(d.code)}` : ''}${d.reason ? ` ${String(d.reason)}` : ''}`;
    case 'recording_started':
      return Array.isArray(d.decoders) && d.decoders.length > 0 ? `decoders: ${d.decoders.join(', ')}` : '';
    case 'session_closed':
      return String(d.reason ?? '');
    case 'dataset':
      return String(d.name ?? d.path ?? '');
    default:
      return '';
  }
}
