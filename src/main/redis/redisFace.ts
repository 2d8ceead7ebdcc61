import { redactRedisUrl, type RedisConfig } from '../../shared/redisConfig.ts';
import type { RedisStatus } from '../../shared/studioApi.ts';
import type { RequestHandler } from '../http/listener.ts';
import { HttpError, sendError, sendJson } from '../http/router.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { SessionManager } from '../playback/sessionManager.ts';
import { RedisBridge, type RedisBridgeOptions } from './redisBridge.ts';

/**
 * The Redis face as the server mounts it: at most one bridge at a time, started from the CLI or
 * the studio, replaced or stopped at run time; its status for the studio and `GET /api/redis`.
 */
export class RedisFace {
  private bridge: RedisBridge | null = null;
  private readonly cost = { flushes: 0, totalMs: 0, maxMs: 0 };
  private base = { flushes: 0, totalMs: 0, maxMs: 0 };

  constructor(
    private readonly sessions: SessionManager,
    private readonly scoring: Scoring,
    private readonly opts: RedisBridgeOptions = {},
  ) {}

  /** Starts publishing (replacing a running bridge). Never waits for Redis: an absent one is retried. */
  async connect(config: RedisConfig): Promise<RedisStatus> {
    await this.disconnect();
    this.bridge = new RedisBridge(config, this.sessions, this.scoring, this.opts);
    return this.status();
  }

  async disconnect(): Promise<RedisStatus> {
    const b = this.bridge;
    if (b) this.base = this.flushCost();
    this.bridge = null;
    await b?.close();
    return this.status();
  }

  status(): RedisStatus {
    const b = this.bridge;
    if (!b) return { state: 'off', url: null, nextAttemptAt: null, lastError: null, config: null, sessions: [], decoders: [] };
    const url = redactRedisUrl(b.config.url);
    return { url, config: { ...b.config, url }, ...b.status() };
  }

  /** `GET /api/redis`: the status above. */
  readonly handle: RequestHandler = (req, res, url) => {
    if (url.pathname !== '/api/redis') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') sendError(res, new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on /api/redis`));
    else sendJson(res, 200, this.status());
    return true;
  };

  /** The running bridge's flush cost (bench/redis.ts); zeros when off. Kept across reconnects. */
  flushCost(): { flushes: number; totalMs: number; maxMs: number } {
    const c = this.bridge?.flushCost;
    if (c) {
      this.cost.flushes = this.base.flushes + c.flushes;
      this.cost.totalMs = this.base.totalMs + c.totalMs;
      this.cost.maxMs = Math.max(this.base.maxMs, c.maxMs);
    }
    return { ...this.cost };
  }

  close(): Promise<RedisStatus> {
    return this.disconnect();
  }
}
