/**
 * The preload exposes the studio's typed API to the renderer and nothing else.
 * (The full StudioApi bridge arrives with the studio window; until then only version info.)
 */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('phantomlink', { host: 'electron' as const });
