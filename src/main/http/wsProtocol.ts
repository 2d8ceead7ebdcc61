import type { WebSocket } from 'ws';

/**
 * When a client breaks the WebSocket protocol (a frame over the size limit, invalid UTF-8 in a
 * text frame, a malformed frame), ws fails the connection as RFC 6455 requires: it sends a close
 * frame with the code alone (1009, 1007, 1002), then emits 'error'. This gives that close frame
 * a reason the client can show, and lets the closing handshake finish (ws cuts the socket after
 * its closeTimeout) instead of terminating at once, which could lose the close frame.
 */
export function explainProtocolCloses(ws: WebSocket, maxFrameBytes: number, onError: (code: number, reason: string) => void): void {
  const reasons: Record<number, string> = {
    1002: 'WebSocket protocol error: malformed frame',
    1007: 'message is not valid UTF-8 (text frames must be UTF-8)',
    1009: `message over ${formatBytes(maxFrameBytes)}, the limit for client messages`,
  };
  // ws calls `websocket.close(code)` with no reason from its receiver's error handler: an own
  // property on this instance takes the prototype method's place for that call.
  const close = ws.close.bind(ws);
  let closeCode = 1002;
  ws.close = (code?: number, data?: string | Buffer) => {
    if (code !== undefined) closeCode = code;
    close(code, data ?? (code !== undefined ? reasons[code] : undefined));
  };
  ws.on('error', () => {
    onError(closeCode, reasons[closeCode] ?? 'WebSocket protocol error');
    // Every ws 'error' comes from its receiver, which has already started the close; should
    // that ever change, never leave a broken connection open.
    if (ws.readyState === ws.OPEN) ws.terminate();
  });
}

function formatBytes(n: number): string {
  return n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/** The WebSocket close reason is limited to 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let s = text;
  while (Buffer.byteLength(s) > 123) s = s.slice(0, -2) + '…';
  return s;
}
