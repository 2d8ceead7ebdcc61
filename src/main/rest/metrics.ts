import { performance } from 'node:perf_hooks';
import type { StreamFormat } from '../../shared/codecs.ts';
import { processStats, startProcessStats } from '../common/processStats.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Engine } from '../playback/engine.ts';
import type { Session } from '../playback/session.ts';

/** What the stream endpoints count, for /metrics (the entry point passes them in). */
export interface StreamStats {
  /** Connections refused (bad code, filter, limit, no token…). */
  readonly refused: number;
  /** The last few closed client connections, newest last. */
  readonly recentCloses: readonly object[];
  wireStats(session: Session): { bytes: Record<StreamFormat, number>; packets: Record<StreamFormat, number> };
}

/**
 * /metrics: per session packets, clients, drops per client, send lateness over the last
 * minute and bytes per format; process memory and event-loop lag.
 */
export class MetricsCollector {
  private readonly startedAt = Date.now();

  constructor(
    private readonly engine: Engine,
    private readonly streams: StreamStats,
    private readonly scoring: Scoring,
  ) {
    startProcessStats();
  }

  /** Connected clients over every session. */
  clientCount(): number {
    return this.engine.sessions.list().reduce((n, s) => n + s.clientCount, 0);
  }

  collect() {
    const now = performance.now();
    const sessions = this.engine.sessions.list().map((s) => {
      const wire = this.streams.wireStats(s);
      const clients = s.clients();
      const st = s.state();
      return {
        code: s.code,
        status: st.status,
        packets_sent: st.packets_sent,
        clients: clients.length,
        drops_total: clients.reduce((n, c) => n + c.drops, 0),
        drops_per_client: clients.map((c) => ({ id: c.id, endpoint: c.endpoint, address: c.address, drops: c.drops })),
        send_lateness_last_minute: s.lateness.summary(now),
        clock_reanchors: s.clockReanchors,
        bytes_sent: { json: wire.bytes.json, msgpack: wire.bytes.msgpack },
        packets_delivered: { json: wire.packets.json, msgpack: wire.packets.msgpack },
        decoders: this.scoring.scoreboard(s).decoders.map((d) => ({
          name: d.name,
          connected: d.connected,
          r2_combined: d.cumulative.r2,
          predictions: d.counts.predictions,
          missing: d.counts.missing,
          latency_p50_ms: d.latency.p50Ms,
          latency_p99_ms: d.latency.p99Ms,
        })),
      };
    });
    return {
      timestamp: Date.now() / 1000,
      service: 'PhantomLink Studio',
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      sessions,
      totals: {
        sessions: sessions.length,
        clients: sessions.reduce((n, s) => n + s.clients, 0),
        refused_connections: this.streams.refused,
        expired_sessions: this.engine.sessions.expired,
        evicted_sessions: this.engine.sessions.evicted,
      },
      recent_closes: this.streams.recentCloses.slice(-20),
      process: processStats(),
    };
  }
}
