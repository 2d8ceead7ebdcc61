import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FREQUENCY_HZ } from '../shared/bins.ts';
import { CloseCode, STREAM_PATHS } from '../shared/wire.ts';
import { LOG_LEVELS, isLogLevel, setLogLevel } from './common/log.ts';
import { DatasetError } from './dataset/errors.ts';
import { Engine } from './playback/engine.ts';
import { RecordingRefusal } from './recorder/errors.ts';
import { ListenError, startServer } from './server.ts';
import { openStudioWindow } from './studio/openStudioWindow.ts';
import { StudioService } from './studio/studioService.ts';
import { parseRedisConfig, type RedisConfig } from '../shared/redisConfig.ts';
import { EXPORT_FORMATS, isExportFormat, type ExportFormat, type RedisStatus } from '../shared/studioApi.ts';

const USAGE = `PhantomLink Studio — replays a neural recording as a live 40 Hz stream.

Usage:
  phantomlink serve [--dataset FILE.nwb] [--host H] [--port P] [--preset default|full]
                    [--redis redis://[:PASS@]HOST:PORT[/DB] [--redis-sessions CODES|all] [--redis-prefix P]
                     [--redis-decoder STREAM[:NAME[:axes]]]…]
                    [--record DIR | --recordings DIR]
  phantomlink decoder [--url ws://HOST:PORT/stream/binary/CODE] [--session CODE] [--train-s 120] …
                    the reference decoder: learns velocity from spikes, answers every packet
                    (phantomlink decoder --help for its options)
  phantomlink export RECORDING [--format nwb|csv] [--out PATH]
                    a recording folder to NWB (default: RECORDING/<name>.nwb) or to CSV
                    files (default: RECORDING/csv/); says what it could not include

Options:
  --dataset FILE   NWB file with a Units table (default: the built-in synthetic MC_Maze-like recording)
  --preset NAME    built-in recording size when no --dataset: default (142 units) or full (182 units, ~90 min)
  --host H         address to listen on (default 127.0.0.1)
  --port P         port (default 8000; 0 picks a free one)
  --token T        access token clients must present (?token= or Authorization: Bearer);
                   required off loopback: generated and printed when not given
  --record DIR     record every session (those playing and every one created later) into DIR,
                   one folder per session run; unfinished recordings there are closed at start
  --recordings DIR where recordings started from REST or the studio go
                   (default ~/PhantomLink/recordings)
  --log-level L    structured JSON logs on stderr: silent, error, warn, info (default), debug
  --redis URL      also publish to Redis Streams in BRAND's conventions (binned_spikes …);
                   an absent Redis is retried with backoff, WebSocket streaming goes on
  --redis-sessions sessions to publish: codes separated by commas, or all (default: brand)
  --redis-prefix P put P before every stream name (one session: BRAND's names; several: CODE:name)
  --redis-decoder  a decoder's output stream to score: STREAM[:NAME[:axes]], e.g.
                   wiener_filter:wiener:vx,vy (float32 samples per axis, i_in); repeatable
  --open           also open the studio in a Chromium/Chrome app window (or print its URL)
  -h, --help       show this help
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`phantomlink: ${message}\n`);
  process.exit(code);
}

async function serve(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dataset: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8000' },
        preset: { type: 'string', default: 'default' },
        open: { type: 'boolean', default: false },
        token: { type: 'string' },
        record: { type: 'string' },
        recordings: { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        redis: { type: 'string' },
        'redis-sessions': { type: 'string' },
        'redis-prefix': { type: 'string' },
        'redis-decoder': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port!) || port > 65535) fail(`--port must be an integer 0–65535 (got ${values.port})`, 2);
  if (values.preset !== 'default' && values.preset !== 'full') fail(`--preset must be default or full (got ${values.preset})`, 2);
  if (values.record !== undefined && values.recordings !== undefined && resolve(values.record) !== resolve(values.recordings)) {
    fail('give --record DIR (record every session into DIR) or --recordings DIR (where recordings go), not both', 2);
  }
  for (const opt of ['record', 'recordings'] as const) {
    const v = values[opt];
    if (v !== undefined && (v.trim() === '' || v.includes('\0'))) fail(`--${opt} needs a folder path`, 2);
  }
  const level = values['log-level'];
  if (!isLogLevel(level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got ${level})`, 2);
  setLogLevel(level);
  const redis = redisOptions(values);

  const t0 = performance.now();
  let lastStage = '';
  let engine: Engine;
  try {
    engine = await Engine.start({
      datasetPath: values.dataset,
      preset: values.preset,
      onProgress: (stage) => {
        if (stage !== lastStage) process.stderr.write(`  ${stage}…\n`);
        lastStage = stage;
      },
    });
  } catch (err) {
    if (err instanceof DatasetError) fail(err.message);
    throw err;
  }
  let server;
  try {
    server = await startServer(engine, {
      host: values.host,
      port,
      token: values.token,
      redis,
      recordings: { root: values.record ?? values.recordings, recordAll: values.record !== undefined },
    });
  } catch (err) {
    engine.close();
    if (err instanceof ListenError || err instanceof RecordingRefusal) fail(err.message);
    throw err;
  }
  server.attachStudio(new StudioService(engine, server));

  // Before anything is printed: whoever reads "Press Ctrl+C" (a person, a supervisor, a test) may
  // signal at once, and until a listener exists Node leaves SIGINT/SIGTERM to the kernel's default,
  // which kills the process without closing a single client.
  const shutdown = (signal: string) => {
    process.stderr.write(`\n${signal}: closing ${server.metrics.clientCount()} client(s) with ${CloseCode.GoingAway} and shutting down…\n`);
    void server.close('server shutting down').then(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  const ds = engine.dataset;
  const tokenQuery = server.token ? `?token=${encodeURIComponent(server.token)}` : '';
  process.stdout.write(
    [
      `PhantomLink Studio serving ${ds.provenance.synthetic ? 'the built-in SYNTHETIC recording' : ds.provenance.name}`,
      `  file:     ${ds.provenance.path}`,
      `  dataset:  ${ds.numUnits} units · ${ds.trials.length} trials · ${ds.durationSeconds.toFixed(1)} s · ${ds.numBins} packets at ${FREQUENCY_HZ} Hz`,
      `  ready in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
      '',
      `  JSON stream:    ${server.wsUrl(STREAM_PATHS.json)}`,
      `  binary stream:  ${server.wsUrl(STREAM_PATHS.binary)}      (MessagePack)`,
      `  e.g.            ${server.wsUrl('/stream/binary/my-session')}${tokenQuery ? '&' : '?'}target_id=0`,
      `  REST API:       ${server.url}/  ·  metrics ${server.url}/metrics`,
      `  studio (browser): ${server.url}/studio/${tokenQuery}`,
      ...redisLines(server.redis.status()),
      `  recordings:     ${server.recordings.root}${values.record !== undefined ? '   (recording every session)' : ''}`,
      ...remoteLines(values.host!, server.port, server.token),
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  if (values.open) process.stdout.write(`${openStudioWindow(`${server.url}/studio/`)}\n`);

}

const EXPORT_USAGE = `Usage: phantomlink export RECORDING [--format nwb|csv] [--out PATH]

  RECORDING        a recording folder (manifest.json and its JSONL logs)
  --format F       nwb (default): one NWB file with the streamed bins, every decoder's
                   predictions and truth, events and scores; csv: one CSV per decoder + events.csv
  --out PATH       the NWB file, or the CSV folder (default: inside RECORDING)
  --json           for programs: progress as JSON lines on stderr, the result (or
                   {"error": …}) as one JSON object on stdout
  -h, --help       show this help

Exit codes: 0 exported (what could not be included is listed), 1 not exported, 2 bad usage.
`;

async function exportCommand(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { format: { type: 'string', default: 'nwb' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${EXPORT_USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(EXPORT_USAGE);
    return;
  }
  if (positionals.length !== 1) fail(`export takes one recording folder (got ${positionals.length})\n\n${EXPORT_USAGE}`, 2);
  const format = values.format;
  if (!isExportFormat(format)) fail(`--format must be ${EXPORT_FORMATS.join(' or ')} (got ${format})`, 2);
  const { exportRecording } = await import('./recorder/exportRecording.ts');
  if (values.json) return exportForPrograms(exportRecording, positionals[0], format, values.out);
  const tty = process.stderr.isTTY;
  let shown = '';
  const t0 = performance.now();
  try {
    const r = await exportRecording(positionals[0], {
      format,
      out: values.out,
      onProgress: ({ stage, fraction }) => {
        // A live line on a terminal; a line per stage and per 10 % in a log.
        const line = `  ${stage} ${Math.floor(fraction * 100)} %`;
        const key = tty ? line : `${stage} ${Math.floor(fraction * 10)}`;
        if (key === shown) return;
        shown = key;
        process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    const predictions = r.decoders.reduce((n, d) => n + d.predictions, 0);
    process.stdout.write(
      [
        `exported ${r.format.toUpperCase()} to ${r.path} in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
        `  ${r.packets} packets · ${predictions} predictions from ${r.decoders.length} decoder(s) · ${r.events} events`,
        ...(r.omitted.length ? ['  left out:', ...r.omitted.map((o) => `  - ${o}`)] : []),
        '',
      ].join('\n'),
    );
  } catch (err) {
    if (tty) process.stderr.write('\n');
    fail(`export failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

/** `export --json`: what the studio's and REST's export jobs run (recorder/exportJobs.ts). */
async function exportForPrograms(run: typeof import('./recorder/exportRecording.ts').exportRecording, dir: string, format: ExportFormat, out: string | undefined): Promise<void> {
  let last = -1;
  try {
    const result = await run(dir, {
      format,
      out,
      onProgress: ({ stage, fraction }) => {
        const pct = Math.floor(fraction * 100);
        if (pct === last) return;
        last = pct;
        process.stderr.write(`${JSON.stringify({ stage, fraction })}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message.split('\n')[0] : String(err) })}\n`);
    process.exitCode = 1;
  }
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await serve(rest);
    break;
  case 'export':
    await exportCommand(rest);
    break;
  case 'decoder':
    process.exitCode = await (await import('../decoder/cli.ts')).runDecoderCli(rest);
    break;
  case undefined:
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(USAGE);
    break;
  default:
    fail(`unknown command "${command}"\n\n${USAGE}`, 2);
}

/** The --redis flags, checked by the same rules as the studio's Redis panel. */
function redisOptions(v: { redis?: string; 'redis-sessions'?: string; 'redis-prefix'?: string; 'redis-decoder'?: string[] }): RedisConfig | undefined {
  if (v.redis === undefined) {
    const stray = (['redis-sessions', 'redis-prefix', 'redis-decoder'] as const).find((k) => v[k] !== undefined);
    if (stray) fail(`--${stray} needs --redis URL`, 2);
    return undefined;
  }
  const c = parseRedisConfig({
    url: v.redis,
    ...(v['redis-sessions'] !== undefined && { sessions: v['redis-sessions'] }),
    ...(v['redis-prefix'] !== undefined && { prefix: v['redis-prefix'] }),
    ...(v['redis-decoder'] && { decoders: v['redis-decoder'] }),
  });
  if ('problem' in c) fail(`--redis: ${c.problem}`, 2);
  return c;
}

function redisLines(st: RedisStatus): string[] {
  if (!st.config) return [];
  const streams = st.sessions.map((s) => `${s.code}: ${s.streams[0]} …`).join(', ') || 'sessions as they are created';
  return [
    `  Redis:          ${st.url} (${st.state}) publishing ${streams}; status ${'GET /api/redis'}`,
    ...st.config.decoders.map((d) => `  scoring:        Redis stream ${d.stream} as "${d.name}" (${d.axes.join(', ')})`),
  ];
}

/** Off loopback: the token, and the addresses other machines can use. */
function remoteLines(host: string, port: number, token: string | null): string[] {
  if (!token) return [];
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
  return [
    '',
    `  REMOTE ACCESS on ${host}: every client must present the token`,
    `  token:          ${token}`,
    ...addresses.map((a) => `  from another machine: ws://${a}:${port}/stream/binary/my-session?token=${encodeURIComponent(token)}`),
  ];
}
