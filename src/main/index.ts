/**
 * Electron entry: the same engine and server as `phantomlink serve`, plus the studio window.
 * Electron is imported only here and in the preload; everything behind it (engine, faces,
 * StudioService, IPC wiring) runs and is tested in plain Node.
 */
import { app, BrowserWindow, Menu, dialog, ipcMain, shell, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLogLevel, setLogLevel } from './common/log.ts';
import { Engine } from './playback/engine.ts';
import { startServer } from './server.ts';
import { registerStudioIpc, type IpcEvent } from './studio/electronIpc.ts';
import { RecentFiles } from './studio/recentFiles.ts';
import { StudioService } from './studio/studioService.ts';
import { lowerWindowProcesses } from './studio/windowPriority.ts';

/** The window's security settings (checked by test/electron against the built bundle). */
export const WINDOW_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  webSecurity: true,
} as const;

async function main(): Promise<void> {
  const level = process.env.PHANTOMLINK_LOG_LEVEL ?? 'info';
  setLogLevel(isLogLevel(level) ? level : 'info');
  await app.whenReady();
  lowerWindowProcesses(app); // the window's processes below the engine's (bench/README.md, Window)
  const engine = await Engine.start({ datasetPath: process.env.PHANTOMLINK_DATASET || undefined });
  const server = await startServer(engine, {
    host: process.env.PHANTOMLINK_HOST ?? '127.0.0.1',
    port: Number(process.env.PHANTOMLINK_PORT ?? 8000),
  });

  const rendererUrl = process.env.ELECTRON_RENDERER_URL;
  const rendererFile = join(import.meta.dirname, '../renderer/index.html');
  const rendererOrigin = rendererUrl ?? pathToFileURL(rendererFile).href;
  // Only the studio's own page may talk to main.
  const isTrustedSender = (e: IpcEvent) => !!e.senderFrame && e.senderFrame.url.startsWith(rendererOrigin);

  const recent = new RecentFiles(join(app.getPath('userData'), 'recent-datasets.json'));
  let win: BrowserWindow | null = null;
  let presentationItem: Electron.MenuItem | null = null;
  const service = new StudioService(engine, server, {
    recent,
    onPresentation: (on) => {
      win?.setFullScreen(on);
      if (presentationItem) presentationItem.checked = on;
    },
    chooseFile: async () => {
      const options: Electron.OpenDialogOptions = {
        title: 'Open NWB recording',
        properties: ['openFile'],
        filters: [{ name: 'NWB (HDF5)', extensions: ['nwb', 'h5', 'hdf5'] }],
      };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  });
  registerStudioIpc(ipcMain, service, isTrustedSender);
  server.attachStudio(service);

  win = new BrowserWindow({
    width: 1600,
    height: 1000,
    minWidth: 1100,
    minHeight: 700,
    backgroundColor: '#0b0f14',
    title: 'PhantomLink Studio',
    webPreferences: { ...WINDOW_WEB_PREFERENCES, preload: join(import.meta.dirname, '../preload/index.cjs') },
  });
  // Navigation and new windows are denied; http(s) links open in the system browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const openFromMenu = async (path?: string) => {
    try {
      if (path) await service.invoke('openDataset', path);
      else await service.invoke('chooseDataset');
    } catch (err) {
      // The renderer shows dataset errors too; the dialog makes sure a menu action is never silent.
      dialog.showErrorBox('Cannot open dataset', err instanceof Error ? err.message : String(err));
    }
    await buildMenu();
  };
  const buildMenu = async () => {
    const recents = await recent.list();
    const template: MenuItemConstructorOptions[] = [
      {
        label: 'File',
        submenu: [
          { label: 'Open NWB…', accelerator: 'CmdOrCtrl+O', click: () => void openFromMenu() },
          {
            label: 'Open Recent',
            enabled: recents.length > 0,
            submenu: recents.map((p) => ({ label: p, click: () => void openFromMenu(p) })),
          },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      {
        label: 'View',
        submenu: [
          { id: 'presentation', label: 'Presentation Mode', accelerator: 'F11', type: 'checkbox', click: (item) => service.setPresentation(item.checked) },
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'toggleDevTools' },
        ],
      },
    ];
    const menu = Menu.buildFromTemplate(template);
    presentationItem = menu.getMenuItemById?.('presentation') ?? null;
    Menu.setApplicationMenu(menu);
  };
  await buildMenu();

  if (rendererUrl) await win.loadURL(rendererUrl);
  else await win.loadFile(rendererFile);

  app.on('window-all-closed', () => {
    void server.close('studio closed').then(() => app.quit());
  });
}

main().catch((err) => {
  console.error('[phantomlink] failed to start:', err instanceof Error ? err.message : err);
  app.exit(1);
});
