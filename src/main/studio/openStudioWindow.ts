import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** A system Chromium or Chrome, if one is installed. */
export function findChromium(): string | null {
  const fromEnv = process.env.PHANTOMLINK_BROWSER;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Opens the studio page in a Chromium "app" window (no tabs or address bar), the closest a
 * machine without the Electron runtime gets to the desktop window. Returns what it did, as a
 * line for the terminal.
 */
export function openStudioWindow(url: string): string {
  const browser = findChromium();
  if (!browser) return `no Chromium or Chrome found: open ${url} in a browser`;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return `no display: open ${url} in a browser on a machine that can reach this one`;
  }
  const profile = mkdtempSync(join(tmpdir(), 'phantomlink-studio-'));
  const child = spawn(browser, [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run', '--window-size=1600,1000'], {
    stdio: 'ignore',
    detached: true,
  });
  child.on('error', () => {});
  child.unref();
  return `opened the studio in ${browser} (app window): ${url}`;
}
