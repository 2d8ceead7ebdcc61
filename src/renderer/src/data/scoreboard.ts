/**
 * The scoreboard as the studio shows it: which scores a column reads (cumulative or the last
 * 30 s), the sort order, the per-trial R² colours and the text of a score.
 */
import type { DecoderSummary, LatencySummary, ScoreSet } from '../../../shared/studioApi.ts';
import type { Axis, EvaluationWindow } from '../../../shared/wire.ts';

/** Since the last reset, or the last 30 s. */
export type ScoreWindow = 'cumulative' | 'rolling';

export const scoresOf = (d: DecoderSummary, w: ScoreWindow): ScoreSet => (w === 'rolling' ? d.rolling : d.cumulative);
export const latencyOf = (d: DecoderSummary, w: ScoreWindow): LatencySummary => (w === 'rolling' ? d.rollingLatency : d.latency);

export type SortKey = 'name' | 'r2' | 'p50' | 'p99' | 'predictions' | 'missing';
export type SortDir = 'asc' | 'desc';

export interface SortOrder {
  key: SortKey;
  dir: SortDir;
}

/** Best first: the highest R². */
export const DEFAULT_SORT: SortOrder = { key: 'r2', dir: 'desc' };

/** The direction a column sorts in on its first click: best first (high R², low latency, many predictions, few missing). */
export const FIRST_DIR: Readonly<Record<SortKey, SortDir>> = {
  name: 'asc',
  r2: 'desc',
  p50: 'asc',
  p99: 'asc',
  predictions: 'desc',
  missing: 'asc',
};

/** A click on a column: the same column turns its direction round, another starts best first. */
export function nextSort(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: FIRST_DIR[key] };
}

function sortValue(d: DecoderSummary, key: Exclude<SortKey, 'name'>, w: ScoreWindow): number | null {
  switch (key) {
    case 'r2':
      return scoresOf(d, w).r2;
    case 'p50':
      return latencyOf(d, w).p50Ms;
    case 'p99':
      return latencyOf(d, w).p99Ms;
    case 'predictions':
      return d.counts.predictions;
    case 'missing':
      return d.counts.missing;
  }
}

const byName = (a: DecoderSummary, b: DecoderSummary) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The decoders in the order of `order` (a new array). A decoder without a value (no R² yet, no
 * latency) goes last whichever the direction; ties go by name, then id, so rows never swap
 * places between two updates with equal values.
 */
export function sortDecoders(decoders: readonly DecoderSummary[], order: SortOrder, w: ScoreWindow): DecoderSummary[] {
  const sign = order.dir === 'asc' ? 1 : -1;
  const key = order.key;
  return [...decoders].sort((a, b) => {
    if (key === 'name') return sign * byName(a, b);
    const va = sortValue(a, key, w);
    const vb = sortValue(b, key, w);
    const na = va === null || !Number.isFinite(va);
    const nb = vb === null || !Number.isFinite(vb);
    if (na !== nb) return na ? 1 : -1;
    if (!na && va !== vb) return sign * ((va as number) - (vb as number));
    return byName(a, b);
  });
}

/** The axes a decoder is scored on, in the packets' order. */
export function scoredAxes(s: ScoreSet): Axis[] {
  return (['x', 'y', 'vx', 'vy'] as const).filter((a) => s.axes[a] !== undefined);
}

const MINUS = '\u2212';

/** R² and r: two decimals, a real minus sign; R² far below 0 is clipped to "< −9.99". */
export function formatScore(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v < -9.995) return `<${MINUS}9.99`;
  const s = Math.abs(v).toFixed(2);
  return v < 0 && Number(s) !== 0 ? MINUS + s : s;
}

/** RMSE in the packets' units: three significant figures, no more than one decimal. */
export function formatRmse(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** Latency in ms for a table cell (the unit is in the column head). */
export function formatLatency(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v < 10 ? v.toFixed(1) : v.toFixed(0);
}

/**
 * The per-trial strip's colours: R² ≤ 0 (no better than the mean) is a dark red, then a
 * sequential ramp (dark blue → teal → green → yellow, viridis-like, readable by colour-blind
 * viewers) from 0 to 1. No value: a dark grey.
 */
export const R2_RAMP = ['#2d3f8a', '#2a6f9e', '#21918c', '#3cb371', '#8fd744', '#fde725'] as const;
export const R2_NEGATIVE = '#7a2230';
export const R2_NONE = '#27313d';

export function r2Color(r2: number | null | undefined): string {
  if (r2 === null || r2 === undefined || !Number.isFinite(r2)) return R2_NONE;
  if (r2 <= 0) return R2_NEGATIVE;
  const k = Math.min(R2_RAMP.length - 1, Math.floor(r2 * R2_RAMP.length));
  return R2_RAMP[k];
}

export const EVALUATE_LABELS: Readonly<Record<EvaluationWindow, string>> = {
  all: 'every bin',
  trials: 'bins in trials',
  movement: 'the movement window',
};

/** What the NLB's MC_Maze movement window is. */
export const MOVEMENT_WINDOW = 'move onset −250 ms to +450 ms of each trial';

/** The counts not in the table's columns, for a row's tooltip and details. */
export function otherCounts(d: DecoderSummary): Array<[string, number]> {
  const c = d.counts;
  return [
    ['evaluated', c.evaluated],
    ['late', c.late],
    ['duplicates', c.duplicates],
    ['stale', c.stale],
    ['unknown seq', c.unknown],
    ['invalid', c.invalid],
    ['throttled', c.throttled],
  ];
}
