/**
 * A stand-in for the `electron` module (no Electron runtime can be installed here). It records
 * what the main process does with it; once the window has loaded, it exercises the IPC
 * handlers like a renderer would and writes a report to $FAKE_ELECTRON_REPORT.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const handlers = new Map();
const listeners = new Map();
const windows = [];
let menuTemplate = null;
const userData = mkdtempSync(join(tmpdir(), 'phantomlink-fake-electron-'));

export const ipcMain = {
  handle(channel, fn) {
    if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    handlers.set(channel, fn);
  },
  on(channel, fn) {
    listeners.set(channel, fn);
  },
};

export const app = {
  whenReady: () => Promise.resolve(),
  getPath: () => userData,
  // Only the main process: main lowers every other process it lists (src/main/studio/windowPriority.ts).
  getAppMetrics: () => [{ pid: process.pid, type: 'Browser' }],
  on() {},
  quit() {},
  exit(code) {
    process.exit(code);
  },
};

export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showErrorBox() {},
};
export const shell = { openExternal: async () => {} };
export const Menu = {
  buildFromTemplate: (t) => t,
  setApplicationMenu: (t) => {
    menuTemplate = t;
  },
};

export class BrowserWindow {
  constructor(options) {
    this.options = options;
    this.events = {};
    this.webContents = {
      id: windows.length + 1,
      windowOpenHandler: null,
      setWindowOpenHandler: (h) => (this.webContents.windowOpenHandler = h),
      on: (ev, fn) => (this.events[ev] = fn),
      send: () => {},
      isDestroyed: () => false,
      once() {},
      session: { setPermissionRequestHandler: (h) => (this.permissionHandler = h) },
    };
    windows.push(this);
  }
  setFullScreen(on) {
    this.fullScreen = on;
  }
  async loadURL(url) {
    this.loaded = url;
    await report();
  }
  async loadFile(file) {
    this.loaded = file;
    await report();
  }
}

async function report() {
  const win = windows[0];
  const pageUrl = new URL(`file://${win.loaded}`).href;
  const trusted = { sender: win.webContents, senderFrame: { url: pageUrl } };
  const untrusted = { sender: win.webContents, senderFrame: { url: 'https://evil.example/' } };
  const call = (channel, event, ...args) => handlers.get(channel)(event, ...args);
  let navigationPrevented = false;
  win.events['will-navigate']?.({ preventDefault: () => (navigationPrevented = true) }, 'https://evil.example/');
  let permission;
  win.permissionHandler?.(null, 'media', (ok) => (permission = ok));
  const out = {
    handlers: [...handlers.keys()].sort(),
    listeners: [...listeners.keys()].sort(),
    webPreferences: win.options.webPreferences,
    loaded: win.loaded,
    windowOpen: win.webContents.windowOpenHandler?.({ url: 'https://example.org/' }),
    navigationPrevented,
    permission,
    menu: menuTemplate?.map((m) => ({ label: m.label, items: (m.submenu ?? []).map((i) => i.label ?? i.role ?? i.type) })),
    dataset: await call('studio:cmd:getDataset', trusted),
    badArgs: await call('studio:cmd:seek', trusted, 'demo', 'not a number'),
    untrusted: await call('studio:cmd:getDataset', untrusted),
    created: await call('studio:cmd:createSession', trusted, { code: 'fake-ipc' }),
  };
  writeFileSync(process.env.FAKE_ELECTRON_REPORT, JSON.stringify(out, null, 2));
  process.exit(0);
}

export const contextBridge = {};
export const ipcRenderer = {};
export default { app, BrowserWindow, ipcMain, dialog, shell, Menu };
