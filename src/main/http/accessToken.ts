import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Remote access: off loopback, every REST request, stream and studio connection presents a
 * token (`?token=` or `Authorization: Bearer …`). On loopback nothing changes, so local
 * scripts and the guide's examples keep working as written.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function generateToken(): string {
  return randomBytes(18).toString('base64url');
}

/** The token a request presents, if any. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return url.searchParams.get('token');
}

export class AccessGuard {
  private readonly expected: Buffer | null;

  /** `token` null: no check (loopback). */
  constructor(readonly token: string | null) {
    this.expected = token ? Buffer.from(token) : null;
  }

  get required(): boolean {
    return this.expected !== null;
  }

  allows(req: IncomingMessage, url: URL): boolean {
    if (!this.expected) return true;
    const got = presentedToken(req, url);
    if (got === null) return false;
    const b = Buffer.from(got);
    return b.length === this.expected.length && timingSafeEqual(b, this.expected);
  }

  static readonly message = 'a token is required: add ?token=… to the URL or send "Authorization: Bearer …" (the server printed it at start)';
}
