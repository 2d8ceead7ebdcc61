/**
 * StudioApi over Electron IPC, renderer side. Takes `ipcRenderer` as a parameter so the
 * bridge is tested in plain Node; the preload entry only hands it Electron's.
 */
import {
  IPC_EVENT,
  IPC_SUBSCRIBE,
  IPC_UNSUBSCRIBE,
  STUDIO_COMMANDS,
  ipcCommandChannel,
  type IpcResult,
  type StudioApi,
  type StudioEvent,
  type Unsubscribe,
} from '../shared/studioApi.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createIpcStudioApi(ipc: IpcRendererLike): StudioApi {
  let nextId = 1;
  const listeners = new Map<number, (payload: unknown) => void>();
  ipc.on(IPC_EVENT, (_event, id, payload, error) => {
    if (error) {
      console.warn(`studio: subscription refused: ${(error as { message?: string }).message}`);
      return;
    }
    listeners.get(id as number)?.(payload);
  });

  const api: Record<string, unknown> = {
    subscribe(event: StudioEvent, args: unknown[], listener: (payload: unknown) => void): Unsubscribe {
      const id = nextId++;
      listeners.set(id, listener);
      ipc.send(IPC_SUBSCRIBE, id, event, args);
      return () => {
        listeners.delete(id);
        ipc.send(IPC_UNSUBSCRIBE, id);
      };
    },
  };
  for (const command of STUDIO_COMMANDS) {
    api[command] = async (...args: unknown[]) => {
      const r = (await ipc.invoke(ipcCommandChannel(command), ...args)) as IpcResult;
      if (r.ok) return r.value;
      // contextBridge copies only an Error's message across worlds, so the message carries the
      // code and the text as JSON; the renderer's host selection unpacks it (unpackBridgeError).
      throw new Error(JSON.stringify(r.error));
    };
  }
  return api as StudioApi;
}
