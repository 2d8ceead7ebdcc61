/**
 * One start-up of the engine, timed; spawned fresh by bench/load.ts (one process per measurement).
 *
 *   node --import tsx bench/load-child.ts --preset default|full [--cache-dir DIR] [--bin-ms 5]
 *
 * Starts Engine (built-in recording, generated first if the cache dir does not have it) and the
 * server on a free port, connects one MessagePack client, and exits when the first data packet
 * arrives. Prints one line `LOAD_RESULT {json}` with the time of each stage since process start
 * (performance.now() counts from the process's time origin), the RSS at each stage, and the peak
 * RSS (process.resourceUsage().maxRSS).
 */
import WebSocket from 'ws';
import { Engine } from '../src/main/playback/engine.ts';
import { startServer } from '../src/main/server.ts';
import { decodeMsgpack } from '../src/shared/codecs.ts';
import { baseBytes } from '../src/main/dataset/baseBins.ts';

// Read argv by hand: this file is also bundled and run without tsx (see load.ts).
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

interface Mark {
  stage: string;
  at_ms: number;
  rss_mb: number;
}

const marks: Mark[] = [];
const mark = (stage: string) => marks.push({ stage, at_ms: performance.now(), rss_mb: process.memoryUsage.rss() / 2 ** 20 });

async function main(): Promise<void> {
  mark('script running (node + loader + imports)');
  const preset = (argOf('preset') ?? 'default') as 'default' | 'full';
  const cacheDir = argOf('cache-dir');
  // Engine.start's progress stages: 'preparing the built-in … recording' (before the cache
  // check / generation), 'open' (cache file ready), 'units' (h5wasm initialised, file open),
  // 'trials' (spike times read), 'behavior' (trials read), 'binning' (spikes in base bins,
  // behaviour read and summed in chunks), 'done' (trials binned).
  const names: Record<string, string> = {
    open: 'recording file ready (cache check, or generation)',
    units: 'h5wasm init + file opened',
    trials: 'spike times read (a base bin per spike)',
    behavior: 'trials read',
    binning: 'spikes → CSR; behaviour read + summed in chunks',
    done: 'trials binned',
  };
  const engine = await Engine.start({
    preset,
    cacheDir,
    onProgress: (stage) => {
      if (stage.startsWith('preparing')) mark('Engine.start called');
      else mark(names[stage] ?? stage);
    },
  });
  mark('engine ready (sessions)');
  const server = await startServer(engine, { port: 0 });
  mark('server listening');
  // A session at another bin width derives its bins (and its trials' bins) from the same base.
  const binMs = argOf('bin-ms');
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/stream/binary/load-bench${binMs ? `?bin_ms=${binMs}` : ''}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => mark('client connected'));
    ws.on('message', (data: Buffer) => {
      const msg = decodeMsgpack(data) as { type: string };
      if (msg.type === 'metadata') mark('metadata received');
      if (msg.type === 'data') {
        mark('first data packet received');
        resolve();
      }
    });
    ws.once('error', reject);
  });
  const ru = process.resourceUsage();
  const mem = process.memoryUsage();
  const result = {
    preset,
    marks,
    first_packet_ms: marks[marks.length - 1].at_ms,
    max_rss_mb: ru.maxRSS / 1024,
    memory_at_end_mb: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, Math.round((v / 2 ** 20) * 10) / 10])),
    dataset: {
      units: engine.dataset.numUnits,
      bins: engine.dataset.numBins,
      duration_s: engine.dataset.durationSeconds,
      // What the dataset holds for the whole session: the 5 ms base representation.
      base_mb: Math.round((baseBytes(engine.dataset.base) / 2 ** 20) * 10) / 10,
    },
    cpu_ms: { user: ru.userCPUTime / 1000, system: ru.systemCPUTime / 1000 },
  };
  process.stdout.write(`LOAD_RESULT ${JSON.stringify(result)}\n`);
  ws.terminate();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
