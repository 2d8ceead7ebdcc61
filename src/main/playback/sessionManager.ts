import type { Dataset } from '../dataset/types.ts';
import { CloseCode, isValidSessionCode, type SessionFilters } from '../../shared/wire.ts';
import { DEFAULT_SETTINGS, Session, assertBinWidth, assertSpeed, type SessionOptions, type SessionSettings } from './session.ts';
import { assertEvaluationWindow } from './evaluationWindow.ts';
import { checkPerturbations } from './perturbations.ts';
import { buildTimeline } from './timeline.ts';
import { log } from '../common/log.ts';
import { DomainError } from '../common/errors.ts';

/** A request the manager refuses. */
export class SessionError extends DomainError<
  'invalid_session_code' | 'session_exists' | 'session_not_found' | 'session_limit' | 'filter_conflict' | 'settings_conflict'
> {}

export interface SessionManagerOptions {
  /** Sessions without connections expire after this long. Default 1 h. */
  idleTtlMs?: number;
  /** Default 64. At the limit the least recently used idle session is evicted. */
  maxSessions?: number;
  /** How often expiry runs. Default min(ttl / 4, 60 s). */
  sweepIntervalMs?: number;
  sessionDefaults?: SessionOptions;
}

export const NO_FILTERS: SessionFilters = Object.freeze({ trial_id: null, target_id: null });

/** Creates, finds, expires and evicts sessions; owns the dataset they all play. */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<() => void>();
  private readonly sweepTimer: NodeJS.Timeout;
  readonly idleTtlMs: number;
  readonly maxSessions: number;
  /** Sees every tick's send lateness of every session (the server's Prometheus histogram). */
  latenessListener: ((session: Session, latenessMs: number) => void) | null = null;
  /** Sessions removed by expiry or eviction since start (for /metrics and logs). */
  expired = 0;
  evicted = 0;

  constructor(
    private dataset: Dataset,
    private readonly opts: SessionManagerOptions = {},
  ) {
    this.idleTtlMs = opts.idleTtlMs ?? 60 * 60 * 1000;
    this.maxSessions = opts.maxSessions ?? 64;
    const sweep = opts.sweepIntervalMs ?? Math.min(this.idleTtlMs / 4, 60_000);
    this.sweepTimer = setInterval(() => this.expireIdle(), Math.max(10, sweep));
    this.sweepTimer.unref();
  }

  get currentDataset(): Dataset {
    return this.dataset;
  }

  get size(): number {
    return this.sessions.size;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  get(code: string): Session | undefined {
    return this.sessions.get(code);
  }

  /** The session with this code; a SessionError `session_not_found` when there is none. */
  require(code: string): Session {
    const s = this.sessions.get(code);
    if (!s) throw new SessionError('session_not_found', `session "${code.slice(0, 80)}" not found`);
    return s;
  }

  /** A readable code like `swift-neural-42` that no session uses. */
  unusedCode(): string {
    return generateSessionCode((c) => this.sessions.has(c));
  }

  /** The session list changed (created, deleted, expired). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates a session; refuses an existing code. Throws SessionError or FilterError. */
  create(code: string, filters: SessionFilters = NO_FILTERS, opts: SessionOptions = {}): Session {
    this.assertCode(code);
    if (this.sessions.has(code)) throw new SessionError('session_exists', `session "${code}" already exists`);
    // Refuse a bad request before making room: a refused create must not evict anyone.
    const merged = { ...this.opts.sessionDefaults, ...opts };
    if (merged.speed !== undefined) assertSpeed(merged.speed);
    if (merged.evaluate !== undefined) assertEvaluationWindow(this.dataset, merged.evaluate);
    if (merged.bin_ms !== undefined) assertBinWidth(merged.bin_ms);
    checkPerturbations(merged.perturbations);
    buildTimeline(this.dataset, filters, this.dataset.at(merged.bin_ms ?? DEFAULT_SETTINGS.bin_ms));
    this.makeRoom();
    const session = new Session(code, this.dataset, { ...filters }, {
      ...this.opts.sessionDefaults,
      ...opts,
      onLateness: (s, ms) => this.latenessListener?.(s, ms),
    });
    this.sessions.set(code, session);
    log.info('session_created', { session: code, filters, speed: session.state().speed });
    this.emit();
    return session;
  }

  /**
   * The session a connection joins: created on first use (as the guide shows). A connection
   * without filters or settings joins as is; one whose filters or settings differ from the
   * running session's is refused.
   */
  join(code: string, filters: SessionFilters, settings: Partial<SessionSettings> = {}, perturbations?: unknown): Session {
    this.assertCode(code);
    const existing = this.sessions.get(code);
    if (!existing) return this.create(code, filters, { ...settings, perturbations: checkPerturbations(perturbations) });
    if (perturbations !== undefined && JSON.stringify(checkPerturbations(perturbations)) !== JSON.stringify(existing.perturbations)) {
      throw new SessionError('settings_conflict', `session "${code}" is already playing with other perturbations; connect without them to join it, or use another session code`);
    }
    const differs = (Object.keys(settings) as Array<keyof SessionSettings>).filter((k) => settings[k] !== existing.settings[k]);
    if (differs.length > 0) {
      const is = differs.map((k) => `${k}=${existing.settings[k]}`).join(', ');
      throw new SessionError('settings_conflict', `session "${code}" is already playing with ${is}; connect without ${differs.join(' and ')} to join it, or use another session code`);
    }
    const hasFilter = filters.trial_id !== null || filters.target_id !== null;
    if (hasFilter && !existing.filtersEqual(filters)) {
      throw new SessionError(
        'filter_conflict',
        `session "${code}" is already playing with ${describeFilters(existing.filters)}; ` +
          `connect without filters to join it, or use another session code for ${describeFilters(filters)}`,
      );
    }
    existing.touch();
    return existing;
  }

  delete(code: string, reason = 'session deleted'): boolean {
    const session = this.sessions.get(code);
    if (!session) return false;
    this.sessions.delete(code);
    log.info('session_closed', { session: code, reason, packets_sent: session.state().packets_sent });
    session.close(CloseCode.SessionDeleted, reason);
    this.emit();
    return true;
  }

  /** Removes sessions without connections idle for at least `maxIdleMs`; returns their codes. */
  cleanup(maxIdleMs = this.idleTtlMs): string[] {
    const now = Date.now();
    const removed: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.subscriberCount === 0 && now - s.lastActivity >= maxIdleMs) removed.push(s.code);
    }
    for (const code of removed) this.delete(code, 'session expired (idle)');
    return removed;
  }

  setDataset(dataset: Dataset): void {
    this.dataset = dataset;
    for (const s of this.sessions.values()) s.setDataset(dataset);
    this.emit();
  }

  /** Closes every session (server shutdown). */
  closeAll(code: number, reason: string): void {
    clearInterval(this.sweepTimer);
    for (const s of this.sessions.values()) s.close(code, reason);
    this.sessions.clear();
    this.emit();
  }

  private expireIdle(): void {
    this.expired += this.cleanup().length;
  }

  private makeRoom(): void {
    if (this.sessions.size < this.maxSessions) return;
    let lru: Session | undefined;
    for (const s of this.sessions.values()) {
      if (s.subscriberCount > 0) continue;
      if (!lru || s.lastActivity < lru.lastActivity) lru = s;
    }
    if (!lru) {
      throw new SessionError(
        'session_limit',
        `all ${this.maxSessions} sessions have connected clients; close one or delete a session first`,
      );
    }
    this.delete(lru.code, 'session evicted: the session limit was reached and it was the least recently used idle session');
    this.evicted++;
  }

  private assertCode(code: string): void {
    if (!isValidSessionCode(code)) {
      throw new SessionError(
        'invalid_session_code',
        `invalid session code ${JSON.stringify(code.slice(0, 80))}: use 1–64 letters, digits, "-" or "_"`,
      );
    }
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

export function describeFilters(f: SessionFilters): string {
  const parts: string[] = [];
  if (f.trial_id !== null) parts.push(`trial_id=${f.trial_id}`);
  if (f.target_id !== null) parts.push(`target_id=${f.target_id}`);
  return parts.length ? parts.join(' & ') : 'no filter';
}

const ADJECTIVES = ['swift', 'calm', 'bright', 'quiet', 'bold', 'keen', 'steady', 'lucid', 'brisk', 'vivid'];
const NOUNS = ['neural', 'spike', 'cortex', 'axon', 'synapse', 'dendrite', 'reach', 'maze', 'motor', 'signal'];

/** A readable code like `swift-neural-42` that is not in use yet. */
export function generateSessionCode(taken: (code: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const a = ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)];
    const n = NOUNS[Math.floor(Math.random() * NOUNS.length)];
    const num = Math.floor(Math.random() * (attempt < 50 ? 100 : 100000));
    const code = `${a}-${n}-${num}`;
    if (!taken(code)) return code;
  }
}
