/**
 * Picks the StudioApi for this window. Electron's preload exposes one at
 * `window.phantomlink.studio`; in a plain browser (the headless host serving /studio/) the
 * studio talks to the same engine over the WebSocket studio channel of the page's own origin.
 * Everything above this file sees only `StudioApi`.
 */
import type { StudioApi } from '../../../shared/studioApi.ts';
import { createWsStudioClient } from './wsStudioClient.ts';

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
export function studioChannelUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/studio/channel`;
}

export function selectHost(win: Window = window): StudioHost {
  const exposed = win.phantomlink?.studio;
  if (exposed) {
    return { kind: 'electron', api: exposed, isConnected: () => true, onConnectionChange: () => () => {} };
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
