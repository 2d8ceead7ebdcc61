/**
 * The studio's state, mirrored from the engine through StudioApi subscriptions — one per
 * concern: sessions, the selected session's playback, packets and scoreboard, clients, metrics,
 * dataset.
 * The UI reads it through small selector hooks (hooks.ts) and changes it only by calling
 * StudioApi commands; the store keeps no playback state of its own beyond what the engine
 * last said (positions come from PlaybackSnapshot and from packets).
 *
 * Packets do not go through React: the store hands them to its live pipeline (livePipeline.ts),
 * whose buffers the frame loop (live/frameLoop.ts) fills and the views draw from directly.
 */
import type {
  ClientSummary,
  CreateSessionRequest,
  DatasetSummary,
  MetricsSummary,
  PacketBatch,
  PlaybackSnapshot,
  ExportFormat,
  ExportJob,
  RecordingDetail,
  RecordingSummary,
  ReferenceDecoderStatus,
  Scoreboard,
  ServerInfo,
  SessionSummary,
  StudioApi,
  TargetSummary,
  TrialSummary,
  Unsubscribe,
} from '../../../shared/studioApi.ts';
import { BIN_MS } from '../../../shared/bins.ts';
import type { Axis, EvaluationWindow, Perturbations, SessionFilters } from '../../../shared/wire.ts';
import { DEFAULT_WINDOW_S, type LiveBuffers } from '../data/liveBuffers.ts';
import { nextSpeedPreset } from '../data/keys.ts';
import { binMsOf, clampSeek } from '../data/timeline.ts';
import type { HostKind, StudioHost } from '../host/index.ts';
import { LivePipeline } from './livePipeline.ts';
import { newlyFailed } from '../data/recordings.ts';
import { ERROR_TOAST_MS, INFO_TOAST_MS, withToast, type Toast } from './toasts.ts';

export type { Toast } from './toasts.ts';

export const DEMO_SESSION = 'demo';

export type Connection = 'connecting' | 'up' | 'down';

/** A decoder on the followed session's scoreboard, as the overlays draw it. */
export interface DecoderOverlay {
  id: string;
  name: string;
  /** Its colour and buffers (data/decoderSlots.ts); -1 when all eight are taken. */
  slot: number;
  /** The axes it predicts: the charts draw a decoded trace for each. */
  axes: readonly Axis[];
}

/** How a new session is scored and streamed (CreateSessionRequest.blind / evaluate / binMs). */
export interface NewSessionOptions {
  blind?: boolean;
  evaluate?: EvaluationWindow;
  /** Width of its bins (ms): 5, 10, 20, 25 or 50; 25 when not given. */
  binMs?: number;
}

export interface StudioState {
  host: HostKind;
  connection: Connection;
  server: ServerInfo | null;
  dataset: DatasetSummary | null;
  trials: TrialSummary[];
  targets: TargetSummary[];
  targetById: ReadonlyMap<number, TargetSummary>;
  trialById: ReadonlyMap<number, TrialSummary>;
  datasetBusy: boolean;
  datasetError: string | null;
  recent: string[];
  sessions: SessionSummary[];
  sessionsLoaded: boolean;
  /** The session the transport, plots and readouts follow (UI choice, not playback state). */
  selected: string | null;
  playback: PlaybackSnapshot | null;
  clients: ClientSummary[];
  metrics: MetricsSummary | null;
  /** The followed session's live scores (a few times a second); null until the first. */
  scoreboard: Scoreboard | null;
  /** Its decoders' slots and axes: a new array only when one of them changes (the charts re-create then). */
  decoderOverlays: readonly DecoderOverlay[];
  toasts: Toast[];
  /** Every recording in the recordings folder, newest first. */
  recordings: RecordingSummary[];
  recordingsLoaded: boolean;
  /** The recording opened in the recordings panel (its events and scores). */
  openRecording: RecordingDetail | null;
  /** Exports running and recently ended, newest last. */
  exports: ExportJob[];
  presentation: boolean;
  windowS: number;
  /** Trial and target of the packet on screen; updated when they change, not per packet. */
  liveTrialId: number | null;
  liveTargetId: number | null;
}

/** State the server pushes a few times a second while playing: counters and positions, mostly. */
type ServerStateKey = 'sessions' | 'clients' | 'metrics' | 'scoreboard' | 'decoderOverlays';

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function errorCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export class StudioStore {
  state: StudioState;
  /** The selected session's packets on their way to the screen; it follows `state.playback`. */
  readonly pipeline = new LivePipeline(() => this.state.playback);
  /** The pipeline's buffers, which the live views draw from. */
  readonly live: LiveBuffers = this.pipeline.live;
  private readonly listeners = new Set<() => void>();
  private selectedOff: Unsubscribe[] = [];
  private globalOff: Unsubscribe[] = [];
  private autoCreateTried = false;
  private nextToastId = 1;
  private pendingStep: { target: number; at: number } | null = null;
  /**
   * The server's polled state (session list, clients, metrics) received since the last
   * publishLive(), when the frame loop batches it (`batchServerState`); null when none waits.
   */
  private pendingServer: Pick<Partial<StudioState>, ServerStateKey> | null = null;
  /** Overlays waiting in `pendingServer`: the next scoreboard compares with them, not with the state. */
  private pendingOverlays: readonly DecoderOverlay[] | null = null;
  /**
   * Hold the polled server state for the frame loop's next DOM frame (publishLive) instead of
   * rendering it as it arrives. main.tsx turns it on with the frame loop; without a loop (tests,
   * tools) every update renders at once.
   */
  batchServerState = false;

  constructor(private readonly host: StudioHost) {
    const c = host.isConnected();
    this.state = {
      host: host.kind,
      connection: c === null ? 'connecting' : c ? 'up' : 'down',
      server: null,
      dataset: null,
      trials: [],
      targets: [],
      targetById: new Map(),
      trialById: new Map(),
      datasetBusy: false,
      datasetError: null,
      recent: [],
      sessions: [],
      sessionsLoaded: false,
      selected: null,
      playback: null,
      clients: [],
      metrics: null,
      scoreboard: null,
      decoderOverlays: [],
      toasts: [],
      recordings: [],
      recordingsLoaded: false,
      openRecording: null,
      exports: [],
      presentation: false,
      windowS: DEFAULT_WINDOW_S,
      liveTrialId: null,
      liveTargetId: null,
    };
  }

  get api(): StudioApi {
    return this.host.api;
  }

  // ------------------------------------------------------------ store plumbing

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): StudioState => this.state;

  private set(patch: Partial<StudioState>): void {
    const pending = this.pendingServer;
    // A value set now (a session added or deleted here) supersedes an older one still waiting.
    if (pending) for (const k of Object.keys(patch)) delete pending[k as ServerStateKey];
    if ('decoderOverlays' in patch) this.pendingOverlays = null;
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /**
   * Server state that changes a few times a second while playing. Rendered as it arrives, React
   * would lay out and paint the page in ~5 more frames a second (each 2–4 ms here, a tenth of all
   * frames); held for the frame loop's DOM frame, it costs no frame of its own.
   */
  private setServerState(patch: Pick<Partial<StudioState>, ServerStateKey>): void {
    if (this.batchServerState) this.pendingServer = { ...this.pendingServer, ...patch };
    else this.set(patch);
  }

  // ------------------------------------------------------------ subscriptions

  /** Subscribes to the global concerns once; returns the teardown. Idempotent. */
  start(): () => void {
    if (this.globalOff.length > 0) return () => this.dispose();
    const api = this.api;
    this.globalOff.push(
      this.host.onConnectionChange((up) => {
        const wasDown = this.state.connection === 'down';
        this.set({ connection: up ? 'up' : 'down' });
        if (up) void this.refreshServerInfo();
        // Back after a drop: the server may have restarted empty, so give it a demo session again.
        if (up && wasDown) this.autoCreateTried = false;
      }),
      api.subscribe('sessions', [], (list) => this.onSessions(list)),
      api.subscribe('clients', [], (clients) => this.setServerState({ clients })),
      api.subscribe('metrics', [], (metrics) => this.setServerState({ metrics })),
      api.subscribe('dataset', [], (ds) => this.onDataset(ds)),
      api.subscribe('presentation', [], (on) => this.set({ presentation: on })),
      api.subscribe('recordings', [], (list) => this.onRecordings(list)),
      api.subscribe('exports', [], (exports) => this.set({ exports })),
    );
    void this.refreshServerInfo();
    void this.refreshRecent();
    return () => this.dispose();
  }

  dispose(): void {
    for (const off of this.globalOff.splice(0)) off();
    for (const off of this.selectedOff.splice(0)) off();
  }

  private async refreshServerInfo(): Promise<void> {
    try {
      this.set({ server: await this.api.serverInfo() });
    } catch {
      // The status bar just stays empty; the connection banner says why.
    }
  }

  private async refreshRecent(): Promise<void> {
    try {
      this.set({ recent: await this.api.recentDatasets() });
    } catch {
      // Recent files are a convenience.
    }
  }

  private onSessions(list: SessionSummary[]): void {
    // The first list ends the "loading" state at once; later ones wait for the DOM frame. What the
    // list decides (follow another session, make the demo one) happens now, from `list`.
    if (this.state.sessionsLoaded) this.setServerState({ sessions: list });
    else this.set({ sessions: list, sessionsLoaded: true });
    if (!this.autoCreateTried) {
      this.autoCreateTried = true;
      if (list.length === 0) {
        void this.createDemo();
        return;
      }
    }
    const sel = this.state.selected;
    if (sel === null || !list.some((s) => s.code === sel)) {
      const next = list.find((s) => s.code === DEMO_SESSION) ?? list[0];
      this.select(next ? next.code : null);
    }
  }

  /** First load with no session anywhere: make one so there is something to watch. */
  private async createDemo(): Promise<void> {
    try {
      const s = await this.api.createSession({ code: DEMO_SESSION });
      this.addSession(s);
      this.select(s.code);
    } catch (err) {
      // Another window made it first? (Electron's bridge keeps only the message, so look rather than match the code.)
      const exists = errorCode(err) === 'session_exists' || (await this.api.listSessions().catch(() => [])).some((s) => s.code === DEMO_SESSION);
      if (exists) this.select(DEMO_SESSION);
      else this.toastError(`Couldn't create the demo session: ${errorMessage(err)}`);
    }
  }

  private onDataset(ds: DatasetSummary): void {
    const changed = this.state.dataset?.path !== ds.path || this.state.dataset?.totalPackets !== ds.totalPackets;
    this.set({ dataset: ds });
    if (changed) {
      this.resetLive();
      void this.refreshTrialsAndTargets();
    }
  }

  private async refreshTrialsAndTargets(): Promise<void> {
    try {
      const [trials, targets] = await Promise.all([this.api.getTrials(), this.api.getTargets()]);
      this.set({
        trials,
        targets,
        trialById: new Map(trials.map((t) => [t.id, t])),
        targetById: new Map(targets.map((t) => [t.id, t])),
      });
    } catch (err) {
      this.toastError(`Couldn't read the trials and targets: ${errorMessage(err)}`);
    }
  }

  /** Follow another session: the transport, plots and readouts switch to it. */
  select(code: string | null): void {
    if (code === this.state.selected && (code === null || this.selectedOff.length > 0)) return;
    for (const off of this.selectedOff.splice(0)) off();
    // Its bin width, from the list, before its first packet (its snapshot confirms it).
    this.pipeline.follow(this.state.sessions.find((s) => s.code === code) ?? null);
    // Sequence numbers are per session: a floor set by a seek in the last one must not hide this one's packets.
    this.resetLive(0);
    this.pipeline.forgetDecoders();
    this.set({ selected: code, playback: null, scoreboard: null, decoderOverlays: [] });
    if (code === null) return;
    this.selectedOff.push(
      this.api.subscribe('playback', [code], (snap) => this.applySnapshot(snap)),
      this.api.subscribe('packets', [code], (batch) => this.onPackets(batch)),
      this.api.subscribe('scoreboard', [code], (sb) => this.onScoreboard(sb)),
    );
  }

  private onPackets(batch: PacketBatch): void {
    if (batch.code !== this.state.selected) return;
    this.pipeline.take(batch.packets);
    // An engine without live scoring sends no predictions.
    if (batch.predictions) this.pipeline.takePredictions(batch.predictions);
  }

  private onScoreboard(sb: Scoreboard): void {
    if (!sb || sb.code !== this.state.selected) return;
    // Slots (colours, buffers) are given now, in the engine's order, so that predictions and rows agree.
    const slots = this.live.decoded.slots.sync(sb.decoders.map((d) => d.id));
    const prev = this.pendingOverlays ?? this.state.decoderOverlays;
    const changed =
      prev.length !== sb.decoders.length ||
      sb.decoders.some((d, i) => prev[i].id !== d.id || prev[i].slot !== slots[i] || prev[i].name !== d.name || prev[i].axes.join() !== d.axes.join());
    if (changed) {
      const overlays = sb.decoders.map((d, i) => ({ id: d.id, name: d.name, slot: slots[i], axes: d.axes }));
      this.pendingOverlays = this.batchServerState ? overlays : null;
      this.setServerState({ scoreboard: sb, decoderOverlays: overlays });
    } else {
      this.setServerState({ scoreboard: sb });
    }
  }

  private applySnapshot(snap: PlaybackSnapshot | undefined): void {
    if (!snap || snap.code !== this.state.selected) return;
    const prev = this.state.playback;
    if (prev && (prev.filters.trial_id !== snap.filters.trial_id || prev.filters.target_id !== snap.filters.target_id)) {
      // The timeline was rebuilt (here or by a REST call): start the plots afresh.
      this.resetLive(snap.packetsSent);
    }
    // Its bin width (the plots re-size if it differs) and jitter.
    this.pipeline.follow(snap);
    this.set({ playback: snap });
  }

  // ------------------------------------------------------------ the frame loop's side

  /**
   * Moves due packets from the pacer into the live buffers (called once per animation frame).
   * Returns how many were taken.
   */
  advance(nowMs: number): number {
    return this.pipeline.advance(nowMs);
  }

  /**
   * Publishes to React what changes while playing: the trial and target of the packet on screen
   * (the trial list's marker, the current target on the map) when they changed, and the server
   * state held since the last call (batchServerState). The frame loop calls it in its write
   * phase, with the live values' DOM copies (main.tsx): the React render and the restyle it
   * brings land in a frame that draws no canvas, and in the same one as the other DOM updates.
   */
  publishLive(): void {
    const live = this.live;
    const patch: Partial<StudioState> = { ...this.pendingServer };
    this.pendingServer = null;
    this.pendingOverlays = null;
    if (live.trialId !== this.state.liveTrialId || live.targetId !== this.state.liveTargetId) {
      patch.liveTrialId = live.trialId;
      patch.liveTargetId = live.targetId;
    }
    if (Object.keys(patch).length > 0) this.set(patch);
  }

  /** Session-timeline position to show now: from packets while they flow, else the snapshot. */
  positionAt(nowMs: number): number {
    return this.pipeline.positionAt(nowMs);
  }

  /** Starts the plots afresh (see LivePipeline.reset for `floorSeq`) and forgets the trial and target on screen. */
  private resetLive(floorSeq?: number): void {
    this.pipeline.reset(floorSeq);
    if (this.state.liveTrialId !== null || this.state.liveTargetId !== null) this.set({ liveTrialId: null, liveTargetId: null });
  }

  // ------------------------------------------------------------ commands

  /** Runs a command; a refusal becomes a toast and `undefined`. */
  private async run<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.toastError(`Couldn't ${what}: ${errorMessage(err)}`);
      return undefined;
    }
  }

  private async playbackCommand(what: string, fn: (code: string) => Promise<PlaybackSnapshot>): Promise<void> {
    const code = this.state.selected;
    if (code === null) {
      this.toastInfo('Select or create a session first.');
      return;
    }
    this.applySnapshot(await this.run(what, () => fn(code)));
  }

  play(): Promise<void> {
    return this.playbackCommand('play', (c) => this.api.play(c));
  }

  pause(): Promise<void> {
    return this.playbackCommand('pause', (c) => this.api.pause(c));
  }

  togglePlay(): Promise<void> {
    return this.state.playback?.status === 'playing' ? this.pause() : this.play();
  }

  stop(): Promise<void> {
    return this.jumpTo(0, 'stop', (c) => this.api.stop(c));
  }

  seek(seconds: number): Promise<void> {
    const pb = this.state.playback;
    const target = clampSeek(seconds, pb?.durationS ?? 0, binMsOf(pb));
    return this.jumpTo(target, 'seek', (c) => this.api.seek(c, target));
  }

  /** Step from where the user sees the playback (or from the last step still in flight). */
  step(deltaS: number, nowMs = performance.now()): Promise<void> {
    const pb = this.state.playback;
    if (!pb) return Promise.resolve();
    const base = this.pendingStep && nowMs - this.pendingStep.at < 400 ? this.pendingStep.target : this.positionAt(nowMs);
    const target = clampSeek(base + deltaS, pb.durationS, binMsOf(pb));
    this.pendingStep = { target, at: nowMs };
    return this.seek(target);
  }

  /** A seek or stop: the plots start afresh at once, before the engine answers. */
  private async jumpTo(target: number, what: string, fn: (code: string) => Promise<PlaybackSnapshot>): Promise<void> {
    const pb = this.state.playback;
    const code = this.state.selected;
    if (code === null) {
      this.toastInfo('Select or create a session first.');
      return;
    }
    if (pb) {
      // Packets already sent belong to the old position: drop them, clear the plots, and show
      // the target position at once (the engine's snapshot replaces it a moment later).
      this.resetLive(pb.packetsSent);
      this.set({ playback: { ...pb, positionS: target } });
    }
    const snap = await this.run(what, () => fn(code));
    if (snap) this.pipeline.raiseFloor(snap.packetsSent);
    this.applySnapshot(snap);
  }

  setSpeed(speed: number): Promise<void> {
    return this.playbackCommand('change the speed', (c) => this.api.setSpeed(c, speed));
  }

  stepSpeed(direction: -1 | 1): Promise<void> {
    const pb = this.state.playback;
    return pb ? this.setSpeed(nextSpeedPreset(pb.speed, direction)) : Promise.resolve();
  }

  setLoop(loop: boolean): Promise<void> {
    return this.playbackCommand('change looping', (c) => this.api.setLoop(c, loop));
  }

  setFilters(filters: SessionFilters): Promise<void> {
    return this.playbackCommand('apply the filter', (c) => this.api.setFilters(c, filters));
  }

  /** Click on a target: filter by it, or remove that filter if it is the active one. */
  toggleTarget(targetId: number): Promise<void> {
    const f = this.state.playback?.filters ?? { trial_id: null, target_id: null };
    if (f.target_id === targetId) return this.setFilters({ trial_id: f.trial_id, target_id: null });
    const trial = f.trial_id === null ? undefined : this.state.trialById.get(f.trial_id);
    // Keep a trial filter only if that trial aims at the new target (else the intersection is empty).
    return this.setFilters({ trial_id: trial?.targetId === targetId ? f.trial_id : null, target_id: targetId });
  }

  /** Click on a trial row: filter by it, or remove that filter if it is the active one. */
  toggleTrial(trialId: number): Promise<void> {
    const f = this.state.playback?.filters ?? { trial_id: null, target_id: null };
    if (f.trial_id === trialId) return this.setFilters({ trial_id: null, target_id: f.target_id });
    const trial = this.state.trialById.get(trialId);
    return this.setFilters({ trial_id: trialId, target_id: f.target_id !== null && trial?.targetId === f.target_id ? f.target_id : null });
  }

  clearFilters(): Promise<void> {
    return this.setFilters({ trial_id: null, target_id: null });
  }

  private addSession(s: SessionSummary): void {
    if (!this.state.sessions.some((x) => x.code === s.code)) this.set({ sessions: [...this.state.sessions, s] });
  }

  /**
   * Creates a session (a blank code asks the engine to generate one) and follows it. Only
   * settings that differ from the engine's defaults (not blind, every bin scored) are sent.
   */
  async createSession(code: string, opts: NewSessionOptions = {}): Promise<boolean> {
    const trimmed = code.trim();
    const req: CreateSessionRequest = trimmed ? { code: trimmed } : {};
    if (opts.blind) req.blind = true;
    if (opts.evaluate && opts.evaluate !== 'all') req.evaluate = opts.evaluate;
    if (opts.binMs !== undefined && opts.binMs !== BIN_MS) req.binMs = opts.binMs;
    const s = await this.run('create the session', () => this.api.createSession(req));
    if (!s) return false;
    this.addSession(s);
    this.select(s.code);
    return true;
  }

  /**
   * Puts the followed session's stream under seeded stress, changes it, or (null) restores the
   * clean stream. The engine checks the settings: a refusal is a toast with its reason. Returns
   * whether the engine took them.
   */
  async setPerturbations(p: Perturbations | null): Promise<boolean> {
    const code = this.state.selected;
    if (code === null) {
      this.toastInfo('Select or create a session first.');
      return false;
    }
    const snap = await this.run(p ? 'apply the stress settings' : 'turn the stress off', () => this.api.setPerturbations(code, p));
    if (!snap) return false;
    this.applySnapshot(snap);
    // The list and its badge say so at once (its next update says the same).
    if (this.state.sessions.some((x) => x.code === code)) {
      this.set({ sessions: this.state.sessions.map((x) => (x.code === code ? { ...x, perturbations: snap.perturbations } : x)) });
    }
    return true;
  }

  async deleteSession(code: string): Promise<void> {
    const ok = await this.run(`delete session "${code}"`, () => this.api.deleteSession(code).then(() => true));
    if (!ok) return;
    const sessions = this.state.sessions.filter((s) => s.code !== code);
    this.set({ sessions });
    if (this.state.selected === code) this.select(sessions.find((s) => s.code === DEMO_SESSION)?.code ?? sessions[0]?.code ?? null);
  }

  // ------------------------------------------------------------ recordings

  private onRecordings(list: RecordingSummary[]): void {
    // A recording that stopped on its own (disk full, folder removed) must not go unnoticed.
    for (const r of newlyFailed(this.state.recordingsLoaded ? this.state.recordings : null, list)) this.toastError(`Recording of "${r.sessionCode}" stopped: ${r.error ?? 'failed'}`);
    const open = this.state.openRecording;
    const stillThere = open === null || list.some((r) => r.id === open.summary.id);
    this.set({ recordings: list, recordingsLoaded: true, ...(stillThere ? {} : { openRecording: null }) });
  }

  /** Starts or stops recording a session (the record button). */
  async toggleRecording(code: string): Promise<void> {
    const s = this.state.sessions.find((x) => x.code === code);
    if (s?.recording) await this.run(`stop recording "${code}"`, () => this.api.stopRecording(code));
    else await this.run(`record "${code}"`, () => this.api.startRecording(code));
  }

  async openRecordingDetail(id: string | null): Promise<void> {
    if (id === null) return this.set({ openRecording: null });
    const detail = await this.run('open the recording', () => this.api.getRecording(id));
    if (detail) this.set({ openRecording: detail });
  }

  async deleteRecording(id: string): Promise<void> {
    const ok = await this.run('delete the recording', () => this.api.deleteRecording(id).then(() => true));
    if (!ok) return;
    this.set({
      recordings: this.state.recordings.filter((r) => r.id !== id),
      ...(this.state.openRecording?.summary.id === id ? { openRecording: null } : {}),
    });
  }

  /** Exports a stopped recording into its folder; says where it went, or why it did not. */
  async exportRecording(id: string, format: ExportFormat): Promise<void> {
    const job = await this.run(`export the recording to ${format.toUpperCase()}`, () => this.api.exportRecording(id, format));
    if (!job) return;
    if (job.state === 'failed') return this.toastError(`Export to ${format.toUpperCase()} failed: ${job.error ?? 'unknown error'}`);
    const left = job.omitted.length ? ` (left out: ${job.omitted.length === 1 ? job.omitted[0] : `${job.omitted.length} things, listed in the file`})` : '';
    this.toastInfo(`Exported ${format.toUpperCase()} to ${job.path}${left}`);
  }

  // ------------------------------------------------------------ live scoring

  /** Starts every decoder's scores of the followed session afresh. */
  async resetScores(): Promise<void> {
    const code = this.state.selected;
    if (code === null) return;
    await this.run('reset the scores', () => this.api.resetScores(code));
  }

  /** Starts the reference (ridge) decoder on the followed session; its status shows at once. */
  async startReferenceDecoder(): Promise<void> {
    const code = this.state.selected;
    if (code === null) {
      this.toastInfo('Select or create a session first.');
      return;
    }
    const status = await this.run('start the reference decoder', () => this.api.startReferenceDecoder(code));
    if (status) this.showReferenceStatus(code, status);
  }

  async stopReferenceDecoder(): Promise<void> {
    const code = this.state.selected;
    if (code === null) return;
    await this.run('stop the reference decoder', () => this.api.stopReferenceDecoder(code));
  }

  /** The engine's answer, until the next scoreboard says the same (or more). */
  private showReferenceStatus(code: string, status: ReferenceDecoderStatus): void {
    const sb = this.state.scoreboard;
    if (this.state.selected !== code || !sb || sb.code !== code) return;
    this.set({ scoreboard: { ...sb, referenceDecoder: status } });
  }

  // ------------------------------------------------------------ dataset

  async openDataset(path: string): Promise<void> {
    const p = path.trim();
    if (!p) {
      this.set({ datasetError: 'Type the path of an NWB file first.' });
      return;
    }
    await this.loadDataset(() => this.api.openDataset(p));
  }

  async chooseDataset(): Promise<void> {
    await this.loadDataset(() => this.api.chooseDataset(), () => {
      if (this.host.kind === 'browser') this.toastInfo('The browser host has no file dialog: type the file’s path and press Open.');
    });
  }

  private async loadDataset(fn: () => Promise<DatasetSummary | null>, onNone?: () => void): Promise<void> {
    if (this.state.datasetBusy) return;
    this.set({ datasetBusy: true, datasetError: null });
    try {
      const ds = await fn();
      if (ds) this.onDataset(ds);
      else onNone?.();
      this.set({ datasetBusy: false });
      void this.refreshRecent();
    } catch (err) {
      // The engine kept the previous dataset; say what was wrong with this one.
      this.set({ datasetBusy: false, datasetError: errorMessage(err) });
    }
  }

  dismissDatasetError(): void {
    this.set({ datasetError: null });
  }

  // ------------------------------------------------------------ UI settings

  setPresentation(on: boolean): void {
    if (on === this.state.presentation) return;
    this.set({ presentation: on });
    // The desktop host goes full screen with it; a browser tab keeps it to itself.
    if (this.host.kind === 'electron') void this.api.setPresentation(on).catch(() => {});
  }

  setWindow(windowS: number): void {
    this.live.setWindow(windowS);
    this.set({ windowS });
  }

  // ------------------------------------------------------------ toasts

  /** An error toast, dismissed after ERROR_TOAST_MS (or by the user). */
  toastError(message: string): void {
    const id = this.toast('error', message);
    setTimeout(() => this.dismissToast(id), ERROR_TOAST_MS);
  }

  /** An information toast, dismissed after INFO_TOAST_MS. */
  toastInfo(message: string): void {
    const id = this.toast('info', message);
    setTimeout(() => this.dismissToast(id), INFO_TOAST_MS);
  }

  private toast(kind: Toast['kind'], message: string): number {
    const { toasts, id } = withToast(this.state.toasts, kind, message, this.nextToastId);
    if (id === this.nextToastId) this.nextToastId++;
    this.set({ toasts });
    return id;
  }

  dismissToast(id: number): void {
    if (this.state.toasts.some((t) => t.id === id)) this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }
}
