/**
 * Electron entry: the same engine and server as `phantomlink serve`, plus the studio window.
 * Electron is imported only here (and in the preload); everything behind it runs in plain Node.
 */
import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { Engine } from './engine.ts';
import { startServer } from './server/index.ts';

async function main(): Promise<void> {
  await app.whenReady();
  const engine = await Engine.start();
  const server = await startServer(engine, { port: Number(process.env.PHANTOMLINK_PORT ?? 8000) });

  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0b0f14',
    title: 'PhantomLink Studio',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // Navigation and new windows are denied; links to the outside open in the system browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());

  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await win.loadFile(join(import.meta.dirname, '../renderer/index.html'));

  app.on('window-all-closed', () => {
    void server.close('studio closed').then(() => app.quit());
  });
}

main().catch((err) => {
  console.error('[phantomlink] failed to start:', err);
  app.exit(1);
});
