/**
 * Scoring in the studio, over the browser host's studio channel: the scoreboard event, the
 * predictions in packet batches, blind sessions, and the reference decoder started and
 * stopped with one command (a real `phantomlink decoder` process).
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { createWsStudioClient } from '../../src/renderer/src/host/wsStudioClient.ts';
import type { PacketBatch, Scoreboard, StudioApi } from '../../src/shared/studioApi.ts';
import { startTestServer, TestClient, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let studio: StudioApi;
beforeAll(async () => {
  t = await startTestServer();
  t.server.attachStudio(new StudioService(t.engine, t.server, { pollMs: 50 }));
  studio = createWsStudioClient(`${t.ws}/studio/channel`, { WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
});
afterAll(async () => {
  await t.close();
});

/** Resolves with the first scoreboard that satisfies `pred`. */
function boardWhere(code: string, pred: (b: Scoreboard) => boolean, timeoutMs = 30_000): Promise<Scoreboard> {
  return new Promise((resolve, reject) => {
    let last: Scoreboard | null = null;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no such scoreboard in time; the last: ${JSON.stringify(last)?.slice(0, 600)}`));
    }, timeoutMs);
    const off = studio.subscribe('scoreboard', [code], (b) => {
      last = b;
      if (!pred(b)) return;
      clearTimeout(timer);
      queueMicrotask(() => off());
      resolve(b);
    });
  });
}

describe('scoring in the studio', () => {
  it('creates a blind session with an evaluation window; the list and the snapshot say so', async () => {
    const s = await studio.createSession({ code: 'st-blind', blind: true, evaluate: 'movement' });
    expect(s).toMatchObject({ blind: true, evaluate: 'movement' });
    expect(await studio.getPlayback('st-blind')).toMatchObject({ blind: true, evaluate: 'movement' });
    await expect(studio.createSession({ code: 'st-bad', evaluate: 'sometimes' as never })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('the experimenter sees the truth of a blind session and every decoder’s predictions in the packet batches', async () => {
    const batches: PacketBatch[] = [];
    const off = studio.subscribe('packets', ['st-blind'], (b) => batches.push(b));
    const d = new TestClient(`${t.ws}/stream/st-blind?decoder=echo`);
    await d.until(() => d.packets.length >= 20, '20 packets');
    for (const p of d.packets) d.send({ type: 'prediction', sequence_number: p.sequence_number, vx: p.sequence_number, vy: -1 });
    await new Promise((r) => setTimeout(r, 300));
    off();
    expect(d.packets.every((p) => p.kinematics.vx === null)).toBe(true);
    const packets = batches.flatMap((b) => b.packets);
    expect(packets.some((p) => p.vx !== null)).toBe(true);
    const predictions = batches.flatMap((b) => b.predictions);
    const board = await boardWhere('st-blind', (b) => b.decoders.length === 1);
    const id = board.decoders[0].id;
    const mine = predictions.filter((p) => p.decoder === id);
    expect(mine.length).toBe(20);
    for (const p of mine) expect(p).toMatchObject({ vx: p.seq, vy: -1, x: null, y: null });
    d.ws.close();
  });

  it('resetScores over the channel clears the counts; a disconnected decoder’s row goes', async () => {
    const d = new TestClient(`${t.ws}/stream/st-reset?decoder=gone`);
    await d.until(() => d.packets.length >= 5, 'packets');
    for (const p of d.packets) d.send({ type: 'prediction', sequence_number: p.sequence_number, vx: 0 });
    await boardWhere('st-reset', (b) => b.decoders[0]?.counts.predictions === 5);
    d.ws.close();
    await boardWhere('st-reset', (b) => b.decoders[0]?.connected === false);
    await studio.resetScores('st-reset');
    expect((await boardWhere('st-reset', () => true)).decoders).toEqual([]);
  });

  it('starts the reference decoder with one command: it trains, then predicts and scores well; stop ends it', async () => {
    await studio.createSession({ code: 'st-ref', speed: 20 });
    const started = await studio.startReferenceDecoder('st-ref');
    expect(started.state).toBe('starting');
    await boardWhere('st-ref', (b) => b.referenceDecoder?.state === 'training');
    const predicting = await boardWhere('st-ref', (b) => b.referenceDecoder?.state === 'predicting' && (b.decoders[0]?.cumulative.n ?? 0) > 200, 45_000);
    const row = predicting.decoders.find((x) => x.name === 'reference')!;
    expect(row.axes).toEqual(['vx', 'vy']);
    expect(row.cumulative.r2).toBeGreaterThan(0.3);
    await studio.stopReferenceDecoder('st-ref');
    const stopped = await boardWhere('st-ref', (b) => b.referenceDecoder?.state === 'exited');
    expect(stopped.referenceDecoder!.message).toBe('stopped');
    expect(stopped.decoders.find((x) => x.name === 'reference')!.connected).toBe(false);
  }, 60_000);
});
