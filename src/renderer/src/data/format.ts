/**
 * Text for the readouts. Every formatter returns a string of stable width for the values it
 * is given (fixed decimals, a real minus sign), so with tabular numerals nothing shifts as the
 * numbers change at 40 Hz.
 */
import type { SessionFilters } from '../../../shared/wire.ts';

const MINUS = '\u2212';

/** `mm:ss.mmm` (minutes grow past two digits for long recordings). */
export function formatClock(seconds: number): string {
  const ms = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 0;
  const m = Math.floor(ms / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  const frac = ms % 1000;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(frac).padStart(3, '0')}`;
}

/**
 * `mm:ss`, whole seconds (floored): the session list's position. It changes once a second, so
 * the list's 2 Hz renders leave its text alone every other time.
 */
export function formatClockSeconds(seconds: number): string {
  const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds + 1e-9) : 0;
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** `9:41` style, for summaries (not live readouts). */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** A signed number with a typographic minus and fixed decimals; `—` for null/NaN. */
export function formatNumber(v: number | null | undefined, decimals = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = Math.abs(v).toFixed(decimals);
  // -0.0 reads as 0.0
  return v < 0 && Number(s) !== 0 ? MINUS + s : s;
}

/** Time since the trial started: `+1.250 s`. */
export function formatTrialTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `+${(Math.max(0, ms) / 1000).toFixed(3)} s`;
}

export function formatSpeed(speed: number): string {
  return `${speed}×`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** One formatter for every count: `toLocaleString` makes a new one per call (~15 µs each). */
const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return Number.isFinite(n) ? COUNT_FORMAT.format(Math.round(n)) : '—';
}

export function formatMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
}

export function hasFilters(f: SessionFilters | null | undefined): boolean {
  return !!f && (f.trial_id !== null || f.target_id !== null);
}

export function describeFilters(f: SessionFilters | null | undefined): string {
  if (!f || !hasFilters(f)) return 'all trials';
  const parts: string[] = [];
  if (f.trial_id !== null) parts.push(`trial ${f.trial_id}`);
  if (f.target_id !== null) parts.push(`target ${f.target_id}`);
  return parts.join(' · ');
}

/** A fraction as a percentage: 0.25 → `25 %`, 0.055 → `5.5 %`. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${Number((fraction * 100).toFixed(1))} %` : '—';
}
