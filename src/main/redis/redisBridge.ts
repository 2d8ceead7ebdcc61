import { Redis } from 'ioredis';
import { redactRedisUrl, type RedisConfig, type RedisDecoderSpec } from '../../shared/redisConfig.ts';
import type { RedisDecoderStatus, RedisSessionStatus, RedisState } from '../../shared/studioApi.ts';
import { log } from '../common/log.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import { REFUSAL_REASONS, type Decoder } from '../evaluation/sessionScoring.ts';
import type { Session } from '../playback/session.ts';
import type { SessionManager } from '../playback/sessionManager.ts';
import { readDecoderEntry } from './decoderEntry.ts';
import { DEFAULT_MAXLEN, streamNames } from './layout.ts';
import { SessionPublisher, type Drained } from './sessionPublisher.ts';
import { WRITE_SCRIPT, WriteBatch } from './writeBatch.ts';

/** Reconnection backoff: 250 ms doubling to 5 s. */
export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 5000;
/** How long one XREAD waits for decoder entries before asking again (lets close() be prompt). */
const READ_BLOCK_MS = 1000;
/** A decoder's own `ts` difference is believed only in this range (same host, same CLOCK_MONOTONIC). */
const SAME_HOST_MAX_MS = 60_000;

export interface RedisBridgeOptions {
  maxlen?: number;
}

interface DecoderStream {
  spec: RedisDecoderSpec;
  status: RedisDecoderStatus;
  /** Its scoreboard row in each session it answered. */
  rows: Map<Session, Decoder>;
  lastReportMs: number;
  unreported: number;
}

/**
 * The Redis face: publishes sessions in BRAND's stream conventions and scores the decoder streams
 * read back. Two connections: a writer that flushes one pipeline at a time after the ticks, and
 * a reader that blocks in XREAD. Neither queues while Redis is away (ioredis's offline queue is
 * off, no command is retried): what cannot be written is counted, and the tick never waits.
 */
export class RedisBridge {
  private readonly writer: Redis & { phantomlinkWrite(maxlen: string, blob: Buffer): Promise<number[]> };
  private readonly batch = new WriteBatch();
  private readonly reader: Redis | null;
  private readonly publishers = new Map<Session, SessionPublisher>();
  private readonly decoders: DecoderStream[];
  private state: RedisState = 'connecting';
  private nextAttemptAt: number | null = null;
  private lastError: string | null = null;
  private flushScheduled = false;
  private inFlightSince = -1;
  private closed = false;
  /** What the flushes cost our event loop (the benchmark reads it). */
  readonly flushCost = { flushes: 0, totalMs: 0, maxMs: 0 };
  private readonly offSessions: () => void;
  private readonly single: boolean;
  private readonly maxlen: number;
  readonly host: string;

  constructor(
    readonly config: RedisConfig,
    private readonly sessions: SessionManager,
    private readonly scoring: Scoring,
    opts: RedisBridgeOptions = {},
  ) {
    this.maxlen = opts.maxlen ?? DEFAULT_MAXLEN;
    this.single = Array.isArray(config.sessions) && config.sessions.length === 1;
    this.host = config.url;
    const writer = this.connect('writer');
    // EVALSHA, falling back to EVAL when Redis does not know the script (after a restart).
    writer.defineCommand('phantomlinkWrite', { numberOfKeys: 0, lua: WRITE_SCRIPT });
    this.writer = writer as typeof this.writer;
    this.reader = config.decoders.length ? this.connect('reader') : null;
    this.decoders = config.decoders.map((spec) => ({
      spec,
      status: { stream: spec.stream, name: spec.name, axes: spec.axes, entries: 0, scored: 0, malformed: 0, lastProblem: null },
      rows: new Map(),
      lastReportMs: -Infinity,
      unreported: 0,
    }));
    // Named sessions are made now, so a BRAND graph has data at once; later ones join as created.
    if (Array.isArray(config.sessions)) {
      for (const code of config.sessions) {
        if (sessions.get(code)) continue;
        try {
          sessions.create(code);
        } catch (err) {
          log.warn('redis_session_not_created', { session: code, error: (err as Error).message });
        }
      }
    }
    this.offSessions = sessions.onChange(() => this.reconcile());
    this.reconcile();
    if (this.reader) void this.readLoop(this.reader);
  }

  private connect(role: 'writer' | 'reader'): Redis {
    const r = new Redis(this.config.url, {
      // A command issued while Redis is away fails at once instead of waiting in an unbounded
      // queue; one in flight when the connection drops fails too (counted, never resent).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: 2000,
      connectionName: `phantomlink-${role}`,
      retryStrategy: (times) => {
        const delay = Math.min(RETRY_MIN_MS * 2 ** (times - 1), RETRY_MAX_MS);
        if (role === 'writer') {
          this.nextAttemptAt = Date.now() + delay;
          this.setState('retrying');
        }
        return delay;
      },
    });
    r.on('error', (err: Error) => {
      if (role === 'writer' && err.message !== this.lastError) {
        log.warn('redis_unreachable', { url: redactRedisUrl(this.config.url), error: err.message, retry: `backoff ${RETRY_MIN_MS} ms doubling to ${RETRY_MAX_MS} ms; WebSocket streaming is unaffected` });
      }
      if (role === 'writer') this.lastError = err.message;
    });
    r.on('ready', () => {
      if (role === 'reader') return;
      this.nextAttemptAt = null;
      this.lastError = null;
      // A restarted Redis has lost the metadata keys: they go first again.
      for (const p of this.publishers.values()) p.markMetadataDirty();
      this.setState('connected');
      this.scheduleFlush();
    });
    r.on('close', () => {
      if (role === 'writer' && !this.closed && this.state === 'connected') this.setState('retrying');
    });
    return r;
  }

  private setState(s: RedisState): void {
    if (s === this.state) return;
    this.state = s;
    log.info('redis_state', { url: redactRedisUrl(this.config.url), state: s });
  }

  /** Publishes the configured sessions that exist; lets go of the ones that are gone. */
  private reconcile(): void {
    if (this.closed) return;
    const wanted = this.config.sessions === 'all' ? this.sessions.list() : this.config.sessions.map((c) => this.sessions.get(c)).filter((s): s is Session => !!s);
    const keep = new Set(wanted);
    for (const [s, p] of this.publishers) {
      if (keep.has(s) && !s.isClosed) continue;
      s.detach(p);
      this.publishers.delete(s);
    }
    for (const s of wanted) {
      if (this.publishers.has(s) || s.isClosed) continue;
      const p = new SessionPublisher(s, streamNames(this.config.prefix, s.code, this.single), this.scheduleFlush, this.maxlen);
      this.publishers.set(s, p);
      s.attach(p);
      this.scheduleFlush(); // the metadata key, before the first entry
    }
  }

  private readonly scheduleFlush = (): void => {
    if (this.flushScheduled || this.inFlightSince >= 0 || this.closed) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  };

  /** After the ticks: everything pending, every session, in one write (writeBatch.ts); one in flight at a time. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    if (this.writer.status !== 'ready') {
      // Before the first connection the bounded queue waits (its overflow counted as dropped);
      // once Redis has gone away, what cannot be written now is counted as not written.
      if (this.state !== 'connecting') for (const p of this.publishers.values()) p.failPending();
      return;
    }
    const batch = this.batch;
    batch.reset();
    const tsNs = process.hrtime.bigint();
    const ts = Buffer.allocUnsafe(8);
    ts.writeBigUInt64LE(tsNs);
    const tsMs = Number(tsNs) / 1e6;
    const nowMs = performance.now();
    const drained: Drained[] = [];
    for (const p of this.publishers.values()) {
      const d = p.drain(batch, ts, tsMs, nowMs);
      if (d) drained.push(d);
    }
    if (batch.items === 0) return;
    this.inFlightSince = nowMs;
    const written = this.writer.phantomlinkWrite(String(this.maxlen), batch.bytes());
    const cost = this.flushCost;
    const spent = performance.now() - nowMs;
    cost.flushes++;
    cost.totalMs += spent;
    if (spent > cost.maxMs) cost.maxMs = spent;
    written.then(
      (flags) => {
        const ackMs = performance.now();
        for (const d of drained) {
          const st = d.publisher.stats;
          for (let e = 0; e < d.entries; e++) {
            if (flags[d.firstItem + e * d.itemsPerEntry] === 1) st.written++;
            else st.failed++;
          }
          st.lagMs = ackMs - d.oldestQueuedMs;
        }
        if (flags.includes(0)) this.lastError = 'Redis refused some writes (out of memory? a key of another type?)';
      },
      (err: Error) => {
        for (const d of drained) d.publisher.stats.failed += d.entries;
        this.lastError = err.message;
      },
    ).finally(() => {
      this.inFlightSince = -1;
      for (const p of this.publishers.values()) if (p.pendingCount > 0) return this.scheduleFlush();
    });
  };

  private async waitReady(r: Redis): Promise<void> {
    while (!this.closed && r.status !== 'ready') await new Promise((res) => setTimeout(res, 100));
  }

  /** Blocking XREAD on every decoder stream, from their newest entry on; answers go to the scoreboard. */
  private async readLoop(r: Redis): Promise<void> {
    const streams = this.decoders.map((d) => d.spec.stream);
    let ids: string[] | null = null;
    while (!this.closed) {
      try {
        await this.waitReady(r);
        if (this.closed) break;
        // From the newest entry on: answers left by a previous run are not this run's.
        ids ??= await Promise.all(streams.map(async (s) => ((await r.xrevrange(s, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0')));
        const reply = (await r.callBuffer('XREAD', 'COUNT', '512', 'BLOCK', String(READ_BLOCK_MS), 'STREAMS', ...streams, ...ids)) as
          | Array<[Buffer, Array<[Buffer, Buffer[]]>]>
          | null;
        const arrivalMs = performance.now();
        if (!reply) continue;
        for (const [key, entries] of reply) {
          const k = streams.indexOf(key.toString());
          if (k < 0) continue;
          for (const [id, fields] of entries) this.answer(this.decoders[k], fields, arrivalMs);
          if (entries.length) ids[k] = entries[entries.length - 1][0].toString();
        }
      } catch (err) {
        if (this.closed) break;
        // Redis went away (restart): read again from the newest entries once it is back.
        ids = null;
        await new Promise((res) => setTimeout(res, 100));
        void err;
      }
    }
  }

  private answer(d: DecoderStream, fields: Buffer[], arrivalMs: number): void {
    d.status.entries++;
    const e = readDecoderEntry(fields, d.spec);
    if ('problem' in e) return this.malformed(d, e.problem);
    const publisher = this.publisherFor(e.session);
    if (!publisher) {
      return this.malformed(d, e.session === null ? 'no sync.session and several sessions are published: cannot tell which one it answers' : `sync.session "${e.session}" is not a published session`);
    }
    const session = publisher.session;
    let row = d.rows.get(session);
    if (!row || !row.connected) {
      row = this.scoring.of(session).addDecoder({ name: d.spec.name, version: null, endpoint: 'redis', address: `${redactRedisUrl(this.config.url)} ${d.spec.stream}`, sinceSeq: Math.max(0, publisher.firstSeq) });
      d.rows.set(session, row);
    }
    const ours = publisher.xaddTime(e.seq);
    // The decoder's own time from our entry to its answer, when its ts is on our host's clock.
    const own = ours && Number.isFinite(e.tsMs) ? e.tsMs - ours.tsMs : NaN;
    const reported = own >= 0 && own < SAME_HOST_MAX_MS ? own : NaN;
    const outcome = this.scoring.of(session).predict(row, e.seq, e.values, reported, arrivalMs, ours?.ms);
    const why = REFUSAL_REASONS[outcome];
    if (why) this.report(d, `${why} (i_in ${e.seq})`);
    else d.status.scored++;
    session.pollDue(); // one XREAD reply holds up to 512 answers: a packet due meanwhile goes out now
  }

  private publisherFor(code: string | null): SessionPublisher | null {
    if (code !== null) {
      for (const p of this.publishers.values()) if (p.session.code === code) return p;
      return null;
    }
    return this.publishers.size === 1 ? this.publishers.values().next().value! : null;
  }

  private malformed(d: DecoderStream, problem: string): void {
    d.status.malformed++;
    for (const row of d.rows.values()) {
      row.scores.counts.predictions++;
      row.scores.counts.invalid++;
    }
    this.report(d, problem);
  }

  /** The latest problem shows in the status; the log hears of them at most once a second. */
  private report(d: DecoderStream, problem: string): void {
    d.status.lastProblem = problem;
    d.unreported++;
    const now = Date.now();
    if (now - d.lastReportMs < 1000) return;
    log.warn('redis_decoder_entry_refused', { stream: d.spec.stream, count: d.unreported, latest: problem });
    d.unreported = 0;
    d.lastReportMs = now;
  }

  get connectionState(): RedisState {
    return this.state;
  }

  status(): { state: RedisState; nextAttemptAt: number | null; lastError: string | null; sessions: RedisSessionStatus[]; decoders: RedisDecoderStatus[] } {
    const inFlightMs = this.inFlightSince >= 0 ? performance.now() - this.inFlightSince : 0;
    return {
      state: this.state,
      nextAttemptAt: this.state === 'retrying' ? this.nextAttemptAt : null,
      lastError: this.lastError,
      sessions: [...this.publishers.values()].map((p) => {
        const s = p.status();
        // A pipeline Redis has not answered yet is lag too (a stalled Redis shows as growing lag).
        if (inFlightMs > (s.lagMs ?? 0)) s.lagMs = inFlightMs;
        return s;
      }),
      decoders: this.decoders.map((d) => ({ ...d.status })),
    };
  }

  /** Stops publishing and reading; decoder rows stay on the scoreboard, disconnected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offSessions();
    for (const [s, p] of this.publishers) s.detach(p);
    this.publishers.clear();
    for (const d of this.decoders) for (const [s, row] of d.rows) if (row.connected) this.scoring.of(s).disconnect(row);
    this.writer.disconnect();
    this.reader?.disconnect();
    this.state = 'off';
  }
}
