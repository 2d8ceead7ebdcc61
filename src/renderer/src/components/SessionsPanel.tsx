/**
 * Sessions: pick the one the plots follow, create (custom or generated code; blind or not,
 * which bins its decoders are scored on, and its bin width), delete; its stream URLs. A row
 * says what is special about a session: BLIND, STRESS (perturbed; the tooltip lists how), and
 * its bin width when it is not the default 25 ms.
 */
import { useEffect, useState } from 'react';
import { BIN_MS, BIN_WIDTHS_MS } from '../../../shared/bins.ts';
import type { SessionSummary } from '../../../shared/studioApi.ts';
import { EVALUATION_WINDOWS, isValidSessionCode, type EvaluationWindow } from '../../../shared/wire.ts';
import { describeFilters, formatClockSeconds, hasFilters } from '../data/format.ts';
import { EVALUATE_LABELS } from '../data/scoreboard.ts';
import { stressTooltip } from '../data/stress.ts';
import { binMsOf, packetRateHz } from '../data/timeline.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import { StreamUrls } from './StreamUrls.tsx';
import { RecordButton } from './RecordingsPanel.tsx';

/**
 * The panel is split so that the session updates (twice a second while playing) re-render only
 * the list: the create form (React re-applies an input's attributes on every render) and the
 * stream URLs stay untouched.
 */
export function SessionsPanel() {
  return (
    <section className="panel sessions-panel" aria-label="Sessions">
      <SessionList />
      <SessionCreate />
      <StreamUrls />
    </section>
  );
}

function SessionList() {
  const sessions = useStudio((s) => s.sessions);
  const selected = useStudio((s) => s.selected);
  const loaded = useStudio((s) => s.sessionsLoaded);
  return (
    <>
      <header className="panel-header">
        <h2>Sessions</h2>
        <span className="panel-meta">{sessions.length === 1 ? '1 session' : `${sessions.length} sessions`}</span>
      </header>
      <ul className="session-list" data-testid="session-list" role="listbox" aria-label="Sessions">
        {!loaded && <li className="empty">Loading…</li>}
        {loaded && sessions.length === 0 && <li className="empty">No sessions. Create one below, or connect a decoder to any /stream/… URL.</li>}
        {sessions.map((s) => (
          <SessionItem key={s.code} s={s} selected={s.code === selected} />
        ))}
      </ul>
    </>
  );
}

function SessionCreate() {
  const store = useStore();
  const [code, setCode] = useState('');
  const [blind, setBlind] = useState(false);
  const [evaluate, setEvaluate] = useState<EvaluationWindow>('all');
  const [binMs, setBinMs] = useState<number>(BIN_MS);
  const [busy, setBusy] = useState(false);
  const invalid = code.trim() !== '' && !isValidSessionCode(code.trim());

  const create = async () => {
    if (invalid || busy) return;
    setBusy(true);
    if (await store.createSession(code, { blind, evaluate, binMs })) setCode('');
    setBusy(false);
  };

  return (
    <>
      <form
        className="session-create"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <input
          type="text"
          data-testid="session-code-input"
          placeholder="code (optional)"
          title="Letters, digits, - and _; leave blank for a generated code"
          aria-label="New session code"
          aria-invalid={invalid}
          spellCheck={false}
          autoComplete="off"
          maxLength={64}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <button type="submit" className="btn" data-testid="session-create" disabled={invalid || busy}>
          Create
        </button>
        <div className="session-create-options">
          <label className="check" title="Decoders get no kinematics or intention (null), so they cannot peek at the answer; they are scored as usual">
            <input type="checkbox" data-testid="session-blind" checked={blind} onChange={(e) => setBlind(e.target.checked)} />
            blind
          </label>
          <label className="select-label" title="Which bins the decoders' predictions are scored on">
            scored on
            <select data-testid="session-evaluate" value={evaluate} onChange={(e) => setEvaluate(e.target.value as EvaluationWindow)}>
              {EVALUATION_WINDOWS.map((w) => (
                <option key={w} value={w}>
                  {EVALUATE_SHORT[w]}
                </option>
              ))}
            </select>
          </label>
          <label className="select-label" title="Width of a bin: packets go out at 1000 / width a second (25 ms: 40 Hz, the guide's stream)">
            bin
            <select data-testid="session-bin" value={binMs} onChange={(e) => setBinMs(Number(e.target.value))}>
              {BIN_WIDTHS_MS.map((w) => (
                <option key={w} value={w}>
                  {w} ms
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>
      {invalid && <p className="field-hint error">Letters, digits, - and _ only (1–64).</p>}
    </>
  );
}

const EVALUATE_SHORT: Record<EvaluationWindow, string> = { all: 'every bin', trials: 'trials', movement: 'movement' };

function SessionItem({ s, selected }: { s: SessionSummary; selected: boolean }) {
  const store = useStore();
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    if (!confirm) return;
    const t = setTimeout(() => setConfirm(false), 3000);
    return () => clearTimeout(t);
  }, [confirm]);

  return (
    <li
      className={`session-item${selected ? ' selected' : ''}`}
      data-testid={`session-item-${s.code}`}
      data-status={s.status}
      role="option"
      aria-selected={selected}
      tabIndex={0}
      onClick={() => store.select(s.code)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') store.select(s.code);
      }}
    >
      <span className={`dot dot-${s.status}`} title={s.status} />
      <span className="session-code">
        <span className="session-code-text">{s.code}</span>
        {s.blind && (
          <span className="badge badge-blind" data-testid={`session-blind-${s.code}`} title="Blind: decoders get no kinematics or intention">
            BLIND
          </span>
        )}
        {s.perturbations && (
          <span className="badge badge-stress" data-testid={`session-stress-${s.code}`} title={stressTooltip(s.perturbations)}>
            STRESS
          </span>
        )}
        {binMsOf(s) !== BIN_MS && (
          <span className="badge badge-bin" data-testid={`session-bin-${s.code}`} title={`${binMsOf(s)} ms bins: ${packetRateHz(binMsOf(s))} packets a second at 1×`}>
            {binMsOf(s)} ms
          </span>
        )}
      </span>
      <span className="session-clients" title="Connected decoders">
        {s.clients} {s.clients === 1 ? 'client' : 'clients'}
      </span>
      {/* A fixed box (see .session-pos-text): the position's updates lay out this line, not the page. */}
      <span className="session-pos">
        <span className="session-pos-text live-text">
          <span className={`session-status status-text-${s.status}`}>{s.status}</span> {formatClockSeconds(s.positionS)} · {s.speed}×
        </span>
      </span>
      <span className={`session-filters${hasFilters(s.filters) ? ' has' : ''}`} title={s.evaluate ? `scored on ${EVALUATE_LABELS[s.evaluate]}` : undefined}>
        {describeFilters(s.filters)}
      </span>
      <RecordButton code={s.code} recording={s.recording} />
      <button
        type="button"
        className={`session-delete${confirm ? ' confirm' : ''}`}
        data-testid={`session-delete-${s.code}`}
        title={confirm ? 'Click again to delete (connected decoders are disconnected)' : 'Delete this session'}
        aria-label={confirm ? `Confirm delete ${s.code}` : `Delete ${s.code}`}
        onClick={(e) => {
          e.stopPropagation();
          if (confirm) void store.deleteSession(s.code);
          else setConfirm(true);
        }}
      >
        {confirm ? 'Delete?' : '×'}
      </button>
    </li>
  );
}
