import type { RequestHandler, WsUrls } from '../http/listener.ts';
import type { Router } from '../http/router.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import type { Engine } from '../playback/engine.ts';
import type { RecordingService } from '../../shared/recordings.ts';
import { MetricsCollector, type StreamStats } from './metrics.ts';
import { PrometheusMetrics } from './prometheus.ts';
import { restApi } from './restApi.ts';

/**
 * Prometheus text at /metrics/prometheus, and at /metrics for a scraper (it asks for text/plain
 * or OpenMetrics); browsers and scripts asking for JSON (or anything) get the JSON report.
 */
function wantsPrometheus(accept: string | undefined, pathname: string): boolean {
  if (pathname === '/metrics/prometheus') return true;
  if (pathname !== '/metrics' || !accept) return false;
  return /openmetrics-text|text\/plain/.test(accept) && !/application\/json|text\/html/.test(accept);
}

/** The REST face: the API on the original server's paths, /metrics (JSON) and Prometheus. */
export class RestFace {
  readonly metrics: MetricsCollector;
  readonly prometheus: PrometheusMetrics;
  private readonly api: Router;

  constructor(engine: Engine, urls: WsUrls, streams: StreamStats, scoring: Scoring, recordings: RecordingService) {
    this.metrics = new MetricsCollector(engine, streams, scoring);
    this.prometheus = new PrometheusMetrics(engine, streams, scoring);
    this.api = restApi(engine, urls, this.metrics, scoring, recordings);
    engine.sessions.latenessListener = (s, ms) => this.prometheus.observeLateness(s, ms);
  }

  readonly handle: RequestHandler = async (req, res, url) => {
    if (wantsPrometheus(req.headers.accept, url.pathname)) {
      const text = await this.prometheus.text();
      res.writeHead(200, { 'Content-Type': this.prometheus.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return true;
    }
    return this.api.handle(req, res, url);
  };
}
