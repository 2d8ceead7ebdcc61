import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStudioIpc, type IpcEvent, type IpcMainLike, type IpcSender } from '../../src/main/studio/electronIpc.ts';
import { StudioService } from '../../src/main/studio/studioService.ts';
import { STUDIO_COMMANDS, ipcCommandChannel, type IpcResult } from '../../src/shared/studioApi.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** ipcMain and a webContents, as far as the wiring uses them. */
class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, (e: IpcEvent, ...a: unknown[]) => unknown>();
  listeners = new Map<string, (e: IpcEvent, ...a: unknown[]) => void>();
  handle(channel: string, fn: (e: IpcEvent, ...a: unknown[]) => unknown) {
    this.handlers.set(channel, fn);
  }
  on(channel: string, fn: (e: IpcEvent, ...a: unknown[]) => void) {
    this.listeners.set(channel, fn);
  }
}
class FakeSender implements IpcSender {
  sent: unknown[][] = [];
  destroyed = false;
  private onDestroyed: (() => void) | null = null;
  constructor(readonly id: number) {}
  send(channel: string, ...args: unknown[]) {
    this.sent.push([channel, ...args]);
  }
  isDestroyed() {
    return this.destroyed;
  }
  once(_event: 'destroyed', fn: () => void) {
    this.onDestroyed = fn;
  }
  destroy() {
    this.destroyed = true;
    this.onDestroyed?.();
  }
}

const PAGE = 'file:///app/out/renderer/index.html';
let t: TestServer;
let ipc: FakeIpcMain;
beforeAll(async () => {
  t = await startTestServer();
  ipc = new FakeIpcMain();
  const service = new StudioService(t.engine, t.server, { pollMs: 20, packetFlushMs: 20 });
  registerStudioIpc(ipc, service, (e) => e.senderFrame?.url === PAGE);
});
afterAll(async () => {
  await t.close();
});

const event = (sender: FakeSender, url = PAGE): IpcEvent => ({ sender, senderFrame: { url } });
const invoke = (sender: FakeSender, command: string, ...args: unknown[]) =>
  ipc.handlers.get(command)!(event(sender), ...args) as Promise<IpcResult>;

describe('StudioApi over Electron IPC (main side, injected fakes)', () => {
  it('registers exactly one handler per command', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(STUDIO_COMMANDS.map(ipcCommandChannel).sort());
  });

  it('runs commands and returns refusals as data with a code', async () => {
    const s = new FakeSender(1);
    expect(await invoke(s, 'studio:cmd:createSession', { code: 'ipc-a' })).toMatchObject({ ok: true, value: { code: 'ipc-a' } });
    expect(await invoke(s, 'studio:cmd:createSession', { code: 'ipc-a' })).toMatchObject({ ok: false, error: { code: 'session_exists' } });
    expect(await invoke(s, 'studio:cmd:setSpeed', 'ipc-a', 99)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(await invoke(s, 'studio:cmd:setLoop', 'ipc-a', 'yes')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/true or false/) } });
    expect(await invoke(s, 'studio:cmd:createSession', { code: 'ipc-b', evil: 1 })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/unknown field/) } });
    expect(await invoke(s, 'studio:cmd:getDataset', 'extra')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/takes 0 argument/) } });
  });

  it('refuses every command from a page that is not the studio', async () => {
    const r = await ipc.handlers.get('studio:cmd:listSessions')!(event(new FakeSender(2), 'https://evil.example/'));
    expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted page' } });
  });

  it('streams subscriptions to the sender and stops them when its page goes away', async () => {
    const s = new FakeSender(3);
    ipc.listeners.get('studio:subscribe')!(event(s), 7, 'packets', ['ipc-a']);
    ipc.listeners.get('studio:subscribe')!(event(s), 8, 'nonsense', []);
    const deadline = Date.now() + 3000;
    while (!s.sent.some((m) => m[1] === 7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const batch = s.sent.find((m) => m[1] === 7)![2] as { code: string; packets: unknown[] };
    expect(batch.code).toBe('ipc-a');
    expect(batch.packets.length).toBeGreaterThan(0);
    expect(s.sent.find((m) => m[1] === 8)).toEqual(['studio:event', 8, null, expect.objectContaining({ code: 'unknown_event' })]);
    const session = t.engine.sessions.get('ipc-a')!;
    expect(session.subscriberCount).toBe(1); // the studio's packet feed
    s.destroy();
    expect(session.subscriberCount).toBe(0);
  });
});
