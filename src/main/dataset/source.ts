/**
 * What binning reads a recording through: an NWB file read lazily in slices (nwbReader.ts) or
 * arrays in memory (memorySource.ts). Big things (spike times, behaviour series) are handed
 * over in chunks, so nothing the size of a whole series has to be held at once.
 * Times are seconds on the recording's clock.
 */
/** Elements a source hands over per chunk, and binning reads per chunk (2 MB of float64). */
export const CHUNK_ELEMENTS = 1 << 18;

export interface RecordingSource {
  /** Absolute path (or a name for an in-memory recording). */
  readonly path: string;
  readonly sessionDescription: string | null;
  /** What the reader found or assumed while reading units and trials, for people. */
  readonly notes: string[];
  /** Unit ids, in table order. */
  readonly unitIds: number[];
  /** Exclusive end offset of each unit's spikes: unit u is spikes [ends[u-1], ends[u]). */
  readonly unitEnds: Float64Array;
  /**
   * Every unit's spike times, unit after unit, in chunks: `visit(times, first)` receives spikes
   * first .. first + times.length - 1. Refuses (DatasetError) NaN, negative or infinite times.
   * `times` is only valid during the call (which must not read from the source).
   */
  readSpikeTimes(visit: (times: Float64Array, first: number) => void): void;
  /** null: no trials table. */
  readTrials(): RecordingTrials | null;
  /**
   * The behaviour series to bin, leaving out the `rejected` ones (path → why; binning rejects a
   * series whose timestamps turn out not to increase). Both null when there is no behaviour.
   */
  chooseBehavior(rejected: ReadonlyMap<string, string>): BehaviorChoice;
}

export interface BehaviorChoice {
  /** cursor_pos, or hand_pos when there is no cursor_pos; null when neither. */
  position: SeriesSource | null;
  /** hand_vel; null when absent (binning then differentiates position). */
  velocity: SeriesSource | null;
  /** What the choice found or assumed, for people (rejections included). */
  notes: string[];
}

/** One behaviour series, read by rows. */
export interface SeriesSource {
  /** Path of the series (for NWB, the group), e.g. `/processing/behavior/cursor_pos`. */
  readonly path: string;
  /** Columns read (x, or x and y); further columns are ignored. */
  readonly columns: 1 | 2;
  /** Samples (rows that have both data and a timestamp). */
  readonly rows: number;
  /** The unit of the data, e.g. `mm`. */
  readonly unit: string | null;
  /** Series with the same key have the same timestamps (MC_Maze shares one dataset through soft links). */
  readonly timestampsKey: string;
  /**
   * Sample times of rows [from, to), as stored (binning checks that they increase). The array
   * may be a view of the reader's buffer (or the source's own data: read it, do not write it):
   * valid until the next read from this source, of any series or of spike times.
   */
  readTimestamps(from: number, to: number): Float64Array;
  /**
   * Rows [from, to) × columns, row-major, with the file's conversion and offset applied. Valid
   * as long as readTimestamps' arrays (until the next read from this source); do not write it.
   */
  readData(from: number, to: number): Float64Array;
  /** The last finite sample time, -Infinity when there is none. */
  lastTimestamp(): number;
}

export type TrialColumn =
  | { name: string; kind: 'number'; values: Float64Array }
  | { name: string; kind: 'boolean'; values: boolean[] }
  | { name: string; kind: 'string'; values: string[] };

export interface RecordingTrials {
  count: number;
  /** The NWB `id` column (0..n-1 when absent). */
  ids: number[];
  startTime: Float64Array;
  /** NaN where stop_time is NaN or the column is absent. */
  stopTime: Float64Array;
  /** Every other 1-D scalar column, in `colnames` order (start/stop_time excluded). */
  columns: TrialColumn[];
  /** Per trial, the active target `target_pos[active_target]` (NaN where unknown); null without target_pos. */
  activeTarget: { x: Float64Array; y: Float64Array } | null;
}

/**
 * Why spike `first + j` of `times` cannot be streamed (NaN, negative, infinite), naming the
 * unit; null when every time is fine.
 */
export function spikeTimesProblem(times: Float64Array, first: number, ends: ArrayLike<number>, ids: readonly number[]): string | null {
  for (let j = 0; j < times.length; j++) {
    const t = times[j];
    if (t >= 0 && t !== Infinity) continue;
    const i = first + j;
    let u = 0;
    while (u < ends.length - 1 && ends[u] <= i) u++;
    const start = u === 0 ? 0 : ends[u - 1];
    const what = Number.isNaN(t) ? 'a NaN spike time' : t < 0 ? `a negative spike time (${t} s)` : `a non-finite spike time (${t})`;
    return `unit ${u} (id ${ids[u]}) has ${what} at spike ${i - start}`;
  }
  return null;
}

/** Thrown by binning when series turn out to be unusable mid-way; the series are then chosen again without them. */
export class SeriesRejected extends Error {
  constructor(
    readonly paths: string[],
    readonly why: string,
  ) {
    super(`${paths.join(', ')} ${why}`);
  }
}
