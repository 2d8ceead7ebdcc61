import { describe, expect, it } from 'vitest';
import { selectHost, studioChannelUrl } from '../../src/renderer/src/host/index.ts';
import type { StudioApi } from '../../src/shared/studioApi.ts';

describe('host bridge selection', () => {
  it('uses the Electron preload’s StudioApi when it is there', () => {
    const studio = { listSessions: async () => [] } as unknown as StudioApi;
    const host = selectHost({ phantomlink: { host: 'electron', studio } } as unknown as Window);
    expect(host.kind).toBe('electron');
    expect(host.api).toBe(studio);
    expect(host.isConnected()).toBe(true);
  });

  it('otherwise talks to the studio channel of the page’s own origin', () => {
    expect(studioChannelUrl({ protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/studio/channel');
    expect(studioChannelUrl({ protocol: 'https:', host: 'lab.example:443' })).toBe('wss://lab.example:443/studio/channel');
  });
});
