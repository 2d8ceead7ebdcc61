/**
 * The followed session's decoders, scored live: a sortable table (name, endpoint, connection,
 * combined R², per-axis R² · r · RMSE, latency p50/p99, predictions, missing; the other counts
 * on hover and in a details row), cumulative or the last 30 s, a per-trial R² strip, Reset, and
 * the reference decoder's start/stop. In presentation mode it is a leaderboard instead: large
 * names, colours, R² and latency, for a room to read.
 *
 * It renders when the scoreboard changes (a few times a second, batched with the other server
 * state into the frame loop's DOM frame), never per packet.
 */
import { memo, useMemo, useState } from 'react';
import type { DecoderSummary, ReferenceDecoderStatus } from '../../../shared/studioApi.ts';
import { formatCount, formatMs } from '../data/format.ts';
import {
  DEFAULT_SORT,
  EVALUATE_LABELS,
  MOVEMENT_WINDOW,
  formatLatency,
  formatRmse,
  formatScore,
  latencyOf,
  nextSort,
  otherCounts,
  r2Color,
  scoredAxes,
  scoresOf,
  sortDecoders,
  type ScoreWindow,
  type SortKey,
  type SortOrder,
} from '../data/scoreboard.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import { DECODER_COLORS } from './theme.ts';

/** Trials shown in a row's strip (the newest). */
const STRIP_TRIALS = 30;

export function DecodersPanel() {
  const scoreboard = useStudio((s) => s.scoreboard);
  const overlays = useStudio((s) => s.decoderOverlays);
  const presentation = useStudio((s) => s.presentation);
  const selected = useStudio((s) => s.selected);
  const [scoreWindow, setScoreWindow] = useState<ScoreWindow>('cumulative');
  const [order, setOrder] = useState<SortOrder>(DEFAULT_SORT);
  const decoders = scoreboard?.decoders ?? [];
  const sorted = useMemo(() => sortDecoders(decoders, order, scoreWindow), [decoders, order, scoreWindow]);
  const slotOf = useMemo(() => new Map(overlays.map((o) => [o.id, o.slot])), [overlays]);

  if (presentation) {
    // The audience sees the leaderboard only when there is something on it.
    if (decoders.length === 0) return null;
    return <Leaderboard decoders={sortDecoders(decoders, DEFAULT_SORT, scoreWindow)} slotOf={slotOf} scoreWindow={scoreWindow} />;
  }

  return (
    <section className="panel decoders-panel" aria-label="Decoders" data-testid="decoders-panel">
      <header className="panel-header">
        <h2>Decoders</h2>
        {scoreboard?.blind && (
          <span className="badge badge-blind" title="Blind session: decoders get no kinematics or intention; they are scored as usual">
            BLIND
          </span>
        )}
        <span
          className="panel-meta"
          data-testid="decoders-evaluate"
          title={`Which bins are scored (chosen when the session is created)${scoreboard?.evaluate === 'movement' ? `: ${MOVEMENT_WINDOW}` : ''}`}
        >
          {scoreboard ? `scored on ${EVALUATE_LABELS[scoreboard.evaluate]}` : selected ? 'waiting for scores…' : ''}
        </span>
      </header>
      <div className="decoders-controls">
        <div className="segmented" role="group" aria-label="Scores over">
          <button
            type="button"
            className={scoreWindow === 'cumulative' ? 'on' : ''}
            aria-pressed={scoreWindow === 'cumulative'}
            data-testid="score-window-cumulative"
            title="Since the last reset"
            onClick={() => setScoreWindow('cumulative')}
          >
            since reset
          </button>
          <button
            type="button"
            className={scoreWindow === 'rolling' ? 'on' : ''}
            aria-pressed={scoreWindow === 'rolling'}
            data-testid="score-window-rolling"
            title="The last 30 s of wall time"
            onClick={() => setScoreWindow('rolling')}
          >
            last 30 s
          </button>
        </div>
        <ResetScores disabled={!scoreboard} />
      </div>
      <ReferenceDecoder status={scoreboard?.referenceDecoder ?? null} ready={selected !== null} />
      {decoders.length === 0 ? (
        <p className="empty">
          No decoder yet. Start the reference decoder, or have yours answer each packet with{' '}
          <code>{'{"type":"prediction","sequence_number":N,"vx":…,"vy":…}'}</code>.
        </p>
      ) : (
        <ScoreTable decoders={sorted} slotOf={slotOf} scoreWindow={scoreWindow} order={order} onSort={(k) => setOrder((o) => nextSort(o, k))} />
      )}
    </section>
  );
}

function ResetScores({ disabled }: { disabled: boolean }) {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="btn-small"
      data-testid="scores-reset"
      disabled={disabled || busy}
      title="Start every decoder's scores and counts afresh"
      onClick={async () => {
        setBusy(true);
        await store.resetScores();
        setBusy(false);
      }}
    >
      Reset scores
    </button>
  );
}

const REFERENCE_STATE_TEXT: Record<ReferenceDecoderStatus['state'], string> = {
  starting: 'starting…',
  training: 'training…',
  predicting: 'predicting',
  exited: 'exited',
};

/** One click starts or stops the built-in ridge decoder on the followed session. */
function ReferenceDecoder({ status, ready }: { status: ReferenceDecoderStatus | null; ready: boolean }) {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const running = status !== null && status.state !== 'exited';
  const toggle = async () => {
    setBusy(true);
    await (running ? store.stopReferenceDecoder() : store.startReferenceDecoder());
    setBusy(false);
  };
  return (
    <div className="reference-decoder" data-testid="reference-decoder" data-state={status?.state ?? 'off'}>
      <button
        type="button"
        className={`btn-small${running ? ' on' : ''}`}
        data-testid="reference-toggle"
        aria-pressed={running}
        disabled={!ready || busy}
        title={running ? 'Stop the reference decoder' : 'Start the built-in ridge decoder: it learns from the first minutes of this session, then predicts'}
        onClick={() => void toggle()}
      >
        {running ? '■ Stop reference' : '▶ Reference decoder'}
      </button>
      <span className={`reference-status state-${status?.state ?? 'off'}`} data-testid="reference-status" title={status?.message ?? ''}>
        {status ? (
          <>
            {/* "exited (code 0): …" says it already. */}
            {!status.message.startsWith(status.state) && <b>{REFERENCE_STATE_TEXT[status.state]}</b>} {status.message}
          </>
        ) : (
          <span className="muted">not running</span>
        )}
      </span>
    </div>
  );
}

interface TableProps {
  decoders: DecoderSummary[];
  slotOf: ReadonlyMap<string, number>;
  scoreWindow: ScoreWindow;
  order: SortOrder;
  onSort: (key: SortKey) => void;
}

const COLUMNS: Array<{ key: SortKey; label: string; title: string; num: boolean }> = [
  { key: 'name', label: 'Decoder', title: 'Name, endpoint and connection', num: false },
  { key: 'r2', label: 'R²', title: 'Combined R² over the predicted axes (variance-weighted, as FALCON scores)', num: true },
  { key: 'p50', label: 'p50', title: 'Round-trip latency, median (ms): packet sent → prediction back', num: true },
  { key: 'p99', label: 'p99', title: 'Round-trip latency, 99th percentile (ms)', num: true },
  { key: 'predictions', label: 'Pred', title: 'Predictions received', num: true },
  { key: 'missing', label: 'Miss', title: 'Packets sent while connected that got no prediction within a second', num: true },
];

function ScoreTable({ decoders, slotOf, scoreWindow, order, onSort }: TableProps) {
  return (
    <div className="score-table" role="table" aria-label="Decoder scores" data-testid="score-table">
      <div className="score-row score-head" role="row">
        {COLUMNS.map((c) => (
          <span key={c.key} role="columnheader" className={c.num ? 'num' : ''} aria-sort={order.key === c.key ? (order.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
            <button type="button" className="sort-button" data-testid={`sort-${c.key}`} title={`${c.title} — click to sort`} onClick={() => onSort(c.key)}>
              {c.label}
              <span className="sort-mark" aria-hidden>
                {order.key === c.key ? (order.dir === 'asc' ? '▲' : '▼') : ''}
              </span>
            </button>
          </span>
        ))}
      </div>
      <div className="score-axes-head" aria-hidden>
        per axis: R² · r · RMSE &nbsp;·&nbsp; endpoint, R² of recent trials →
      </div>
      <div className="score-rows">
        {decoders.map((d) => (
          <DecoderRow key={d.id} d={d} slot={slotOf.get(d.id) ?? -1} scoreWindow={scoreWindow} />
        ))}
      </div>
    </div>
  );
}

function countsTitle(d: DecoderSummary): string {
  const lines = [
    `${d.name}${d.version ? ` ${d.version}` : ''} · ${d.endpoint} · ${d.address}${d.connected ? '' : ' · disconnected'}`,
    otherCounts(d)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(' · '),
    `latency max ${formatMs(d.latency.maxMs)}${d.reportedLatencyP50Ms !== null ? ` · own compute p50 ${formatMs(d.reportedLatencyP50Ms)}` : ''}`,
  ];
  return lines.join('\n');
}

/** One decoder: its main line, its axes, its trials; a click shows every count. */
const DecoderRow = memo(function DecoderRow({ d, slot, scoreWindow }: { d: DecoderSummary; slot: number; scoreWindow: ScoreWindow }) {
  const [open, setOpen] = useState(false);
  const scores = scoresOf(d, scoreWindow);
  const latency = latencyOf(d, scoreWindow);
  const color = slot >= 0 ? DECODER_COLORS[slot] : undefined;
  const axes = scoredAxes(scores);
  const trials = d.trials.length > STRIP_TRIALS ? d.trials.slice(d.trials.length - STRIP_TRIALS) : d.trials;
  return (
    <div
      className={`decoder-entry${d.connected ? '' : ' is-disconnected'}${open ? ' is-open' : ''}`}
      role="rowgroup"
      data-testid={`decoder-row-${d.id}`}
      data-decoder-name={d.name}
      data-connected={d.connected}
      data-predictions={d.counts.predictions}
      title={countsTitle(d)}
    >
      <div
        className="score-row"
        role="row"
        tabIndex={0}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') setOpen((o) => !o);
        }}
      >
        <span role="cell" className="decoder-name-cell">
          <i className="swatch decoder-swatch" style={color ? { background: color } : undefined} data-testid="decoder-swatch" data-color={color ?? ''} />
          <span className="decoder-name" data-testid="decoder-name">
            {d.name}
          </span>
          <i className={`dot ${d.connected ? 'dot-connected' : 'dot-gone'}`} title={d.connected ? 'connected' : 'disconnected'} aria-label={d.connected ? 'connected' : 'disconnected'} />
        </span>
        <span role="cell" className="num score-r2" data-testid="decoder-r2">
          {formatScore(scores.r2)}
        </span>
        <span role="cell" className="num" data-testid="decoder-p50">
          {formatLatency(latency.p50Ms)}
        </span>
        <span role="cell" className="num" data-testid="decoder-p99">
          {formatLatency(latency.p99Ms)}
        </span>
        <span role="cell" className="num" data-testid="decoder-predictions">
          {formatCount(d.counts.predictions)}
        </span>
        <span role="cell" className={`num${d.counts.missing > 0 ? ' warn' : ''}`} data-testid="decoder-missing">
          {formatCount(d.counts.missing)}
        </span>
      </div>
      <div className="decoder-axes" data-testid="decoder-axes">
        {axes.length === 0 && <span className="muted">no scored bins yet</span>}
        {axes.map((a) => {
          const s = scores.axes[a]!;
          return (
            <span key={a} className="axis-score" data-axis={a} title={`${a}: R² ${formatScore(s.r2)} · Pearson r ${formatScore(s.r)} · RMSE ${formatRmse(s.rmse)} ${a.startsWith('v') ? 'mm/s' : 'mm'} · ${s.n} bins`}>
              <b>{a}</b>
              <span className="num">{formatScore(s.r2)}</span>
              <span className="num muted">{formatScore(s.r)}</span>
              <span className="num muted">{formatRmse(s.rmse)}</span>
            </span>
          );
        })}
      </div>
      <div className="decoder-foot">
        <span className={`badge badge-${d.endpoint}`} data-testid="decoder-endpoint" title={`${d.endpoint} from ${d.address}`}>
          {d.endpoint === 'binary' ? 'BINARY' : d.endpoint === 'json' ? 'JSON' : 'REDIS'}
        </span>
        <span className="trial-strip" data-testid="trial-strip" aria-label="Combined R² of the recent trials">
          {trials.map((t) => (
            <i key={t.trialId} className="trial-cell" style={{ background: r2Color(t.r2) }} title={`trial ${t.trialId}: R² ${formatScore(t.r2)} · ${t.n} bins`} />
          ))}
        </span>
      </div>
      {open && (
        <dl className="decoder-details" data-testid="decoder-details">
          {otherCounts(d).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd className={v > 0 && k !== 'evaluated' ? 'warn' : ''}>{formatCount(v)}</dd>
            </div>
          ))}
          <div>
            <dt>max</dt>
            <dd>{formatLatency(latency.maxMs)} ms</dd>
          </div>
          <div>
            <dt>own p50</dt>
            <dd>{d.reportedLatencyP50Ms === null ? '—' : `${formatLatency(d.reportedLatencyP50Ms)} ms`}</dd>
          </div>
        </dl>
      )}
    </div>
  );
});

/** Presentation mode: the ranking, large enough for the back of the room. */
function Leaderboard({ decoders, slotOf, scoreWindow }: { decoders: DecoderSummary[]; slotOf: ReadonlyMap<string, number>; scoreWindow: ScoreWindow }) {
  return (
    <section className="panel leaderboard" aria-label="Leaderboard" data-testid="leaderboard">
      <header className="panel-header">
        <h2>Leaderboard</h2>
        <span className="panel-meta">{scoreWindow === 'rolling' ? 'R², last 30 s' : 'R² since reset'} · latency p50</span>
      </header>
      <ol className="leaderboard-rows">
        {decoders.slice(0, 8).map((d, i) => {
          const slot = slotOf.get(d.id) ?? -1;
          return (
            <li key={d.id} className={`leaderboard-row${d.connected ? '' : ' is-disconnected'}`} data-testid={`leaderboard-row-${d.id}`} data-decoder-name={d.name}>
              <span className="leaderboard-rank">{i + 1}</span>
              <i className="leaderboard-swatch" style={slot >= 0 ? { background: DECODER_COLORS[slot] } : undefined} />
              <span className="leaderboard-name">{d.name}</span>
              <span className="leaderboard-r2 num">{formatScore(scoresOf(d, scoreWindow).r2)}</span>
              <span className="leaderboard-latency num">{formatLatency(latencyOf(d, scoreWindow).p50Ms)} ms</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
