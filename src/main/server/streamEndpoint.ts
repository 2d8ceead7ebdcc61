import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import { decodeMsgpack, type StreamFormat } from '../../shared/codecs.ts';
import { CloseCode, type ErrorMessage, type MetadataMessage, type StatusMessage } from '../../shared/wire.ts';
import type { Session } from '../playback/session.ts';
import { SessionError, type SessionManager } from '../playback/sessionManager.ts';
import { FilterError } from '../playback/timeline.ts';
import { ParamError, filtersFrom, queryGetter } from './params.ts';
import { AccessGuard } from './accessToken.ts';
import { log } from '../log.ts';
import { explainProtocolCloses } from './protocolErrors.ts';
import { StreamClient, refuse, type BackpressureOptions, type WireStats } from './streamClients.ts';

export interface StreamEndpointOptions extends BackpressureOptions {
  /** Keepalive: a peer that has not answered a ping for this long is terminated. Default 20 s. */
  pingIntervalMs?: number;
  /** How often each client is pinged to measure how far behind it reads. Default 1 s. */
  lagProbeMs?: number;
  /** Largest frame a client may send. Default 64 KiB. */
  maxClientFrameBytes?: number;
  /** A peer that does not complete the closing handshake in this time is cut off. Default 2 s. */
  closeTimeoutMs?: number;
}

/** A closed client connection, kept for /metrics and the studio's clients panel. */
export interface ClosedClient {
  id: number;
  session: string;
  endpoint: 'json' | 'binary';
  address: string;
  code: number;
  reason: string;
  by: 'server' | 'client';
  packets_sent: number;
  drops: number;
  at: string;
}

const RECENT_CLOSES = 50;
const utf8 = new TextDecoder('utf-8');
/** Target spacing of keepalive/lag-probe groups. */
const PROBE_SLICE_MS = 50;

const STREAM_PATH = /^\/stream\/(?:(binary)\/)?([^/]*)\/?$/;

/** Is this an upgrade request for one of the stream endpoints? */
export function isStreamPath(pathname: string): boolean {
  return pathname.startsWith('/stream/');
}

/**
 * `ws://…/stream/{code}` (JSON text) and `ws://…/stream/binary/{code}` (MessagePack).
 * A bad request is accepted as a WebSocket and then refused with an error message and a
 * 4xxx close, so every client library can show the reason.
 */
export class StreamEndpoint {
  private readonly wss: WebSocketServer;
  readonly clients = new Set<StreamClient>();
  private readonly stats = new WeakMap<Session, WireStats>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly deadAfterMs: number;
  private readonly maxClientFrameBytes: number;
  /** Clients are pinged in this many groups, one group per timer tick (see keepalive). */
  private readonly probeSlices: number;
  private probeTick = 0;
  private readonly backpressure: Required<BackpressureOptions>;
  /** Connections refused (bad code, filter, limit…), for /metrics. */
  refused = 0;
  /** Appended to the stream URLs we hand out, so they work as copied when a token is required. */
  urlToken: string | null = null;
  /** The last few closed client connections, newest last. */
  readonly recentCloses: ClosedClient[] = [];

  constructor(
    private readonly sessions: SessionManager,
    private readonly publicUrl: () => string,
    opts: StreamEndpointOptions = {},
  ) {
    this.maxClientFrameBytes = opts.maxClientFrameBytes ?? 64 * 1024;
    // `closeTimeout` is a ws 8.18+ option that @types/ws does not list yet.
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      maxPayload: this.maxClientFrameBytes,
      clientTracking: false,
      // ws waits 30 s for a closing handshake by default; a stuck peer must not hold a slot that long.
      closeTimeout: opts.closeTimeoutMs ?? 2000,
    };
    this.wss = new WebSocketServer(wsOptions);
    this.backpressure = {
      maxBufferedBytes: opts.maxBufferedBytes ?? 256 * 1024,
      maxPongLagMs: opts.maxPongLagMs ?? 2000,
      slowCloseMs: opts.slowCloseMs ?? 5000,
      recoverMs: opts.recoverMs ?? 1000,
    };
    this.deadAfterMs = opts.pingIntervalMs ?? 20_000;
    // Pinging 1,000 clients in one sweep blocked the loop ~7 ms and pushed fan-out send
    // lateness p99 from 3.8 to 7.6 ms (bench/results/fanout-spreadprobe.md); one group every
    // ~50 ms keeps each sweep well under a millisecond. Every client is still probed once a period.
    const probePeriodMs = Math.min(opts.lagProbeMs ?? 1000, this.deadAfterMs);
    this.probeSlices = Math.max(1, Math.round(probePeriodMs / PROBE_SLICE_MS));
    this.pingTimer = setInterval(() => this.keepalive(), probePeriodMs / this.probeSlices);
    this.pingTimer.unref();
  }

  wireStats(session: Session): WireStats {
    let s = this.stats.get(session);
    if (!s) {
      s = { bytes: { json: 0, msgpack: 0 }, packets: { json: 0, msgpack: 0 } };
      this.stats.set(session, s);
    }
    return s;
  }

  clientsOf(session: Session): StreamClient[] {
    return [...this.clients].filter((c) => c.session === session);
  }

  /** `authorized` false: accepted only to be refused with 4401 and a reason clients can show. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authorized = true): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, authorized));
  }

  streamUrl(code: string, format: StreamFormat): string {
    return this.streamUrlTemplate(format).replace('{session_code}', encodeURIComponent(code));
  }

  /** `ws://host:port/stream/{session_code}` (or `/stream/binary/…`), for docs and listings. */
  streamUrlTemplate(format: StreamFormat): string {
    const base = this.publicUrl().replace(/^http/, 'ws');
    const query = this.urlToken ? `?token=${encodeURIComponent(this.urlToken)}` : '';
    return `${base}/stream/${format === 'msgpack' ? 'binary/' : ''}{session_code}${query}`;
  }

  metadataMessage(session: Session, format: StreamFormat): MetadataMessage {
    const data = session.metadata();
    // The guide shows the metadata both nested under `data` and flat (its Python example
    // reads metadata['num_channels']): send both.
    return { type: 'metadata', ...data, data, session: { code: session.code, url: this.streamUrl(session.code, format) } };
  }

  /**
   * Closes every stream socket (server shutdown): clients see 1001 "going away". Resolves when
   * every one has closed; a peer that never answers is cut off by the closeTimeout.
   */
  closeAll(reason: string): Promise<void> {
    clearInterval(this.pingTimer);
    const closed = [...this.clients].map((c) => new Promise<void>((resolve) => c.ws.once('close', () => resolve())));
    for (const c of this.clients) c.close(CloseCode.GoingAway, reason);
    return Promise.all(closed).then(() => {});
  }

  /** Force-closes sockets that did not finish their closing handshake. */
  terminateAll(): void {
    for (const c of this.clients) c.ws.terminate();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, authorized: boolean): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = STREAM_PATH.exec(url.pathname);
    const format: StreamFormat = m?.[1] ? 'msgpack' : 'json';
    let client: StreamClient | null = null;
    explainProtocolCloses(ws, this.maxClientFrameBytes, (code, reason) => {
      if (client) client.closedByServer ??= { code, reason };
      log.info('client_protocol_error', { client: client?.id, path: url.pathname, code, reason, address: req.socket.remoteAddress });
    });

    const fail = (closeCode: number, code: string, message: string) => {
      this.refused++;
      log.warn('connection_refused', { path: url.pathname, close_code: closeCode, reason: code, message, address: req.socket.remoteAddress });
      const err: ErrorMessage = { type: 'error', code, message };
      refuse(ws, format, closeCode, err);
    };
    if (!authorized) return fail(CloseCode.Unauthorized, 'unauthorized', AccessGuard.message);
    if (!m) {
      return fail(CloseCode.NotFound, 'unknown_endpoint', `no stream at ${url.pathname}: use /stream/{session_code} (JSON) or /stream/binary/{session_code} (MessagePack)`);
    }
    let code: string;
    try {
      code = decodeURIComponent(m[2]);
    } catch {
      return fail(CloseCode.InvalidRequest, 'invalid_session_code', 'session code has malformed percent-encoding');
    }

    let session: Session;
    try {
      const known = new Set(['trial_id', 'target_id', 'token']);
      const unknown = [...new Set(url.searchParams.keys())].filter((k) => !known.has(k));
      if (unknown.length) throw new ParamError(`unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: use trial_id and/or target_id`);
      const filters = filtersFrom(queryGetter(url.searchParams));
      session = this.sessions.join(code, filters);
    } catch (err) {
      if (err instanceof ParamError) return fail(CloseCode.InvalidRequest, 'invalid_filter', err.message);
      if (err instanceof FilterError) return fail(CloseCode.NotFound, err.code, err.message);
      if (err instanceof SessionError) {
        const close =
          err.code === 'filter_conflict' ? CloseCode.FilterConflict : err.code === 'session_limit' ? CloseCode.SessionLimit : CloseCode.InvalidRequest;
        return fail(close, err.code, err.message);
      }
      log.error('internal_error', { where: 'stream connect', error: String(err), stack: (err as Error)?.stack });
      return fail(1011, 'internal_error', 'internal server error (see the server log)');
    }

    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    client = new StreamClient(ws, session, format, remote, this.wireStats(session), this.backpressure, (c) =>
      this.metadataMessage(c.session, c.format),
    );
    this.clients.add(client);
    this.attach(client, ws);
  }

  private attach(client: StreamClient, ws: WebSocket): void {
    const session = client.session;
    log.info('client_connected', { client: client.id, session: session.code, endpoint: client.endpoint, address: client.remoteAddress, filters: session.filters });
    client.send(this.metadataMessage(session, client.format));
    session.attach(client);

    ws.on('pong', () => {
      client.onPong(Date.now());
    });
    ws.on('message', (data, isBinary) => this.onClientMessage(client, data, isBinary));
    ws.on('close', (code, reason) => {
      this.clients.delete(client);
      session.detach(client);
      const by = client.closedByServer ? 'server' : 'client';
      this.recentCloses.push({
        id: client.id,
        session: session.code,
        endpoint: client.endpoint,
        address: client.remoteAddress,
        code: client.closedByServer?.code ?? code,
        reason: client.closedByServer?.reason ?? reason.toString(),
        by,
        packets_sent: client.packetsSent,
        drops: client.drops,
        at: new Date().toISOString(),
      });
      if (this.recentCloses.length > RECENT_CLOSES) this.recentCloses.shift();
      const closed = this.recentCloses[this.recentCloses.length - 1];
      (closed.by === 'server' && closed.code !== 1001 ? log.warn : log.info)('client_closed', { client: closed.id, session: closed.session, endpoint: closed.endpoint, code: closed.code, reason: closed.reason, by: closed.by, packets_sent: closed.packets_sent, drops: closed.drops });
    });
  }

  /** Client frames: JSON text or MessagePack, small control messages. Malformed ones get an error reply; the stream goes on. */
  private onClientMessage(client: StreamClient, data: RawData, isBinary: boolean): void {
    const reply = (code: string, message: string) => client.send({ type: 'error', code, message } satisfies ErrorMessage);
    let msg: unknown;
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      // Text frames are valid UTF-8 here (ws fails the connection with 1007 otherwise, RFC 6455
      // §8.1); TextDecoder also drops a leading byte-order mark, which some clients send.
      msg = isBinary ? decodeMsgpack(buf) : JSON.parse(utf8.decode(buf));
    } catch {
      return reply('bad_message', isBinary ? 'message is not valid MessagePack' : 'message is not valid JSON');
    }
    if (msg === null || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') {
      return reply('bad_message', 'a client message is an object with a string "type" (ping, pause, resume, seek, speed, loop)');
    }
    const m = msg as Record<string, unknown>;
    const s = client.session;
    try {
      switch (m.type) {
        case 'ping':
          client.send({ type: 'status', ...this.status(s) });
          return;
        case 'pause':
          s.pause();
          break;
        case 'resume':
        case 'play':
          s.play();
          break;
        case 'seek':
          s.seek(Number(m.position_s ?? m.position_seconds));
          break;
        case 'speed':
          s.setSpeed(Number(m.speed));
          break;
        case 'loop':
          if (typeof m.loop !== 'boolean') return reply('bad_message', 'loop needs "loop": true or false');
          s.setLoop(m.loop);
          break;
        default:
          return reply('unknown_message', `unknown message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
      }
    } catch (err) {
      return reply('bad_message', err instanceof Error ? err.message : String(err));
    }
    client.send({ type: 'status', ...this.status(s) });
  }

  private status(s: Session): Omit<StatusMessage, 'type'> {
    const st = s.state();
    return { state: st.status, position_s: st.position_s, speed: st.speed, loop: st.loop };
  }

  /**
   * One group of clients (id modulo the slice count) per tick: pings each that has answered
   * its last ping; terminates peers silent for too long.
   */
  private keepalive(): void {
    const now = Date.now();
    const slice = this.probeTick++ % this.probeSlices;
    for (const c of this.clients) {
      if (c.id % this.probeSlices !== slice) continue;
      if (c.pingSentAt === 0) {
        c.pingSentAt = now;
        c.ws.ping();
      } else if (now - c.pingSentAt > this.deadAfterMs) {
        c.terminate(`no answer to a ping for ${Math.round((now - c.pingSentAt) / 1000)} s`);
      }
    }
  }
}
