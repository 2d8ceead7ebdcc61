import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The package root (where package.json is), whether running from src/ or a bundle in out/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the PhantomLink package root');
    dir = up;
  }
  return dir;
}

const root = packageRoot();
const requireFromRoot = createRequire(join(root, 'package.json'));

/** URL prefix → directory. Only these are served; nothing above them is reachable. */
const mounts: Array<[string, string]> = [
  ['/examples/', join(root, 'examples')],
  // The built studio renderer (npm run build), for the browser host.
  ['/studio/', join(root, 'out', 'renderer')],
];
const files: Record<string, () => string> = {
  // The MessagePack decoder the browser example uses (no CDN needed on a lab network).
  '/vendor/msgpack.min.js': () => join(dirname(requireFromRoot.resolve('@msgpack/msgpack')), '..', 'dist.umd', 'msgpack.min.js'),
};

export async function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let path: string | null = null;
  if (files[url.pathname]) path = files[url.pathname]();
  for (const [prefix, dir] of mounts) {
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
}
