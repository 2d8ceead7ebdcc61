import { StudioCallError } from '../../src/renderer/src/host/wsStudioClient.ts';
import { describe, expect, it } from 'vitest';
import { selectHost, studioChannelUrl } from '../../src/renderer/src/host/index.ts';
import type { StudioApi } from '../../src/shared/studioApi.ts';

describe('host bridge selection', () => {
  it('uses the Electron preload’s StudioApi when it is there, turning bridged errors back into StudioCallError', async () => {
    const calls: unknown[][] = [];
    const studio = {
      subscribe: () => () => {},
      listSessions: async (...args: unknown[]) => {
        calls.push(args);
        return [];
      },
      pause: async () => {
        throw new Error(`Error invoking remote method: Error: ${JSON.stringify({ code: 'session_not_found', message: 'session "x" not found' })}`);
      },
    } as unknown as StudioApi;
    const host = selectHost({ phantomlink: { host: 'electron', studio } } as unknown as Window);
    expect(host.kind).toBe('electron');
    expect(host.isConnected()).toBe(true);
    expect(await host.api.listSessions()).toEqual([]);
    expect(calls).toEqual([[]]);
    const err = await host.api.pause('x').catch((e) => e);
    expect(err).toBeInstanceOf(StudioCallError);
    expect(err).toMatchObject({ code: 'session_not_found', message: 'session "x" not found' });
  });

  it('otherwise talks to the studio channel of the page’s own origin', () => {
    expect(studioChannelUrl({ protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/studio/channel');
    expect(studioChannelUrl({ protocol: 'https:', host: 'lab.example:443' })).toBe('wss://lab.example:443/studio/channel');
  });
});
