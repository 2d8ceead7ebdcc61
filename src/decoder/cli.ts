/**
 * `phantomlink decoder`: the reference decoder, a real external client of the stream.
 *
 * It connects like any decoder (binary endpoint by default), says hello with its name and the
 * app version, trains a ridge regression from spike history to velocity on the first minutes of
 * recording, then answers every data packet with a prediction and prints its own running R².
 * It uses only the wire contract (src/shared), never the server's code.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import pkg from '../../package.json' with { type: 'json' };
import { decodeMsgpack, encodeMsgpack } from '../shared/codecs.ts';
import { CloseCode, streamPath, type ClientEndpoint, type DataPacket, type HelloMessage, type MetadataMessage } from '../shared/wire.ts';
import { ReferenceDecoder } from './decoder.ts';
import { fitOffThread, isFitWorker, runFitWorker } from './fitWorker.ts';

export const DECODER_USAGE = `Usage:
  phantomlink decoder [--url ws://HOST:PORT/stream/binary/CODE] [--session CODE] [--host H --port P]
                      [--json] [--train-s 120] [--history 5] [--lambda A] [--name reference] [--token T]

The reference decoder: trains a ridge regression (Wiener filter) from the last --history bins of
spike counts to velocity (vx, vy) on the first --train-s seconds of recording, then answers every
data packet with {"type": "prediction", "sequence_number", "vx", "vy", "latency_ms"} and prints
its own running R² against the packets' kinematics.

Options:
  --url URL        the stream to decode (ws://HOST:PORT/stream/binary/CODE or /stream/CODE);
                   ws://HOST:PORT alone takes --session
  --session CODE   session code (default demo)
  --host H         server address (default 127.0.0.1)
  --port P         server port (default 8000)
  --json           use the JSON endpoint (/stream/CODE) instead of MessagePack
  --train-s S      seconds of recording to train on (default 120; counted in bins, so at 10×
                   speed training takes a tenth of the wall time)
  --history N      bins of spike history per prediction (default 5 = 125 ms)
  --lambda A       ridge penalty per training bin on standardised features (λ = A·n);
                   default: chosen from 0.1, 0.3, 1, 3 on a validation split
  --name NAME      the name it gives itself on the scoreboard (default reference)
  --token T        access token (needed off loopback)
  --every S        seconds between progress lines (default 5)
  --retries N      connection attempts after the first when the server is not there (default 5)
  -h, --help       show this help
`;

const APP_VERSION: string = pkg.version;

class UsageError extends Error {}

interface Options {
  url: URL;
  endpoint: ClientEndpoint;
  trainSeconds: number;
  history: number;
  alpha: number | null;
  name: string;
  everyS: number;
  retries: number;
}

function parse(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        session: { type: 'string', default: 'demo' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8000' },
        json: { type: 'boolean', default: false },
        'train-s': { type: 'string', default: '120' },
        history: { type: 'string', default: '5' },
        lambda: { type: 'string' },
        name: { type: 'string', default: 'reference' },
        token: { type: 'string' },
        every: { type: 'string', default: '5' },
        retries: { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const positive = (name: string, raw: string, integer = false, allowZero = false): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < 0 || (!allowZero && v === 0)) {
      throw new UsageError(`--${name} must be a ${integer ? (allowZero ? 'non-negative integer' : 'positive integer') : 'positive number'} (got ${raw})`);
    }
    return v;
  };
  const history = positive('history', values.history!, true);
  if (history > 100) throw new UsageError(`--history must be at most 100 bins (got ${history})`);
  const name = values.name!.trim();
  if (!name || name.length > 64) throw new UsageError('--name must be 1–64 characters');

  let url: URL;
  const endpoint: ClientEndpoint = values.json ? 'json' : 'binary';
  if (values.url) {
    const raw = values.url.includes('://') ? values.url : `ws://${values.url}`;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`--url is not a URL: ${values.url}`);
    }
    const scheme = ({ 'http:': 'ws:', 'https:': 'wss:' } as Record<string, string>)[url.protocol] ?? url.protocol;
    if (scheme !== 'ws:' && scheme !== 'wss:') throw new UsageError(`--url must be ws://… or wss://… (got ${values.url})`);
    url = new URL(url.href.replace(/^[a-z]+:/, scheme));
    if (url.pathname === '/' || url.pathname === '') url.pathname = streamPath(values.session!, endpoint);
  } else {
    const port = positive('port', values.port!, true);
    if (port > 65535) throw new UsageError(`--port must be 1–65535 (got ${port})`);
    const host = values.host!.includes(':') && !values.host!.startsWith('[') ? `[${values.host}]` : values.host!;
    url = new URL(`ws://${host}:${port}${streamPath(values.session!, endpoint)}`);
  }
  if (values.token && !url.searchParams.has('token')) url.searchParams.set('token', values.token);
  return {
    url,
    endpoint: /^\/stream\/binary\//.test(url.pathname) ? 'binary' : 'json',
    trainSeconds: positive('train-s', values['train-s']!),
    history,
    alpha: values.lambda === undefined ? null : positive('lambda', values.lambda),
    name,
    everyS: positive('every', values.every!),
    retries: positive('retries', values.retries!, true, true),
  };
}

/** The URL as printed: never the token. */
function shown(url: URL): string {
  const u = new URL(url.href);
  if (u.searchParams.has('token')) u.searchParams.set('token', '…');
  return decodeURIComponent(u.href);
}

const CLOSE_NAMES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1005: 'no status',
  1006: 'connection lost without a close frame',
  1011: 'server error',
  ...Object.fromEntries(Object.entries(CloseCode).map(([k, v]) => [v, k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()])),
};

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`phantomlink decoder: ${line}\n`);

type Received = [data: WebSocket.RawData, isBinary: boolean];

interface Opened {
  ws: WebSocket;
  /** Messages that arrived before the session's handler was attached (the metadata often does). */
  early: Received[];
  stopQueueing(): void;
}

/** Opens a socket, or rejects with the reason (error code or HTTP status). */
function open(url: URL): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 5000 });
    // The server sends the metadata right after the handshake, possibly in the same TCP segment:
    // ws can emit it before the code awaiting this promise runs, so queue from the start.
    const early: Received[] = [];
    const queue = (data: WebSocket.RawData, isBinary: boolean) => early.push([data, isBinary]);
    ws.on('message', queue);
    const fail = (e: Error & { code?: string }) => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(e);
    };
    ws.once('open', () => {
      ws.removeListener('error', fail);
      resolve({ ws, early, stopQueueing: () => ws.removeListener('message', queue) });
    });
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(Object.assign(new Error(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()), { code: 'HTTP' })));
  });
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Runs the `decoder` command; resolves to the exit status (0 after SIGINT/SIGTERM, 1 when the
 * server is not there, refuses or closes the connection, 2 for bad arguments).
 */
export async function runDecoderCli(argv: string[]): Promise<number> {
  if (isFitWorker()) {
    runFitWorker();
    return 0;
  }
  let opts: Options | 'help';
  try {
    opts = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n\n${DECODER_USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    out(DECODER_USAGE);
    return 0;
  }
  return decode(opts);
}

async function decode(opts: Options): Promise<number> {
  let stopping: string | null = null;
  let wake: () => void = () => {};
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    wake();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => (clearTimeout(t), resolve());
    });

  try {
    out(`phantomlink decoder "${opts.name}" (PhantomLink ${APP_VERSION}) → ${shown(opts.url)} (${opts.endpoint === 'binary' ? 'MessagePack' : 'JSON'})`);
    // Connect, retrying while nobody listens (the server may still be starting).
    let opened: Opened | null = null;
    for (let attempt = 0; !opened; attempt++) {
      try {
        opened = await open(opts.url);
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        const reason = code && code !== 'HTTP' ? `${code}: ${(e as Error).message}` : (e as Error).message;
        if (stopping) {
          out(`${stopping}: stopped before connecting`);
          return 0;
        }
        if (!RETRYABLE.has(code) || attempt >= opts.retries) {
          err(`cannot reach ${shown(opts.url)} (${reason}) after ${attempt + 1} attempt(s): is the PhantomLink server running? (npx phantomlink serve)`);
          return 1;
        }
        out(`cannot reach ${shown(opts.url)} (${code}); retrying in 1 s (${attempt + 1}/${opts.retries})…`);
        await sleep(1000);
        if (stopping) {
          out(`${stopping}: stopped before connecting`);
          return 0;
        }
      }
    }
    return await session(opened, opts, () => stopping, (f) => (wake = f));
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}

/** One connection, from hello to close. */
function session(opened: Opened, opts: Options, stopping: () => string | null, onStop: (wake: () => void) => void): Promise<number> {
  const { ws } = opened;
  const binary = opts.endpoint === 'binary';
  const send = (msg: unknown) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(binary ? encodeMsgpack(msg) : JSON.stringify(msg));
  };
  // The fit runs in a worker thread started on this very module (bundled into the CLI).
  const entry = import.meta.url.endsWith('.ts') ? null : new URL(import.meta.url);
  const decoder = new ReferenceDecoder(
    { trainSeconds: opts.trainSeconds, history: opts.history, alpha: opts.alpha, windowSeconds: 30 },
    (samples, options) => fitOffThread(entry, ['decoder'], samples, options),
    out,
  );
  const hello: HelloMessage = { type: 'hello', decoder: opts.name, version: APP_VERSION };
  send(hello);
  out(`connected; said hello as "${opts.name}"`);

  return new Promise((resolve) => {
    let finished = false;
    let sawMetadata = false;
    let badMessages = 0;
    // Server errors (at most one a second, by contract; an older server answers every prediction
    // with one): each kind is printed once, repeats are counted in the progress lines.
    const errorCounts = new Map<string, number>();
    const serverError = (msg: { code?: unknown; message?: unknown }) => {
      const key = `[${String(msg.code)}] ${String(msg.message)}`;
      const seen = errorCounts.get(key) ?? 0;
      errorCounts.set(key, seen + 1);
      if (seen > 0) return;
      err(`server says: ${key}`);
      if (msg.code === 'unknown_message' && /prediction|hello/.test(String(msg.message))) {
        err('this server does not take predictions back (an older version?): I keep predicting and scoring myself');
      }
    };
    const timer = setInterval(() => {
      const line = decoder.report();
      if (line) out(line);
      for (const [key, n] of errorCounts) if (n > 1) err(`server says (${n - 1} more times): ${key}`);
      for (const key of errorCounts.keys()) errorCounts.set(key, 1);
    }, opts.everyS * 1000);
    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      decoder.stop();
      out(decoder.summary());
      resolve(status);
    };
    const fatal = (why: string) => {
      err(why);
      ws.close(1000, 'decoder gave up');
      setTimeout(() => ws.terminate(), 2000).unref();
      finish(1);
    };

    onStop(() => {
      out(`${stopping()}: closing the connection…`);
      ws.close(1000, 'decoder stopped');
      setTimeout(() => ws.terminate(), 2000).unref();
    });

    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      const arrival = performance.now();
      let msg: any;
      try {
        msg = isBinary ? decodeMsgpack(data as Buffer) : JSON.parse((data as Buffer).toString('utf8'));
      } catch (e) {
        if (badMessages++ === 0) err(`cannot decode a message from the server (${(e as Error).message}); ignoring such messages`);
        return;
      }
      switch (msg?.type) {
        case 'metadata':
          sawMetadata = true;
          decoder.onMetadata(msg as MetadataMessage);
          break;
        case 'data': {
          if (!sawMetadata) return;
          const prediction = decoder.onPacket(msg as DataPacket);
          if (prediction) {
            const ms = performance.now() - arrival;
            prediction.latency_ms = Math.round(ms * 1000) / 1000;
            decoder.recordCompute(ms);
            send(prediction);
          }
          break;
        }
        case 'error':
          serverError(msg);
          break;
        default:
          break; // status answers and anything newer: not ours
      }
      if (decoder.fatal) fatal(decoder.fatal);
    };
    opened.stopQueueing();
    for (const [data, isBinary] of opened.early.splice(0)) onMessage(data, isBinary);
    ws.on('message', onMessage);
    // Fit results arrive outside message handling: check for a failed fit between packets too.
    const poll = setInterval(() => decoder.fatal && !finished && fatal(decoder.fatal), 250);
    ws.on('error', (e) => err(`connection error: ${e.message}`));
    ws.on('close', (code, reasonBuf) => {
      clearInterval(poll);
      const reason = reasonBuf.toString();
      if (stopping()) {
        out(`closed (${code}${reason ? ` ${reason}` : ''})`);
        return finish(0);
      }
      if (finished) return;
      err(`the server closed the connection: ${code} (${CLOSE_NAMES[code] ?? 'unknown'})${reason ? `: ${reason}` : ''}`);
      finish(1);
    });
  });
}
