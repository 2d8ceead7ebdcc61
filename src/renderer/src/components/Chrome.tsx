/** Header, status bar, toasts and the connection banner: the frame around the studio. */
import { useEffect, useState } from 'react';
import { BIN_MS } from '../../../shared/bins.ts';
import { formatDuration, formatMs } from '../data/format.ts';
import { stressTooltip } from '../data/stress.ts';
import { binMsOf, packetRateHz } from '../data/timeline.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import { PresentIcon } from './Icons.tsx';

export function Header() {
  const store = useStore();
  const ds = useStudio((s) => s.dataset);
  const presentation = useStudio((s) => s.presentation);
  const selected = useStudio((s) => s.selected);
  const blind = useStudio((s) => s.playback?.blind ?? false);
  const perturbations = useStudio((s) => s.playback?.perturbations ?? null);
  const binMs = useStudio((s) => (s.playback ? binMsOf(s.playback) : BIN_MS));
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden>
          ◉
        </span>
        PhantomLink <span className="brand-sub">Studio</span>
      </div>
      <div className="header-dataset" data-testid="header-dataset">
        {ds ? (
          <>
            <span className="header-dataset-name">{ds.name}</span>
            {ds.synthetic && <span className="badge badge-synthetic">SYNTHETIC</span>}
            <span className="muted">
              {ds.numUnits} units · {ds.numTrials} trials · {formatDuration(ds.durationSeconds)}
            </span>
          </>
        ) : (
          <span className="muted">loading dataset…</span>
        )}
      </div>
      {blind && (
        <span className="badge badge-blind" data-testid="header-blind" title={`Session ${selected} is blind: decoders get no kinematics or intention; they are scored as usual`}>
          BLIND · {selected}
        </span>
      )}
      {perturbations && (
        <span className="badge badge-stress" data-testid="header-stress" title={`Session ${selected}: ${stressTooltip(perturbations)}`}>
          STRESS · {selected}
        </span>
      )}
      {binMs !== BIN_MS && (
        <span className="badge badge-bin" data-testid="header-bin" title={`Session ${selected} streams ${binMs} ms bins: ${packetRateHz(binMs)} packets a second at 1×`}>
          {binMs} ms · {packetRateHz(binMs)} Hz
        </span>
      )}
      <button
        type="button"
        className={`btn-toggle${presentation ? ' on' : ''}`}
        data-testid="presentation-toggle"
        aria-pressed={presentation}
        title="Presentation mode: large plots and type, panels hidden (Esc leaves it)"
        onClick={() => store.setPresentation(!presentation)}
      >
        <PresentIcon />
        <span>Present</span>
      </button>
    </header>
  );
}

export function StatusBar() {
  const server = useStudio((s) => s.server);
  const metrics = useStudio((s) => s.metrics);
  const connection = useStudio((s) => s.connection);
  const host = useStudio((s) => s.host);
  const p99 = metrics?.latenessP99Ms ?? null;
  const timingClass = p99 === null ? '' : p99 > 10 ? ' bad' : p99 > 3 ? ' warn' : ' good';
  return (
    <footer className="status-bar">
      <span className={`conn conn-${connection}`} data-testid="status-connection">
        <i className="dot" /> {connection === 'up' ? (host === 'electron' ? 'desktop' : 'connected') : connection === 'down' ? 'disconnected' : 'connecting…'}
      </span>
      <span data-testid="status-server-url" title="Decoders connect here">
        {server ? server.wsUrl : '—'}
      </span>
      {server?.token && (
        <span className="status-token" data-testid="status-token" title="Remote access: clients add ?token=… to the stream URL (the copied URLs include it)">
          token <code>{server.token}</code>
        </span>
      )}
      <span className={`timing${timingClass}`} data-testid="status-timing-p99" title="Send lateness of the worst session over the last minute (p99)">
        timing p99 {formatMs(p99)}
      </span>
      <span data-testid="status-clients">
        {metrics?.clients ?? 0} {metrics?.clients === 1 ? 'client' : 'clients'} · {metrics?.sessions ?? 0} {metrics?.sessions === 1 ? 'session' : 'sessions'}
      </span>
      <span className="muted status-keys">Space play/pause · ←/→ 1 s (Shift 0.1 s, Alt 10 s) · [ ] speed</span>
      <span className="muted">{server ? `v${server.version}` : ''}</span>
    </footer>
  );
}

export function Toasts() {
  const store = useStore();
  const toasts = useStudio((s) => s.toasts);
  return (
    <div className="toasts" data-testid="toast-area" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid="toast" data-kind={t.kind}>
          <span className="toast-message">
            {t.message}
            {t.repeat > 1 && <span className="toast-repeat"> ×{t.repeat}</span>}
          </span>
          <button type="button" className="btn-close" data-testid="toast-dismiss" aria-label="Dismiss" onClick={() => store.dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function ConnectionBanner() {
  const connection = useStudio((s) => s.connection);
  const host = useStudio((s) => s.host);
  // The first connect takes milliseconds: say "connecting" only if it takes a while.
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (connection !== 'connecting') return;
    const t = setTimeout(() => setSlow(true), 1500);
    return () => clearTimeout(t);
  }, [connection]);
  if (host !== 'browser' || connection === 'up' || (connection === 'connecting' && !slow)) return null;
  return (
    <div className={`connection-banner${connection === 'down' ? ' down' : ''}`} role="alert" data-testid="connection-banner">
      {connection === 'down'
        ? 'Lost the connection to the studio server — reconnecting…'
        : 'Connecting to the studio server…'}
    </div>
  );
}
