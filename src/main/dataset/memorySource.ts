import { DatasetError } from './errors.ts';
import { spikeTimesProblem, type BehaviorChoice, type RecordingSource, type RecordingTrials, type SeriesSource } from './source.ts';

/** A behaviour series held in memory. */
export interface MemorySeries {
  /** e.g. `/processing/behavior/cursor_pos`; the last component names the series. */
  path: string;
  timestamps: Float64Array;
  /** timestamps.length × columns, row-major. */
  data: Float64Array;
  columns: 1 | 2;
  unit?: string | null;
}

export interface MemoryRecording {
  path: string;
  sessionDescription?: string | null;
  unitIds: number[];
  /** Per unit, its spike times (seconds). */
  spikeTimes: Float64Array[];
  trials?: RecordingTrials | null;
  position?: MemorySeries | null;
  velocity?: MemorySeries | null;
  notes?: string[];
}

/**
 * A recording in memory as a RecordingSource, so it is binned by exactly the code that bins
 * NWB files (tests, and recordings generated without a file).
 */
export function memoryRecordingSource(rec: MemoryRecording): RecordingSource {
  const ends = new Float64Array(rec.spikeTimes.length);
  let acc = 0;
  rec.spikeTimes.forEach((s, u) => (ends[u] = acc += s.length));
  // Series sharing one timestamps array share a key, as soft-linked NWB timestamps do.
  const keys = new Map<Float64Array, string>();
  const series = (s: MemorySeries | null | undefined): SeriesSource | null => {
    if (!s) return null;
    let key = keys.get(s.timestamps);
    if (!key) keys.set(s.timestamps, (key = `memory:${keys.size}`));
    return memorySeries(s, key);
  };
  const position = series(rec.position);
  const velocity = series(rec.velocity);
  return {
    path: rec.path,
    sessionDescription: rec.sessionDescription ?? null,
    notes: [...(rec.notes ?? [])],
    unitIds: rec.unitIds.slice(),
    unitEnds: ends,
    readSpikeTimes(visit) {
      let first = 0;
      for (const times of rec.spikeTimes) {
        const problem = spikeTimesProblem(times, first, ends, rec.unitIds);
        if (problem) throw new DatasetError(rec.path, problem);
        visit(times, first);
        first += times.length;
      }
    },
    readTrials: () => rec.trials ?? null,
    chooseBehavior(rejected): BehaviorChoice {
      const notes: string[] = [];
      const usable = (s: SeriesSource | null): SeriesSource | null => {
        const why = s ? rejected.get(s.path) : undefined;
        if (why !== undefined) notes.push(`${s!.path} ${why}: series ignored`);
        return why === undefined ? s : null;
      };
      return { position: usable(position), velocity: usable(velocity), notes };
    },
  };
}

function memorySeries(s: MemorySeries, timestampsKey: string): SeriesSource {
  const { timestamps, data, columns } = s;
  const rows = Math.min(timestamps.length, Math.floor(data.length / columns));
  return {
    path: s.path,
    columns,
    rows,
    unit: s.unit ?? null,
    timestampsKey,
    readTimestamps: (from, to) => timestamps.subarray(from, to),
    readData: (from, to) => data.subarray(from * columns, to * columns),
    lastTimestamp() {
      for (let i = rows - 1; i >= 0; i--) if (Number.isFinite(timestamps[i])) return timestamps[i];
      return -Infinity;
    },
  };
}
