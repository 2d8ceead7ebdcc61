/**
 * Stress on the followed session's stream (issue 11): the seven kinds of perturbation with
 * their parameters, a seed, Apply and Turn off. It shows what the session has now
 * (PlaybackInfo.perturbations) until the user changes something; Apply sends the form as it
 * is (`setPerturbations(code, p)`), and the engine's refusal of a bad value is a toast with its
 * reason. Folded, it is one line: off, or the kinds on.
 *
 * It renders on what a person does and when the session's settings change, never per packet.
 */
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import {
  STRESS_RANGES,
  fieldProblems,
  formToPerturbations,
  kindNames,
  kindsOn,
  perturbationsKey,
  perturbationsToForm,
  stressTooltip,
  type StressForm,
} from '../data/stress.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import type { PerturbationKind } from '../../../shared/wire.ts';

type Kinds = Exclude<keyof StressForm, 'seed'>;
type Patch<K extends Kinds> = Partial<StressForm[K]>;

export function StressPanel() {
  const store = useStore();
  const selected = useStudio((s) => s.selected);
  const applied = useStudio((s) => s.playback?.perturbations ?? null);
  const numUnits = useStudio((s) => s.dataset?.numUnits ?? 0);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const appliedKey = perturbationsKey(applied);
  const [form, setForm] = useState<StressForm>(() => perturbationsToForm(applied));
  // Another session, or its settings changed (here, by REST, in another window): show them.
  useEffect(() => {
    setForm((f) => perturbationsToForm(applied, f));
    // `appliedKey` says when `applied` differs (a new object comes with every snapshot).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected, appliedKey]);

  const wanted = useMemo(() => formToPerturbations(form), [form]);
  const changed = perturbationsKey(wanted) !== appliedKey;
  const problems = useMemo(() => fieldProblems(form, numUnits), [form, numUnits]);
  const set = <K extends Kinds>(kind: K, patch: Patch<K>) => setForm((f) => ({ ...f, [kind]: { ...f[kind], ...patch } }));

  const apply = async (p: typeof wanted) => {
    if (busy) return;
    setBusy(true);
    await store.setPerturbations(p);
    setBusy(false);
  };

  const field = (key: string, value: string, onChange: (v: string) => void, range: { min: number; max: number; step: number }, opts: FieldText) => (
    <NumberField testId={`stress-${key.replace('.', '-')}`} value={value} onChange={onChange} range={range} problem={problems[key]} {...opts} />
  );

  return (
    <section className={`panel stress-panel${open ? ' open' : ''}`} aria-label="Stress" data-testid="stress-panel" data-applied={applied ? 'true' : 'false'}>
      <header className="panel-header">
        <button type="button" className="panel-fold" data-testid="stress-toggle" aria-expanded={open} onClick={() => setOpen(!open)} title="Seeded stress on what the decoders of this session receive">
          <span className="fold-mark" aria-hidden>
            {open ? '▾' : '▸'}
          </span>
          <h2>Stress</h2>
        </button>
        {applied ? (
          <span className="badge badge-stress" data-testid="stress-state" title={stressTooltip(applied)}>
            ON
          </span>
        ) : (
          <span className="stress-off" data-testid="stress-state">
            off
          </span>
        )}
        <span className="panel-meta stress-kinds" title={applied ? stressTooltip(applied) : undefined}>
          {applied ? kindNames(applied) : selected ? `clean stream · ${selected}` : ''}
        </span>
      </header>
      {open && (
        <form
          className="stress-form"
          data-testid="stress-form"
          // The engine checks the values and says what is wrong (a toast): no browser bubbles.
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void apply(wanted);
          }}
        >
          <Kind kind="dropout" label="Dropout" hint="silence channels" form={form} set={set}>
            <Select testId="stress-dropout-mode" label="Dropout by" value={form.dropout.mode} onChange={(mode) => set('dropout', { mode })} options={{ fraction: 'share', channels: 'channels' }} />
            {form.dropout.mode === 'fraction'
              ? field('dropout.percent', form.dropout.percent, (percent) => set('dropout', { percent }), STRESS_RANGES.percent, { label: 'Share of channels silenced', unit: '%' })
              : <ChannelsField value={form.dropout.channels} onChange={(channels) => set('dropout', { channels })} problem={problems['dropout.channels']} numUnits={numUnits} />}
            {field('dropout.at', form.dropout.at, (at) => set('dropout', { at }), STRESS_RANGES.at, { label: 'from stream time', prefix: 'from', unit: 's', optional: true })}
          </Kind>
          <Kind kind="shuffle" label="Shuffle" hint="move channels" form={form} set={set}>
            <Select testId="stress-shuffle-mode" label="Shuffle by" value={form.shuffle.mode} onChange={(mode) => set('shuffle', { mode })} options={{ shift: 'shift', permute: 'permute' }} />
            {form.shuffle.mode === 'shift' && field('shuffle.shift', form.shuffle.shift, (shift) => set('shuffle', { shift }), STRESS_RANGES.shift, { label: 'shift by channels', prefix: 'by', unit: 'ch' })}
            {field('shuffle.at', form.shuffle.at, (at) => set('shuffle', { at }), STRESS_RANGES.at, { label: 'from stream time', prefix: 'from', unit: 's', optional: true })}
          </Kind>
          <Kind kind="drift" label="Gain drift" hint="firing rates drift" form={form} set={set}>
            <Select testId="stress-drift-mode" label="Drift as" value={form.drift.mode} onChange={(mode) => set('drift', { mode })} options={{ walk: 'walk', sine: 'sine' }} />
            {field('drift.amount', form.drift.amount, (amount) => set('drift', { amount }), STRESS_RANGES.driftAmount, {
              label: form.drift.mode === 'walk' ? 'sd of the log-gain' : 'amplitude of the log-gain',
              prefix: form.drift.mode === 'walk' ? 'sd' : '±',
            })}
            {form.drift.mode === 'sine' && field('drift.period', form.drift.period, (period) => set('drift', { period }), STRESS_RANGES.period, { label: 'period', prefix: 'per', unit: 's' })}
          </Kind>
          <Kind kind="noise" label="Count noise" hint="extra spikes" form={form} set={set}>
            <Select testId="stress-noise-mode" label="Noise" value={form.noise.mode} onChange={(mode) => set('noise', { mode })} options={{ poisson: 'Poisson', gaussian: 'Gaussian' }} />
            {field('noise.amount', form.noise.amount, (amount) => set('noise', { amount }), STRESS_RANGES.noiseAmount, {
              label: form.noise.mode === 'poisson' ? 'mean spikes added per bin' : 'sd of spikes added per bin',
              prefix: form.noise.mode === 'poisson' ? 'λ' : 'sd',
              unit: '/bin',
            })}
          </Kind>
          <Kind kind="bursts" label="Bursts" hint="all channels fire" form={form} set={set}>
            {field('bursts.rate', form.bursts.rate, (rate) => set('bursts', { rate }), STRESS_RANGES.burstRate, { label: 'bursts a second', unit: '/s ×' })}
            {field('bursts.count', form.bursts.count, (count) => set('bursts', { count }), STRESS_RANGES.burstCount, { label: 'spikes per channel in a burst', unit: 'spikes' })}
          </Kind>
          <Kind kind="jitter" label="Jitter" hint="packets late" form={form} set={set}>
            {field('jitter.maxMs', form.jitter.maxMs, (maxMs) => set('jitter', { maxMs }), STRESS_RANGES.jitterMs, { label: 'delay up to', prefix: '≤', unit: 'ms' })}
          </Kind>
          <Kind kind="loss" label="Packet loss" hint="packets not sent" form={form} set={set}>
            {field('loss.percent', form.loss.percent, (percent) => set('loss', { percent }), STRESS_RANGES.percent, { label: 'share of packets lost', unit: '%' })}
          </Kind>
          <div className="stress-actions">
            {field('seed', form.seed, (seed) => setForm((f) => ({ ...f, seed })), STRESS_RANGES.seed, { label: 'seed', prefix: 'seed', wide: true })}
            <button
              type="button"
              className="btn-small btn-quiet"
              data-testid="stress-new-seed"
              title="A new random seed (the same seed and settings give the same packets)"
              onClick={() => setForm((f) => ({ ...f, seed: String(Math.floor(Math.random() * 1_000_000)) }))}
            >
              new
            </button>
            <span className="stress-buttons">
              <button type="button" className="btn" data-testid="stress-off" disabled={!applied || busy} onClick={() => void apply(null)} title="Restore the clean stream">
                Turn off
              </button>
              <button
                type="submit"
                className={`btn btn-apply${changed ? ' changed' : ''}`}
                data-testid="stress-apply"
                disabled={busy || !changed}
                title={wanted === null ? 'Switch a kind on first (or Turn off)' : `Apply to ${selected ?? 'the session'}`}
              >
                Apply
              </button>
            </span>
          </div>
          <p className="field-hint stress-note-line" data-testid="stress-status">
            {changed ? (wanted === null ? 'Nothing switched on: Apply restores the clean stream.' : `Not applied yet · ${kindsOn(form).length} ${kindsOn(form).length === 1 ? 'kind' : 'kinds'} on`) : applied ? 'Applied: decoders get this now.' : 'Decoders get the clean stream.'}
          </p>
        </form>
      )}
    </section>
  );
}

/** One kind: its switch and name; its parameters while it is on. */
function Kind({
  kind,
  label,
  hint,
  form,
  set,
  children,
}: {
  kind: Kinds & PerturbationKind;
  label: string;
  hint: string;
  form: StressForm;
  set: <K extends Kinds>(kind: K, patch: Patch<K>) => void;
  children: ReactNode;
}) {
  const on = form[kind].on;
  return (
    <div className={`stress-kind${on ? ' on' : ''}`} data-testid={`stress-kind-${kind}`}>
      <label className="check stress-kind-name">
        <input type="checkbox" data-testid={`stress-${kind}-on`} checked={on} onChange={(e) => set(kind, { on: e.target.checked } as Patch<typeof kind>)} />
        {label}
      </label>
      {on ? <div className="stress-params">{children}</div> : <span className="stress-hint">{hint}</span>}
    </div>
  );
}

function Select<T extends string>({ testId, label, value, onChange, options }: { testId: string; label: string; value: T; onChange: (v: T) => void; options: Record<T, string> }) {
  return (
    <select data-testid={testId} aria-label={label} value={value} onChange={(e) => onChange(e.target.value as T)}>
      {(Object.keys(options) as T[]).map((k) => (
        <option key={k} value={k}>
          {options[k]}
        </option>
      ))}
    </select>
  );
}

/** What a number field says: its accessible label, and the text either side of it. */
interface FieldText {
  label: string;
  prefix?: string;
  unit?: string;
  /** Blank is allowed (a start time: blank is from the start). */
  optional?: boolean;
  wide?: boolean;
}

function NumberField(props: FieldText & { testId: string; value: string; onChange: (v: string) => void; range: { min: number; max: number; step: number }; problem: string | undefined }) {
  const id = useId();
  const { range, problem, label, prefix, unit, optional } = props;
  return (
    <span
      className={`num-field${props.wide ? ' wide' : ''}`}
      title={problem ? `${label}: ${problem}` : `${label}: ${range.min}–${range.max}${optional ? ' (blank: from the start)' : ''}`}
    >
      {prefix && (
        <label htmlFor={id} className="num-prefix">
          {prefix}
        </label>
      )}
      <input
        id={id}
        type="number"
        inputMode="decimal"
        data-testid={props.testId}
        aria-label={label}
        aria-invalid={problem !== undefined}
        min={range.min}
        max={range.max}
        step={range.step}
        placeholder={optional ? '0' : undefined}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {unit && <span className="num-unit">{unit}</span>}
    </span>
  );
}

function ChannelsField({ value, onChange, problem, numUnits }: { value: string; onChange: (v: string) => void; problem: string | undefined; numUnits: number }) {
  return (
    <input
      type="text"
      className="channels-field"
      data-testid="stress-dropout-channels"
      aria-label="Channels silenced"
      aria-invalid={problem !== undefined}
      title={problem ?? `Channels silenced: numbers and ranges (0–${Math.max(0, numUnits - 1)}), e.g. 0-9, 40`}
      placeholder="e.g. 0-9, 40"
      spellCheck={false}
      autoComplete="off"
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
