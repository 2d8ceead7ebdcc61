/**
 * The Electron path, proven the closest way there is without an Electron runtime: the BUILT
 * main bundle runs in plain Node against a stand-in `electron` module, and the BUILT preload
 * runs against a stand-in contextBridge/ipcRenderer.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STUDIO_COMMANDS, ipcCommandChannel } from '../../src/shared/studioApi.ts';
import { REPO_ROOT, TEST_CACHE_DIR } from '../helpers/server.ts';
import { unpackBridgeError } from '../../src/renderer/src/host/index.ts';
import { StudioCallError } from '../../src/renderer/src/host/wsStudioClient.ts';

const MAIN = join(REPO_ROOT, 'out', 'main', 'index.js');
const PRELOAD = join(REPO_ROOT, 'out', 'preload', 'index.cjs');

beforeAll(() => {
  if (!existsSync(MAIN) || !existsSync(PRELOAD)) execFileSync('npx', ['electron-vite', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
}, 120_000);

describe('built Electron main bundle (stand-in electron module)', () => {
  let report: any;
  beforeAll(() => {
    const out = join(mkdtempSync(join(tmpdir(), 'pl-main-')), 'report.json');
    const r = spawnSync(
      process.execPath,
      ['--import', './test/electron/define-navigator.mjs', '--import', './test/electron/register-fake.mjs', MAIN],
      { cwd: REPO_ROOT, env: { ...process.env, FAKE_ELECTRON_REPORT: out, PHANTOMLINK_PORT: '0', PHANTOMLINK_CACHE_DIR: TEST_CACHE_DIR }, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0) throw new Error(`main bundle failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    report = JSON.parse(readFileSync(out, 'utf8'));
  }, 70_000);

  it('boots the engine (h5wasm with a navigator global, as in Electron) and registers a handler for every StudioApi command', () => {
    expect(report.handlers).toEqual(STUDIO_COMMANDS.map(ipcCommandChannel).sort());
    expect(report.listeners).toEqual(['studio:subscribe', 'studio:unsubscribe']);
    expect(report.dataset).toMatchObject({ ok: true, value: { numUnits: 142, synthetic: true } });
    expect(report.created).toMatchObject({ ok: true, value: { code: 'fake-ipc' } });
  });

  it('creates the window with the security flags and a sandboxed preload', () => {
    expect(report.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(report.webPreferences.preload).toBe(PRELOAD);
    expect(report.loaded).toBe(join(REPO_ROOT, 'out', 'renderer', 'index.html'));
  });

  it('denies navigation, new windows and permission requests', () => {
    expect(report.windowOpen).toEqual({ action: 'deny' });
    expect(report.navigationPrevented).toBe(true);
    expect(report.permission).toBe(false);
  });

  it('validates IPC arguments and refuses other pages', () => {
    expect(report.badArgs).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(report.badArgs.error.message).toMatch(/finite number/);
    expect(report.untrusted).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('has File › Open NWB…, Open Recent and View › Presentation Mode', () => {
    const file = report.menu.find((m: any) => m.label === 'File');
    const view = report.menu.find((m: any) => m.label === 'View');
    expect(file.items).toEqual(expect.arrayContaining(['Open NWB…', 'Open Recent']));
    expect(view.items).toContain('Presentation Mode');
  });
});

describe('built preload (stand-in contextBridge and ipcRenderer)', () => {
  const code = () => readFileSync(PRELOAD, 'utf8');

  it('is one self-contained CommonJS file that requires only electron', () => {
    const requires = [...code().matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(code()).not.toMatch(/^\s*import\s/m);
  });

  it('exposes exactly StudioApi, and every method reaches its channel', async () => {
    const exposed: Record<string, any> = {};
    const invoked: Array<[string, unknown[]]> = [];
    const sent: Array<[string, unknown[]]> = [];
    const ipcRenderer = {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push([channel, args]);
        return channel.endsWith(':seek') ? { ok: false, error: { code: 'invalid_argument', message: 'bad seek' } } : { ok: true, value: channel };
      },
      send: (channel: string, ...args: unknown[]) => sent.push([channel, args]),
      on: () => {},
    };
    const fakeRequire = (name: string) => {
      if (name !== 'electron') throw new Error(`preload required ${name}`);
      return { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) }, ipcRenderer };
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', code())(fakeRequire, module, module.exports);

    expect(Object.keys(exposed)).toEqual(['phantomlink']);
    expect(Object.keys(exposed.phantomlink).sort()).toEqual(['host', 'studio']);
    const studio = exposed.phantomlink.studio;
    expect(Object.keys(studio).sort()).toEqual([...STUDIO_COMMANDS, 'subscribe'].sort());
    for (const c of STUDIO_COMMANDS) {
      if (c === 'seek') continue;
      expect(await studio[c]('arg')).toBe(ipcCommandChannel(c));
      expect(invoked.at(-1)).toEqual([ipcCommandChannel(c), ['arg']]);
    }
    const err = await studio.seek('demo', 1).catch((e: any) => e);
    // contextBridge keeps only the message: it carries code and text for the renderer to unpack.
    const unpacked = unpackBridgeError(err) as StudioCallError;
    expect(unpacked).toBeInstanceOf(StudioCallError);
    expect(unpacked).toMatchObject({ code: 'invalid_argument', message: 'bad seek' });
    const off = studio.subscribe('packets', ['demo'], () => {});
    expect(sent.at(-1)).toEqual(['studio:subscribe', [1, 'packets', ['demo']]]);
    off();
    expect(sent.at(-1)).toEqual(['studio:unsubscribe', [1]]);
  });
});
