/**
 * The server both entry points run: the HTTP listener with every face mounted on it — the
 * decoder streams, REST and metrics, the examples, and the studio's pages and channel.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HttpListener, type ListenOptions } from './http/listener.ts';
import { packageRoot } from './common/packageRoot.ts';
import { staticFiles } from './http/staticFiles.ts';
import type { Engine } from './playback/engine.ts';
import { Scoring } from './evaluation/scoring.ts';
import { RedisFace } from './redis/redisFace.ts';
import { RestFace } from './rest/restFace.ts';
import type { MetricsCollector } from './rest/metrics.ts';
import { StreamEndpoint, type StreamEndpointOptions } from './streams/streamEndpoint.ts';
import { mountStudioChannel, mountStudioPages } from './studio/browserHost.ts';
import type { StudioChannel } from './studio/studioChannel.ts';
import type { StudioService } from './studio/studioService.ts';
import type { RedisConfig } from '../shared/redisConfig.ts';
import { Recordings, defaultRecordingsRoot } from './recorder/recordings.ts';

export { ListenError } from './http/listener.ts';

export interface ServerOptions extends ListenOptions {
  stream?: StreamEndpointOptions;
  /** Publish to Redis (BRAND's conventions) from the start; the studio can start it later too. */
  redis?: RedisConfig;
  /** Where recordings go (default ~/PhantomLink/recordings) and whether every session is recorded. */
  recordings?: { root?: string; recordAll?: boolean };
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` as clients should use it. */
  readonly url: string;
  /** The token clients must present, or null (loopback without one). */
  readonly token: string | null;
  readonly listener: HttpListener;
  readonly streams: StreamEndpoint;
  readonly metrics: MetricsCollector;
  /** The live scores of every session's decoders. */
  readonly scoring: Scoring;
  /** The Redis Streams bridge (off unless configured). */
  readonly redis: RedisFace;
  /** The recordings folder: start, stop, list, delete. */
  readonly recordings: Recordings;
  wsUrl(path: string): string;
  /** Serves StudioApi to the browser host at ws://…/studio/channel (the UI is at /studio/). */
  attachStudio(service: StudioService): StudioChannel;
  /** Closes every client with 1001, then the listener. Resolves when everything is closed. */
  close(reason?: string): Promise<void>;
}

/** Files served besides the faces: the client examples and the MessagePack decoder the browser example loads. */
function exampleFiles() {
  const root = packageRoot();
  const requireFromRoot = createRequire(join(root, 'package.json'));
  return staticFiles(
    { '/examples/': join(root, 'examples') },
    // No CDN needed on a lab network.
    { '/vendor/msgpack.min.js': () => join(dirname(requireFromRoot.resolve('@msgpack/msgpack')), '..', 'dist.umd', 'msgpack.min.js') },
  );
}

/** Starts the HTTP + WebSocket server on the engine. Throws ListenError when it cannot listen. */
export async function startServer(engine: Engine, opts: ServerOptions = {}): Promise<RunningServer> {
  const scoring = new Scoring();
  // Before listening: unfinished recordings are closed, and with recordAll a root that cannot be
  // written is reported before anyone connects.
  const recordings = new Recordings(opts.recordings?.root ?? defaultRecordingsRoot(), engine.sessions, scoring, { recordAll: opts.recordings?.recordAll, cacheDir: engine.cacheDir });
  await recordings.open();
  const listener = await HttpListener.start(opts);
  const streams = new StreamEndpoint(engine.sessions, scoring, listener, opts.stream);
  const rest = new RestFace(engine, listener, streams, scoring, recordings);
  const redis = new RedisFace(engine.sessions, scoring);
  if (opts.redis) await redis.connect(opts.redis);
  listener.onUpgrade(streams);
  listener.onRequest(redis.handle);
  listener.onRequest(rest.handle);
  mountStudioPages(listener);
  listener.onRequest(exampleFiles());
  let studio: StudioChannel | null = null;
  let studioService: StudioService | null = null;

  let closing: Promise<void> | null = null;
  const close = (reason = 'server shutting down'): Promise<void> =>
    (closing ??= (async () => {
      const clientsClosed = streams.closeAll(reason);
      studio?.closeAll(reason);
      studioService?.close();
      const redisClosed = redis.close();
      engine.close(reason);
      // Sessions closed: every recording has its last lines; wait until they are on disk.
      const recordingsStopped = recordings.stopAll();
      const httpClosed = listener.close();
      // A peer that never answers the closing handshake must not hold shutdown up.
      setTimeout(() => streams.terminateAll(), 2000).unref();
      await Promise.all([clientsClosed, httpClosed, redisClosed, recordingsStopped]);
    })());

  return {
    host: listener.host,
    port: listener.port,
    url: listener.url,
    token: listener.token,
    listener,
    streams,
    metrics: rest.metrics,
    scoring,
    redis,
    recordings,
    wsUrl: (path) => listener.wsUrl(path),
    attachStudio: (service) => {
      studioService = service;
      return (studio = mountStudioChannel(listener, service));
    },
    close,
  };
}
