/**
 * StudioApi over Electron IPC, main side. The Electron objects are passed in (structurally
 * typed), so this wiring runs under plain Node in tests with stand-ins.
 */
import { IPC_EVENT, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE, STUDIO_COMMANDS, ipcCommandChannel, type IpcResult, type Unsubscribe } from '../../shared/studioApi.ts';
import { refusalOf } from './errors.ts';
import type { StudioService } from './studioService.ts';

export interface IpcSender {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcEvent {
  sender: IpcSender;
  /** The frame that sent the message; its URL tells whether it is our page. */
  senderFrame?: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEvent, ...args: unknown[]) => unknown): void;
  on(channel: string, listener: (event: IpcEvent, ...args: unknown[]) => void): unknown;
}

/**
 * Registers a handler for every StudioApi command and the subscription channels.
 * `isTrustedSender` refuses messages from any page other than the studio's own.
 */
export function registerStudioIpc(ipcMain: IpcMainLike, service: StudioService, isTrustedSender: (e: IpcEvent) => boolean): void {
  const refuse = (): IpcResult => ({ ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted page' } });
  for (const command of STUDIO_COMMANDS) {
    ipcMain.handle(ipcCommandChannel(command), async (event, ...args): Promise<IpcResult> => {
      if (!isTrustedSender(event)) return refuse();
      try {
        return { ok: true, value: (await service.call(command, args)) ?? null };
      } catch (err) {
        return { ok: false, error: refusalOf(err) };
      }
    });
  }

  // Subscriptions per renderer (webContents), keyed by the renderer's subscription id.
  const bySender = new Map<number, Map<number, Unsubscribe>>();
  const subsOf = (sender: IpcSender) => {
    let subs = bySender.get(sender.id);
    if (!subs) {
      const created = new Map<number, Unsubscribe>();
      bySender.set(sender.id, created);
      sender.once('destroyed', () => {
        for (const off of created.values()) off();
        bySender.delete(sender.id);
      });
      subs = created;
    }
    return subs;
  };
  ipcMain.on(IPC_SUBSCRIBE, (event, id, name, args) => {
    if (!isTrustedSender(event) || typeof id !== 'number' || !Number.isSafeInteger(id)) return;
    const subs = subsOf(event.sender);
    if (subs.has(id)) return;
    try {
      subs.set(
        id,
        service.subscribe(name, args, (payload) => {
          if (!event.sender.isDestroyed()) event.sender.send(IPC_EVENT, id, payload);
        }),
      );
    } catch (err) {
      event.sender.send(IPC_EVENT, id, null, refusalOf(err));
    }
  });
  ipcMain.on(IPC_UNSUBSCRIBE, (event, id) => {
    if (typeof id !== 'number') return;
    const subs = bySender.get(event.sender.id);
    subs?.get(id)?.();
    subs?.delete(id);
  });
}
