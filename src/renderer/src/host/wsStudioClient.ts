/**
 * StudioApi over the browser host's WebSocket studio channel (ws://…/studio/channel).
 * The Electron host implements the same interface in its preload; the React code cannot
 * tell them apart.
 */
import {
  STUDIO_COMMANDS,
  type StudioApi,
  type StudioClientFrame,
  type StudioCommand,
  type StudioEvent,
  type StudioServerFrame,
  type Unsubscribe,
} from '../../../shared/studioApi.ts';

/** A command the host refused; `code` is stable, `message` is for people. */
export class StudioCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudioCallError';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Subscription {
  event: StudioEvent;
  args: unknown[];
  listener(payload: unknown): void;
}

export interface WsStudioClientOptions {
  /** Called when the connection drops or comes back, for a banner in the UI. */
  onConnectionChange?(connected: boolean): void;
  WebSocketImpl?: typeof WebSocket;
}

export function createWsStudioClient(url: string, opts: WsStudioClientOptions = {}): StudioApi {
  const WS = opts.WebSocketImpl ?? WebSocket;
  let ws: WebSocket;
  let nextId = 1;
  let open = false;
  const queue: StudioClientFrame[] = [];
  const pending = new Map<number, Pending>();
  const subscriptions = new Map<number, Subscription>();

  const send = (frame: StudioClientFrame) => {
    if (open) ws.send(JSON.stringify(frame));
    else queue.push(frame);
  };

  const connect = () => {
    ws = new WS(url);
    ws.onopen = () => {
      open = true;
      opts.onConnectionChange?.(true);
      // Subscriptions survive a reconnect (e.g. the studio server restarted).
      for (const [id, s] of subscriptions) ws.send(JSON.stringify({ kind: 'subscribe', id, event: s.event, args: s.args }));
      for (const f of queue.splice(0)) ws.send(JSON.stringify(f));
    };
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as StudioServerFrame;
      if (frame.kind === 'event') {
        subscriptions.get(frame.id)?.listener(frame.payload);
        return;
      }
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.ok) p.resolve(frame.value);
      else p.reject(new StudioCallError(frame.error.code, frame.error.message));
    };
    ws.onclose = () => {
      const wasOpen = open;
      open = false;
      if (wasOpen) opts.onConnectionChange?.(false);
      for (const p of pending.values()) p.reject(new StudioCallError('disconnected', 'lost the connection to the studio server'));
      pending.clear();
      setTimeout(connect, 1000);
    };
  };
  connect();

  const call = (command: StudioCommand, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      send({ kind: 'call', id, command, args });
    });

  const api: Record<string, unknown> = {
    subscribe(event: StudioEvent, args: unknown[], listener: (payload: unknown) => void): Unsubscribe {
      const id = nextId++;
      subscriptions.set(id, { event, args, listener });
      // The acknowledgement (or a refusal) arrives as a result frame; a refusal is logged.
      pending.set(id, { resolve: () => {}, reject: (e) => console.warn(`studio: subscribe ${event} refused: ${e.message}`) });
      send({ kind: 'subscribe', id, event, args });
      return () => {
        subscriptions.delete(id);
        send({ kind: 'unsubscribe', id });
      };
    },
  };
  for (const c of STUDIO_COMMANDS) api[c] = (...args: unknown[]) => call(c, args);
  return api as StudioApi;
}
