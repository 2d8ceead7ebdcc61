import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine.ts';
import { HttpError, sendError } from './http.ts';
import { MetricsCollector } from './metrics.ts';
import { restApi } from './restApi.ts';
import { serveStatic } from './staticFiles.ts';
import { StreamEndpoint, isStreamPath, type StreamEndpointOptions } from './streamEndpoint.ts';
import { handshakeProblem, parserRefusal, refuseOnSocket, wantsWebSocket } from './rawRefusals.ts';
import { STUDIO_CHANNEL_PATH, StudioChannel } from './studioChannel.ts';
import { AccessGuard, generateToken, isLoopbackHost } from './accessToken.ts';
import { PrometheusMetrics } from './prometheus.ts';

/**
 * Prometheus text at /metrics/prometheus, and at /metrics for a scraper (it asks for text/plain
 * or OpenMetrics); browsers and scripts asking for JSON (or anything) get the JSON report.
 */
function wantsPrometheus(accept: string | undefined, pathname: string): boolean {
  if (pathname === '/metrics/prometheus') return true;
  if (pathname !== '/metrics' || !accept) return false;
  return /openmetrics-text|text\/plain/.test(accept) && !/application\/json|text\/html/.test(accept);
}

/** The studio page and its assets carry no data; the page then connects with the token from its URL. */
function isStudioAsset(pathname: string): boolean {
  return pathname === '/studio' || (pathname.startsWith('/studio/') && pathname !== '/studio/channel');
}
import type { StudioService } from '../ipc/studioService.ts';

export interface ServerOptions {
  host?: string;
  /**
   * Access token. Off loopback one is always required: give it, or one is generated (and shown).
   * On loopback none is required unless given.
   */
  token?: string;
  /** 0 picks a free port. Default 8000. */
  port?: number;
  stream?: StreamEndpointOptions;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` as clients should use it. */
  readonly url: string;
  readonly streams: StreamEndpoint;
  /** The token clients must present, or null (loopback without one). */
  readonly token: string | null;
  readonly metrics: MetricsCollector;
  readonly http: Server;
  /** Serves StudioApi to the browser host at ws://…/studio/channel (the UI is at /studio/). */
  attachStudio(service: StudioService): void;
  /** Closes every client with 1001, then the listener. Resolves when everything is closed. */
  close(reason?: string): Promise<void>;
}

/** The port is taken, or similar: a one-line explanation for the CLI. */
export class ListenError extends Error {}

/**
 * A request that carries an Upgrade header we do not speak (curl's `Upgrade: h2c`): Node hands
 * it to 'upgrade' listeners, detached from its HTTP parser; answer it as the plain request it
 * also is, then close the connection (nothing more can be parsed on it).
 */
function serveWithoutUpgrade(req: IncomingMessage, socket: Duplex, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return refuseOnSocket(socket, 400, 'bad_request', `Upgrade: ${String(req.headers.upgrade).slice(0, 40)} is not supported; send the request without it`);
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  handle(req, res);
}

/** Starts the HTTP + WebSocket server on the engine. */
export async function startServer(engine: Engine, opts: ServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const guard = new AccessGuard(opts.token ?? (isLoopbackHost(host) ? null : generateToken()));
  let publicUrl = '';
  const streams = new StreamEndpoint(engine.sessions, () => publicUrl, opts.stream);
  streams.urlToken = guard.token;
  const metrics = new MetricsCollector(engine, streams);
  const api = restApi(engine, streams, metrics);
  const prometheus = new PrometheusMetrics(engine, streams);
  engine.sessions.latenessListener = (s, ms) => prometheus.observeLateness(s, ms);
  let studio: StudioChannel | null = null;

  const handleRequest = (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, new HttpError(400, 'bad_url', 'malformed request URL'));
    }
    void (async () => {
      if (!guard.allows(req, url) && !isStudioAsset(url.pathname)) {
        return sendError(res, new HttpError(401, 'unauthorized', AccessGuard.message));
      }
      if (url.pathname === '/studio') {
        res.writeHead(301, { Location: '/studio/' });
        return res.end();
      }
      if (wantsPrometheus(req.headers.accept, url.pathname)) {
        const text = await prometheus.text();
        res.writeHead(200, { 'Content-Type': prometheus.contentType, 'Cache-Control': 'no-store' });
        return res.end(text);
      }
      if (await api.handle(req, res, url)) return;
      if (await serveStatic(req, res, url)) return;
      sendError(res, new HttpError(404, 'not_found', `no route for ${req.method} ${url.pathname.slice(0, 200)}; see GET / for the API`));
    })().catch((err) => sendError(res, err));
  };
  const http = createServer(handleRequest);
  // Requests Node's parser rejects (unknown method, bad request target, headers over 16 KiB…).
  http.on('clientError', (err: Error & { code?: string }, socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return void socket.destroy();
    const r = parserRefusal(err);
    refuseOnSocket(socket, r.status, r.code, r.message);
  });
  // Without a listener Node drops CONNECT silently: say that this is not a proxy.
  http.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    refuseOnSocket(socket, 405, 'method_not_allowed', 'CONNECT is not supported: this is not a proxy');
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!wantsWebSocket(req)) return serveWithoutUpgrade(req, socket, handleRequest);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuseOnSocket(socket, 400, 'bad_url', 'malformed request URL');
    }
    const isStudio = url.pathname === STUDIO_CHANNEL_PATH && studio;
    if (!isStudio && !isStreamPath(url.pathname)) {
      return refuseOnSocket(socket, 404, 'not_found', `no WebSocket endpoint at ${url.pathname.slice(0, 200)}`);
    }
    const problem = handshakeProblem(req);
    if (problem) return refuseOnSocket(socket, problem.status, problem.code, problem.message);
    const authorized = guard.allows(req, url);
    if (isStudio) return studio!.handleUpgrade(req, socket, head, authorized);
    streams.handleUpgrade(req, socket, head, authorized);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const port = opts.port ?? 8000;
      if (err.code === 'EADDRINUSE') reject(new ListenError(`port ${port} on ${host} is already in use (another PhantomLink or server?); choose another with --port`));
      else if (err.code === 'EACCES') reject(new ListenError(`not allowed to listen on ${host}:${port}; use a port above 1024`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ListenError(`cannot listen on ${host}: no such address on this machine`));
      else reject(new ListenError(`cannot listen on ${host}:${port}: ${err.message}`));
    };
    http.once('error', onError);
    http.listen(opts.port ?? 8000, host, () => {
      http.off('error', onError);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  publicUrl = `http://${urlHost}:${port}`;

  let closing: Promise<void> | null = null;
  const close = (reason = 'server shutting down'): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const clientsClosed = streams.closeAll(reason);
      studio?.closeAll(reason);
      engine.close(reason);
      metrics.close();
      // Upgraded sockets are not the HTTP server's any more: wait for them as well.
      const httpClosed = new Promise<void>((r) => http.close(() => r()));
      void Promise.all([clientsClosed, httpClosed]).then(() => resolve());
      http.closeIdleConnections();
      // A peer that never answers the closing handshake must not hold shutdown up.
      setTimeout(() => {
        streams.terminateAll();
        http.closeAllConnections();
      }, 2000).unref();
    }));

  const attachStudio = (service: StudioService) => {
    // The studio page is served by this server, so its origin is this server's.
    const origins = [publicUrl, `http://localhost:${port}`, `http://127.0.0.1:${port}`];
    studio = new StudioChannel(service, () => origins);
  };

  return { host, port, url: publicUrl, streams, token: guard.token, metrics, http, attachStudio, close };
}
