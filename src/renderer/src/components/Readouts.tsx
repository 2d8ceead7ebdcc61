/**
 * The big numbers under the transport: trial, time in trial, target and distance, from the
 * packet on screen; plus the session's filters as removable chips. Values are written from
 * the frame loop into fixed-width boxes, so nothing moves as they change.
 */
import { useRef } from 'react';
import { formatNumber, formatTrialTime, hasFilters } from '../data/format.ts';
import { useFrame } from '../live/frameLoop.ts';
import { setText } from '../live/liveText.ts';
import { useFilters, useStore, useStudio } from '../state/hooks.ts';

export function Readouts() {
  const store = useStore();
  const status = useStudio((s) => s.playback?.status ?? null);
  const selected = useStudio((s) => s.selected);
  const filters = useFilters();
  const trialRef = useRef<HTMLSpanElement>(null);
  const timeRef = useRef<HTMLSpanElement>(null);
  const targetRef = useRef<HTMLSpanElement>(null);
  const targetPosRef = useRef<HTMLSpanElement>(null);
  const distRef = useRef<HTMLSpanElement>(null);

  // DOM writes: after the canvases are drawn, only in frames with new packets.
  useFrame(
    ({ store }) => {
      const live = store.live;
      setText(trialRef.current, live.trialId === null ? '—' : String(live.trialId));
      setText(timeRef.current, formatTrialTime(live.trialTimeMs));
      const target = live.targetId === null ? undefined : store.state.targetById.get(live.targetId);
      setText(targetRef.current, live.targetId === null ? '—' : String(live.targetId));
      // Never empty: an empty text node leaves the layout tree, and its return lays out the page.
      setText(targetPosRef.current, target ? `(${formatNumber(target.x)}, ${formatNumber(target.y)}) mm` : '\u00a0');
      const d = target && live.x !== null && live.y !== null ? Math.hypot(live.x - target.x, live.y - target.y) : null;
      setText(distRef.current, d === null ? '—' : `${formatNumber(d)} mm`);
    },
    { phase: 'write', onData: true },
  );

  return (
    <div className="readouts" data-testid="readouts">
      <div className="readout-status">
        <span className={`status-pill status-${status ?? 'none'}`} data-testid="playback-status">
          {status ?? 'no session'}
        </span>
        <span className="readout-session" title="The session the plots follow">
          {selected ?? ''}
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Trial</span>
        <span className="readout-value w-trial" data-testid="readout-trial">
          <span ref={trialRef} className="live-text">
            —
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Trial time</span>
        <span className="readout-value w-time" data-testid="readout-trial-time">
          <span ref={timeRef} className="live-text">
            —
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Target</span>
        <span className="readout-value w-target" data-testid="readout-target">
          <span ref={targetRef} className="live-text">
            —
          </span>
        </span>
        <span className="readout-sub w-targetpos" data-testid="readout-target-pos">
          <span ref={targetPosRef} className="live-text">
            {'\u00a0'}
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Distance</span>
        <span className="readout-value w-dist" data-testid="readout-distance">
          <span ref={distRef} className="live-text">
            —
          </span>
        </span>
      </div>
      <div className="filter-chips" data-testid="filter-chips">
        <span className="readout-label">Filter</span>
        {!hasFilters(filters) && <span className="chip chip-none">all trials</span>}
        {filters.trial_id !== null && (
          <button
            type="button"
            className="chip chip-active"
            data-testid="filter-chip-trial"
            title="Remove the trial filter"
            onClick={() => void store.setFilters({ trial_id: null, target_id: filters.target_id })}
          >
            trial {filters.trial_id} <span aria-hidden>×</span>
          </button>
        )}
        {filters.target_id !== null && (
          <button
            type="button"
            className="chip chip-active"
            data-testid="filter-chip-target"
            title="Remove the target filter"
            onClick={() => void store.setFilters({ trial_id: filters.trial_id, target_id: null })}
          >
            target {filters.target_id} <span aria-hidden>×</span>
          </button>
        )}
        {hasFilters(filters) && (
          <button type="button" className="btn-small" data-testid="filters-clear" onClick={() => void store.clearFilters()}>
            Clear
          </button>
        )}
      </div>
    </div>
  );
}
