import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { StudioClientFrame, StudioServerFrame, Unsubscribe } from '../../shared/studioApi.ts';
import { CloseCode } from '../../shared/wire.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { log } from '../common/log.ts';
import { AccessGuard } from '../http/accessToken.ts';
import type { UpgradeRoute } from '../http/listener.ts';
import { closeReason, explainProtocolCloses } from '../http/wsProtocol.ts';
import { StudioError, refusalOf } from './errors.ts';
import type { StudioService } from './studioService.ts';

export const STUDIO_CHANNEL_PATH = '/studio/channel';
/** Studio frames are small commands; a dataset path is the largest thing in one. */
const MAX_FRAME_BYTES = 256 * 1024;
/** Events queued for a window that does not read beyond this are dropped (a few seconds of packets at 20×). */
const MAX_BUFFERED_EVENTS = 4 * 1024 * 1024;

/**
 * The browser host's transport for StudioApi: JSON frames over one WebSocket.
 * `call` frames run a command and answer with a `result` frame of the same id; `subscribe`
 * frames stream `event` frames under their id until `unsubscribe` or disconnect.
 */
export class StudioChannel implements UpgradeRoute {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: true });

  constructor(
    private readonly service: StudioService,
    /** Origins allowed to open the channel (browsers send one; other programs may not). */
    private readonly allowedOrigins: () => string[],
  ) {}

  matches(pathname: string): boolean {
    return pathname === STUDIO_CHANNEL_PATH;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authorized = true): void {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedOrigins().includes(origin)) {
      // A page from another site must not drive the studio through the user's browser.
      const body = `studio channel: origin ${origin} is not allowed`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (authorized) return this.onConnection(ws);
      ws.close(CloseCode.Unauthorized, closeReason(AccessGuard.message));
    });
  }

  /** Bytes queued for the windows connected now (what a window that stops reading costs the server). */
  bufferedBytes(): number {
    let n = 0;
    for (const ws of this.wss.clients) n += ws.bufferedAmount;
    return n;
  }

  closeAll(reason: string): void {
    for (const ws of this.wss.clients) ws.close(CloseCode.GoingAway, closeReason(reason));
  }

  private onConnection(ws: WebSocket): void {
    const subscriptions = new Map<number, Unsubscribe>();
    const send = (frame: StudioServerFrame) => {
      if (ws.readyState !== ws.OPEN) return;
      // A window that stops reading (frozen, in the background) must not make the server hold its
      // stream: past the limit its events are dropped (the next ones bring it up to date); answers still go.
      if (frame.kind === 'event' && ws.bufferedAmount > MAX_BUFFERED_EVENTS) return;
      ws.send(JSON.stringify(frame));
    };
    const fail = (id: number, err: unknown) => send({ kind: 'result', id, ok: false, error: refusalOf(err) });
    explainProtocolCloses(ws, MAX_FRAME_BYTES, (code, reason) => log.info('studio_protocol_error', { code, reason }));
    ws.on('close', () => {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
    });
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(data, isBinary, send, fail, subscriptions);
      } catch (err) {
        // Whatever a client sends, the studio (and every stream) stays up.
        fail(-1, err instanceof StudioError ? err : new StudioError('bad_frame', 'malformed studio frame'));
      }
    });
  }

  private onFrame(
    data: RawData,
    isBinary: boolean,
    send: (frame: StudioServerFrame) => void,
    fail: (id: number, err: unknown) => void,
    subscriptions: Map<number, Unsubscribe>,
  ): void {
    {
      let frame: StudioClientFrame;
      try {
        if (isBinary) throw new Error('binary');
        frame = JSON.parse(data.toString());
        if (frame === null || typeof frame !== 'object' || typeof frame.id !== 'number') throw new Error('shape');
      } catch {
        return fail(-1, new StudioError('bad_frame', 'studio channel frames are JSON objects with kind and a numeric id'));
      }
      const { id } = frame;
      switch (frame.kind) {
        case 'call':
          this.service.call(frame.command, frame.args).then(
            (value) => send({ kind: 'result', id, ok: true, value: value ?? null }),
            (err) => fail(id, err),
          );
          return;
        case 'subscribe':
          try {
            if (subscriptions.has(id)) throw new StudioError('bad_frame', `subscription id ${id} is in use`);
            subscriptions.set(id, this.service.subscribe(frame.event, frame.args, (payload) => send({ kind: 'event', id, payload })));
            send({ kind: 'result', id, ok: true, value: null });
          } catch (err) {
            fail(id, err);
          }
          return;
        case 'unsubscribe':
          subscriptions.get(id)?.();
          subscriptions.delete(id);
          return;
        default:
          fail(id, new StudioError('bad_frame', `unknown frame kind ${describeValue((frame as { kind?: unknown }).kind)}`));
      }
    }
  }
}
