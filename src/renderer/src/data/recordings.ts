/** Pure rules of the recordings list: what the studio says when one fails, how a row reads. */
import type { RecordingSummary } from '../../../shared/studioApi.ts';

/**
 * Recordings that failed since `prev` (the list the studio had; null before the first, whose old
 * failures are history, not news).
 */
export function newlyFailed(prev: readonly RecordingSummary[] | null, next: readonly RecordingSummary[]): RecordingSummary[] {
  if (prev === null) return [];
  const before = new Map(prev.map((r) => [r.id, r.status]));
  return next.filter((r) => r.status === 'failed' && before.get(r.id) !== 'failed');
}

/** "14:02:11" today, "Dec 5 14:02" on another day (local time). */
export function formatWhen(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time.slice(0, 5)}`;
}

/** Seconds since an ISO time, for the record button's clock. */
export function elapsedSeconds(startedAt: string, nowMs = Date.now()): number {
  const t = Date.parse(startedAt);
  return Number.isFinite(t) ? Math.max(0, (nowMs - t) / 1000) : 0;
}
