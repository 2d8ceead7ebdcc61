/**
 * The big numbers under the transport: trial, time in trial, target and distance, from the
 * packet on screen; plus the session's filters as removable chips. Values are written from
 * the frame loop into fixed-width boxes, so nothing moves as they change.
 */
import { formatNumber, formatTrialTime, hasFilters } from '../data/format.ts';
import { stressTooltip } from '../data/stress.ts';
import { useFrame } from '../live/frameLoop.ts';
import { useLiveTexts } from '../live/liveText.ts';
import { useFilters, useStore, useStudio } from '../state/hooks.ts';

export function Readouts() {
  const store = useStore();
  const status = useStudio((s) => s.playback?.status ?? null);
  const selected = useStudio((s) => s.selected);
  const blind = useStudio((s) => s.playback?.blind ?? false);
  const perturbations = useStudio((s) => s.playback?.perturbations ?? null);
  const filters = useFilters();
  const [trialText, timeText, targetText, targetPosText, distText] = useLiveTexts(5);

  // Text on live canvases (live/liveText.ts), in frames with new packets; at once after a seek.
  useFrame(
    ({ store, reset }) => {
      const live = store.live;
      trialText.set(live.trialId === null ? '—' : String(live.trialId), reset);
      timeText.set(formatTrialTime(live.trialTimeMs), reset);
      const target = live.targetId === null ? undefined : store.state.targetById.get(live.targetId);
      targetText.set(live.targetId === null ? '—' : String(live.targetId), reset);
      // Never empty: an empty DOM text node leaves the layout tree, and its return lays out the page.
      targetPosText.set(target ? `(${formatNumber(target.x)}, ${formatNumber(target.y)}) mm` : '\u00a0', reset);
      const d = target && live.x !== null && live.y !== null ? Math.hypot(live.x - target.x, live.y - target.y) : null;
      distText.set(d === null ? '—' : `${formatNumber(d)} mm`, reset);
    },
    { phase: 'write', onData: true },
  );

  return (
    <div className="readouts" data-testid="readouts">
      <div className="readout-status">
        <span className="readout-pills">
          <span className={`status-pill status-${status ?? 'none'}`} data-testid="playback-status">
            {status ?? 'no session'}
          </span>
          {blind && (
            <span className="badge badge-blind" data-testid="readout-blind" title="Blind session: decoders get no kinematics or intention">
              BLIND
            </span>
          )}
          {perturbations && (
            <span className="badge badge-stress" data-testid="readout-stress" title={stressTooltip(perturbations)}>
              STRESS
            </span>
          )}
        </span>
        <span className="readout-session" title="The session the plots follow">
          {selected ?? ''}
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Trial</span>
        <span className="readout-value w-trial" data-testid="readout-trial">
          <span ref={trialText.ref} className="live-text">
            —
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Trial time</span>
        <span className="readout-value w-time" data-testid="readout-trial-time">
          <span ref={timeText.ref} className="live-text">
            —
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Target</span>
        <span className="readout-value w-target" data-testid="readout-target">
          <span ref={targetText.ref} className="live-text">
            —
          </span>
        </span>
        <span className="readout-sub w-targetpos" data-testid="readout-target-pos">
          <span ref={targetPosText.ref} className="live-text">
            {'\u00a0'}
          </span>
        </span>
      </div>
      <div className="readout">
        <span className="readout-label">Distance</span>
        <span className="readout-value w-dist" data-testid="readout-distance">
          <span ref={distText.ref} className="live-text">
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
