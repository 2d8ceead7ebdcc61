import { describe, expect, it } from 'vitest';
import type {
  ClientSummary,
  CreateSessionRequest,
  DecoderSummary,
  PlaybackSnapshot,
  Scoreboard,
  SessionSummary,
  StudioApi,
  StudioEvent,
  StudioEventMap,
  StudioPacket,
} from '../../src/shared/studioApi.ts';
import type { Perturbations, SessionFilters } from '../../src/shared/wire.ts';
import { DEFAULT_STRESS_FORM, formToPerturbations, type StressForm } from '../../src/renderer/src/data/stress.ts';
import type { StudioHost } from '../../src/renderer/src/host/index.ts';
import { StudioStore } from '../../src/renderer/src/state/store.ts';

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An in-memory StudioApi: commands act on a map of sessions; tests emit subscription events by hand. */
function fakeHost() {
  const sessions = new Map<string, PlaybackSnapshot>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: string[] = [];
  const requests: CreateSessionRequest[] = [];
  /** Every setPerturbations argument, as the engine got it. */
  const perturbs: Array<Perturbations | null> = [];
  const snap = (code: string, more: Partial<PlaybackSnapshot> = {}): PlaybackSnapshot => ({
    code,
    status: 'playing',
    positionS: 0,
    durationS: 600,
    speed: 1,
    loop: true,
    filters: { trial_id: null, target_id: null },
    packetsSent: 0,
    recordingTimeS: 0,
    trialStartsS: [0, 2, 4],
    blind: false,
    evaluate: 'all',
    binMs: 25,
    perturbations: null,
    ...more,
  });
  const summary = (s: PlaybackSnapshot): SessionSummary => ({
    code: s.code,
    status: s.status,
    clients: 0,
    positionS: s.positionS,
    durationS: s.durationS,
    speed: s.speed,
    loop: s.loop,
    filters: s.filters,
    packetsSent: s.packetsSent,
    recordingTimeS: s.recordingTimeS,
    blind: s.blind,
    evaluate: s.evaluate,
    binMs: s.binMs,
    perturbations: s.perturbations,
    streamUrl: `ws://h/stream/${s.code}`,
    binaryStreamUrl: `ws://h/stream/binary/${s.code}`,
    recording: null,
  });
  const get = (code: string) => {
    const s = sessions.get(code);
    if (!s) throw new Refusal('session_not_found', `session "${code}" not found`);
    return s;
  };
  const update = (code: string, patch: Partial<PlaybackSnapshot>) => {
    const s = { ...get(code), ...patch };
    sessions.set(code, s);
    return s;
  };
  let generated = 0;
  const api = {
    async listSessions() {
      return [...sessions.values()].map(summary);
    },
    async createSession(req: CreateSessionRequest) {
      calls.push(`create ${req.code ?? '(generated)'}`);
      requests.push(req);
      const code = req.code ?? `gen-${++generated}`;
      if (sessions.has(code)) throw new Refusal('session_exists', `session "${code}" already exists`);
      sessions.set(code, snap(code, { blind: req.blind ?? false, evaluate: req.evaluate ?? 'all', binMs: req.binMs ?? 25, perturbations: req.perturbations ?? null }));
      return summary(sessions.get(code)!);
    },
    async deleteSession(code: string) {
      get(code);
      sessions.delete(code);
    },
    async play(code: string) {
      return update(code, { status: 'playing' });
    },
    async pause(code: string) {
      return update(code, { status: 'paused' });
    },
    async stop(code: string) {
      return update(code, { status: 'paused', positionS: 0 });
    },
    async seek(code: string, s: number) {
      calls.push(`seek ${s}`);
      return update(code, { positionS: s, packetsSent: get(code).packetsSent + 1000 });
    },
    async setSpeed(code: string, speed: number) {
      return update(code, { speed });
    },
    async setLoop(code: string, loop: boolean) {
      return update(code, { loop });
    },
    async setFilters(code: string, filters: SessionFilters) {
      calls.push(`filters ${filters.trial_id} ${filters.target_id}`);
      if (filters.trial_id === 999) throw new Refusal('invalid_filter', 'trial 999 does not exist');
      return update(code, { filters, positionS: 0, packetsSent: get(code).packetsSent + 500 });
    },
    async setPerturbations(code: string, p: Perturbations | null) {
      perturbs.push(p);
      // The engine's check, for one value: its message is what the studio must show.
      const f = p?.dropout?.fraction;
      if (f !== undefined && !(f >= 0 && f <= 1)) throw new Refusal('invalid_params', `dropout.fraction must be a number in [0, 1] (got ${f})`);
      return update(code, { perturbations: p });
    },
    async getPlayback(code: string) {
      return get(code);
    },
    async openDataset(path: string) {
      throw new Refusal('dataset_error', `cannot load ${path}: file not found`);
    },
    async chooseDataset() {
      return null;
    },
    async recentDatasets() {
      return [];
    },
    async getDataset() {
      throw new Error('not used');
    },
    async getTrials() {
      return [
        { id: 0, targetId: 3, success: true, startTime: 0, duration: 2 },
        { id: 1, targetId: 5, success: true, startTime: 2, duration: 2 },
      ];
    },
    async getTargets() {
      return [
        { id: 3, x: 10, y: 0, numTrials: 1 },
        { id: 5, x: -10, y: 0, numTrials: 1 },
      ];
    },
    async resetScores(code: string) {
      calls.push(`resetScores ${code}`);
    },
    async startReferenceDecoder(code: string) {
      calls.push(`startReference ${code}`);
      return { name: 'reference', state: 'starting', message: 'launching' };
    },
    async stopReferenceDecoder(code: string) {
      calls.push(`stopReference ${code}`);
    },
    async serverInfo() {
      return { httpUrl: 'http://h', wsUrl: 'ws://h', host: 'h', port: 1, version: 't' };
    },
    subscribe<E extends StudioEvent>(event: E, args: StudioEventMap[E]['args'], listener: (p: StudioEventMap[E]['event']) => void) {
      const key = `${event}:${args.join(',')}`;
      if (!listeners.has(key)) listeners.set(key, new Set());
      const l = listener as (p: unknown) => void;
      listeners.get(key)!.add(l);
      return () => listeners.get(key)!.delete(l);
    },
  } as unknown as StudioApi;
  const host: StudioHost = { kind: 'browser', api, isConnected: () => true, onConnectionChange: () => () => {} };
  const emit = (key: string, payload: unknown) => {
    for (const l of listeners.get(key) ?? []) l(payload);
  };
  const emitSessions = () => emit('sessions:', [...sessions.values()].map(summary));
  return { host, sessions, listeners, calls, requests, perturbs, emit, emitSessions, snap };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

const packet = (seq: number, positionS: number): StudioPacket => ({
  seq,
  bin: seq,
  positionS,
  counts: [1, 2],
  x: 1,
  y: 2,
  vx: 0,
  vy: 0,
  trialId: 0,
  trialTimeMs: 0,
  targetId: 3,
});

async function started() {
  const f = fakeHost();
  const store = new StudioStore(f.host);
  store.start();
  f.emitSessions(); // the first (empty) session list
  await tick();
  await tick();
  return { f, store };
}

describe('StudioStore (the renderer’s mirror of the engine)', () => {
  it('creates and follows a "demo" session on first load when there is none', async () => {
    const { f, store } = await started();
    expect(f.calls).toContain('create demo');
    expect(store.state.selected).toBe('demo');
    expect(f.listeners.get('playback:demo')?.size).toBe(1);
    expect(f.listeners.get('packets:demo')?.size).toBe(1);
  });

  it('follows an existing session instead of creating one, and another when it disappears', async () => {
    const f = fakeHost();
    f.sessions.set('lab-1', f.snap('lab-1'));
    f.sessions.set('lab-2', f.snap('lab-2'));
    const store = new StudioStore(f.host);
    store.start();
    f.emitSessions();
    await tick();
    expect(f.calls).not.toContain('create demo');
    expect(store.state.selected).toBe('lab-1');
    f.sessions.delete('lab-1'); // deleted elsewhere (REST, another window)
    f.emitSessions();
    expect(store.state.selected).toBe('lab-2');
    expect(f.listeners.get('packets:lab-1')?.size).toBe(0); // unsubscribed from the old one
  });

  it('shows a refusal as a dismissable error toast, once per message', async () => {
    const { store } = await started();
    await store.createSession('demo');
    await store.createSession('demo');
    expect(store.state.toasts).toHaveLength(1);
    expect(store.state.toasts[0]).toMatchObject({ kind: 'error', repeat: 2 });
    expect(store.state.toasts[0].message).toMatch(/already exists/);
    store.dismissToast(store.state.toasts[0].id);
    expect(store.state.toasts).toHaveLength(0);
  });

  it('a bad dataset path becomes the dataset error, not a crash', async () => {
    const { store } = await started();
    await store.openDataset('/nope.nwb');
    expect(store.state.datasetError).toMatch(/file not found/);
    expect(store.state.datasetBusy).toBe(false);
  });

  it('toggles target and trial filters the way clicks on the map and the list should', async () => {
    const { f, store } = await started();
    f.emit('dataset:', { path: '/d.nwb', totalPackets: 100 });
    await tick();
    await store.toggleTarget(3);
    expect(store.state.playback?.filters).toEqual({ trial_id: null, target_id: 3 });
    await store.toggleTrial(0); // trial 0 aims at target 3: both stay
    expect(store.state.playback?.filters).toEqual({ trial_id: 0, target_id: 3 });
    await store.toggleTarget(5); // trial 0 is not aimed at 5: the trial filter goes
    expect(store.state.playback?.filters).toEqual({ trial_id: null, target_id: 5 });
    await store.toggleTarget(5); // click again: off
    expect(store.state.playback?.filters).toEqual({ trial_id: null, target_id: null });
    await store.toggleTrial(999); // refused: a toast, filters unchanged
    expect(store.state.playback?.filters).toEqual({ trial_id: null, target_id: null });
    expect(store.state.toasts.at(-1)?.message).toMatch(/trial 999/);
  });

  it('steps from the position on screen, accumulating quick presses, clamped to the timeline', async () => {
    const { f, store } = await started();
    f.emit('playback:demo', f.snap('demo', { status: 'paused', positionS: 10 }));
    await store.step(1, 1000);
    await store.step(1, 1100);
    await store.step(-0.1, 1200);
    expect(f.calls.filter((c) => c.startsWith('seek'))).toEqual(['seek 11', 'seek 12', 'seek 11.9']);
    await store.step(10_000, 5000);
    expect(f.calls.at(-1)).toBe('seek 599.975');
  });

  it('drops packets from before a seek and draws the ones after it', async () => {
    const { f, store } = await started();
    f.sessions.set('demo', f.snap('demo', { status: 'paused', positionS: 1, packetsSent: 40 }));
    f.emit('playback:demo', f.sessions.get('demo'));
    f.emit('packets:demo', { code: 'demo', packets: [packet(40, 1.0), packet(41, 1.025)] });
    store.advance(0);
    expect(store.live.packets).toBe(2);
    await store.seek(100);
    expect(store.live.packets).toBe(0); // the plots start afresh at once
    f.emit('packets:demo', { code: 'demo', packets: [packet(42, 1.05)] }); // in flight before the seek
    f.emit('packets:demo', { code: 'other', packets: [packet(5000, 3)] }); // another session
    store.advance(16);
    expect(store.live.packets).toBe(0);
    f.emit('packets:demo', { code: 'demo', packets: [packet(1040, 100)] });
    store.advance(32);
    expect(store.live.packets).toBe(1);
    expect(store.positionAt(32)).toBe(100); // paused: the snapshot's position
  });

  it('tells React the trial and target on screen when the frame loop publishes them, once per change, not in the frame that takes the packet', async () => {
    const { f, store } = await started();
    f.emit('playback:demo', f.snap('demo', { status: 'playing', positionS: 5, packetsSent: 10 }));
    f.emit('packets:demo', { code: 'demo', packets: [packet(10, 5), packet(11, 5.025)] });
    let renders = 0;
    const off = store.subscribe(() => renders++);
    store.advance(0);
    store.advance(1000);
    expect(store.live.trialId).toBe(0);
    expect(store.state.liveTrialId).toBe(null);
    expect(renders).toBe(0);
    store.publishLive();
    expect(store.state.liveTrialId).toBe(0);
    expect(store.state.liveTargetId).toBe(3);
    store.publishLive();
    expect(renders).toBe(1);
    off();
  });

  it('with the frame loop batching, renders the polled session list, clients and metrics once per publish, latest values only; a session deleted here is not brought back by an older list', async () => {
    const f = fakeHost();
    f.sessions.set('demo', f.snap('demo'));
    f.sessions.set('lab-1', f.snap('lab-1'));
    const store = new StudioStore(f.host);
    store.batchServerState = true;
    store.start();
    f.emitSessions();
    await tick();
    // The first list shows at once (it ends "loading sessions") and picks the session to follow.
    expect(store.state.sessionsLoaded).toBe(true);
    expect(store.state.sessions.map((s) => s.code)).toEqual(['demo', 'lab-1']);
    expect(store.state.selected).toBe('demo');

    let renders = 0;
    const off = store.subscribe(() => renders++);
    const client = (packetsSent: number): ClientSummary => ({ id: 1, session: 'demo', endpoint: 'binary', address: '127.0.0.1', packetsSent, drops: 0, bufferedBytes: 0 });
    f.emit('clients:', [client(10)]);
    f.emit('clients:', [client(20)]);
    f.sessions.set('demo', f.snap('demo', { positionS: 3 }));
    f.emitSessions();
    f.emit('metrics:', { latenessP50Ms: 1, latenessP99Ms: 2, latenessMaxMs: 3, clients: 1, sessions: 2, rssMb: 90, eventLoopLagP99Ms: 1 });
    expect(renders).toBe(0);
    expect(store.state.clients).toEqual([]);
    store.publishLive();
    expect(renders).toBe(1);
    expect(store.state.clients).toEqual([client(20)]);
    expect(store.state.sessions.find((s) => s.code === 'demo')?.positionS).toBe(3);
    expect(store.state.metrics?.rssMb).toBe(90);
    store.publishLive();
    expect(renders).toBe(1); // nothing new: no render

    // An older list still waiting when the user deletes a session must not resurrect it.
    f.emitSessions();
    await store.deleteSession('lab-1');
    expect(store.state.sessions.map((s) => s.code)).toEqual(['demo']);
    store.publishLive();
    expect(store.state.sessions.map((s) => s.code)).toEqual(['demo']);
    off();
  });

  it('shows the position from packets while playing, from the snapshot otherwise', async () => {
    const { f, store } = await started();
    f.emit('playback:demo', f.snap('demo', { status: 'playing', positionS: 5, packetsSent: 10 }));
    f.emit('packets:demo', { code: 'demo', packets: [packet(10, 5), packet(11, 5.025), packet(12, 5.05)] });
    store.advance(0);
    store.advance(1000); // a second later: all three released at 1×
    expect(store.live.packets).toBe(3);
    expect(store.positionAt(1000)).toBeCloseTo(5.075, 9); // end of the last bin drawn
    expect(store.positionAt(5000)).toBe(5); // packets stopped coming: trust the snapshot
  });

  it('follows the selected session’s scoreboard: subscribes with it, drops the old one’s, ignores a stray one', async () => {
    const { f, store } = await started();
    expect(f.listeners.get('scoreboard:demo')?.size).toBe(1);
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['vx', 'vy'])]));
    expect(store.state.scoreboard?.decoders.map((d) => d.name)).toEqual(['ridge']);
    expect(store.state.decoderOverlays).toEqual([{ id: 'd1', name: 'ridge', slot: store.live.decoded.slots.peek('d1'), axes: ['vx', 'vy'] }]);

    await store.createSession('lab');
    expect(store.state.selected).toBe('lab');
    expect(f.listeners.get('scoreboard:demo')?.size).toBe(0);
    expect(f.listeners.get('scoreboard:lab')?.size).toBe(1);
    // The old session's decoders are gone from the panel and the overlays at once.
    expect(store.state.scoreboard).toBeNull();
    expect(store.state.decoderOverlays).toEqual([]);
    expect(store.live.decoded.slots.peek('d1')).toBe(-1);
    // A scoreboard of another session (a late event) is not shown.
    f.emit('scoreboard:lab', scoreboard('demo', [decoder('d1', 'ridge', ['vx'])]));
    expect(store.state.scoreboard).toBeNull();
    f.emit('scoreboard:lab', scoreboard('lab', []));
    expect(store.state.scoreboard?.code).toBe('lab');
  });

  it('gives the charts a new overlay list only when a decoder, its slot or its axes change', async () => {
    const { f, store } = await started();
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['vx', 'vy'])]));
    const first = store.state.decoderOverlays;
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['vx', 'vy'], 10)]));
    expect(store.state.decoderOverlays).toBe(first); // new scores, same decoders: same array
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['x', 'y', 'vx', 'vy'])]));
    expect(store.state.decoderOverlays).not.toBe(first);
    expect(store.state.decoderOverlays[0].axes).toEqual(['x', 'y', 'vx', 'vy']);
    const slot = store.state.decoderOverlays[0].slot;
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d2', 'wiener', ['vx']), decoder('d1', 'ridge', ['x', 'y', 'vx', 'vy'])]));
    expect(store.state.decoderOverlays.find((o) => o.id === 'd1')?.slot).toBe(slot); // its colour stays
    expect(new Set(store.state.decoderOverlays.map((o) => o.slot)).size).toBe(2);
  });

  it('with the frame loop batching, holds the scoreboard for the DOM frame, and compares overlays with the held ones', async () => {
    const f = fakeHost();
    f.sessions.set('demo', f.snap('demo'));
    const store = new StudioStore(f.host);
    store.batchServerState = true;
    store.start();
    f.emitSessions();
    await tick();
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['vx'])]));
    expect(store.state.scoreboard).toBeNull();
    f.emit('scoreboard:demo', scoreboard('demo', [decoder('d1', 'ridge', ['vx'], 7)]));
    store.publishLive();
    expect(store.state.scoreboard?.decoders[0].counts.predictions).toBe(7);
    expect(store.state.decoderOverlays.map((o) => o.id)).toEqual(['d1']);
  });

  it('hands the predictions of a packet batch to the live buffers, joined by sequence number', async () => {
    const { f, store } = await started();
    f.emit('playback:demo', f.snap('demo', { status: 'paused', positionS: 0 }));
    f.emit('packets:demo', {
      code: 'demo',
      packets: [packet(0, 0), packet(1, 0.025)],
      predictions: [{ seq: 1, decoder: 'd1', x: null, y: null, vx: 40, vy: -8 }],
    });
    store.advance(0);
    const slot = store.live.decoded.slots.peek('d1');
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(store.live.decoded.value(slot, 'vx', 1)).toBe(40);
    expect(store.live.decoded.value(slot, 'vx', 0)).toBeNaN();
    // A batch from an engine without live scoring (no `predictions`) is fine too.
    f.emit('packets:demo', { code: 'demo', packets: [packet(2, 0.05)] });
    store.advance(16);
    expect(store.live.packets).toBe(3);
  });

  it('creates a blind session scored on movement, sending only what differs from the defaults', async () => {
    const { f, store } = await started();
    await store.createSession('plain');
    await store.createSession('hidden', { blind: true, evaluate: 'movement' });
    await store.createSession('trials-only', { blind: false, evaluate: 'trials' });
    expect(f.requests.slice(-3)).toEqual([{ code: 'plain' }, { code: 'hidden', blind: true, evaluate: 'movement' }, { code: 'trials-only', evaluate: 'trials' }]);
    await store.createSession('plain-2', { blind: false, evaluate: 'all' });
    expect(f.requests.at(-1)).toEqual({ code: 'plain-2' });
  });

  it('resets the scores and starts/stops the reference decoder of the followed session; its status shows at once', async () => {
    const { f, store } = await started();
    f.emit('scoreboard:demo', scoreboard('demo', []));
    await store.resetScores();
    await store.startReferenceDecoder();
    expect(store.state.scoreboard?.referenceDecoder).toEqual({ name: 'reference', state: 'starting', message: 'launching' });
    await store.stopReferenceDecoder();
    expect(f.calls.slice(-3)).toEqual(['resetScores demo', 'startReference demo', 'stopReference demo']);
  });
});

describe('StudioStore: bin width and stress (issue 11)', () => {
  it('creates a 10 ms session (binMs sent only when it is not 25) and plots it at 100 packets a second', async () => {
    const { f, store } = await started();
    expect(await store.createSession('fast', { binMs: 10 })).toBe(true);
    expect(await store.createSession('plain', { binMs: 25 })).toBe(true);
    expect(f.requests.slice(-2)).toEqual([{ code: 'fast', binMs: 10 }, { code: 'plain' }]);
    store.select('fast');
    expect(store.pipeline.rateHz).toBe(100); // from the session list, before any snapshot
    expect(store.live.columns).toBe(1000); // 10 s of 10 ms bins
    f.emit('playback:fast', f.sessions.get('fast'));
    f.emit('packets:fast', { code: 'fast', packets: Array.from({ length: 10 }, (_, i) => ({ ...packet(i, i / 100), counts: [1, 2] })) });
    store.advance(0);
    expect(store.advance(50)).toBe(5); // 50 ms at 100 a second
    expect(store.live.window.at(0, 0)).toBe(300); // 3 spikes in 10 ms: 300 spikes/s
    expect(store.positionAt(50)).toBeCloseTo(0.05, 9); // the end of the 5th 10 ms bin drawn
    // Seeks snap to its bins.
    await store.seek(1.2345);
    expect(f.calls).toContain('seek 1.23');
    // Back to a 25 ms session: 40 a second again.
    store.select('plain');
    expect(store.pipeline.rateHz).toBe(40);
    expect(store.live.columns).toBe(400);
  });

  it('sends the stress form as exactly that Perturbations object, and shows what the session then has', async () => {
    const { f, store } = await started();
    // The form as a user leaves it: dropout of named channels, Gaussian noise, 5 % loss, seed 7;
    // shuffle was switched on and off again (its values stay in the form, not in the request).
    const form: StressForm = {
      ...DEFAULT_STRESS_FORM,
      seed: '7',
      dropout: { on: true, mode: 'channels', percent: '25', channels: '20-23, 40 21', at: '' },
      shuffle: { on: false, mode: 'shift', shift: '3', at: '5' },
      noise: { on: true, mode: 'gaussian', amount: '1' },
      loss: { on: true, percent: '5' },
    };
    expect(await store.setPerturbations(formToPerturbations(form))).toBe(true);
    const sent = { seed: 7, dropout: { channels: [20, 21, 22, 23, 40] }, noise: { mode: 'gaussian', amount: 1 }, loss: { fraction: 0.05 } };
    expect(f.perturbs).toEqual([sent]);
    expect(store.state.playback?.perturbations).toEqual(sent);
    // The session list (its STRESS badge) says so at once.
    expect(store.state.sessions.find((s) => s.code === 'demo')?.perturbations).toEqual(sent);
    // Turn off: null, the clean stream.
    expect(await store.setPerturbations(null)).toBe(true);
    expect(f.perturbs[1]).toBeNull();
    expect(store.state.playback?.perturbations).toBeNull();
    expect(store.state.sessions.find((s) => s.code === 'demo')?.perturbations).toBeNull();
    expect(store.state.toasts).toEqual([]);
  });

  it('the engine’s refusal of a bad value is an error toast with its reason; nothing changes', async () => {
    const { f, store } = await started();
    const form: StressForm = { ...DEFAULT_STRESS_FORM, dropout: { ...DEFAULT_STRESS_FORM.dropout, on: true, percent: '150' } };
    expect(await store.setPerturbations(formToPerturbations(form))).toBe(false);
    expect(f.perturbs).toEqual([{ seed: 0, dropout: { fraction: 1.5 } }]);
    expect(store.state.toasts).toHaveLength(1);
    expect(store.state.toasts[0]).toMatchObject({ kind: 'error' });
    expect(store.state.toasts[0].message).toBe("Couldn't apply the stress settings: dropout.fraction must be a number in [0, 1] (got 1.5)");
    expect(store.state.playback?.perturbations ?? null).toBeNull();
  });

  it('a jittered 5 ms session: its held-back packets (positions up to 20 ms late) plot as one run', async () => {
    const { f, store } = await started();
    f.emit('playback:demo', f.snap('demo', { status: 'paused', binMs: 5, perturbations: { seed: 1, jitter: { max_ms: 20 } } }));
    expect(store.pipeline.rateHz).toBe(200);
    // Positions held back by up to 20 ms, as the studio's copy of a jittered stream carries them.
    f.emit('packets:demo', { code: 'demo', packets: [0.04, 0.04, 0.045, 0.06, 0.06].map((pos, i) => packet(i, pos)) });
    store.advance(0);
    expect(store.live.packets).toBe(5);
  });
});

function scoreSet(r2: number | null): DecoderSummary['cumulative'] {
  return { axes: { vx: { r2, r: 0.9, rmse: 10, n: 100 } }, r2, n: 100 };
}

function decoder(id: string, name: string, axes: DecoderSummary['axes'], predictions = 0): DecoderSummary {
  return {
    id,
    name,
    version: null,
    endpoint: 'json',
    address: '127.0.0.1',
    connected: true,
    axes,
    counts: { predictions, evaluated: predictions, missing: 0, late: 0, duplicates: 0, stale: 0, unknown: 0, invalid: 0, throttled: 0 },
    cumulative: scoreSet(0.5),
    rolling: scoreSet(0.4),
    latency: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
    rollingLatency: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
    reportedLatencyP50Ms: null,
    trials: [],
  };
}

function scoreboard(code: string, decoders: DecoderSummary[]): Scoreboard {
  return { code, blind: false, evaluate: 'all', resetAt: 0, decoders, referenceDecoder: null };
}
