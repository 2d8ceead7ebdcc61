import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { Engine } from '../engine.ts';
import type { StreamEndpoint } from './streamEndpoint.ts';

/**
 * /metrics: per session packets, clients, drops per client, send lateness over the last
 * minute and bytes per format; process memory and event-loop lag.
 */
export class MetricsCollector {
  private readonly loopDelay: IntervalHistogram;
  private readonly resetTimer: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    private readonly engine: Engine,
    private readonly streams: StreamEndpoint,
  ) {
    this.loopDelay = monitorEventLoopDelay({ resolution: 5 });
    this.loopDelay.enable();
    // Event-loop lag over (roughly) the last minute, like the lateness windows.
    this.resetTimer = setInterval(() => this.loopDelay.reset(), 60_000);
    this.resetTimer.unref();
  }

  close(): void {
    clearInterval(this.resetTimer);
    this.loopDelay.disable();
  }

  collect() {
    const now = performance.now();
    const sessions = this.engine.sessions.list().map((s) => {
      const wire = this.streams.wireStats(s);
      const clients = this.streams.clientsOf(s);
      const st = s.state();
      return {
        code: s.code,
        status: st.status,
        packets_sent: st.packets_sent,
        clients: clients.length,
        drops_total: clients.reduce((n, c) => n + c.drops, 0),
        drops_per_client: clients.map((c) => ({ id: c.id, endpoint: c.endpoint, address: c.remoteAddress, drops: c.drops })),
        send_lateness_last_minute: s.lateness.summary(now),
        clock_reanchors: s.clockReanchors,
        bytes_sent: { json: wire.bytes.json, msgpack: wire.bytes.msgpack },
        packets_delivered: { json: wire.packets.json, msgpack: wire.packets.msgpack },
      };
    });
    const mem = process.memoryUsage();
    const ns = (v: number) => Math.round(v / 1e3) / 1e3; // ns → ms, 3 decimals
    return {
      timestamp: Date.now() / 1000,
      service: 'PhantomLink Studio',
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      sessions,
      totals: {
        sessions: sessions.length,
        clients: this.streams.clients.size,
        refused_connections: this.streams.refused,
        expired_sessions: this.engine.sessions.expired,
        evicted_sessions: this.engine.sessions.evicted,
      },
      recent_closes: this.streams.recentCloses.slice(-20),
      process: {
        rss_mb: Math.round(mem.rss / 1e5) / 10,
        heap_used_mb: Math.round(mem.heapUsed / 1e5) / 10,
        external_mb: Math.round(mem.external / 1e5) / 10,
        array_buffers_mb: Math.round(mem.arrayBuffers / 1e5) / 10,
        event_loop_lag_ms: {
          p50: ns(this.loopDelay.percentile(50)),
          p99: ns(this.loopDelay.percentile(99)),
          max: ns(this.loopDelay.max),
        },
      },
    };
  }
}
