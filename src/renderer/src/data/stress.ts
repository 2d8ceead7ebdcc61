/**
 * The stress panel's form (components/StressPanel.tsx) as plain data: what the inputs hold
 * (strings, as typed), what that means as the engine's `Perturbations`, and how a session's
 * perturbations read in a badge's tooltip. Pure functions, tested in plain Node.
 *
 * The form does not decide what the engine accepts: it sends what is typed, and the engine's
 * check (src/main/playback/perturbations.ts `checkPerturbations`) refuses a bad value with a
 * reason, which the studio shows. `fieldProblems` only marks fields as the user types, with the
 * same ranges, so the reason is no surprise.
 */
import type { Perturbations, PerturbationKind } from '../../../shared/wire.ts';
import { formatPercent } from './format.ts';

export type DropoutMode = 'fraction' | 'channels';

export interface StressForm {
  seed: string;
  dropout: { on: boolean; mode: DropoutMode; percent: string; channels: string; at: string };
  shuffle: { on: boolean; mode: 'shift' | 'permute'; shift: string; at: string };
  drift: { on: boolean; mode: 'walk' | 'sine'; amount: string; period: string };
  noise: { on: boolean; mode: 'poisson' | 'gaussian'; amount: string };
  bursts: { on: boolean; rate: string; count: string };
  jitter: { on: boolean; maxMs: string };
  loss: { on: boolean; percent: string };
}

/** Defaults a first try would use: noticeable, not destructive. */
export const DEFAULT_STRESS_FORM: StressForm = Object.freeze({
  seed: '0',
  dropout: { on: false, mode: 'fraction', percent: '25', channels: '', at: '' },
  shuffle: { on: false, mode: 'shift', shift: '1', at: '' },
  drift: { on: false, mode: 'walk', amount: '0.3', period: '60' },
  noise: { on: false, mode: 'poisson', amount: '0.5' },
  bursts: { on: false, rate: '0.5', count: '10' },
  jitter: { on: false, maxMs: '20' },
  loss: { on: false, percent: '5' },
}) as StressForm;

/**
 * The accepted ranges (as the engine checks them), for the inputs' min/max and the marks.
 * Percentages are the engine's fractions × 100.
 */
export const STRESS_RANGES = {
  seed: { min: 0, max: 0xffffffff, step: 1 },
  percent: { min: 0, max: 100, step: 5 },
  at: { min: 0, max: 86_400, step: 1 },
  shift: { min: -4096, max: 4096, step: 1 },
  driftAmount: { min: 0, max: 3, step: 0.1 },
  period: { min: 1, max: 86_400, step: 1 },
  noiseAmount: { min: 0, max: 50, step: 0.5 },
  burstRate: { min: 0, max: 20, step: 0.1 },
  burstCount: { min: 1, max: 100, step: 1 },
  jitterMs: { min: 0, max: 1000, step: 5 },
} as const;

/** A number as typed: NaN when blank or not a number (the engine says why). */
const numberOf = (s: string): number => (s.trim() === '' ? NaN : Number(s.trim()));

/**
 * A channel list as people type it: numbers and ranges, by commas or spaces ("0-9, 40 41").
 * Sorted, without repeats. An entry that is not a channel number or range gives NaN in its
 * place (so the engine names it); "" gives [].
 */
export function parseChannels(text: string): number[] {
  const out = new Set<number>();
  const bad: number[] = [];
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(token);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a || b - a > 4096) bad.push(NaN);
      else for (let c = a; c <= b; c++) out.add(c);
    } else if (/^\d+$/.test(token)) out.add(Number(token));
    else bad.push(NaN);
  }
  return [...[...out].sort((x, y) => x - y), ...bad];
}

/** Channels as ranges, for labels: [3, 4, 5, 9] → "3–5, 9". */
export function formatChannels(channels: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < channels.length; ) {
    let j = i;
    while (j + 1 < channels.length && channels[j + 1] === channels[j] + 1) j++;
    parts.push(j > i ? `${channels[i]}–${channels[j]}` : String(channels[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

/** The kinds switched on in the form, in the engine's order. */
export function kindsOn(form: StressForm): PerturbationKind[] {
  return (['dropout', 'shuffle', 'drift', 'noise', 'bursts', 'jitter', 'loss'] as const).filter((k) => form[k].on);
}

/**
 * What the form asks the engine for: the kinds switched on with their parameters, and the seed.
 * Null when no kind is on (the clean stream). Optional fields ("from … s") are left out when blank.
 */
export function formToPerturbations(form: StressForm): Perturbations | null {
  if (kindsOn(form).length === 0) return null;
  const p: Perturbations = { seed: numberOf(form.seed) };
  const at = (s: string) => (s.trim() === '' ? {} : { at_s: numberOf(s) });
  const { dropout, shuffle, drift, noise, bursts, jitter, loss } = form;
  if (dropout.on) {
    p.dropout = dropout.mode === 'channels' ? { channels: parseChannels(dropout.channels), ...at(dropout.at) } : { fraction: numberOf(dropout.percent) / 100, ...at(dropout.at) };
  }
  if (shuffle.on) p.shuffle = shuffle.mode === 'shift' ? { mode: 'shift', shift: numberOf(shuffle.shift), ...at(shuffle.at) } : { mode: 'permute', ...at(shuffle.at) };
  if (drift.on) p.drift = drift.mode === 'sine' ? { mode: 'sine', amount: numberOf(drift.amount), period_s: numberOf(drift.period) } : { mode: 'walk', amount: numberOf(drift.amount) };
  if (noise.on) p.noise = { mode: noise.mode, amount: numberOf(noise.amount) };
  if (bursts.on) p.bursts = { rate_hz: numberOf(bursts.rate), count: numberOf(bursts.count) };
  if (jitter.on) p.jitter = { max_ms: numberOf(jitter.maxMs) };
  if (loss.on) p.loss = { fraction: numberOf(loss.percent) / 100 };
  return p;
}

const str = (v: number | undefined, fallback: string): string => (v === undefined || !Number.isFinite(v) ? fallback : String(v));
/** A fraction back to the percentage typed (0.07 → "7", not "7.000000000000001"). */
const pct = (f: number | undefined, fallback: string): string => (f === undefined || !Number.isFinite(f) ? fallback : String(Number((f * 100).toPrecision(12))));

/**
 * The form showing a session's perturbations: its kinds on, with their values; the kinds it does
 * not have keep what `base` holds (what the user typed before, or the defaults), switched off.
 */
export function perturbationsToForm(p: Perturbations | null, base: StressForm = DEFAULT_STRESS_FORM): StressForm {
  const f: StressForm = {
    seed: p ? String(p.seed) : base.seed,
    dropout: { ...base.dropout, on: false },
    shuffle: { ...base.shuffle, on: false },
    drift: { ...base.drift, on: false },
    noise: { ...base.noise, on: false },
    bursts: { ...base.bursts, on: false },
    jitter: { ...base.jitter, on: false },
    loss: { ...base.loss, on: false },
  };
  if (!p) return f;
  if (p.dropout) {
    const d = p.dropout;
    f.dropout = {
      on: true,
      mode: d.channels ? 'channels' : 'fraction',
      percent: pct(d.fraction, base.dropout.percent),
      channels: d.channels ? formatChannels(d.channels).replaceAll('–', '-') : base.dropout.channels,
      at: str(d.at_s, ''),
    };
  }
  if (p.shuffle) f.shuffle = { on: true, mode: p.shuffle.mode, shift: str(p.shuffle.shift, base.shuffle.shift), at: str(p.shuffle.at_s, '') };
  if (p.drift) f.drift = { on: true, mode: p.drift.mode, amount: str(p.drift.amount, base.drift.amount), period: str(p.drift.period_s, base.drift.period) };
  if (p.noise) f.noise = { on: true, mode: p.noise.mode, amount: str(p.noise.amount, base.noise.amount) };
  if (p.bursts) f.bursts = { on: true, rate: str(p.bursts.rate_hz, base.bursts.rate), count: str(p.bursts.count, base.bursts.count) };
  if (p.jitter) f.jitter = { on: true, maxMs: str(p.jitter.max_ms, base.jitter.maxMs) };
  if (p.loss) f.loss = { on: true, percent: pct(p.loss.fraction, base.loss.percent) };
  return f;
}

/** A stable text of perturbations (keys sorted): two settings are the same when these are. */
export function perturbationsKey(p: Perturbations | null | undefined): string {
  if (!p) return 'none';
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(p));
}

const KIND_LABELS: Record<PerturbationKind, string> = {
  dropout: 'dropout',
  shuffle: 'shuffle',
  drift: 'gain drift',
  noise: 'count noise',
  bursts: 'bursts',
  jitter: 'jitter',
  loss: 'packet loss',
};

const from = (at: number | undefined) => (at ? ` from ${at} s` : '');

/** One line per kind, as the badge's tooltip and the panel's summary say it. */
export function describePerturbations(p: Perturbations | null | undefined): string[] {
  if (!p) return [];
  const out: string[] = [];
  if (p.dropout) {
    const d = p.dropout;
    const what = d.channels ? `${d.channels.length === 1 ? 'channel' : 'channels'} ${formatChannels(d.channels)}` : `${formatPercent(d.fraction ?? 0)} of channels`;
    out.push(`${KIND_LABELS.dropout}: ${what}${from(d.at_s)}`);
  }
  if (p.shuffle) out.push(`${KIND_LABELS.shuffle}: ${p.shuffle.mode === 'shift' ? `shift ${p.shuffle.shift ?? 1}` : 'permuted'}${from(p.shuffle.at_s)}`);
  if (p.drift) out.push(`${KIND_LABELS.drift}: ${p.drift.mode === 'sine' ? `sine ±${p.drift.amount}, ${p.drift.period_s ?? 60} s` : `walk, sd ${p.drift.amount}`}`);
  if (p.noise) out.push(`${KIND_LABELS.noise}: ${p.noise.mode === 'poisson' ? `Poisson ${p.noise.amount}` : `Gaussian sd ${p.noise.amount}`}`);
  if (p.bursts) out.push(`${KIND_LABELS.bursts}: ${p.bursts.rate_hz}/s × ${p.bursts.count} spikes`);
  if (p.jitter) out.push(`${KIND_LABELS.jitter}: up to ${p.jitter.max_ms} ms`);
  if (p.loss) out.push(`${KIND_LABELS.loss}: ${formatPercent(p.loss.fraction)}`);
  return out;
}

/** The kinds in a few words, for a summary line: "dropout · noise · loss". */
export function kindNames(p: Perturbations | null | undefined): string {
  if (!p) return '';
  return (Object.keys(KIND_LABELS) as PerturbationKind[])
    .filter((k) => p[k] !== undefined)
    .map((k) => KIND_LABELS[k])
    .join(' · ');
}

/** The STRESS badge's tooltip: what is done to the stream, one kind a line. */
export function stressTooltip(p: Perturbations | null | undefined): string {
  if (!p) return '';
  return [`Stress on what decoders receive (seed ${p.seed}):`, ...describePerturbations(p).map((l) => `• ${l}`)].join('\n');
}

/** Field → what is wrong with it (the same ranges the engine checks), for the kinds switched on. */
export function fieldProblems(form: StressForm, numUnits: number): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  const check = (key: string, text: string, r: { min: number; max: number }, integer = false, optional = false) => {
    if (optional && text.trim() === '') return;
    const v = numberOf(text);
    if (!Number.isFinite(v) || v < r.min || v > r.max) out[key] = `a number from ${r.min} to ${r.max}`;
    else if (integer && !Number.isInteger(v)) out[key] = 'a whole number';
  };
  const R = STRESS_RANGES;
  check('seed', form.seed, R.seed, true);
  const { dropout, shuffle, drift, noise, bursts, jitter, loss } = form;
  if (dropout.on) {
    if (dropout.mode === 'fraction') check('dropout.percent', dropout.percent, R.percent);
    else {
      const chans = parseChannels(dropout.channels);
      if (chans.length === 0 || chans.some((c) => !Number.isFinite(c))) out['dropout.channels'] = 'channel numbers or ranges, e.g. 0-9, 40';
      else if (numUnits > 0 && chans[chans.length - 1] >= numUnits) out['dropout.channels'] = `channels go from 0 to ${numUnits - 1}: the others are ignored`;
    }
    check('dropout.at', dropout.at, R.at, false, true);
  }
  if (shuffle.on) {
    if (shuffle.mode === 'shift') check('shuffle.shift', shuffle.shift, R.shift, true);
    check('shuffle.at', shuffle.at, R.at, false, true);
  }
  if (drift.on) {
    check('drift.amount', drift.amount, R.driftAmount);
    if (drift.mode === 'sine') check('drift.period', drift.period, R.period);
  }
  if (noise.on) check('noise.amount', noise.amount, R.noiseAmount);
  if (bursts.on) {
    check('bursts.rate', bursts.rate, R.burstRate);
    check('bursts.count', bursts.count, R.burstCount, true);
  }
  if (jitter.on) check('jitter.maxMs', jitter.maxMs, R.jitterMs);
  if (loss.on) check('loss.percent', loss.percent, R.percent);
  return out;
}
