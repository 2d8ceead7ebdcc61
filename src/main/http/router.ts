import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../common/log.ts';

/** A refusal with an HTTP status; rendered as JSON `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  /** Parsed JSON body (POST/PUT/PATCH), or {} when there is none. */
  body: Record<string, unknown>;
}

export type Handler = (ctx: RequestContext) => unknown | Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A small router: `/api/sessions/:code` patterns, JSON in and out, errors as JSON. `refusal`
 * turns what a handler throws into an HttpError (the face's table); anything it leaves is a bug (500).
 */
export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly refusal: (err: unknown) => HttpError | null = () => null) {}

  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((seg) => {
        if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(seg.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  /** Returns false when no route matches the path (so another handler may serve it). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const matches = this.routes.filter((r) => r.pattern.test(url.pathname));
    if (matches.length === 0) return false;
    try {
      const route = matches.find((r) => r.method === req.method);
      if (!route) {
        res.setHeader('Allow', [...new Set(matches.map((r) => r.method))].join(', '));
        throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
      }
      const m = route.pattern.exec(url.pathname)!;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = safeDecode(m[i + 1]);
      });
      const body = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? await readJsonBody(req) : {};
      const result = await route.handler({ req, url, params, body });
      const status = result instanceof Created ? result.status : 200;
      sendJson(res, status, result instanceof Created ? result.body : result);
    } catch (err) {
      // An unread body is left on the connection: it cannot carry another request.
      const e = err instanceof HttpError ? err : (this.refusal(err) ?? err);
      if (e instanceof HttpError && e.status === 413) res.setHeader('Connection', 'close');
      sendError(res, e);
    }
    return true;
  }
}

/** Wrap a handler result to answer 201 Created. */
export class Created {
  readonly status: number = 201;
  constructor(readonly body: unknown) {}
}

/** Wrap a handler result to answer 202 Accepted: started, not finished. */
export class Accepted extends Created {
  override readonly status = 202;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'bad_path', `malformed percent-encoding in path segment ${JSON.stringify(s.slice(0, 80))}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    return;
  }
  // Not an input problem: a bug. Say so without leaking a stack trace, and log it.
  log.error('internal_error', { where: 'http', error: String(err), stack: (err as Error)?.stack });
  sendJson(res, 500, { error: { code: 'internal_error', message: 'internal server error (see the server log)' } });
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, 'invalid_body', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
