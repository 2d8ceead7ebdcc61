import type { WebSocket } from 'ws';
import { encode, type StreamFormat } from '../../shared/codecs.ts';
import type { ClientEndpoint, DataPacket, ErrorMessage, ServerMessage } from '../../shared/wire.ts';
import { CloseCode } from '../../shared/wire.ts';
import type { ClientInfo, Session, SessionSubscriber } from '../playback/session.ts';
import { closeReason } from '../http/wsProtocol.ts';
import type { DecoderLink, LinkOwner } from './decoderLink.ts';
import type { PacketEncoder } from './packetEncoder.ts';

export interface BackpressureOptions {
  /** Above this many bytes queued on a socket, packets for it are dropped. Default 256 KiB. */
  maxBufferedBytes?: number;
  /**
   * A client whose answer to our latest ping is this late is behind: its packets are dropped.
   * The kernel's socket buffers hide a slow reader from `bufferedAmount` (1.4 MB per socket on
   * loopback in bench/results/slow.md), but a ping waits behind everything the client has not
   * read, so its lateness is how far behind the client really is. Default 2 s.
   */
  maxPongLagMs?: number;
  /** A client that keeps dropping for this long is closed. Default 5 s. */
  slowCloseMs?: number;
  /**
   * A client counts as caught up only after this long without a drop, and once it answers a
   * ping within half of maxPongLagMs. A reader at 80 % of the rate drops in bursts (each time its
   * pong passes maxPongLagMs) with catch-up stretches between them, yet it is always about
   * maxPongLagMs behind; without this rule it would lose a fifth of its packets forever without
   * being told. Default 1 s.
   */
  recoverMs?: number;
}

/** Bytes sent per format, per session (for /metrics). */
export interface WireStats {
  bytes: Record<StreamFormat, number>;
  packets: Record<StreamFormat, number>;
}

/** What the stream face keeps per session: bytes sent, and the encoder its clients share. */
export interface SessionWire {
  stats: WireStats;
  encoder: PacketEncoder;
}

let nextClientId = 1;

/** Sends an error message, then closes with a 4xxx code and a readable reason. */
export function refuse(ws: WebSocket, format: StreamFormat, closeCode: number, error: ErrorMessage): void {
  try {
    ws.send(encode(format, error), { binary: format === 'msgpack' });
  } finally {
    ws.close(closeCode, closeReason(error.message));
  }
}

/**
 * One decoder's connection to a session. It never blocks the session: when the socket's
 * queue is full its packets are dropped (counted; the client sees a sequence gap), and a
 * client that stays behind is closed with a reason.
 */
export class StreamClient implements SessionSubscriber, LinkOwner {
  readonly id = nextClientId++;
  readonly connectedAt = Date.now();
  packetsSent = 0;
  bytesSent = 0;
  drops = 0;
  /** Set while packets are being dropped; cleared when the client has caught up (see recoverMs). */
  private behindSince = 0;
  private lastDropAt = 0;
  /** How late the client's latest answer to a ping was (ms). */
  private lastPongLagMs = 0;
  /** When the ping we are waiting an answer for was sent (0: none outstanding). */
  pingSentAt = 0;
  /** Why the server closed this client, when it did. */
  closedByServer: { code: number; reason: string } | null = null;
  /** Its side of live scoring (predictions, naming, flood control); set once connected. */
  link!: DecoderLink;

  constructor(
    readonly ws: WebSocket,
    readonly session: Session,
    readonly format: StreamFormat,
    readonly remoteAddress: string,
    private readonly wire: SessionWire,
    private readonly backpressure: Required<BackpressureOptions>,
    private readonly metadataFor: (client: StreamClient) => ServerMessage,
  ) {}

  get endpoint(): ClientEndpoint {
    return this.format === 'json' ? 'json' : 'binary';
  }

  packetRate(): number {
    return (1000 / this.session.currentStream.binMs) * this.session.playbackSpeed;
  }

  describeClient(): ClientInfo {
    return {
      id: this.id,
      endpoint: this.endpoint,
      address: this.remoteAddress,
      connectedAt: this.connectedAt,
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      drops: this.drops,
      bufferedBytes: this.ws.bufferedAmount,
    };
  }

  send(msg: ServerMessage | Uint8Array): void {
    const bytes = msg instanceof Uint8Array ? msg : encode(this.format, msg);
    this.ws.send(bytes, { binary: this.format === 'msgpack' });
    this.bytesSent += bytes.length;
    this.wire.stats.bytes[this.format] += bytes.length;
  }

  /** The tick's first phase: encode (once per format for the whole session) before anyone sends. */
  prepare(packet: DataPacket): void {
    this.wire.encoder.bytes(packet, this.format);
  }

  onPacket(packet: DataPacket): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const now = Date.now();
    const pongLate = this.pingSentAt !== 0 && now - this.pingSentAt > this.backpressure.maxPongLagMs;
    if (pongLate || this.ws.bufferedAmount > this.backpressure.maxBufferedBytes) {
      this.drops++;
      this.lastDropAt = now;
      if (this.behindSince === 0) this.behindSince = now;
      else if (now - this.behindSince > this.backpressure.slowCloseMs) {
        this.close(
          CloseCode.TooSlow,
          `client too slow: ${this.drops} packets dropped, behind for over ${Math.round(this.backpressure.slowCloseMs / 1000)} s`,
        );
      }
      return;
    }
    if (this.behindSince !== 0 && now - this.lastDropAt > this.backpressure.recoverMs && this.lastPongLagMs < this.backpressure.maxPongLagMs / 2) {
      this.behindSince = 0;
    }
    const bytes = this.wire.encoder.bytes(packet, this.format);
    this.ws.send(bytes, { binary: this.format === 'msgpack' });
    this.packetsSent++;
    this.bytesSent += bytes.length;
    this.wire.stats.bytes[this.format] += bytes.length;
    this.wire.stats.packets[this.format]++;
  }

  /** The answer to our latest ping arrived: how late it was tells how far behind the client reads. */
  onPong(now: number): void {
    if (this.pingSentAt !== 0) this.lastPongLagMs = now - this.pingSentAt;
    this.pingSentAt = 0;
  }

  onMetadataChanged(): void {
    if (this.ws.readyState === this.ws.OPEN) this.send(this.metadataFor(this));
  }

  onSessionClosed(code: number, reason: string): void {
    this.close(code, reason);
  }

  /** Starts the closing handshake; a peer that does not answer is cut off by the server's closeTimeout. */
  close(code: number, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN && this.ws.readyState !== this.ws.CONNECTING) return;
    this.closedByServer = { code, reason: closeReason(reason) };
    this.ws.close(code, this.closedByServer.reason);
  }

  /**
   * Cuts off a peer that no longer answers (keepalive): no closing handshake is possible, so
   * the peer sees 1006; the reason is kept for /metrics, the log and the studio.
   */
  terminate(reason: string): void {
    this.closedByServer ??= { code: CloseCode.Abnormal, reason: closeReason(reason) };
    this.ws.terminate();
  }
}
