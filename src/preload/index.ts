/**
 * The preload exposes StudioApi to the renderer as `window.phantomlink.studio`, and nothing
 * else (no ipcRenderer, no Node). It is built as one self-contained CommonJS file, as a
 * sandboxed preload must be.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcStudioApi } from './studioBridge.ts';

contextBridge.exposeInMainWorld('phantomlink', {
  host: 'electron' as const,
  studio: createIpcStudioApi(ipcRenderer),
});
