/**
 * Structured logs: one JSON object per line on stderr (`{"t":…,"level":…,"event":…,…}`),
 * easy to grep and to ship to a lab's log stack. Silent until a host sets a level, so the
 * engine used as a library (tests, benchmarks) prints nothing.
 */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

let threshold = RANK.silent;
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

/** For tests: capture lines instead of writing them. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && v in RANK;
}

function emit(level: Exclude<LogLevel, 'silent'>, event: string, fields: Record<string, unknown>): void {
  if (RANK[level] > threshold) return;
  sink(JSON.stringify({ t: new Date().toISOString(), level, event, ...fields }));
}

export const log = {
  error: (event: string, fields: Record<string, unknown> = {}) => emit('error', event, fields),
  warn: (event: string, fields: Record<string, unknown> = {}) => emit('warn', event, fields),
  info: (event: string, fields: Record<string, unknown> = {}) => emit('info', event, fields),
  debug: (event: string, fields: Record<string, unknown> = {}) => emit('debug', event, fields),
};
