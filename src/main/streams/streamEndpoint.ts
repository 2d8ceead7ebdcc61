import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import type { StreamFormat } from '../../shared/codecs.ts';
import { CloseCode, streamPath, type ClientEndpoint, type ErrorMessage, type MetadataMessage } from '../../shared/wire.ts';
import { ParamError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { Session } from '../playback/session.ts';
import type { SessionManager } from '../playback/sessionManager.ts';
import { AccessGuard } from '../http/accessToken.ts';
import type { UpgradeRoute, WsUrls } from '../http/listener.ts';
import { PERTURBATION_PARAMETERS, filtersFrom, perturbationsFromQuery, queryGetter, settingsFrom } from '../http/params.ts';
import type { Scoring } from '../evaluation/scoring.ts';
import { DecoderLink, checkDecoderName } from './decoderLink.ts';
import { explainProtocolCloses } from '../http/wsProtocol.ts';
import { handleClientMessage } from './clientMessages.ts';
import { streamRefusal } from './errors.ts';
import { PacketEncoder, warmUpCodecs } from './packetEncoder.ts';
import { StreamClient, refuse, type BackpressureOptions, type SessionWire, type WireStats } from './streamClient.ts';

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
  endpoint: ClientEndpoint;
  address: string;
  code: number;
  reason: string;
  by: 'server' | 'client';
  packets_sent: number;
  drops: number;
  at: string;
}

const RECENT_CLOSES = 50;
/** Target spacing of keepalive/lag-probe groups. */
const PROBE_SLICE_MS = 50;

const STREAM_PATH = /^\/stream\/(?:(binary)\/)?([^/]*)\/?$/;
/** What a stream URL may carry: filters and settings for a new session, the decoder's name, the token. */
const QUERY_PARAMETERS = ['trial_id', 'target_id', 'bin_ms', 'blind', 'evaluate', ...PERTURBATION_PARAMETERS, 'decoder', 'token'];

/**
 * `ws://…/stream/{code}` (JSON text) and `ws://…/stream/binary/{code}` (MessagePack), mounted on
 * the listener's upgrade router. A bad request is accepted as a WebSocket and then refused with
 * an error message and a 4xxx close, so every client library can show the reason.
 */
export class StreamEndpoint implements UpgradeRoute {
  private readonly wss: WebSocketServer;
  readonly clients = new Set<StreamClient>();
  private readonly wire = new WeakMap<Session, SessionWire>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly deadAfterMs: number;
  private readonly maxClientFrameBytes: number;
  /** Clients are pinged in this many groups, one group per timer tick (see keepalive). */
  private readonly probeSlices: number;
  private probeTick = 0;
  private readonly backpressure: Required<BackpressureOptions>;
  /** Connections refused (bad code, filter, limit…), for /metrics. */
  refused = 0;
  /** The last few closed client connections, newest last. */
  readonly recentCloses: ClosedClient[] = [];

  constructor(
    private readonly sessions: SessionManager,
    private readonly scoring: Scoring,
    private readonly urls: WsUrls,
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
    // lateness p99 from 3.8 to 7.6 ms (bench/README.md, fan-out); one group every
    // ~50 ms keeps each sweep well under a millisecond. Every client is still probed once a period.
    const probePeriodMs = Math.min(opts.lagProbeMs ?? 1000, this.deadAfterMs);
    this.probeSlices = Math.max(1, Math.round(probePeriodMs / PROBE_SLICE_MS));
    this.pingTimer = setInterval(() => this.keepalive(), probePeriodMs / this.probeSlices);
    this.pingTimer.unref();
    warmUpCodecs(sessions.currentDataset);
  }

  /** Bytes and packets sent per format on this session (for /metrics). */
  wireStats(session: Session): WireStats {
    return this.wireOf(session).stats;
  }

  private wireOf(session: Session): SessionWire {
    let w = this.wire.get(session);
    if (!w) {
      w = { stats: { bytes: { json: 0, msgpack: 0 }, packets: { json: 0, msgpack: 0 } }, encoder: new PacketEncoder() };
      this.wire.set(session, w);
    }
    return w;
  }

  matches(pathname: string): boolean {
    return pathname.startsWith('/stream/');
  }

  /** `authorized` false: accepted only to be refused with 4401 and a reason clients can show. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authorized = true): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, authorized));
  }

  metadataMessage(session: Session, endpoint: ClientEndpoint): MetadataMessage {
    const data = session.metadata();
    // The guide shows the metadata both nested under `data` and flat (its Python example
    // reads metadata['num_channels']): send both.
    return { type: 'metadata', ...data, data, session: { code: session.code, url: this.urls.wsUrl(streamPath(session.code, endpoint)) } };
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
    let decoderName: string | null = null;
    try {
      const unknown = [...new Set(url.searchParams.keys())].filter((k) => !QUERY_PARAMETERS.includes(k));
      if (unknown.length) {
        throw new ParamError(`unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: use ${QUERY_PARAMETERS.filter((k) => k !== 'token').join(', ')}`);
      }
      const query = queryGetter(url.searchParams);
      const name = query('decoder');
      if (name !== undefined) {
        const checked = checkDecoderName(name);
        if (typeof checked !== 'string') throw new ParamError(`decoder: ${checked.problem}`);
        decoderName = checked;
      }
      session = this.sessions.join(code, filtersFrom(query), settingsFrom(query), perturbationsFromQuery(query));
    } catch (err) {
      const r = streamRefusal(err);
      if (r) return fail(r.close, r.code, r.message);
      log.error('internal_error', { where: 'stream connect', error: String(err), stack: (err as Error)?.stack });
      return fail(1011, 'internal_error', 'internal server error (see the server log)');
    }

    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    client = new StreamClient(ws, session, format, remote, this.wireOf(session), this.backpressure, (c) =>
      this.metadataMessage(c.session, c.endpoint),
    );
    client.link = new DecoderLink(client, this.scoring.of(session), session.sent.last + 1, decoderName);
    this.clients.add(client);
    this.attach(client, ws);
  }

  private attach(client: StreamClient, ws: WebSocket): void {
    const session = client.session;
    log.info('client_connected', { client: client.id, session: session.code, endpoint: client.endpoint, address: client.remoteAddress, filters: session.filters });
    client.send(this.metadataMessage(session, client.endpoint));
    session.attach(client);

    ws.on('pong', () => {
      client.onPong(Date.now());
    });
    ws.on('message', (data, isBinary) => {
      handleClientMessage(client, data, isBinary, this.scoring);
      // Hundreds of decoders' answers can arrive in one turn of the event loop: a tick that
      // comes due meanwhile goes out now, not after the last of them.
      session.pollDue();
    });
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
      client.link.close({ code: closed.code, reason: closed.reason });
      (closed.by === 'server' && closed.code !== 1001 ? log.warn : log.info)('client_closed', { client: closed.id, session: closed.session, endpoint: closed.endpoint, code: closed.code, reason: closed.reason, by: closed.by, packets_sent: closed.packets_sent, drops: closed.drops });
    });
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
