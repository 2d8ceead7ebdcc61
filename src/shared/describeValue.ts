/**
 * A short, safe rendering of an untrusted value for an error message. `String(v)` and
 * `JSON.stringify(v)` can both throw on hostile input (`{toString: 1}`, cycles, BigInt); this never does.
 */
export function describeValue(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    try {
      s = String(v);
    } catch {
      s = Object.prototype.toString.call(v);
    }
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
