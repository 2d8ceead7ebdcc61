import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS_S } from '../evaluation/decoderScores.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Engine } from '../playback/engine.ts';
import type { Session } from '../playback/session.ts';
import type { StreamStats } from './metrics.ts';

/**
 * /metrics in Prometheus text format (prom-client), so a lab's existing Prometheus/Grafana can
 * watch the studio: per-session counters and a send-lateness histogram, plus process metrics.
 * Values are read from the engine at scrape time; only the histogram is fed per tick.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly lateness: Histogram<'session'>;
  private readonly observed = new Set<string>();

  constructor(
    private readonly engine: Engine,
    streams: StreamStats,
    private readonly scoring: Scoring,
  ) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'phantomlink_' });
    this.lateness = new Histogram({
      name: 'phantomlink_send_lateness_seconds',
      help: 'Send lateness of each packet (sent minus due), per session',
      labelNames: ['session'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [r],
    });
    const sessions = () => engine.sessions.list();
    const decoders = function* () {
      for (const s of sessions()) for (const d of scoring.scoreboard(s).decoders) yield { session: s.code, d };
    };
    new Gauge({
      name: 'phantomlink_decoder_r2',
      help: "A decoder's combined R² since the last reset (r2_score, multioutput='variance_weighted')",
      labelNames: ['session', 'decoder'],
      registers: [r],
      collect() {
        this.reset();
        for (const { session, d } of decoders()) if (d.cumulative.r2 !== null) this.set({ session, decoder: d.name }, d.cumulative.r2);
      },
    });
    new Counter({
      name: 'phantomlink_decoder_predictions_total',
      help: 'Prediction messages received from a decoder since the last reset',
      labelNames: ['session', 'decoder'],
      registers: [r],
      collect() {
        this.reset();
        for (const { session, d } of decoders()) this.inc({ session, decoder: d.name }, d.counts.predictions);
      },
    });
    new Counter({
      name: 'phantomlink_decoder_missing_total',
      help: 'Packets sent to a connected decoder that got no prediction within a second, since the last reset',
      labelNames: ['session', 'decoder'],
      registers: [r],
      collect() {
        this.reset();
        for (const { session, d } of decoders()) this.inc({ session, decoder: d.name }, d.counts.missing);
      },
    });
    new Counter({
      name: 'phantomlink_packets_sent_total',
      help: 'Packets built per session (the last sequence_number + 1)',
      labelNames: ['session'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sessions()) this.inc({ session: s.code }, s.state().packets_sent);
      },
    });
    new Counter({
      name: 'phantomlink_bytes_sent_total',
      help: 'Bytes sent to stream clients, per session and format',
      labelNames: ['session', 'format'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sessions()) {
          const w = streams.wireStats(s);
          this.inc({ session: s.code, format: 'json' }, w.bytes.json);
          this.inc({ session: s.code, format: 'msgpack' }, w.bytes.msgpack);
        }
      },
    });
    new Counter({
      name: 'phantomlink_packets_dropped_total',
      help: 'Packets dropped for slow clients currently connected, per session',
      labelNames: ['session'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sessions()) this.inc({ session: s.code }, s.clients().reduce((n, c) => n + c.drops, 0));
      },
    });
    new Gauge({
      name: 'phantomlink_clients',
      help: 'Connected stream clients, per session',
      labelNames: ['session'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sessions()) this.set({ session: s.code }, s.clientCount);
      },
    });
    new Gauge({
      name: 'phantomlink_session_playing',
      help: '1 while the session plays, 0 when paused or ended',
      labelNames: ['session'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sessions()) this.set({ session: s.code }, s.state().status === 'playing' ? 1 : 0);
      },
    });
    new Gauge({ name: 'phantomlink_sessions', help: 'Sessions that exist', registers: [r], collect() { this.set(engine.sessions.size); } });
    new Counter({
      name: 'phantomlink_refused_connections_total',
      help: 'Stream connections refused (bad code or filter, session limit, no token…)',
      registers: [r],
      collect() {
        this.reset();
        this.inc(streams.refused);
      },
    });
  }

  /** Per tick, from Session's onLateness hook. */
  observeLateness(session: Session, latenessMs: number): void {
    this.observed.add(session.code);
    this.lateness.observe({ session: session.code }, latenessMs / 1000);
  }

  text(): Promise<string> {
    // Forget deleted sessions' histogram series, so label sets do not pile up over hours.
    const live = new Set(this.engine.sessions.list().map((s) => s.code));
    for (const code of this.observed) {
      if (!live.has(code)) {
        this.lateness.remove({ session: code });
        this.observed.delete(code);
      }
    }
    return this.registry.metrics().then((text) => text + this.decoderLatencyText());
  }

  /**
   * phantomlink_decoder_latency_seconds, written from the buckets the scoring counts as
   * predictions arrive (an observe() per prediction through prom-client cost ~5 µs each).
   */
  private decoderLatencyText(): string {
    const name = 'phantomlink_decoder_latency_seconds';
    const lines = [
      `# HELP ${name} Round-trip latency of each decoder's predictions (arrival minus the packet's send, server clock), since the last reset`,
      `# TYPE ${name} histogram`,
    ];
    for (const s of this.engine.sessions.list()) {
      for (const d of this.scoring.decodersOf(s)) {
        const labels = `session="${escapeLabel(s.code)}",decoder="${escapeLabel(d.name)}"`;
        const buckets = d.scores.latencyBuckets;
        let count = 0;
        LATENCY_BUCKETS_S.forEach((le, i) => {
          count += buckets[i];
          lines.push(`${name}_bucket{${labels},le="${le}"} ${count}`);
        });
        count += buckets[LATENCY_BUCKETS_S.length];
        lines.push(`${name}_bucket{${labels},le="+Inf"} ${count}`, `${name}_sum{${labels}} ${d.scores.latencySumS}`, `${name}_count{${labels}} ${count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
