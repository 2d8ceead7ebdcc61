/**
 * The stress panel's form (data/stress.ts) and the STRESS badge: what the inputs become as the
 * engine's Perturbations, how a session's perturbations show back in the form and in the
 * badge's tooltip, and the badge and bin width in the session list and header (rendered to
 * markup in plain Node, on a store over a fake host).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { PlaybackSnapshot, SessionSummary, StudioApi } from '../../src/shared/studioApi.ts';
import type { Perturbations } from '../../src/shared/wire.ts';
import { Header } from '../../src/renderer/src/components/Chrome.tsx';
import { SessionsPanel } from '../../src/renderer/src/components/SessionsPanel.tsx';
import { StressPanel } from '../../src/renderer/src/components/StressPanel.tsx';
import {
  DEFAULT_STRESS_FORM,
  describePerturbations,
  fieldProblems,
  formatChannels,
  formToPerturbations,
  kindNames,
  parseChannels,
  perturbationsKey,
  perturbationsToForm,
  stressTooltip,
  type StressForm,
} from '../../src/renderer/src/data/stress.ts';
import type { StudioHost } from '../../src/renderer/src/host/index.ts';
import { StoreContext } from '../../src/renderer/src/state/hooks.ts';
import { StudioStore } from '../../src/renderer/src/state/store.ts';

const on = <K extends Exclude<keyof StressForm, 'seed'>>(form: StressForm, kind: K, patch: Partial<StressForm[K]> = {}): StressForm => ({
  ...form,
  [kind]: { ...form[kind], on: true, ...patch },
});

describe('the stress form → Perturbations', () => {
  it('nothing switched on is the clean stream (null)', () => {
    expect(formToPerturbations(DEFAULT_STRESS_FORM)).toBeNull();
  });

  it('each kind with its defaults, as the engine takes them', () => {
    let f = DEFAULT_STRESS_FORM;
    for (const k of ['dropout', 'shuffle', 'drift', 'noise', 'bursts', 'jitter', 'loss'] as const) f = on(f, k);
    expect(formToPerturbations(f)).toEqual({
      seed: 0,
      dropout: { fraction: 0.25 },
      shuffle: { mode: 'shift', shift: 1 },
      drift: { mode: 'walk', amount: 0.3 },
      noise: { mode: 'poisson', amount: 0.5 },
      bursts: { rate_hz: 0.5, count: 10 },
      jitter: { max_ms: 20 },
      loss: { fraction: 0.05 },
    });
  });

  it('the other modes and the optional start times', () => {
    let f: StressForm = { ...DEFAULT_STRESS_FORM, seed: '42' };
    f = on(f, 'dropout', { mode: 'channels', channels: '3, 7 12-14', at: '30' });
    f = on(f, 'shuffle', { mode: 'permute', at: '12.5' });
    f = on(f, 'drift', { mode: 'sine', amount: '0.5', period: '30' });
    f = on(f, 'noise', { mode: 'gaussian', amount: '2' });
    expect(formToPerturbations(f)).toEqual({
      seed: 42,
      dropout: { channels: [3, 7, 12, 13, 14], at_s: 30 },
      shuffle: { mode: 'permute', at_s: 12.5 },
      drift: { mode: 'sine', amount: 0.5, period_s: 30 },
      noise: { mode: 'gaussian', amount: 2 },
    });
  });

  it('percentages are the engine’s fractions, exactly as typed', () => {
    expect(formToPerturbations(on(DEFAULT_STRESS_FORM, 'loss', { percent: '7' }))?.loss).toEqual({ fraction: 0.07 });
    expect(formToPerturbations(on(DEFAULT_STRESS_FORM, 'dropout', { percent: '12.5' }))?.dropout).toEqual({ fraction: 0.125 });
  });

  it('what cannot be a number goes as NaN, so the engine names the field', () => {
    const p = formToPerturbations(on({ ...DEFAULT_STRESS_FORM, seed: 'x' }, 'jitter', { maxMs: '' }))!;
    expect(p.seed).toBeNaN();
    expect(p.jitter!.max_ms).toBeNaN();
    expect(parseChannels('1, x, 3')).toEqual([1, 3, NaN]);
  });

  it('channel lists: numbers and ranges, sorted, once each; shown back as ranges', () => {
    expect(parseChannels('40 20-23,21;  5')).toEqual([5, 20, 21, 22, 23, 40]);
    expect(parseChannels('')).toEqual([]);
    expect(parseChannels('9-3')).toEqual([NaN]);
    expect(formatChannels([5, 20, 21, 22, 23, 40])).toBe('5, 20–23, 40');
  });

  it('a session’s perturbations show back in the form; kinds it lacks keep what was typed, off', () => {
    const p: Perturbations = { seed: 9, dropout: { channels: [20, 21, 22, 40], at_s: 15 }, loss: { fraction: 0.07 }, drift: { mode: 'sine', amount: 0.4, period_s: 90 } };
    const typed = on(DEFAULT_STRESS_FORM, 'jitter', { maxMs: '55' });
    const f = perturbationsToForm(p, typed);
    expect(f.seed).toBe('9');
    expect(f.dropout).toEqual({ on: true, mode: 'channels', percent: '25', channels: '20-22, 40', at: '15' });
    expect(f.loss).toEqual({ on: true, percent: '7' });
    expect(f.drift).toEqual({ on: true, mode: 'sine', amount: '0.4', period: '90' });
    expect(f.jitter).toEqual({ on: false, maxMs: '55' });
    // Round trip: the form sends what the session has.
    expect(perturbationsKey(formToPerturbations(f))).toBe(perturbationsKey(p));
    expect(perturbationsToForm(null, typed).jitter.on).toBe(false);
  });

  it('marks fields out of the engine’s ranges as they are typed', () => {
    let f = on(DEFAULT_STRESS_FORM, 'dropout', { percent: '150' });
    f = on(f, 'bursts', { count: '2.5' });
    f = on(f, 'drift', { amount: '4' });
    expect(fieldProblems(f, 142)).toEqual({ 'dropout.percent': 'a number from 0 to 100', 'bursts.count': 'a whole number', 'drift.amount': 'a number from 0 to 3' });
    expect(fieldProblems(on(DEFAULT_STRESS_FORM, 'dropout', { mode: 'channels', channels: '140-145' }), 142)['dropout.channels']).toMatch(/0 to 141/);
    expect(fieldProblems(on(DEFAULT_STRESS_FORM, 'dropout', { mode: 'channels', channels: '' }), 142)['dropout.channels']).toMatch(/channel numbers/);
    expect(fieldProblems(DEFAULT_STRESS_FORM, 142)).toEqual({});
  });
});

describe('how perturbations read', () => {
  const p: Perturbations = {
    seed: 3,
    dropout: { channels: [20, 21, 22, 23, 40], at_s: 30 },
    shuffle: { mode: 'shift', shift: 2 },
    drift: { mode: 'walk', amount: 0.3 },
    noise: { mode: 'poisson', amount: 0.5 },
    bursts: { rate_hz: 0.5, count: 10 },
    jitter: { max_ms: 20 },
    loss: { fraction: 0.05 },
  };

  it('one line per kind, with its parameters', () => {
    expect(describePerturbations(p)).toEqual([
      'dropout: channels 20–23, 40 from 30 s',
      'shuffle: shift 2',
      'gain drift: walk, sd 0.3',
      'count noise: Poisson 0.5',
      'bursts: 0.5/s × 10 spikes',
      'jitter: up to 20 ms',
      'packet loss: 5 %',
    ]);
    expect(describePerturbations({ seed: 0, dropout: { fraction: 0.25 } })).toEqual(['dropout: 25 % of channels']);
    expect(kindNames({ seed: 0, noise: { mode: 'gaussian', amount: 1 }, dropout: { fraction: 0.1 } })).toBe('dropout · count noise');
  });

  it('the badge’s tooltip lists the kinds under the seed', () => {
    expect(stressTooltip({ seed: 3, dropout: { fraction: 0.25 }, loss: { fraction: 0.05 } })).toBe('Stress on what decoders receive (seed 3):\n• dropout: 25 % of channels\n• packet loss: 5 %');
    expect(stressTooltip(null)).toBe('');
  });
});

// ------------------------------------------------------------------ the badge, rendered

const snap = (code: string, more: Partial<PlaybackSnapshot> = {}): PlaybackSnapshot => ({
  code,
  status: 'playing',
  positionS: 0,
  durationS: 600,
  speed: 1,
  loop: true,
  filters: { trial_id: null, target_id: null },
  packetsSent: 0,
  recordingTimeS: 0,
  trialStartsS: [],
  blind: false,
  evaluate: 'all',
  binMs: 25,
  perturbations: null,
  ...more,
});

const summary = (s: PlaybackSnapshot): SessionSummary => ({ ...s, clients: 0, streamUrl: `ws://h/stream/${s.code}`, binaryStreamUrl: `ws://h/stream/binary/${s.code}`, recording: null });

/** A store whose state is set by hand (no engine): the components only read it. */
function storeWith(sessions: PlaybackSnapshot[], selected: string): StudioStore {
  const api = { subscribe: () => () => {} } as unknown as StudioApi;
  const host: StudioHost = { kind: 'browser', api, isConnected: () => true, onConnectionChange: () => () => {} };
  const store = new StudioStore(host);
  store.state = { ...store.state, sessions: sessions.map(summary), sessionsLoaded: true, selected, playback: sessions.find((s) => s.code === selected) ?? null };
  return store;
}

const render = (store: StudioStore, component: () => unknown) => renderToStaticMarkup(createElement(StoreContext.Provider, { value: store }, createElement(component as never)));

/** The element with `data-testid`, as markup (attributes and text), or null. */
function byTestId(html: string, id: string): { attrs: string; text: string } | null {
  const m = new RegExp(`<span([^>]*data-testid="${id}"[^>]*)>([^<]*)</span>`).exec(html);
  return m ? { attrs: m[1], text: m[2] } : null;
}

const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

describe('the STRESS badge and the bin width, in the session list and the header', () => {
  const perturbed: Perturbations = { seed: 3, dropout: { channels: [20, 21, 22] }, loss: { fraction: 0.05 } };
  const sessions = [snap('clean'), snap('hurt', { perturbations: perturbed }), snap('fast', { binMs: 5 })];

  it('a perturbed session has STRESS in its row, its kinds in the tooltip; a clean one has none', () => {
    const html = render(storeWith(sessions, 'clean'), SessionsPanel);
    const badge = byTestId(html, 'session-stress-hurt');
    expect(badge?.text).toBe('STRESS');
    expect(unescape(badge!.attrs)).toContain('title="Stress on what decoders receive (seed 3):\n• dropout: channels 20–22\n• packet loss: 5 %"');
    expect(byTestId(html, 'session-stress-clean')).toBeNull();
    expect(byTestId(html, 'session-stress-fast')).toBeNull();
  });

  it('the width shows when it is not 25 ms', () => {
    const html = render(storeWith(sessions, 'clean'), SessionsPanel);
    expect(byTestId(html, 'session-bin-fast')?.text).toBe('5 ms');
    expect(byTestId(html, 'session-bin-clean')).toBeNull();
    expect(byTestId(html, 'session-bin-hurt')).toBeNull();
    // The form offers every width, 25 ms chosen.
    expect(html).toMatch(/data-testid="session-bin"[^>]*>(<option value="(5|10|20|25|50)"( selected="")?>\d+ ms<\/option>){5}/);
    expect(html).toContain('<option value="25" selected="">25 ms</option>');
  });

  it('the header says it for the followed session', () => {
    const hurt = render(storeWith(sessions, 'hurt'), Header);
    expect(byTestId(hurt, 'header-stress')?.text).toBe('STRESS · hurt');
    expect(byTestId(hurt, 'header-bin')).toBeNull();
    const fast = render(storeWith(sessions, 'fast'), Header);
    expect(byTestId(fast, 'header-stress')).toBeNull();
    expect(byTestId(fast, 'header-bin')?.text).toBe('5 ms · 200 Hz');
  });

  it('the stress panel, folded, says what the session has', () => {
    const hurt = render(storeWith(sessions, 'hurt'), StressPanel);
    expect(hurt).toContain('data-applied="true"');
    expect(byTestId(hurt, 'stress-state')?.text).toBe('ON');
    expect(hurt).toContain('dropout · packet loss');
    const clean = render(storeWith(sessions, 'clean'), StressPanel);
    expect(byTestId(clean, 'stress-state')?.text).toBe('off');
  });
});
