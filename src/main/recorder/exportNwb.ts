/**
 * A recording as one NWB file (h5wasm), readable by h5py/pynwb-era tools and by our own
 * loader, which replays it.
 *
 * Two clocks, both named in the file:
 * - bin time: the source recording's clock (a packet's `time_s`: bin k starts at k·bin_ms).
 *   Units, trials, behaviour, every prediction and truth series use it, so each prediction sits
 *   on the bin it answered and the file's own bins are the streamed bins.
 * - recording time: seconds since session_start_time (= manifest.started_at), our monotonic
 *   clock (`t_ms` / 1000). Events, packet send times and prediction arrivals use it.
 *
 * Layout:
 *   /general/notes, /general/data_collection   what was exported and left out; the manifest JSON
 *   /units                    spike times of the streamed bins (each distinct bin once), source ids
 *   /intervals/trials         the source's trials (active target as target_pos)
 *   /processing/behavior      cursor_pos (x, y) and hand_vel (vx, vy): the truth of each streamed
 *                             bin as scored, one sample mid-bin (so our loader bins it back exactly)
 *   /processing/stream/packets              every packet: sequence_number, source_bin, send_time…
 *   /processing/decoders/truth              truth (x, y, vx, vy) of every packet, at bin time
 *   /processing/decoders/<name>             a decoder's predictions (x, y, vx, vy), at bin time
 *   /processing/decoders/<name>_predictions the same rows: sequence_number, source_bin,
 *                             arrival_time, latency_ms, reported_latency_ms, outcome, evaluated, truth
 *   /intervals/events         control and state events (kind, position_s, detail JSON)
 *   /scratch/scores           the last score snapshot (JSON); /scratch/export_report (JSON)
 * Large datasets are chunked and written in pieces: memory does not grow with the recording.
 */
import { randomUUID } from 'node:crypto';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm/node';
import { binOf } from '../../shared/bins.ts';
import {
  AppendableDataset,
  columnAttrs,
  tableAttrs,
  withNwbFile,
  writeIds,
  writeNwbHeader,
} from '../dataset/nwbWriter.ts';
import { openNwb } from '../dataset/nwbReader.ts';
import { OUTCOMES, type PredictionRecord } from './format.ts';
import {
  binTime,
  MAX_DECODERS,
  skippedDecoders,
  predictedInto,
  Truth,
  wasEvaluated,
  type ProgressFn,
  type RecordingIndex,
} from './recordingIndex.ts';
import { describeLogProblems, type LogReadStats, type Recording } from './readRecording.ts';
import type { SourceDataset } from './sourceDataset.ts';

export interface NwbExportInput {
  rec: Recording;
  index: RecordingIndex;
  source: SourceDataset | null;
  /** Why the source could not be used (null when it was). */
  sourceProblem: string | null;
  /** What the export leaves out, for people; written into the file too. */
  omitted: string[];
  progress: ProgressFn;
}

export interface DecoderExport {
  name: string;
  /** The HDF5 group name under /processing/decoders (the name made safe). */
  group: string;
  predictions: number;
}

export interface NwbExportSummary {
  decoders: DecoderExport[];
  predictionsLog: LogReadStats;
  units: number;
  spikes: number;
  streamedBins: number;
}

const KIN_COLUMNS = 'x, y, vx, vy (mm, mm, mm/s, mm/s)';

export async function writeRecordingNwb(out: string, input: NwbExportInput): Promise<NwbExportSummary> {
  return withNwbFile(out, (file) => new RecordingNwbWriter(file, input).write());
}

class RecordingNwbWriter {
  private readonly m;
  private readonly truth: Truth;
  constructor(
    private readonly file: H5File,
    private readonly input: NwbExportInput,
  ) {
    this.m = input.rec.manifest;
    this.truth = new Truth(input.source, this.m.evaluate ?? 'all', input.index.rowsBeforeSwap);
  }

  async write(): Promise<NwbExportSummary> {
    const { index, source, progress } = this.input;
    const m = this.m;
    const general = writeNwbHeader(this.file, {
      identifier: `phantomlink-recording-${m.id ?? 'unnamed'}-${randomUUID()}`,
      sessionDescription: `PhantomLink recording of session ${m.session_code}: ${m.dataset.name} streamed in ${m.bin_ms} ms bins to ${m.decoders?.length ?? 0} decoder(s)`,
      sessionStartTime: m.started_at,
      notes: null, // written at the end, when what was left out is known
    });
    general.create_dataset({ name: 'data_collection', data: JSON.stringify(m) });
    general.create_dataset({ name: 'source_script', data: sourceReference(m, source) });

    let units = 0;
    let spikes = 0;
    let streamedBins = 0;
    if (source) {
      const streamed = this.streamedBins(source);
      streamedBins = streamed.count;
      progress({ stage: 'spike times of the streamed bins', fraction: 0.02 });
      ({ units, spikes } = await this.writeUnits(source, streamed.bins));
      progress({ stage: 'trials and behaviour', fraction: 0.1 });
      this.writeTrials(source);
      this.writeBehavior(source, streamed.bins, streamed.last);
    }
    progress({ stage: 'packets', fraction: 0.15 });
    const processing = this.file.get('processing') as H5Group;
    this.writePackets(processing);
    const decodersModule = module(processing, 'decoders', 'Each decoder’s predictions and the truth they were scored against, at bin time (the source recording’s clock)');
    this.writeTruthSeries(decodersModule);
    const { decoders, stats } = await this.writePredictions(decodersModule);
    this.input.omitted.push(...describeLogProblems({ ...index.stats, predictions: stats }));
    progress({ stage: 'events and scores', fraction: 0.97 });
    this.writeEvents();
    this.writeScratch(decoders);
    this.rewriteNotes(general);
    return { decoders, predictionsLog: stats, units, spikes, streamedBins };
  }

  /** Bins streamed (before any dataset swap), as a bitmap over the source's bins. */
  private streamedBins(source: SourceDataset): { bins: Uint8Array; count: number; last: number } {
    const { packets, rowsBeforeSwap } = this.input.index;
    const bins = new Uint8Array(source.stream.numBins);
    let count = 0;
    let last = -1;
    for (let row = 0; row < rowsBeforeSwap; row++) {
      const b = packets.bin(row);
      if (b < 0 || b >= bins.length || bins[b]) continue;
      bins[b] = 1;
      count++;
      if (b > last) last = b;
    }
    return { bins, count, last };
  }

  /** The source's spike times that fall in streamed bins, unit by unit, read and written in chunks. */
  private async writeUnits(source: SourceDataset, streamed: Uint8Array): Promise<{ units: number; spikes: number }> {
    const binUs = this.m.bin_ms * 1000;
    const g = this.file.create_group('units');
    tableAttrs(g, 'Units', 'core', `Spike times of the bins streamed (bin time), from ${source.dataset.provenance.name}; bins never streamed are empty`, ['spike_times']);
    writeIds(g, source.dataset.unitIds);
    const times = new AppendableDataset(g, 'spike_times', '<d');
    columnAttrs(times.dataset, 'the spike times for each unit in seconds');
    const nwb = await openNwb(source.path);
    const ends = new Float64Array(nwb.unitEnds.length);
    try {
      const srcEnds = nwb.unitEnds;
      let u = 0;
      nwb.readSpikeTimes((view, first) => {
        // A copy: the view is WASM memory, which our own writes below may grow (and detach it).
        const chunk = Float64Array.from(view);
        for (let j = 0; j < chunk.length; j++) {
          while (u < srcEnds.length && first + j >= srcEnds[u]) ends[u++] = times.rows;
          const b = binOf(chunk[j], binUs);
          if (b < streamed.length && streamed[b]) times.push(chunk[j]);
        }
      });
      while (u < srcEnds.length) ends[u++] = times.rows;
    } finally {
      nwb.close();
    }
    times.flush();
    const idx = g.create_dataset({ name: 'spike_times_index', data: Uint32Array.from(ends), dtype: '<I' });
    indexAttrs(idx, 'spike_times', times.dataset);
    return { units: ends.length, spikes: times.rows };
  }

  /** The source's trials, with the active target as a one-row target_pos (what our loader reads). */
  private writeTrials(source: SourceDataset): void {
    const trials = source.dataset.trials;
    if (trials.length === 0) return;
    const intervals = (this.file.get('intervals') as H5Group | null) ?? this.file.create_group('intervals');
    const g = intervals.create_group('trials');
    const names = new Set<string>();
    for (const t of trials) for (const k of Object.keys(t.columns)) names.add(k);
    names.delete('active_target');
    names.delete('start_time');
    names.delete('stop_time');
    const cols = [...names];
    tableAttrs(g, 'TimeIntervals', 'core', `trials of ${source.dataset.provenance.name} (bin time)`, ['start_time', 'stop_time', ...cols, 'target_pos', 'active_target']);
    writeIds(g, trials.map((t) => t.nwbId));
    columnAttrs(g.create_dataset({ name: 'start_time', data: Float64Array.from(trials, (t) => t.startTime), dtype: '<d' }), 'start time of the trial');
    columnAttrs(g.create_dataset({ name: 'stop_time', data: Float64Array.from(trials, (t) => t.stopTime), dtype: '<d' }), 'stop time of the trial');
    for (const c of cols) {
      const values = trials.map((t) => t.columns[c] ?? null);
      const kind = values.find((v) => v !== null);
      let ds: H5Dataset;
      if (typeof kind === 'string') ds = g.create_dataset({ name: c, data: values.map((v) => (v === null ? '' : String(v))) });
      else if (typeof kind === 'boolean') ds = g.create_dataset({ name: c, data: Uint8Array.from(values, (v) => (v ? 1 : 0)) });
      else ds = g.create_dataset({ name: c, data: Float64Array.from(values, (v) => (typeof v === 'number' ? v : NaN)), dtype: '<d' });
      columnAttrs(ds, c.replace(/_/g, ' '));
    }
    const targets = source.dataset.targets;
    const tp = new Float64Array(trials.length * 2);
    trials.forEach((t, i) => {
      const target = t.targetId === null ? null : targets[t.targetId];
      tp[2 * i] = target ? target.x : NaN;
      tp[2 * i + 1] = target ? target.y : NaN;
    });
    const tpDs = g.create_dataset({ name: 'target_pos', data: tp, shape: [trials.length, 2], dtype: '<d' });
    columnAttrs(tpDs, 'the trial’s active target (x, y) in mm: one row per trial');
    const tpIdx = g.create_dataset({ name: 'target_pos_index', data: Uint32Array.from(trials, (_, i) => i + 1), dtype: '<I' });
    indexAttrs(tpIdx, 'target_pos', tpDs);
    columnAttrs(g.create_dataset({ name: 'active_target', data: new BigInt64Array(trials.length), dtype: '<q' }), 'index of the active target in target_pos (always its one row)');
  }

  /**
   * The truth of each streamed bin as one sample mid-bin: the loader takes a bin's kinematics
   * as the mean of its samples, so it reads back exactly the values scored. A last NaN sample at
   * the end of the last streamed bin makes the file long enough to hold that bin.
   */
  private writeBehavior(source: SourceDataset, streamed: Uint8Array, last: number): void {
    if (!source.dataset.kinematics || last < 0) return;
    const processing = this.file.get('processing') as H5Group;
    const g = module(processing, 'behavior', 'The truth of each streamed bin as scored (one sample mid-bin, bin time)');
    const pos = series(g, 'cursor_pos', 'SpatialSeries', 'cursor position (x, y) of each streamed bin as scored');
    const vel = series(g, 'hand_vel', 'TimeSeries', 'velocity (vx, vy) of each streamed bin as scored');
    const posData = new AppendableDataset(pos, 'data', '<d', 2);
    const velData = new AppendableDataset(vel, 'data', '<d', 2);
    const ts = new AppendableDataset(pos, 'timestamps', '<d');
    const binUs = this.m.bin_ms * 1000;
    for (let b = 0; b <= last; b++) {
      if (!streamed[b]) continue;
      const k = source.stream.kinematicsAt(b);
      ts.push((b * binUs + binUs / 2) / 1e6);
      posData.push(k.x, k.y);
      velData.push(k.vx, k.vy);
    }
    ts.push(((last + 1) * binUs) / 1e6);
    posData.push(NaN, NaN);
    velData.push(NaN, NaN);
    for (const d of [posData, velData, ts]) d.flush();
    dataAttrs(posData.dataset, 'mm');
    dataAttrs(velData.dataset, 'mm/s');
    ts.dataset.create_attribute('unit', 'seconds');
    vel.create_soft_link(ts.dataset.path, 'timestamps');
  }

  private writePackets(processing: H5Group): void {
    const { packets } = this.input.index;
    const g = module(processing, 'stream', 'What the session streamed');
    const t = g.create_group('packets');
    tableAttrs(t, 'DynamicTable', HDMF, 'every packet the session built, in order (lost: dropped on purpose by the loss perturbation)', ['sequence_number', 'source_bin', 'bin_time', 'send_time', 'trial', 'lost']);
    const cols = {
      seq: column(t, 'sequence_number', '<q', 'the packet’s sequence_number'),
      bin: column(t, 'source_bin', '<q', 'bin index in the source recording at the recording’s bin width'),
      time: column(t, 'bin_time', '<d', 'start of the bin, seconds (bin time: the packet’s time_s)'),
      sent: column(t, 'send_time', '<d', 'when the packet went out, seconds since session_start_time (recording time)'),
      trial: column(t, 'trial', '<q', 'trial row of the bin, -1 outside trials'),
      lost: column(t, 'lost', '<B', '1: dropped on purpose (loss perturbation), decoders never received it'),
    };
    const ids = new AppendableDataset(t, 'id', '<q');
    for (let row = 0; row < packets.count; row++) {
      ids.push(row);
      cols.seq.push(packets.seq(row));
      cols.bin.push(packets.bin(row));
      cols.time.push(binTime(packets.bin(row), this.m.bin_ms));
      cols.sent.push(packets.sentAtMs(row) / 1000);
      cols.trial.push(packets.trial(row));
      cols.lost.push(packets.lost(row) ? 1 : 0);
    }
    ids.flush();
    idAttrs(ids.dataset);
    for (const c of Object.values(cols)) c.flush();
  }

  /** The truth of every packet (NaN where unknown: no source, after a swap, no sample). */
  private writeTruthSeries(g: H5Group): void {
    if (!this.truth.available) return;
    const { packets } = this.input.index;
    const s = series(g, 'truth', 'TimeSeries', `the truth decoders were scored against, per packet: ${KIN_COLUMNS}`);
    const data = new AppendableDataset(s, 'data', '<d', 4);
    const ts = new AppendableDataset(s, 'timestamps', '<d');
    const k = new Float64Array(4);
    for (let row = 0; row < packets.count; row++) {
      const bin = packets.bin(row);
      this.truth.into(row, bin, k);
      data.pushRow(k);
      ts.push(binTime(bin, this.m.bin_ms));
    }
    data.flush();
    ts.flush();
    dataAttrs(data.dataset, 'mm and mm/s');
    ts.dataset.create_attribute('unit', 'seconds');
  }

  private async writePredictions(g: H5Group): Promise<{ decoders: DecoderExport[]; stats: LogReadStats }> {
    const { rec, index, progress } = this.input;
    const writers = new Map<string, DecoderWriter>();
    const skipped = new Set<string>();
    const groups = new Set<string>(['truth']);
    const total = Math.max(1, rec.size('predictions'));
    let bytes = 0;
    let lastReport = 0;
    const pred = new Float64Array(4);
    const truth = new Float64Array(4);
    const stats = await rec.read(
      'predictions',
      (p: PredictionRecord) => {
        let w = writers.get(p.decoder);
        if (!w) {
          if (writers.size >= MAX_DECODERS) {
            skipped.add(p.decoder);
            return;
          }
          writers.set(p.decoder, (w = new DecoderWriter(g, p.decoder, uniqueGroupName(p.decoder, groups))));
        }
        const row = index.packets.rowOf(p.seq);
        const bin = row >= 0 ? index.packets.bin(row) : -1;
        predictedInto(p, pred);
        this.truth.into(row, bin, truth);
        w.add(p, bin, binTime(bin, this.m.bin_ms), pred, truth, wasEvaluated(p, row, bin, this.truth, index.lastResetMs));
      },
      (n) => {
        bytes += n;
        if (bytes - lastReport > total / 50) {
          lastReport = bytes;
          progress({ stage: 'predictions', fraction: 0.15 + 0.8 * Math.min(1, bytes / total) });
        }
      },
    );
    const decoders = [...writers.values()].map((w) => w.finish());
    if (skipped.size) this.input.omitted.push(skippedDecoders(skipped));
    return { decoders, stats };
  }

  private writeEvents(): void {
    const events = this.input.index.events;
    if (events.length === 0) return; // h5wasm cannot write an empty string column; no table says the same
    const intervals = (this.file.get('intervals') as H5Group | null) ?? this.file.create_group('intervals');
    const g = intervals.create_group('events');
    tableAttrs(g, 'TimeIntervals', 'core', 'control and state events of the session (recording time: seconds since session_start_time)', ['start_time', 'stop_time', 'kind', 'position_s', 'detail']);
    writeIds(g, events.length);
    const t = Float64Array.from(events, (e) => e.t_ms / 1000);
    columnAttrs(g.create_dataset({ name: 'start_time', data: t, dtype: '<d' }), 'when it happened (recording time)');
    columnAttrs(g.create_dataset({ name: 'stop_time', data: t, dtype: '<d' }), 'events are instants: stop_time = start_time');
    columnAttrs(g.create_dataset({ name: 'kind', data: events.map((e) => e.kind) }), 'play, pause, seek, speed, loop, filters, dataset, perturbations, scores_reset, decoder_connected…');
    columnAttrs(g.create_dataset({ name: 'position_s', data: Float64Array.from(events, (e) => (typeof e.position_s === 'number' ? e.position_s : NaN)), dtype: '<d' }), 'session-timeline position when it happened, seconds');
    columnAttrs(g.create_dataset({ name: 'detail', data: events.map((e) => JSON.stringify(e.detail ?? {})) }), 'what changed, as JSON');
  }

  private writeScratch(decoders: DecoderExport[]): void {
    const scratch = this.file.create_group('scratch');
    const last = this.input.index.lastScores;
    const scores = scratch.create_dataset({ name: 'scores', data: JSON.stringify(last ?? null) });
    scratchAttrs(scores, 'the last score snapshot of the recording (t_ms on recording time; per decoder as the live scoreboard showed it), JSON');
    const report = scratch.create_dataset({ name: 'export_report', data: JSON.stringify({ omitted: this.input.omitted, decoders, logs: this.input.index.stats }) });
    scratchAttrs(report, 'what the export included and left out, JSON');
  }

  private rewriteNotes(general: H5Group): void {
    const m = this.m;
    const lines = [
      `PhantomLink Studio recording ${m.id} of session ${m.session_code}, ${m.started_at} – ${m.stopped_at ?? 'unfinished'} (${m.status}).`,
      `Source: ${sourceReference(m, this.input.source)}.`,
      'Bin time (units, trials, behaviour, predictions, truth) is the source recording’s clock; recording time (events, send and arrival times) is seconds since session_start_time.',
      ...(this.input.omitted.length ? ['Left out:', ...this.input.omitted.map((o) => `- ${o}`)] : ['Nothing was left out.']),
    ];
    general.create_dataset({ name: 'notes', data: lines.join('\n') });
  }
}

/** One decoder's TimeSeries and its per-prediction table, appended as predictions stream by. */
class DecoderWriter {
  private readonly data: AppendableDataset;
  private readonly timestamps: AppendableDataset;
  private readonly cols: Record<string, AppendableDataset>;
  private readonly ids: AppendableDataset;
  private readonly truthCol: AppendableDataset;

  constructor(
    g: H5Group,
    readonly name: string,
    readonly group: string,
  ) {
    const s = series(g, group, 'TimeSeries', `predictions of decoder "${name}" at the bin each answered (bin time; NaN time: a sequence number never recorded): ${KIN_COLUMNS}`);
    s.create_attribute('decoder_name', name);
    this.data = new AppendableDataset(s, 'data', '<d', 4, DECODER_ROWS, DECODER_ROWS);
    this.timestamps = new AppendableDataset(s, 'timestamps', '<d', 1, DECODER_ROWS, DECODER_ROWS);
    const t = g.create_group(`${group}_predictions`);
    tableAttrs(t, 'DynamicTable', HDMF, `every prediction of decoder "${name}", in arrival order (rows match /processing/decoders/${group})`, [
      'sequence_number',
      'source_bin',
      'arrival_time',
      'latency_ms',
      'reported_latency_ms',
      'outcome',
      'evaluated',
      'truth',
    ]);
    t.create_attribute('decoder_name', name);
    this.ids = new AppendableDataset(t, 'id', '<q', 1, DECODER_ROWS, DECODER_ROWS);
    this.cols = {
      seq: column(t, 'sequence_number', '<q', 'the packet it answered', DECODER_ROWS),
      bin: column(t, 'source_bin', '<q', 'that packet’s bin, -1 when the sequence number was never recorded', DECODER_ROWS),
      arrival: column(t, 'arrival_time', '<d', 'arrival, seconds since session_start_time (recording time)', DECODER_ROWS),
      latency: column(t, 'latency_ms', '<d', 'round-trip latency: arrival − send of the packet, ms (NaN: never sent)', DECODER_ROWS),
      reported: column(t, 'reported_latency_ms', '<d', 'the compute time the decoder reported, ms (NaN: none)', DECODER_ROWS),
      outcome: column(t, 'outcome', '<B', `what scoring made of it: ${OUTCOMES.map((o, i) => `${i} ${o}`).join(', ')}`, DECODER_ROWS),
      evaluated: column(t, 'evaluated', '<B', '1: counted in the final cumulative scores (joined, in the evaluation window, after the last reset); each axis is scored where truth and prediction are finite', DECODER_ROWS),
    };
    this.cols.outcome.dataset.create_attribute('labels', [...OUTCOMES]);
    this.truthCol = new AppendableDataset(t, 'truth', '<d', 4, DECODER_ROWS, DECODER_ROWS);
    columnAttrs(this.truthCol.dataset, `the truth it was scored against: ${KIN_COLUMNS}`);
  }

  add(p: PredictionRecord, bin: number, time: number, pred: Float64Array, truth: Float64Array, evaluated: boolean): void {
    this.ids.push(this.ids.rows);
    this.data.pushRow(pred);
    this.timestamps.push(time);
    this.cols.seq.push(p.seq);
    this.cols.bin.push(bin);
    this.cols.arrival.push(p.t_ms / 1000);
    this.cols.latency.push(p.latency_ms ?? NaN);
    this.cols.reported.push(p.reported_latency_ms ?? NaN);
    this.cols.outcome.push(OUTCOMES.indexOf(p.outcome));
    this.cols.evaluated.push(evaluated ? 1 : 0);
    this.truthCol.pushRow(truth);
  }

  finish(): DecoderExport {
    for (const d of [this.data, this.timestamps, this.ids, this.truthCol, ...Object.values(this.cols)]) d.flush();
    dataAttrs(this.data.dataset, 'mm and mm/s');
    this.timestamps.dataset.create_attribute('unit', 'seconds');
    idAttrs(this.ids.dataset);
    return { name: this.name, group: this.group, predictions: this.ids.rows };
  }
}

const HDMF = 'hdmf-common';
/** Rows buffered per decoder dataset (12 of them): ~250 KB a decoder, MAX_DECODERS at most. */
const DECODER_ROWS = 2048;

function sourceReference(m: Recording['manifest'], source: SourceDataset | null): string {
  const d = m.dataset;
  const what = d.synthetic
    ? `the built-in synthetic recording, preset ${d.synthetic.preset}, seed ${d.synthetic.seed}`
    : `${d.path ?? d.name} (SHA-256 ${d.sha256 ?? 'unknown'})`;
  return source ? `${what}, read from ${source.path}` : `${what} (not available at export)`;
}

/** HDF5 names cannot hold "/" and "." alone is special: keep letters, digits, - _ . and make it unique. */
function uniqueGroupName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  if (base === '' || /^\.+$/.test(base)) base = 'decoder';
  // Each decoder takes two names: <name> and <name>_predictions.
  let out = base;
  for (let i = 2; taken.has(out) || taken.has(`${out}_predictions`); i++) out = `${base}-${i}`;
  taken.add(out);
  taken.add(`${out}_predictions`);
  return out;
}

function module(parent: H5Group, name: string, description: string): H5Group {
  const g = parent.create_group(name);
  g.create_attribute('description', description);
  g.create_attribute('namespace', 'core');
  g.create_attribute('neurodata_type', 'ProcessingModule');
  g.create_attribute('object_id', randomUUID());
  return g;
}

function series(parent: H5Group, name: string, type: string, description: string): H5Group {
  const s = parent.create_group(name);
  s.create_attribute('comments', 'no comments');
  s.create_attribute('description', description);
  s.create_attribute('namespace', 'core');
  s.create_attribute('neurodata_type', type);
  s.create_attribute('object_id', randomUUID());
  return s;
}

function dataAttrs(ds: H5Dataset, unit: string): void {
  ds.create_attribute('conversion', 1.0, null, '<d');
  ds.create_attribute('offset', 0.0, null, '<d');
  ds.create_attribute('resolution', -1.0, null, '<d');
  ds.create_attribute('unit', unit);
}

function column(t: H5Group, name: string, dtype: '<d' | '<q' | '<B', description: string, rows?: number): AppendableDataset {
  const c = new AppendableDataset(t, name, dtype, 1, rows, rows);
  columnAttrs(c.dataset, description);
  return c;
}

function idAttrs(ds: H5Dataset): void {
  ds.create_attribute('namespace', HDMF);
  ds.create_attribute('neurodata_type', 'ElementIdentifiers');
  ds.create_attribute('object_id', randomUUID());
}

function indexAttrs(idx: H5Dataset, target: string, targetDs: H5Dataset): void {
  idx.create_attribute('description', `Index for VectorData '${target}'`);
  idx.create_attribute('namespace', HDMF);
  idx.create_attribute('neurodata_type', 'VectorIndex');
  idx.create_attribute('object_id', randomUUID());
  idx.create_attribute('target', targetDs.create_reference());
}

function scratchAttrs(ds: H5Dataset, notes: string): void {
  ds.create_attribute('namespace', 'core');
  ds.create_attribute('neurodata_type', 'ScratchData');
  ds.create_attribute('notes', notes);
  ds.create_attribute('object_id', randomUUID());
}

