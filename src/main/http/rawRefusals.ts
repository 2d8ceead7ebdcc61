import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Refusals written straight to a socket, where Node has no ServerResponse for us: requests its
 * parser rejects, CONNECT, and upgrade requests we will not upgrade. They carry the same JSON
 * body as every other refusal, `{ error: { code, message } }`, and close the connection.
 */
export function refuseOnSocket(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What Node's HTTP parser rejected, as a status and a message a person can act on. */
export function parserRefusal(err: Error & { code?: string }): { status: number; code: string; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers_too_large', message: 'request line and headers are over the 16 KiB limit' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, code: 'bad_method', message: 'unknown HTTP method: use GET, POST or DELETE (see GET / for the API)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request_timeout', message: 'the request did not arrive in time' };
    case 'HPE_INVALID_URL':
      return { status: 400, code: 'bad_url', message: 'malformed request target (spaces and raw non-ASCII bytes must be percent-encoded)' };
    default:
      return { status: 400, code: 'bad_request', message: `malformed HTTP request${err.code ? ` (${err.code})` : ''}` };
  }
}

/**
 * Is this a WebSocket opening handshake ws would accept? Anything else is refused by us with a
 * JSON body (ws's own refusals are text/html), or — when it is not a WebSocket request at all,
 * such as curl's `Upgrade: h2c` — served as the plain request it also is.
 */
export function handshakeProblem(req: IncomingMessage): { status: number; code: string; message: string } | null {
  if (req.method !== 'GET') return { status: 405, code: 'method_not_allowed', message: 'a WebSocket connection is opened with GET' };
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim())) {
    return { status: 400, code: 'bad_handshake', message: 'missing or invalid Sec-WebSocket-Key header' };
  }
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return { status: 400, code: 'bad_handshake', message: 'unsupported Sec-WebSocket-Version: use 13' };
  }
  return null;
}

/** Does the request ask for a WebSocket (rather than, say, an HTTP/2 upgrade we ignore)? */
export function wantsWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').split(',').some((p) => p.trim().toLowerCase() === 'websocket');
}
