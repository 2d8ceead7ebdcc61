/**
 * What we write to Redis, named and laid out in one place. BRAND's `binned_spikes` is byte for
 * byte what its tutorial graph's `bin_multiple.py` writes (see README "Use with BRAND"); our own
 * streams use the same shape (little-endian `samples`, `ts`, `sync`, `i`) so a BRAND node reads
 * them with the same `np.frombuffer` lines.
 */

/** Every stream is trimmed to about this many entries (`XADD … MAXLEN ~`): 150 s at 40 Hz. */
export const DEFAULT_MAXLEN = 6000;

/** The largest spike count int8 holds; larger counts are clipped to it (and counted). */
export const INT8_MAX = 127;

export interface StreamNames {
  /** BRAND's binned spikes: samples int8 × channels, ts uint64 ns, sync JSON, i uint64. */
  spikes: string;
  /** samples float32 × 4: x, y (mm), vx, vy (mm/s); NaN where the bin has no sample. */
  kinematics: string;
  /** samples float32 × 3: target_x, target_y (mm), distance_to_target; target_id int32 (−1: none). */
  intention: string;
  /** trial_id int32 (−1: outside trials), trial_time_ms float32 (NaN outside). */
  trial: string;
  /** A string key: the session metadata as JSON, written before the first entry and on every change. */
  metadata: string;
}

const BASE: StreamNames = {
  spikes: 'binned_spikes',
  kinematics: 'phantomlink_kinematics',
  intention: 'phantomlink_intention',
  trial: 'phantomlink_trial',
  metadata: 'phantomlink_metadata',
};

/**
 * The names of one session's streams: BRAND's own names when one session is published without a
 * prefix; `PREFIX` + name when a prefix is given; `CODE:` + name for each of several sessions
 * (`PREFIX` `CODE:` + name with both).
 */
export function streamNames(prefix: string | null, code: string, single: boolean): StreamNames {
  const p = (prefix ?? '') + (single ? '' : `${code}:`);
  return {
    spikes: p + BASE.spikes,
    kinematics: p + BASE.kinematics,
    intention: p + BASE.intention,
    trial: p + BASE.trial,
    metadata: p + BASE.metadata,
  };
}

/** The streams a session publishes: no truth for a blind one. */
export function publishedStreams(names: StreamNames, blind: boolean): string[] {
  return blind ? [names.spikes, names.trial] : [names.spikes, names.kinematics, names.intention, names.trial];
}

/**
 * `sync`: our clock labels for the entry, which BRAND nodes copy from input to output. The
 * decoder streams we read back carry it, so `session` tells which session an answer is for.
 */
export function syncLabel(code: string, seq: number, bin: number): string {
  return `{"session":${JSON.stringify(code)},"sequence_number":${seq},"bin_index":${bin}}`;
}

/** The layouts, as the metadata key states them for a node that reads it first. */
export const LAYOUT_DOC = {
  byte_order: 'little-endian',
  i: 'uint64: the session sequence_number (the WebSocket packets carry the same number)',
  ts: 'uint64: monotonic ns (CLOCK_MONOTONIC, comparable on one host only) when the entry was written',
  sync: 'JSON {session, sequence_number, bin_index}',
  binned_spikes: 'samples: int8 per channel (counts above 127 clipped)',
  kinematics: 'samples: float32 [x, y, vx, vy] (mm, mm/s), NaN = no sample',
  intention: 'samples: float32 [target_x, target_y, distance_to_target]; target_id: int32, -1 = none',
  trial: 'trial_id: int32, -1 = outside trials; trial_time_ms: float32, NaN outside',
  decoder_streams: 'read back: samples float32 per axis, i_in = the i answered (uint64 bytes or decimal text), optional ts uint64 ns and sync',
} as const;
