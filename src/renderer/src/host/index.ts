/**
 * Picks the StudioApi for this window. Electron's preload exposes one at
 * `window.phantomlink.studio`; in a plain browser (the headless host serving /studio/) the
 * studio talks to the same engine over the WebSocket studio channel of the page's own origin.
 * Everything above this file sees only `StudioApi`.
 */
import { STUDIO_COMMANDS, type StudioApi } from '../../../shared/studioApi.ts';
import { createWsStudioClient, StudioCallError } from './wsStudioClient.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in the browser host. */
    phantomlink?: {
      host?: string;
      studio?: StudioApi;
    };
  }
}

export type HostKind = 'electron' | 'browser';

export interface StudioHost {
  kind: HostKind;
  api: StudioApi;
  /** Is the transport up? Electron's IPC always is; the browser host's socket can drop. */
  isConnected(): boolean | null;
  /** Follows the connection (browser host); returns an unsubscribe. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

/** `ws(s)://<host>/studio/channel` for the page's location (same origin, so the server's origin check passes). */
export function studioChannelUrl(loc: { protocol: string; host: string; search?: string }): string {
  // A server reachable from other machines requires a token: the page got it in its own URL.
  const token = new URLSearchParams(loc.search ?? '').get('token');
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/studio/channel${query}`;
}

export function selectHost(win: Window = window): StudioHost {
  const exposed = win.phantomlink?.studio;
  if (exposed) {
    return { kind: 'electron', api: withBridgeErrors(exposed), isConnected: () => true, onConnectionChange: () => () => {} };
  }
  const listeners = new Set<(connected: boolean) => void>();
  // null until the first connection attempt settles: "connecting…", not "lost".
  let connected: boolean | null = null;
  const api = createWsStudioClient(studioChannelUrl(win.location), {
    onConnectionChange(up) {
      connected = up;
      for (const l of listeners) l(up);
    },
  });
  return {
    kind: 'browser',
    api,
    isConnected: () => connected,
    onConnectionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Electron's contextBridge copies only an Error's message across worlds, so the preload packs
 * `{code, message}` as JSON into it; this turns it back into the StudioCallError the browser
 * host's client throws, so the UI handles refusals the same way in both hosts.
 */
export function unpackBridgeError(err: unknown): unknown {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : null;
  if (text === null) return err;
  // Electron prefixes messages of errors thrown across IPC/contextBridge in some versions.
  const json = text.slice(text.indexOf('{'));
  try {
    const parsed = JSON.parse(json) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return new StudioCallError(parsed.code, parsed.message);
  } catch {
    /* not one of ours */
  }
  return err;
}

function withBridgeErrors(api: StudioApi): StudioApi {
  const wrapped: Record<string, unknown> = { subscribe: api.subscribe.bind(api) };
  for (const c of STUDIO_COMMANDS) {
    const call = api[c] as (...args: unknown[]) => Promise<unknown>;
    wrapped[c] = (...args: unknown[]) =>
      call(...args).catch((err) => {
        throw unpackBridgeError(err);
      });
  }
  return wrapped as StudioApi;
}
