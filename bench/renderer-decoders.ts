/**
 * The answering decoders of bench/renderer.ts (`--decoders N`), run as a separate process
 * (spawned with an IPC channel; not meant to be run by hand). Each is a real decoder client as a
 * user writes one: it connects to the session's JSON stream with `?decoder=NAME` and answers
 * every data packet with `{"type":"prediction","sequence_number":N,…}`, made up from the packet's
 * own kinematics (the truth plus noise, some late, in the units of the stream) so the studio has
 * something plausible to overlay. Eight kinds, in this order (N takes the first N):
 *
 *   ridge-v   vx, vy only (the studio integrates its cursor): 0.9 × truth + white noise
 *   kalman    x, y, vx, vy: truth + smooth noise
 *   wiener    x, y, vx, vy: truth 3 bins (75 ms) late + white noise
 *   lstm      x, y, vx, vy: 0.95 × truth + smooth noise
 *   gru       x, y, vx, vy: truth + larger white noise
 *   tcn       x, y, vx, vy: 0.8 × truth 2 bins late + smooth noise
 *   ndt       x, y, vx, vy: truth + small white noise
 *   mlp-xy    x, y only: truth + smooth noise
 *
 * so 8 decoders put 14 decoded traces on the velocity chart and 14 on the position chart.
 * Noise is deterministic (mulberry32, seeded per decoder): runs draw the same pictures.
 *
 * Protocol with the parent (process.send / 'message'):
 *   child  → { type: 'ready', names }            every decoder's socket is open
 *   parent → { type: 'stop' }
 *   child  → { type: 'done', answered: number[], packets: number[], errors: string[] }
 *
 *   argv: --url ws://host:port --session CODE --decoders N
 */
import WebSocket from 'ws';
import { arg } from './lib.ts';

type Kin = { x: number | null; y: number | null; vx: number | null; vy: number | null };
type Axis = keyof Kin;

interface Kind {
  name: string;
  axes: readonly Axis[];
  /** Gain on the truth. */
  gain: number;
  /** Bins late. */
  lag: number;
  /** Noise amplitude: mm for positions, mm/s for velocities. */
  posNoise: number;
  velNoise: number;
  /** AR(1) coefficient of the noise (0: white). */
  smooth: number;
}

const ALL: readonly Axis[] = ['x', 'y', 'vx', 'vy'];
const KINDS: readonly Kind[] = [
  { name: 'ridge-v', axes: ['vx', 'vy'], gain: 0.9, lag: 0, posNoise: 0, velNoise: 25, smooth: 0 },
  { name: 'kalman', axes: ALL, gain: 1, lag: 0, posNoise: 6, velNoise: 30, smooth: 0.85 },
  { name: 'wiener', axes: ALL, gain: 1, lag: 3, posNoise: 5, velNoise: 40, smooth: 0 },
  { name: 'lstm', axes: ALL, gain: 0.95, lag: 0, posNoise: 8, velNoise: 35, smooth: 0.9 },
  { name: 'gru', axes: ALL, gain: 1, lag: 0, posNoise: 12, velNoise: 60, smooth: 0 },
  { name: 'tcn', axes: ALL, gain: 0.8, lag: 2, posNoise: 6, velNoise: 30, smooth: 0.8 },
  { name: 'ndt', axes: ALL, gain: 1, lag: 0, posNoise: 3, velNoise: 15, smooth: 0 },
  { name: 'mlp-xy', axes: ['x', 'y'], gain: 1, lag: 0, posNoise: 10, velNoise: 0, smooth: 0.9 },
];

/** mulberry32: uniform in [-0.5, 0.5). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

class Decoder {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  answered = 0;
  packets = 0;
  error: string | null = null;
  private readonly history: Kin[] = [];
  private readonly noise: number[] = [0, 0, 0, 0];
  private readonly rand: () => number;

  constructor(
    url: string,
    readonly kind: Kind,
    seed: number,
  ) {
    this.rand = uniform(seed);
    this.ws = new WebSocket(`${url}?decoder=${encodeURIComponent(kind.name)}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', (e) => (this.error ??= e.message));
    this.ws.on('close', (code, reason) => {
      if (code !== 1000 && code !== 1005) this.error ??= `closed ${code} ${String(reason)}`;
    });
    this.ws.on('message', (data) => this.onMessage(String(data)));
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text);
    if (m.type !== 'data') return;
    this.packets++;
    const k = this.kind;
    this.history.push(m.kinematics as Kin);
    if (this.history.length > 8) this.history.shift();
    const src = this.history[this.history.length - 1 - k.lag];
    if (!src) return;
    const out: Record<string, unknown> = { type: 'prediction', sequence_number: m.sequence_number };
    let any = false;
    for (let a = 0; a < ALL.length; a++) {
      const axis = ALL[a];
      // Uniform in [-0.5, 0.5) has sd 0.29: × 3.46 gives sd 1, then the amplitude.
      const amp = a < 2 ? k.posNoise : k.velNoise;
      this.noise[a] = k.smooth * this.noise[a] + Math.sqrt(1 - k.smooth * k.smooth) * this.rand() * 3.46;
      if (!k.axes.includes(axis)) continue;
      const v = src[axis];
      if (v === null) {
        out[axis] = null;
        continue;
      }
      out[axis] = Math.round((v * k.gain + this.noise[a] * amp) * 1000) / 1000;
      any = true;
    }
    if (!any) return;
    this.ws.send(JSON.stringify(out));
    this.answered++;
  }
}

async function main(): Promise<void> {
  const url = arg('url')!;
  const session = arg('session')!;
  const n = Math.min(KINDS.length, Number(arg('decoders') ?? KINDS.length));
  const decoders = KINDS.slice(0, n).map((kind, i) => new Decoder(`${url}/stream/${session}`, kind, 1000 + i));
  await Promise.all(decoders.map((d) => d.opened));
  process.send!({ type: 'ready', names: decoders.map((d) => d.kind.name) });
  process.on('message', (msg: { type: string }) => {
    if (msg.type !== 'stop') return;
    for (const d of decoders) d.ws.close(1000, 'benchmark done');
    process.send!(
      { type: 'done', answered: decoders.map((d) => d.answered), packets: decoders.map((d) => d.packets), errors: decoders.flatMap((d) => (d.error ? [`${d.kind.name}: ${d.error}`] : [])) },
      () => process.exit(0),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (import.meta.filename === process.argv[1]) await main();
