import { createHash } from 'node:crypto';
import type { McMazeBehavior, McMazeRecording } from '../../src/main/dataset/mcMazeLayout.ts';

/** Index of the behaviour sample nearest to time t (s), by binary search (the grid has gaps). */
export function sampleIndex(b: McMazeBehavior, t: number): number {
  const ts = b.timestamps;
  let lo = 0;
  let hi = ts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(ts[lo - 1] - t) < Math.abs(ts[lo] - t) ? lo - 1 : lo;
}

export function xyAt(series: Float64Array, i: number): [number, number] {
  return [series[2 * i], series[2 * i + 1]];
}

/** Count of spikes in [t0, t1) of a sorted array. */
export function countIn(times: Float64Array, t0: number, t1: number): number {
  return lowerBound(times, t1) - lowerBound(times, t0);
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** SHA-256 over every byte and value of a recording: equal digests ⇔ identical recordings. */
export function fingerprint(rec: McMazeRecording): string {
  const h = createHash('sha256');
  const bytes = (a: Float64Array): void => void h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const { units, trials, behavior, ...meta } = rec;
  h.update(JSON.stringify(meta));
  h.update(JSON.stringify({ ids: units.ids, heldout: units.heldout, obs: units.obsIntervals, el: units.electrodes }));
  for (const s of units.spikeTimes) {
    h.update(String(s.length));
    bytes(s);
  }
  if (trials) {
    for (const [k, v] of Object.entries(trials)) {
      h.update(k);
      if (v instanceof Float64Array) bytes(v);
      else h.update(JSON.stringify(v));
    }
  }
  if (behavior) for (const k of ['timestamps', 'cursor_pos', 'eye_pos', 'hand_pos', 'hand_vel'] as const) bytes(behavior[k]);
  return h.digest('hex');
}

export function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}
