/**
 * Searchable trial list: click a row to filter the session by that trial, click it again to
 * remove the filter. Only the rows in view (and a few either side) are in the DOM: MC_Maze has
 * 2,295 trials and other files more, and the live trial's marker moves every second or two;
 * re-rendering and repainting thousands of rows for it cost the frame it landed in milliseconds.
 */
import { memo, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { TrialSummary } from '../../../shared/studioApi.ts';
import { filterTrials } from '../data/trialSearch.ts';
import { visibleRows } from '../data/visibleRows.ts';
import { observeSize } from '../live/frameLoop.ts';
import { useFilters, useStore, useStudio } from '../state/hooks.ts';

/** Row height in CSS px (`.trial-row` in panels.css has the same). */
const ROW_PX = 28;
/** Rows rendered beyond the visible ones on each side, so a fast scroll shows no gap. */
const OVERSCAN = 10;

export function TrialsPanel() {
  const trials = useStudio((s) => s.trials);
  const liveTrial = useStudio((s) => s.liveTrialId);
  const filters = useFilters();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const shown = useMemo(() => filterTrials(trials, deferred), [trials, deferred]);
  const listRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(0);
  useEffect(() => observeSize(listRef.current!, (_w, h) => setViewH(h)), []);
  const { first, last } = visibleRows(scrollTop, viewH, ROW_PX, shown.length, OVERSCAN);

  return (
    <section className="panel trials-panel" aria-label="Trials">
      <header className="panel-header">
        <h2>Trials</h2>
        <span className="panel-meta" data-testid="trial-count">
          {shown.length === trials.length ? `${trials.length}` : `${shown.length} of ${trials.length}`}
        </span>
      </header>
      <TrialSearch query={query} onQuery={setQuery} />
      <div className="trial-table" role="table" aria-label="Trials" aria-rowcount={shown.length + 1}>
        <div className="trial-row trial-head" role="row">
          <span role="columnheader">Trial</span>
          <span role="columnheader">Target</span>
          <span role="columnheader">Result</span>
          <span role="columnheader">Duration</span>
        </div>
        <div className="trial-rows" data-testid="trial-list" ref={listRef} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
          <div className="trial-rows-sizer" style={{ height: shown.length * ROW_PX }}>
            {shown.slice(first, last).map((t, k) => {
              const i = first + k;
              return (
                <TrialRow
                  key={t.id}
                  t={t}
                  index={i}
                  active={filters.trial_id === t.id}
                  live={liveTrial === t.id}
                  // With a target filter, trials aimed elsewhere are not in the timeline: dim them.
                  outside={filters.target_id !== null && t.targetId !== filters.target_id}
                />
              );
            })}
          </div>
          {shown.length === 0 && <div className="empty">No trial matches “{query}”.</div>}
        </div>
      </div>
    </section>
  );
}

/** Its own component, so the list's re-renders (the live trial moves) leave the input alone. */
const TrialSearch = memo(function TrialSearch({ query, onQuery }: { query: string; onQuery: (q: string) => void }) {
  return (
    <input
      type="search"
      className="trial-search"
      data-testid="trial-search"
      placeholder="Search: 41 · t3 · ok · fail"
      aria-label="Search trials"
      spellCheck={false}
      value={query}
      onChange={(e) => onQuery(e.target.value)}
    />
  );
});

interface TrialRowProps {
  t: TrialSummary;
  index: number;
  active: boolean;
  live: boolean;
  outside: boolean;
}

/** One row, placed at its index (`top`, not a transform: no paint property node per row); re-rendered only when its own props change. */
const TrialRow = memo(function TrialRow({ t, index, active, live, outside }: TrialRowProps) {
  const store = useStore();
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      tabIndex={0}
      className={`trial-row${index % 2 ? ' odd' : ''}${active ? ' is-filter' : ''}${live ? ' is-live' : ''}${outside ? ' is-outside' : ''}`}
      style={{ top: index * ROW_PX }}
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
});
