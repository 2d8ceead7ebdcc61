/**
 * The reference decoder's logic, apart from the socket: metadata and data packets in,
 * predictions and progress lines out.
 *
 *   waiting ─metadata→ training ─(train-s of recording)→ fitting ─(model)→ predicting
 *                         ↑                                                   │
 *                         └────────── new metadata for another dataset ───────┘
 *
 * Training: for the first `trainSeconds` of recording after the metadata (counted in packets by
 * sequence number, train-s × 1000 / bin_size_ms of them, so at 10× it trains ten times faster in
 * wall time), every packet whose `history`-bin window is complete and whose vx, vy are finite is a
 * sample. Then a ridge fit (train.ts) runs off the socket's thread; packets that arrive meanwhile
 * are not answered. Predicting: every data packet is answered with vx, vy.
 *
 * Sequence gaps: the missing bins are unknown; a training window containing one is not used, and
 * a prediction uses the training mean of the missing bins' counts in their place.
 * Dataset swap (a new `metadata` with another dataset or channel count): the model means nothing
 * for other units, so the decoder drops it and retrains from scratch; packets are not answered
 * until the new model is ready. A metadata for the same dataset keeps the model.
 */
import type { DataPacket, MetadataMessage, PredictionMessage } from '../shared/wire.ts';
import { SampleSet, SpikeHistory } from './features.ts';
import type { FitJob } from './fitWorker.ts';
import { predictSparse, type RidgeModel } from './ridge.ts';
import { percentile, RunningR2, WindowR2, type R2 } from './score.ts';
import type { TrainOptions, TrainReport } from './train.ts';
import { DEFAULT_ALPHAS } from './train.ts';

export interface DecoderConfig {
  trainSeconds: number;
  history: number;
  /** λ = α·n; null: chosen by validation from DEFAULT_ALPHAS. */
  alpha: number | null;
  /** The "last N s" score window, seconds of recording. */
  windowSeconds: number;
}

export type Fitter = (samples: ReturnType<SampleSet['pack']>, options: TrainOptions) => FitJob;

/** The targets, in prediction order. */
const TARGETS = ['vx', 'vy'] as const;
const Q = TARGETS.length;
/** Fewer samples with truth than this when the training window ends: keep collecting. */
export const MIN_TRAINING_SAMPLES = 100;

type State = 'waiting' | 'training' | 'fitting' | 'predicting';

interface Dataset {
  key: string;
  name: string;
  channels: number;
  binMs: number;
  blind: boolean;
}

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const r2Text = (r: R2) => `vx ${fmt(r.axes[0])} vy ${fmt(r.axes[1])} combined ${fmt(r.combined)}`;

export class ReferenceDecoder {
  state: State = 'waiting';
  /** Set when the decoder cannot go on (the caller exits 1 with it). */
  fatal: string | null = null;

  private dataset: Dataset | null = null;
  private history: SpikeHistory | null = null;
  private row: ReturnType<SpikeHistory['newRow']> | null = null;
  private samples: SampleSet | null = null;
  private trainBins = 0;
  private trainStartSeq = -1;
  private truthlessInTraining = 0;
  private fitJob: FitJob | null = null;
  private generation = 0;

  private model: RidgeModel | null = null;
  /** Per lag, the contribution of a bin of mean counts (stands in for a missing bin). */
  private lagMean: Float64Array[] = [];
  private readonly out = new Float64Array(Q);
  private readonly truth = new Float64Array(Q);

  private lastSeq: number | null = null;
  gaps = 0;
  missedBins = 0;
  received = 0;
  answered = 0;
  private unanswerable = 0;
  private score = new RunningR2(Q);
  private window: WindowR2 = new WindowR2(Q, 1200);
  private scoredSinceReport = 0;
  private answeredSinceReport = 0;
  private computeMs: number[] = [];

  constructor(
    readonly config: DecoderConfig,
    private readonly fit: Fitter,
    /** Progress lines for a person (stdout). */
    private readonly say: (line: string) => void,
  ) {}

  onMetadata(meta: MetadataMessage): void {
    const data = meta.data ?? meta;
    const channels = Number(data.num_channels);
    const binMs = Number(data.bin_size_ms) > 0 ? Number(data.bin_size_ms) : 25;
    const provenance = data.dataset;
    const next: Dataset = {
      key: `${provenance?.path ?? '?'}|${channels}|${(data.unit_ids ?? []).join(',')}`,
      name: provenance ? `${provenance.name}${provenance.synthetic ? ' (synthetic)' : ''}` : 'unnamed dataset',
      channels,
      binMs,
      blind: data.blind === true,
    };
    if (!Number.isInteger(channels) || channels < 1) {
      this.fatal = `the metadata says num_channels = ${JSON.stringify(data.num_channels)}: cannot decode that`;
      return;
    }
    const previous = this.dataset;
    this.dataset = next;
    if (previous && previous.key === next.key) {
      if (next.blind && !previous.blind) this.say('the session is now blind: packets carry no kinematics, so I keep predicting but cannot score myself');
      else this.say(`new metadata for the same dataset (${channels} channels): keeping ${this.model ? 'the model' : 'on training'}`);
      return;
    }
    this.say(
      previous
        ? `dataset changed: ${next.name}, ${channels} channels (was ${previous.name}, ${previous.channels}): dropping the model and retraining from scratch`
        : `metadata: ${next.name}, ${channels} channels, ${binMs} ms bins (${(1000 / binMs).toFixed(0)} Hz), session speed ${data.speed ?? '?'}×${next.blind ? ', BLIND' : ''}`,
    );
    if (next.blind) {
      this.fatal = 'the session is blind (its packets carry no kinematics): there is nothing to train on. Train on a session with truth.';
      return;
    }
    this.startTraining();
  }

  private startTraining(): void {
    const ds = this.dataset!;
    this.fitJob?.cancel();
    this.fitJob = null;
    this.generation++;
    this.model = null;
    this.history = new SpikeHistory(ds.channels, this.config.history);
    this.row = this.history.newRow();
    this.samples = new SampleSet(this.history.features, Q);
    this.trainBins = Math.max(1, Math.round((this.config.trainSeconds * 1000) / ds.binMs));
    this.trainStartSeq = -1;
    this.truthlessInTraining = 0;
    this.window = new WindowR2(Q, Math.max(1, Math.round((this.config.windowSeconds * 1000) / ds.binMs)));
    this.score = new RunningR2(Q);
    this.state = 'training';
    this.say(
      `training: collecting ${this.trainBins} bins (${this.config.trainSeconds} s of recording) of spike history ` +
        `(${this.config.history} bins × ${ds.channels} channels + bias = ${this.history.features + 1} features) → (vx, vy)`,
    );
  }

  /** A data packet: returns the prediction to send back, or null (not trained yet). */
  onPacket(pkt: DataPacket): PredictionMessage | null {
    this.received++;
    const history = this.history;
    if (!history || this.state === 'waiting') return null;
    const seq = pkt.sequence_number;
    if (this.lastSeq !== null) {
      if (seq > this.lastSeq + 1) {
        this.gaps++;
        this.missedBins += seq - this.lastSeq - 1;
        history.skip(seq - this.lastSeq - 1);
      } else if (seq <= this.lastSeq) {
        history.reset(); // another timeline: the window is meaningless
      }
    }
    this.lastSeq = seq;
    const counts = pkt.spikes?.spike_counts;
    if (!counts || counts.length !== history.channels) {
      history.skip(1);
      this.unanswerable++;
      if (this.unanswerable === 1) this.say(`packet ${seq} has ${counts?.length ?? 'no'} spike counts, the metadata said ${history.channels}: not answered`);
      return null;
    }
    history.push(counts);
    const k = pkt.kinematics;
    const hasTruth = !!k && Number.isFinite(k.vx) && Number.isFinite(k.vy);
    if (hasTruth) {
      this.truth[0] = k.vx as number;
      this.truth[1] = k.vy as number;
    }

    if (this.state === 'training') {
      this.collect(seq, hasTruth);
      return null;
    }
    if (this.state !== 'predicting' || !this.model) return null;

    const row = history.window(this.row!);
    const out = predictSparse(this.model, row, this.out);
    for (const lag of history.missingLags()) {
      const m = this.lagMean[lag];
      for (let q = 0; q < Q; q++) out[q] += m[q];
    }
    this.answered++;
    this.answeredSinceReport++;
    if (hasTruth) {
      this.score.add(this.truth, out);
      this.window.add(this.truth, out);
      this.scoredSinceReport++;
    }
    return { type: 'prediction', sequence_number: seq, vx: out[0], vy: out[1] };
  }

  /** The compute time of an answered packet (ms), for the p50/p99 in the reports. */
  recordCompute(ms: number): void {
    this.computeMs.push(ms);
    if (this.computeMs.length > 4096) this.computeMs.splice(0, 2048);
  }

  private collect(seq: number, hasTruth: boolean): void {
    const history = this.history!;
    const samples = this.samples!;
    if (this.trainStartSeq < 0) this.trainStartSeq = seq;
    if (history.complete && hasTruth) samples.push(history.window(this.row!), this.truth);
    else if (!hasTruth) this.truthlessInTraining++;
    const span = seq - this.trainStartSeq + 1;
    if (span < this.trainBins) return;
    if (samples.n < MIN_TRAINING_SAMPLES) {
      // Report once per training length, not per packet.
      if ((span - this.trainBins) % this.trainBins === 0) {
        const hint = samples.n < span / 2 ? ' (most bins have no kinematics: does this dataset have behaviour?)' : '';
        this.say(`only ${samples.n} usable bins in ${span} (need ${MIN_TRAINING_SAMPLES}): still collecting…${hint}`);
      }
      return;
    }
    this.startFit(span);
  }

  private startFit(span: number): void {
    const samples = this.samples!.pack();
    this.state = 'fitting';
    const alphas = this.config.alpha === null ? DEFAULT_ALPHAS : [this.config.alpha];
    this.say(
      `training window done: ${span} bins, ${samples.n} samples (${this.truthlessInTraining} bins without kinematics, ${this.missedBins} missed); ` +
        `fitting ridge regression${alphas.length > 1 ? `, choosing λ = α·n from α ∈ {${alphas.join(', ')}} on the last 20 %` : ` with λ = ${alphas[0]}·n`}…`,
    );
    const generation = this.generation;
    const job = this.fit(samples, { alphas });
    this.fitJob = job;
    job.done.then(
      ({ report, where, note }) => {
        if (generation !== this.generation) return;
        if (note) this.say(note);
        this.useModel(report, where);
      },
      (err: Error) => {
        if (generation !== this.generation) return;
        this.fatal = `the ridge fit failed: ${err.message}`;
      },
    );
  }

  private useModel(report: TrainReport, where: string): void {
    const model = report.model;
    const C = this.history!.channels;
    this.lagMean = Array.from({ length: this.config.history }, (_, j) => {
      const m = new Float64Array(Q);
      for (let c = 0; c < C; c++) {
        const i = j * C + c;
        for (let q = 0; q < Q; q++) m[q] += model.mean[i] * model.weights[i * Q + q];
      }
      return m;
    });
    this.model = model;
    this.fitJob = null;
    this.samples = null;
    this.state = 'predicting';
    const val = report.validation.length
      ? ` (validation R² ${report.validation.map((v) => `α=${v.alpha}: ${fmt(v.r2)}`).join(', ')})`
      : this.config.alpha === null
        ? ' (too few bins to hold out a validation part: the default α)'
        : ' (as given)';
    this.say(
      `trained on ${report.samples} bins in ${(report.fitMs / 1000).toFixed(2)} s (${where}): λ = ${report.alpha}·n = ${fmt(model.lambda, 1)}${val}; ` +
        `in-sample R² ${r2Text(report.inSample)}`,
    );
    this.say('predicting: answering every data packet with vx, vy');
  }

  /** A periodic progress line (every few seconds), or null when there is nothing new. */
  report(): string | null {
    switch (this.state) {
      case 'waiting':
        return null;
      case 'training': {
        if (this.trainStartSeq < 0 || this.lastSeq === null) return null;
        const span = Math.min(this.trainBins, this.lastSeq - this.trainStartSeq + 1);
        return `training ${span}/${this.trainBins} bins… (${this.samples!.n} samples with kinematics)`;
      }
      case 'fitting':
        return 'fitting…';
      case 'predicting': {
        const answered = this.answeredSinceReport;
        const scored = this.scoredSinceReport;
        this.answeredSinceReport = 0;
        this.scoredSinceReport = 0;
        if (answered === 0) return null;
        const compute = `compute p50 ${fmt(percentile(this.computeMs, 50))} ms p99 ${fmt(percentile(this.computeMs, 99))} ms`;
        const gaps = `${this.gaps} gaps (${this.missedBins} bins missed)`;
        if (scored === 0) {
          return `answered ${this.answered} · cannot score myself: the packets carry no kinematics (blind session?) · ${compute} · ${gaps}`;
        }
        const total = this.score.result();
        const win = this.window.result();
        return (
          `score: ${this.answered} answered · R² ${r2Text(total)} over ${total.n} bins since training · ` +
          `last ${this.config.windowSeconds} s ${fmt(win.combined)} · ${compute} · ${gaps}`
        );
      }
    }
  }

  /** The closing line. */
  summary(): string {
    if (!this.model) return `stopped before the model was ready (${this.state}; ${this.received} packets received)`;
    const total = this.score.result();
    return total.n
      ? `answered ${this.answered} packets; R² ${r2Text(total)} over ${total.n} bins; ${this.gaps} gaps`
      : `answered ${this.answered} packets; no kinematics to score against; ${this.gaps} gaps`;
  }

  stop(): void {
    this.fitJob?.cancel();
    this.fitJob = null;
    this.generation++;
  }
}
