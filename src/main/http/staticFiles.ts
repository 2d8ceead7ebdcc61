import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { RequestHandler } from './listener.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.py': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Serves files from directories mounted at URL prefixes (`/examples/` → examples/) and single
 * files at fixed paths. Only these are served; nothing above a mounted directory is reachable.
 */
export function staticFiles(mounts: Record<string, string>, files: Record<string, () => string> = {}): RequestHandler {
  const dirs = Object.entries(mounts);
  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string | null = null;
    if (files[url.pathname]) path = files[url.pathname]();
    for (const [prefix, dir] of dirs) {
      if (!url.pathname.startsWith(prefix)) continue;
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname.slice(prefix.length));
      } catch {
        return false;
      }
      const candidate = normalize(join(dir, rel === '' ? 'index.html' : rel));
      if (candidate.startsWith(dir + sep)) path = candidate; // no escaping the mount with ../
    }
    if (!path || !existsSync(path) || !statSync(path).isFile()) return false;
    res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(path).pipe(res);
    return true;
  };
}
