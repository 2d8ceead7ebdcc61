#!/usr/bin/env node
// PhantomLink Node client: MessagePack stream, one line per packet, a summary at the end.
//
//   node examples/node_client.mjs [URL] [N]
//
//   URL  binary stream URL (default ws://127.0.0.1:8000/stream/binary/node-demo);
//        a bare server address such as ws://127.0.0.1:8000 gets /stream/binary/node-demo
//        appended, and filters go in the query: …/stream/binary/demo?target_id=3
//   N    packets to print before disconnecting (default 100)
//
// Needs `ws` and `@msgpack/msgpack` (npm install ws @msgpack/msgpack); inside the
// PhantomLink repo both are already installed. Start the server first:
//   node bin/phantomlink.mjs serve --port 8000
import { decode } from '@msgpack/msgpack';
import WebSocket from 'ws';

const DEFAULT_URL = 'ws://127.0.0.1:8000/stream/binary/node-demo';
const NO_DATA_TIMEOUT_MS = 10_000;

/** Exit codes: 0 done, 1 the server refused/closed/is unreachable, 2 bad arguments. */
function die(message, code = 1) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  let url = DEFAULT_URL;
  let count = 100;
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: node examples/node_client.mjs [URL] [N]\n');
      process.exit(0);
    } else if (/^\d+$/.test(arg)) count = Number(arg);
    else if (/^(wss?|https?):\/\//.test(arg)) url = arg;
    else die(`unexpected argument ${JSON.stringify(arg)}: usage: node examples/node_client.mjs [ws://HOST:PORT/stream/binary/CODE] [N]`, 2);
  }
  if (!Number.isSafeInteger(count) || count < 1) die('N must be a positive integer', 2);
  const u = new URL(url.replace(/^http/, 'ws'));
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/stream/binary/node-demo';
  if (!u.pathname.startsWith('/stream/binary/')) {
    process.stderr.write(`warning: ${u.pathname} is not a /stream/binary/{code} path; this client expects MessagePack\n`);
  }
  return { url: u.toString(), count };
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '—' : typeof v === 'number' ? v.toFixed(digits) : String(v));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

const { url, count } = parseArgs(process.argv.slice(2));
console.log(`connecting to ${url} (stopping after ${count} packets)`);

const ws = new WebSocket(url);
ws.binaryType = 'nodebuffer';

let received = 0;
let firstAt = 0;
let lastAt = 0;
let lastSeq = null;
let gaps = 0;
let missing = 0;
let finished = false;
let interrupted = false;
let serverError = null;
let watchdog = null;

function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    process.stderr.write(`error: no packet for ${NO_DATA_TIMEOUT_MS / 1000} s (is the session paused?)\n`);
    summary();
    ws.terminate();
    process.exit(1);
  }, NO_DATA_TIMEOUT_MS);
}

function summary() {
  const elapsed = (lastAt - firstAt) / 1000;
  const rate = received > 1 && elapsed > 0 ? (received - 1) / elapsed : NaN;
  console.log(
    `summary: ${received} packets in ${elapsed.toFixed(2)} s · rate ${Number.isNaN(rate) ? '—' : rate.toFixed(1)} packets/s · ` +
      `sequence gaps ${gaps} (${missing} packets missing)`,
  );
}

ws.on('open', armWatchdog);

ws.on('message', (data, isBinary) => {
  let msg;
  try {
    msg = isBinary ? decode(data) : JSON.parse(data.toString('utf8'));
  } catch (err) {
    process.stderr.write(`warning: undecodable message (${data.length} bytes): ${err.message}\n`);
    return;
  }
  if (msg === null || typeof msg !== 'object') return;
  switch (msg.type) {
    case 'metadata': {
      const d = msg.data ?? msg;
      const f = d.filters ?? {};
      const filters = Object.entries(f).filter(([, v]) => v !== null && v !== undefined);
      console.log(
        `metadata: session ${msg.session?.code} · ${d.num_channels} channels · ${d.frequency_hz} Hz · ` +
          `${d.duration_seconds} s · ${d.total_packets} packets` +
          (d.num_trials !== undefined ? ` · ${d.num_trials} trials · ${d.num_targets} targets` : '') +
          (filters.length ? ` · filters ${filters.map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
      );
      if (d.dataset) console.log(`dataset:  ${d.dataset.name}${d.dataset.synthetic ? ' (SYNTHETIC)' : ''}`);
      return;
    }
    case 'error':
      // The server explains a refusal in an error message, then closes with a 4xxx code.
      serverError = msg;
      process.stderr.write(`server error [${msg.code}]: ${msg.message}\n`);
      return;
    case 'status':
      console.log(`status: ${msg.state} at ${fmt(msg.position_s, 2)} s, speed ${msg.speed}×`);
      return;
    default:
      break; // data packets ('data', or untyped from older servers)
  }
  if (finished || typeof msg.sequence_number !== 'number') return;
  const now = performance.now();
  if (received === 0) firstAt = now;
  lastAt = now;
  received++;
  if (lastSeq !== null && msg.sequence_number !== lastSeq + 1) {
    gaps++;
    missing += Math.max(0, msg.sequence_number - lastSeq - 1);
  }
  lastSeq = msg.sequence_number;
  const k = msg.kinematics ?? {};
  console.log(
    `seq ${msg.sequence_number} · trial ${fmt(msg.trial_id, 0)} · target ${fmt(msg.intention?.target_id, 0)} · ` +
      `spikes ${sum(msg.spikes?.spike_counts ?? [])} · x ${fmt(k.x)} y ${fmt(k.y)}`,
  );
  armWatchdog();
  if (received >= count) {
    finished = true;
    clearTimeout(watchdog);
    summary();
    ws.close(1000, 'done');
  }
});

ws.on('unexpected-response', (_req, res) => {
  // The server answered the upgrade with plain HTTP (e.g. 404 for a path that is not a stream).
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c) => (body += c));
  res.on('end', () => {
    let detail = body.trim();
    try {
      detail = JSON.parse(body).error?.message ?? detail;
    } catch {
      /* not JSON */
    }
    die(`${url} answered HTTP ${res.statusCode} instead of a WebSocket: ${detail || res.statusMessage}`);
  });
});

ws.on('error', (err) => {
  if (err.code === 'ECONNREFUSED') {
    die(`cannot connect to ${url}: connection refused (is the PhantomLink server running? start it with: node bin/phantomlink.mjs serve --port 8000)`);
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') die(`cannot resolve the host of ${url}`);
  die(`WebSocket error on ${url}: ${err.message}`);
});

ws.on('close', (code, reasonBuf) => {
  clearTimeout(watchdog);
  const reason = reasonBuf.toString('utf8');
  if (finished) process.exit(interrupted ? 130 : 0);
  // Closed before we asked: say why, in the server's words.
  const meaning =
    {
      1001: 'server shutting down',
      1006: 'connection lost without a close frame',
      1011: 'server error',
      4000: 'invalid request',
      4404: 'not found',
      4408: 'client too slow',
      4409: 'filter conflict',
      4410: 'session deleted',
      4429: 'session limit reached',
    }[code] ?? 'closed';
  if (received > 0) summary();
  const why = reason || serverError?.message || '(no reason given)';
  die(`server closed the connection: ${code} ${meaning}: ${why}`);
});

process.on('SIGINT', () => {
  finished = true;
  interrupted = true;
  summary();
  ws.close(1000, 'interrupted');
  setTimeout(() => process.exit(130), 500).unref();
});
