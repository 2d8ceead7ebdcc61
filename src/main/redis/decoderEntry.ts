import type { RedisDecoderSpec } from '../../shared/redisConfig.ts';
import type { PredictedValues } from '../evaluation/sessionScoring.ts';

/** One decoder-stream entry, read: the entry it answers (`i_in`), its values, its own clock. */
export interface DecoderEntry {
  seq: number;
  values: PredictedValues;
  /** The decoder's `ts` in ms (monotonic ns / 1e6), NaN when absent. */
  tsMs: number;
  /** `sync.session` copied from our entry, null when absent. */
  session: string | null;
}

/**
 * Reads an XREAD entry's field list as BRAND's wiener_filter writes it: `samples` float32 per
 * axis, `i_in` the `i` it answers copied as read (8 bytes uint64, or decimal text from nodes that
 * write numbers as strings), optional `ts` uint64 ns and `sync` JSON. Anything else is a
 * problem named in words; the caller counts and skips it.
 */
export function readDecoderEntry(fields: Buffer[], spec: RedisDecoderSpec): DecoderEntry | { problem: string } {
  let samples: Buffer | undefined;
  let iIn: Buffer | undefined;
  let ts: Buffer | undefined;
  let sync: Buffer | undefined;
  for (let f = 0; f + 1 < fields.length; f += 2) {
    switch (fields[f].toString('latin1')) {
      case 'samples': samples = fields[f + 1]; break;
      case 'i_in': iIn = fields[f + 1]; break;
      case 'ts': ts = fields[f + 1]; break;
      case 'sync': sync = fields[f + 1]; break;
    }
  }
  if (!samples) return { problem: 'no samples field' };
  if (!iIn) return { problem: 'no i_in field (the i of the binned_spikes entry answered)' };
  const want = spec.axes.length * 4;
  if (samples.length !== want) {
    return { problem: `samples is ${samples.length} bytes; ${spec.axes.length} float32 (${spec.axes.join(', ')}) are ${want}` };
  }
  let seq: number;
  if (iIn.length === 8) seq = Number(iIn.readBigUInt64LE(0));
  else if (/^\d{1,15}$/.test(iIn.toString('latin1'))) seq = Number(iIn.toString('latin1'));
  else return { problem: `i_in must be the 8 bytes of the uint64 i it answers (got ${iIn.length} bytes)` };
  if (!Number.isSafeInteger(seq)) return { problem: 'i_in is past 2^53' };
  const values: PredictedValues = { x: NaN, y: NaN, vx: NaN, vy: NaN };
  let finite = 0;
  for (let a = 0; a < spec.axes.length; a++) {
    const v = samples.readFloatLE(a * 4);
    // NaN is "no estimate", as null is on the WebSocket; infinities are not estimates either.
    if (Number.isFinite(v)) {
      values[spec.axes[a]] = v;
      finite++;
    }
  }
  if (finite === 0) return { problem: 'samples holds no finite value' };
  let session: string | null = null;
  if (sync) {
    try {
      const s = JSON.parse(sync.toString('utf8')) as unknown;
      if (s && typeof s === 'object' && typeof (s as { session?: unknown }).session === 'string') session = (s as { session: string }).session;
    } catch {
      return { problem: 'sync is not JSON (BRAND nodes copy it from the input entry)' };
    }
  }
  const tsMs = ts && ts.length === 8 ? Number(ts.readBigUInt64LE(0)) / 1e6 : NaN;
  return { seq, values, tsMs, session };
}
