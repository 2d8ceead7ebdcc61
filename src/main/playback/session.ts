import type { BinnedStream, Dataset } from '../dataset/types.ts';
import { ParamError } from '../common/errors.ts';
import { BIN_MS, binOf, binStartSeconds, isBinWidth, BIN_WIDTHS_MS } from '../../shared/bins.ts';
import {
  SPEED_MAX,
  SPEED_MIN,
  type ClientEndpoint,
  type DataPacket,
  type EvaluationWindow,
  type IntentionField,
  type KinematicsField,
  type PlaybackStatus,
  type Perturbations,
  type SessionFilters,
  type StreamMetadata,
} from '../../shared/wire.ts';
import { PacketClock, type ClockTick, type PacketClockOptions } from './clock.ts';
import { assertEvaluationWindow } from './evaluationWindow.ts';
import { DurationWindow } from './durationWindow.ts';
import { HeldPackets } from './heldPackets.ts';
import { Perturber, checkPerturbations } from './perturbations.ts';
import { SentLog } from './sentLog.ts';
import { datasetMetadata } from './metadata.ts';
import { PacketBuilder } from './packets.ts';
import { buildTimeline, type Timeline } from './timeline.ts';

/** A connected client as REST, /metrics and the studio's clients panel show it. */
export interface ClientInfo {
  id: number;
  endpoint: ClientEndpoint;
  address: string;
  /** Date.now() at connect. */
  connectedAt: number;
  packetsSent: number;
  bytesSent: number;
  /** Packets dropped because the client read too slowly. */
  drops: number;
  /** Bytes queued on its socket: how far behind it is. */
  bufferedBytes: number;
}

/**
 * Anything that receives a session's packets: a decoder's connection, the studio window.
 * A tick runs in two phases across every due session (see TickScheduler): first every
 * subscriber's `prepare` (encode, say), then every `onPacket`, so the sends of one tick go out
 * back to back. Playback builds packets and knows no wire encoding.
 */
export interface SessionSubscriber {
  /** Connected clients (decoders) describe themselves; the studio's own view is not a client. */
  describeClient?(): ClientInfo;
  /** Phase 1: the expensive work on the packet about to be sent, before anyone sends. */
  prepare?(packet: DataPacket): void;
  /** Phase 2: send it. */
  onPacket(packet: DataPacket): void;
  /** The dataset or the timeline changed under the subscriber. */
  onMetadataChanged?(session: Session): void;
  /** The session is going away (deleted, evicted, server shutting down). */
  onSessionClosed?(code: number, reason: string): void;
  /** A packet built and then dropped on purpose by the `loss` perturbation: nobody receives it. */
  onLost?(seq: number, bin: number, trial: number | null): void;
  /**
   * An observer (a recorder) rather than a consumer: it does not keep an idle session from
   * expiring or being evicted, as a connected client or the studio window does.
   */
  readonly passive?: boolean;
}

/**
 * A control or state change of a session, as recordings log it: transport, filters, dataset,
 * stress, and (emitted by evaluation) scores reset and decoders coming and going.
 */
export type SessionEventKind =
  | 'play'
  | 'pause'
  | 'seek'
  | 'speed'
  | 'loop'
  | 'filters'
  | 'dataset'
  | 'perturbations'
  | 'scores_reset'
  | 'decoder_connected'
  | 'decoder_disconnected'
  | 'session_closed';

export interface SessionEvent {
  kind: SessionEventKind;
  /** Session-timeline seconds when it happened. */
  position_s: number;
  detail: Record<string, unknown>;
}

/** What a session is, fixed when it is created. */
export interface SessionSettings {
  /** Withhold the truth: packets carry null kinematics and intention; decoders are scored as usual. */
  blind: boolean;
  /** Which bins decoders are scored on. */
  evaluate: EvaluationWindow;
  /** Width of a bin (ms): 5, 10, 20, 25 or 50; packets go out at 1000 / bin_ms Hz at 1×. */
  bin_ms: number;
}

export const DEFAULT_SETTINGS: Readonly<SessionSettings> = Object.freeze({ blind: false, evaluate: 'all', bin_ms: BIN_MS });

export function assertBinWidth(ms: unknown): asserts ms is number {
  if (!isBinWidth(ms)) throw new ParamError(`bin_ms must be one of ${BIN_WIDTHS_MS.join(', ')} (got ${String(ms)})`);
}

export interface SessionOptions extends Partial<SessionSettings> {
  /** Seeded stress on the stream (checked: checkPerturbations); changeable later. */
  perturbations?: Perturbations | null;
  speed?: number;
  loop?: boolean;
  /** Start paused instead of playing at once. */
  paused?: boolean;
  clock?: PacketClockOptions;
  /** Sees every tick's send lateness (ms), e.g. for Prometheus histograms. */
  onLateness?: (session: Session, latenessMs: number) => void;
}

export interface PlaybackState {
  code: string;
  status: PlaybackStatus;
  /** Seconds into the session timeline (the filtered timeline when a filter is set). */
  position_s: number;
  duration_s: number;
  /** Timeline position of the next packet, 0-based. */
  position_packets: number;
  timeline_packets: number;
  /** Recording bin and time of the next packet. */
  bin_index: number;
  recording_time_s: number;
  speed: number;
  loop: boolean;
  filters: SessionFilters;
  /** Packets built so far in this session (the last sequence_number + 1). */
  packets_sent: number;
  blind: boolean;
  evaluate: EvaluationWindow;
  bin_ms: number;
  perturbations: Perturbations | null;
}

export function assertSpeed(speed: number): void {
  if (!Number.isFinite(speed) || speed < SPEED_MIN || speed > SPEED_MAX) {
    throw new ParamError(`speed must be between ${SPEED_MIN} and ${SPEED_MAX} (got ${speed})`);
  }
}

const NULL_KINEMATICS: Readonly<KinematicsField> = Object.freeze({ vx: null, vy: null, x: null, y: null });
const NULL_INTENTION: Readonly<IntentionField> = Object.freeze({ target_id: null, target_x: null, target_y: null, distance_to_target: null });

/**
 * One session timeline. Every subscriber receives the same packet object: one packet built
 * per tick, then fanned out.
 */
export class Session {
  readonly createdAt = Date.now();
  /** Last attach, detach or control action: drives idle expiry and LRU eviction. */
  lastActivity = Date.now();
  readonly lateness = new DurationWindow();
  /** The recent packets, by sequence number: what decoders' predictions join to. */
  readonly sent = new SentLog();
  readonly settings: Readonly<SessionSettings>;

  private dataset: Dataset;
  /** The dataset at the session's bin width. */
  private stream: BinnedStream;
  private builder: PacketBuilder;
  private timeline: Timeline;
  private cursor = 0;
  private sequence = 0;
  private status: PlaybackStatus;
  private speed: number;
  private loop: boolean;
  private readonly clock: PacketClock;
  private readonly onLateness: SessionOptions['onLateness'];
  private readonly subscribers = new Set<SessionSubscriber>();
  private readonly stateListeners = new Set<(s: PlaybackState) => void>();
  private readonly eventListeners = new Set<(e: SessionEvent) => void>();
  private closed = false;
  private perturber: Perturber | null = null;
  private readonly held: HeldPackets;

  constructor(
    readonly code: string,
    dataset: Dataset,
    private _filters: SessionFilters,
    opts: SessionOptions = {},
  ) {
    this.dataset = dataset;
    this.settings = Object.freeze({
      blind: opts.blind ?? DEFAULT_SETTINGS.blind,
      evaluate: opts.evaluate ?? DEFAULT_SETTINGS.evaluate,
      bin_ms: opts.bin_ms ?? DEFAULT_SETTINGS.bin_ms,
    });
    assertBinWidth(this.settings.bin_ms);
    assertEvaluationWindow(dataset, this.settings.evaluate);
    this.stream = dataset.at(this.settings.bin_ms);
    this.builder = new PacketBuilder(dataset, this.stream);
    this.timeline = buildTimeline(dataset, _filters, this.stream); // throws FilterError: the session is never half-made
    this.speed = opts.speed ?? 1;
    assertSpeed(this.speed);
    this.loop = opts.loop ?? true;
    this.onLateness = opts.onLateness;
    this.clock = new PacketClock(this.tick, { ...opts.clock, binMs: this.settings.bin_ms });
    this.clock.setSpeed(this.speed);
    this.held = new HeldPackets(this.clock);
    this.perturber = this.makePerturber(checkPerturbations(opts.perturbations));
    this.status = 'paused';
    if (!opts.paused) this.play();
  }

  get filters(): SessionFilters {
    return this._filters;
  }

  /** Playback speed: packets go out at FREQUENCY_HZ × this. */
  get playbackSpeed(): number {
    return this.speed;
  }

  /** The dataset the session plays (it changes when another file is opened). */
  get currentDataset(): Dataset {
    return this.dataset;
  }

  /** The dataset at the session's bin width: what its packets are built from. */
  get currentStream(): BinnedStream {
    return this.stream;
  }

  get clientCount(): number {
    let n = 0;
    for (const s of this.subscribers) if (s.describeClient) n++;
    return n;
  }

  /** The connected clients, in the order they attached. */
  clients(): ClientInfo[] {
    const out: ClientInfo[] = [];
    for (const s of this.subscribers) if (s.describeClient) out.push(s.describeClient());
    return out;
  }

  /** Subscribers that keep the session alive (clients, the studio window): not passive observers. */
  get subscriberCount(): number {
    let n = 0;
    for (const s of this.subscribers) if (!s.passive) n++;
    return n;
  }

  get clockReanchors(): number {
    return this.clock.reanchors;
  }

  /** Same filters as the session's? A null filter on either side means "no filter". */
  filtersEqual(f: SessionFilters): boolean {
    return f.trial_id === this._filters.trial_id && f.target_id === this._filters.target_id;
  }

  attach(sub: SessionSubscriber): void {
    this.subscribers.add(sub);
    this.touch();
  }

  detach(sub: SessionSubscriber): void {
    if (this.subscribers.delete(sub)) this.touch();
  }

  /** Playback state changes (play, pause, seek, speed, loop, end, dataset swap); not per packet. */
  onState(listener: (s: PlaybackState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Control and state changes, one event each (recordings log them). One hook for every face:
   * the transport methods below emit here, and evaluation emits scoring events through `emit`.
   */
  onEvent(listener: (e: SessionEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Tells every event listener; `position_s` is where the timeline is now. */
  emit(kind: SessionEventKind, detail: Record<string, unknown> = {}): void {
    if (this.eventListeners.size === 0) return;
    const e: SessionEvent = { kind, position_s: binStartSeconds(this.cursor, this.stream.binUs), detail };
    for (const l of this.eventListeners) l(e);
  }

  play(): void {
    if (this.status === 'playing' || this.closed) return;
    if (this.status === 'ended') this.cursor = 0;
    this.status = 'playing';
    this.clock.start(); // a new run: the next packet is due now, never a burst of missed ones
    this.changed();
    this.emit('play');
  }

  pause(): void {
    if (this.status !== 'playing') return;
    this.clock.stop();
    this.status = 'paused';
    this.changed();
    this.emit('pause');
  }

  /** Pause and rewind to the start of the timeline. */
  stop(): void {
    this.clock.stop();
    this.status = 'paused';
    this.cursor = 0;
    this.changed();
    this.emit('pause', { rewind: true });
  }

  /** Moves to `seconds` into the session timeline; the next packet plays from there. */
  seek(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new ParamError(`position must be a number of seconds ≥ 0 (got ${seconds})`);
    const pos = binOf(seconds, this.stream.binUs);
    if (pos >= this.timeline.length) {
      throw new ParamError(`position ${seconds} s is past the end of the timeline (${this.timeline.durationSeconds} s)`);
    }
    this.cursor = pos;
    if (this.status === 'ended') this.status = 'paused';
    this.changed();
    this.emit('seek', { to_s: seconds });
  }

  setSpeed(speed: number): void {
    assertSpeed(speed);
    this.speed = speed;
    this.clock.setSpeed(speed);
    this.changed();
    this.emit('speed', { speed });
  }

  setLoop(loop: boolean): void {
    this.loop = loop;
    this.changed();
    this.emit('loop', { loop });
  }

  /**
   * Changes the session's filters: the timeline is rebuilt and playback restarts at its
   * beginning; connected clients get new metadata at once. Throws FilterError (nothing changes).
   */
  setFilters(filters: SessionFilters): void {
    const timeline = buildTimeline(this.dataset, filters, this.stream);
    this._filters = { trial_id: filters.trial_id, target_id: filters.target_id };
    this.timeline = timeline;
    this.cursor = 0;
    if (this.status === 'ended') this.status = 'paused';
    for (const s of this.subscribers) s.onMetadataChanged?.(this);
    this.changed();
    this.emit('filters', { filters: { ...this._filters } });
  }

  /**
   * Puts the stream under seeded stress, changes it, or (null) restores the clean stream from
   * the next packet on; connected clients get new metadata. Throws ParamError (nothing changes).
   */
  setPerturbations(p: Perturbations | null): void {
    this.perturber = this.makePerturber(checkPerturbations(p));
    for (const s of this.subscribers) s.onMetadataChanged?.(this);
    this.changed();
    this.emit('perturbations', { perturbations: this.perturbations });
  }

  get perturbations(): Perturbations | null {
    return this.perturber?.settings ?? null;
  }

  /** The channels dropout silences (a fraction is resolved from the seed); [] without dropout. */
  silencedChannels(): number[] {
    return this.perturber?.silencedChannels() ?? [];
  }

  private makePerturber(p: Perturbations | null): Perturber | null {
    return p ? new Perturber(p, this.dataset.numUnits, binStartSeconds(1, this.stream.binUs)) : null;
  }

  /** Session-timeline seconds where trials start: every trial unfiltered, each range when filtered. */
  trialStartsSeconds(): number[] {
    const unfiltered = this._filters.trial_id === null && this._filters.target_id === null;
    const starts = unfiltered ? this.dataset.trials.map((t) => this.stream.trialRange(t.id)[0]) : this.timeline.rangeStarts();
    return starts.map((p) => binStartSeconds(p, this.stream.binUs));
  }

  /** Swaps in a newly loaded dataset; filters the new dataset cannot honour are dropped. */
  setDataset(dataset: Dataset): void {
    const stream = dataset.at(this.settings.bin_ms);
    let timeline: Timeline;
    try {
      timeline = buildTimeline(dataset, this._filters, stream);
    } catch {
      this._filters = { trial_id: null, target_id: null };
      timeline = buildTimeline(dataset, this._filters, stream);
    }
    this.dataset = dataset;
    this.stream = stream;
    this.builder = new PacketBuilder(dataset, stream);
    this.timeline = timeline;
    this.sent.clear();
    this.perturber = this.makePerturber(this.perturbations);
    if (this.cursor >= timeline.length) this.cursor = 0;
    for (const s of this.subscribers) s.onMetadataChanged?.(this);
    this.changed();
    const p = dataset.provenance;
    this.emit('dataset', { path: p.path, name: p.name, synthetic: p.synthetic, filters: { ...this._filters } });
  }

  state(): PlaybackState {
    const atEnd = this.cursor >= this.timeline.length;
    const bin = this.timeline.binAt(atEnd ? this.timeline.length - 1 : this.cursor);
    return {
      code: this.code,
      status: this.status,
      position_s: binStartSeconds(this.cursor, this.stream.binUs),
      duration_s: this.timeline.durationSeconds,
      position_packets: this.cursor,
      timeline_packets: this.timeline.length,
      bin_index: bin,
      recording_time_s: binStartSeconds(bin, this.stream.binUs),
      speed: this.speed,
      loop: this.loop,
      filters: { ...this._filters },
      packets_sent: this.sequence,
      ...this.settings,
      perturbations: this.perturbations,
    };
  }

  metadata(): StreamMetadata {
    return {
      ...datasetMetadata(this.dataset, this.stream),
      timeline_packets: this.timeline.length,
      dataset: this.dataset.provenance,
      filters: { ...this._filters },
      speed: this.speed,
      loop: this.loop,
      ...this.settings,
      // A blind session hides what was done to it too.
      perturbations: this.settings.blind ? null : this.perturbations,
    };
  }

  /** Ends the session: stops the clock and tells subscribers why. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.stop();
    this.held.clear();
    this.emit('session_closed', { code, reason });
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) s.onSessionClosed?.(code, reason);
    this.stateListeners.clear();
    this.eventListeners.clear();
  }

  /**
   * Sends the packets of every session now due (this one's or others' on the same scheduler):
   * for work that runs in long bursts between turns of the event loop (see TickScheduler.poll).
   */
  pollDue(): void {
    this.clock.pollDue();
  }

  /** The session clock's now (monotonic ms): what send times and latencies are measured on. */
  now(): number {
    return this.clock.now();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  private changed(): void {
    this.touch();
    if (this.stateListeners.size === 0) return;
    const s = this.state();
    for (const l of this.stateListeners) l(s);
  }

  /**
   * Phase 1 of a tick (see TickScheduler): advance the timeline, build the packet and let every
   * subscriber prepare it. Returns phase 2, which hands it to every subscriber.
   */
  private readonly tick = (tick: ClockTick): (() => void) | void => {
    if (this.cursor >= this.timeline.length) {
      if (!this.loop) return this.end();
      this.cursor = 0;
    }
    const bin = this.timeline.binAt(this.cursor++);
    const seq = this.sequence++;
    const last = this.cursor >= this.timeline.length && !this.loop;
    if (this.subscribers.size === 0) {
      this.recordLateness(tick.dueMs);
      if (last) this.end();
      return;
    }
    const built = this.builder.build(bin, seq, Date.now() / 1000);
    const packet = this.settings.blind ? { ...built, kinematics: NULL_KINEMATICS, intention: NULL_INTENTION } : built;
    const fate = this.perturber?.apply(packet, seq);
    if (fate?.lost) {
      this.sent.recordLost(seq);
      for (const s of this.subscribers) s.onLost?.(seq, bin, packet.trial_id);
      this.recordLateness(tick.dueMs);
      if (last) this.end();
      return;
    }
    for (const s of this.subscribers) s.prepare?.(packet);
    const send = () => {
      this.sent.record(seq, bin, this.clock.now());
      for (const s of this.subscribers) s.onPacket(packet);
    };
    return () => {
      if (fate && (fate.holdMs > 0 || this.held.size > 0)) this.held.push(fate.holdMs, send);
      else send();
      this.recordLateness(tick.dueMs);
      // The last packet went out: report the end now rather than one period later.
      if (last) this.end();
    };
  };

  private recordLateness(dueMs: number): void {
    const sent = this.clock.now();
    this.lateness.record(sent, sent - dueMs);
    this.onLateness?.(this, sent - dueMs);
  }

  private end(): void {
    this.clock.stop();
    this.status = 'ended';
    this.changed();
    this.emit('pause', { ended: true });
  }
}
