/** Searchable trial list: click a row to filter the session by that trial, click it again to remove the filter. */
import { useDeferredValue, useMemo, useState } from 'react';
import { filterTrials } from '../data/trialSearch.ts';
import { useFilters, useStore, useStudio } from '../state/hooks.ts';

export function TrialsPanel() {
  const store = useStore();
  const trials = useStudio((s) => s.trials);
  const liveTrial = useStudio((s) => s.liveTrialId);
  const filters = useFilters();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const shown = useMemo(() => filterTrials(trials, deferred), [trials, deferred]);

  return (
    <section className="panel trials-panel" aria-label="Trials">
      <header className="panel-header">
        <h2>Trials</h2>
        <span className="panel-meta" data-testid="trial-count">
          {shown.length === trials.length ? `${trials.length}` : `${shown.length} of ${trials.length}`}
        </span>
      </header>
      <input
        type="search"
        className="trial-search"
        data-testid="trial-search"
        placeholder="Search: 41 · t3 · ok · fail"
        aria-label="Search trials"
        spellCheck={false}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="trial-table" role="table" aria-label="Trials">
        <div className="trial-row trial-head" role="row">
          <span role="columnheader">Trial</span>
          <span role="columnheader">Target</span>
          <span role="columnheader">Result</span>
          <span role="columnheader">Duration</span>
        </div>
        <div className="trial-rows" data-testid="trial-list">
          {shown.map((t) => {
            const active = filters.trial_id === t.id;
            // With a target filter, trials aimed elsewhere are not in the timeline: dim them.
            const outside = filters.target_id !== null && t.targetId !== filters.target_id;
            return (
              <div
                key={t.id}
                role="row"
                tabIndex={0}
                className={`trial-row${active ? ' is-filter' : ''}${liveTrial === t.id ? ' is-live' : ''}${outside ? ' is-outside' : ''}`}
                data-testid={`trial-row-${t.id}`}
                aria-selected={active}
                title={active ? 'Click to remove the trial filter' : `Play only trial ${t.id}`}
                onClick={() => void store.toggleTrial(t.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') void store.toggleTrial(t.id);
                }}
              >
                <span role="cell" className="num">
                  {t.id}
                </span>
                <span role="cell" className="num">
                  {t.targetId ?? '—'}
                </span>
                <span role="cell" className={t.success === null ? 'muted' : t.success ? 'ok' : 'fail'}>
                  {t.success === null ? '—' : t.success ? '✓ ok' : '✗ fail'}
                </span>
                <span role="cell" className="num">
                  {t.duration.toFixed(2)} s
                </span>
              </div>
            );
          })}
          {shown.length === 0 && <div className="empty">No trial matches “{query}”.</div>}
        </div>
      </div>
    </section>
  );
}
