import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AccessGuard, generateToken, isLoopbackHost } from './accessToken.ts';
import { handshakeProblem, parserRefusal, refuseOnSocket, wantsWebSocket } from './rawRefusals.ts';
import { HttpError, sendError } from './router.ts';

/** Serves a request if the path is its own; false lets the next handler try. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/** Builds the WebSocket URLs handed out to clients (stream URLs in metadata, REST, the studio). */
export interface WsUrls {
  /** `ws://host:port{path}`, with the token when one is required: a URL that works as copied. */
  wsUrl(path: string): string;
}

/** A WebSocket endpoint mounted on the upgrade router. */
export interface UpgradeRoute {
  matches(pathname: string): boolean;
  /** `authorized` false: the route accepts only to refuse with a reason the client can show. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authorized: boolean): void;
}

export interface ListenOptions {
  host?: string;
  /** 0 picks a free port. Default 8000. */
  port?: number;
  /**
   * Access token. Off loopback one is always required: give it, or one is generated (and shown).
   * On loopback none is required unless given.
   */
  token?: string;
}

/** The port is taken, or similar: a one-line explanation for the CLI. */
export class ListenError extends Error {}

/**
 * The HTTP listener: parses requests, checks the access token, and hands requests and WebSocket
 * upgrades to whatever the entry point mounted on it, in mounting order. It knows no face.
 */
export class HttpListener implements WsUrls {
  private readonly handlers: RequestHandler[] = [];
  private readonly upgrades: UpgradeRoute[] = [];
  private readonly publicPaths: Array<(pathname: string) => boolean> = [];
  readonly port: number;
  /** `http://host:port` as clients should use it. */
  readonly url: string;

  private constructor(
    readonly http: Server,
    readonly host: string,
    private readonly guard: AccessGuard,
  ) {
    this.port = (http.address() as AddressInfo).port;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.url = `http://${urlHost}:${this.port}`;
  }

  static async start(opts: ListenOptions = {}): Promise<HttpListener> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? 8000;
    const guard = new AccessGuard(opts.token ?? (isLoopbackHost(host) ? null : generateToken()));
    let listener: HttpListener | null = null;
    const http = createServer((req, res) => listener?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') reject(new ListenError(`port ${port} on ${host} is already in use (another PhantomLink or server?); choose another with --port`));
        else if (err.code === 'EACCES') reject(new ListenError(`not allowed to listen on ${host}:${port}; use a port above 1024`));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ListenError(`cannot listen on ${host}: no such address on this machine`));
        else reject(new ListenError(`cannot listen on ${host}:${port}: ${err.message}`));
      };
      http.once('error', onError);
      http.listen(port, host, () => {
        http.off('error', onError);
        resolve();
      });
    });
    listener = new HttpListener(http, host, guard);
    listener.listenForRawInput();
    return listener;
  }

  /** The token clients must present, or null (loopback without one). */
  get token(): string | null {
    return this.guard.token;
  }

  /** `ws://host:port{path}`, with the token when one is required: a URL that works as copied. */
  wsUrl(path: string): string {
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
    return `${this.url.replace(/^http/, 'ws')}${path}${query}`;
  }

  /** Origins of pages this server serves (for same-origin checks). */
  get origins(): string[] {
    return [this.url, `http://localhost:${this.port}`, `http://127.0.0.1:${this.port}`];
  }

  onRequest(handler: RequestHandler): void {
    this.handlers.push(handler);
  }

  onUpgrade(route: UpgradeRoute): void {
    this.upgrades.push(route);
  }

  /** Paths served without the token (pages that carry no data and connect with the token from their URL). */
  allowWithoutToken(isPublic: (pathname: string) => boolean): void {
    this.publicPaths.push(isPublic);
  }

  /**
   * Stops accepting connections; resolves when every HTTP connection is gone. Upgraded sockets
   * are their routes' to close. A keep-alive peer that does not leave is cut off after `graceMs`.
   */
  close(graceMs = 2000): Promise<void> {
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    this.http.closeIdleConnections();
    setTimeout(() => this.http.closeAllConnections(), graceMs).unref();
    return closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, new HttpError(400, 'bad_url', 'malformed request URL'));
    }
    void (async () => {
      if (!this.guard.allows(req, url) && !this.publicPaths.some((p) => p(url.pathname))) {
        return sendError(res, new HttpError(401, 'unauthorized', AccessGuard.message));
      }
      for (const h of this.handlers) if (await h(req, res, url)) return;
      sendError(res, new HttpError(404, 'not_found', `no route for ${req.method} ${url.pathname.slice(0, 200)}; see GET / for the API`));
    })().catch((err) => sendError(res, err));
  }

  private listenForRawInput(): void {
    const http = this.http;
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
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!wantsWebSocket(req)) return this.serveWithoutUpgrade(req, socket);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuseOnSocket(socket, 400, 'bad_url', 'malformed request URL');
    }
    const route = this.upgrades.find((r) => r.matches(url.pathname));
    if (!route) return refuseOnSocket(socket, 404, 'not_found', `no WebSocket endpoint at ${url.pathname.slice(0, 200)}`);
    const problem = handshakeProblem(req);
    if (problem) return refuseOnSocket(socket, problem.status, problem.code, problem.message);
    route.handleUpgrade(req, socket, head, this.guard.allows(req, url));
  }

  /**
   * A request that carries an Upgrade header we do not speak (curl's `Upgrade: h2c`): Node hands
   * it to 'upgrade' listeners, detached from its HTTP parser; answer it as the plain request it
   * also is, then close the connection (nothing more can be parsed on it).
   */
  private serveWithoutUpgrade(req: IncomingMessage, socket: Duplex): void {
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
    this.handle(req, res);
  }
}
