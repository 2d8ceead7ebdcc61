/**
 * The Redis bridge's settings, as the CLI, the studio and REST take them: one parser for every
 * edge. Pure (no Node built-ins): the renderer checks what is typed with the same rules.
 */
import { AXES, isValidSessionCode, type Axis } from './wire.ts';

/** A decoder's output stream to read and score, as `STREAM[:NAME[:axes]]` says. */
export interface RedisDecoderSpec {
  stream: string;
  /** Its row on the scoreboard (default: the stream's name). */
  name: string;
  /** What its float32 `samples` hold, in order (default vx, vy: BRAND's wiener_filter). */
  axes: Axis[];
}

export interface RedisConfig {
  /** redis://HOST:PORT[/DB] */
  url: string;
  /** Sessions to publish: codes, or every session. */
  sessions: 'all' | string[];
  /** Put before every stream name; null: none for one session (BRAND's names), `CODE:` for several. */
  prefix: string | null;
  decoders: RedisDecoderSpec[];
}

export type Problem = { problem: string };

/** The one session published when none are named. */
export const DEFAULT_REDIS_SESSION = 'brand';
export const DEFAULT_DECODER_AXES: readonly Axis[] = ['vx', 'vy'];

/** Redis keys we accept: printable, no spaces or colons-only oddities; what a BRAND graph would name. */
const KEY = /^[A-Za-z0-9_.:{}\-/]{1,128}$/;

/** redis://[:PASSWORD@]HOST[:PORT][/DB]; the password never appears in a status (`redactRedisUrl`). */
export function parseRedisUrl(v: unknown): { url: string; host: string; port: number; db: number } | Problem {
  const bad = { problem: `the Redis URL must look like redis://HOST:PORT[/DB] (or redis://:PASSWORD@HOST:PORT/DB) (got ${JSON.stringify(redactRedisUrl(String(v)))})` };
  if (typeof v !== 'string' || v.length > 512) return bad;
  const m = /^redis:\/\/(?:([^:@/\s]*):([^@/\s]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\/(\d{1,2}))?\/?$/.exec(v.trim());
  if (!m) return bad;
  const port = m[4] === undefined ? 6379 : Number(m[4]);
  const db = m[5] === undefined ? 0 : Number(m[5]);
  if (port < 1 || port > 65535) return { problem: `the Redis port must be 1–65535 (got ${port})` };
  if (db > 15) return { problem: `the Redis database must be 0–15 (got ${db})` };
  const auth = m[2] === undefined ? '' : `${m[1]}:${m[2]}@`;
  return { url: `redis://${auth}${m[3]}:${port}/${db}`, host: m[3].replace(/^\[|\]$/g, ''), port, db };
}

/** The URL as it may be shown: any password replaced by ***. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(redis:\/\/[^:@/]*:)[^@/]+@/, '$1***@');
}

export function parseRedisSessions(v: unknown): 'all' | string[] | Problem {
  if (v === 'all') return 'all';
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : Array.isArray(v) ? v : null;
  if (!list || list.length === 0 || list.length > 64) return { problem: `sessions must be "all" or 1–64 session codes separated by commas (got ${JSON.stringify(v)})` };
  for (const c of list) if (typeof c !== 'string' || !isValidSessionCode(c)) return { problem: `"${String(c)}" is not a session code (1–64 letters, digits, "-", "_")` };
  return [...new Set(list as string[])];
}

export function parseRedisPrefix(v: unknown): string | null | Problem {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || !KEY.test(v)) return { problem: `the stream prefix must be 1–128 letters, digits or _ . : - / { } (got ${JSON.stringify(v)})` };
  return v;
}

/** `STREAM[:NAME[:axes]]`, axes separated by commas, e.g. `wiener_filter:wiener:vx,vy`. */
export function parseRedisDecoderSpec(v: unknown): RedisDecoderSpec | Problem {
  if (typeof v !== 'string') return { problem: `a decoder stream is STREAM[:NAME[:axes]] (got ${JSON.stringify(v)})` };
  const [stream, name, axes, ...rest] = v.split(':');
  if (rest.length || !stream || !KEY.test(stream)) return { problem: `a decoder stream is STREAM[:NAME[:axes]], e.g. wiener_filter:wiener:vx,vy (got ${JSON.stringify(v)})` };
  if (name !== undefined && !/^[\p{L}\p{N} ._+#@()/-]{1,64}$/u.test(name)) return { problem: `decoder name "${name}" must be 1–64 letters, digits, spaces or . _ + # @ ( ) / -` };
  let list: Axis[] = [...DEFAULT_DECODER_AXES];
  if (axes !== undefined) {
    list = axes.split(',').map((a) => a.trim()) as Axis[];
    if (list.some((a) => !(AXES as readonly string[]).includes(a)) || new Set(list).size !== list.length || list.length === 0) {
      return { problem: `decoder axes must be distinct ones of ${AXES.join(', ')} separated by commas (got "${axes}")` };
    }
  }
  return { stream, name: name || stream, axes: list };
}

/** A whole configuration from untrusted input (studio, REST); CLI flags go through the same parsers. */
export function parseRedisConfig(v: unknown): RedisConfig | Problem {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: 'the Redis settings must be an object {url, sessions?, prefix?, decoders?}' };
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['url', 'sessions', 'prefix', 'decoders'].includes(k));
  if (extra.length) return { problem: `unknown Redis setting(s) ${extra.join(', ')}` };
  const url = parseRedisUrl(o.url);
  if ('problem' in url) return url;
  const sessions = o.sessions === undefined ? [DEFAULT_REDIS_SESSION] : parseRedisSessions(o.sessions);
  if (!Array.isArray(sessions) && sessions !== 'all') return sessions;
  const prefix = parseRedisPrefix(o.prefix);
  if (prefix !== null && typeof prefix === 'object') return prefix;
  const specs = o.decoders === undefined ? [] : o.decoders;
  if (!Array.isArray(specs) || specs.length > 16) return { problem: 'decoders must be a list of at most 16 STREAM[:NAME[:axes]]' };
  const decoders: RedisDecoderSpec[] = [];
  for (const s of specs) {
    const d = parseRedisDecoderSpec(specText(s));
    if ('problem' in d) return d;
    decoders.push(d);
  }
  return { url: url.url, sessions, prefix, decoders };
}

/** A decoder spec as text: as given, or an already parsed {stream, name, axes} written back. */
function specText(s: unknown): unknown {
  if (s === null || typeof s !== 'object') return s;
  const o = s as Record<string, unknown>;
  if (typeof o.stream !== 'string' || typeof o.name !== 'string' || !Array.isArray(o.axes)) return s;
  return `${o.stream}:${o.name}:${o.axes.join(',')}`;
}
