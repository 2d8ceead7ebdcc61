/** Query parameters and body fields of the HTTP faces (streams, REST), read and checked. */
import { EVALUATION_WINDOWS, type EvaluationWindow, type SessionFilters } from '../../shared/wire.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { ParamError } from '../common/errors.ts';
import { BIN_WIDTHS_MS, isBinWidth } from '../../shared/bins.ts';

type Raw = unknown;

const show = (v: Raw) => describeValue(v);

/** A non-negative integer id, from a number or a decimal string; null when absent or empty. */
export function optionalId(name: string, v: Raw): number | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v.trim())) return Number(v.trim());
  throw new ParamError(`${name} must be a non-negative integer (got ${show(v)})`);
}

export function requiredNumber(name: string, v: Raw): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new ParamError(`${name} must be a number (got ${v === undefined ? 'nothing' : show(v)})`);
  return n;
}

export function optionalNumber(name: string, v: Raw): number | undefined {
  return v === undefined || v === null || v === '' ? undefined : requiredNumber(name, v);
}

export function optionalBool(name: string, v: Raw): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
  }
  if (v === 1 || v === 0) return v === 1;
  throw new ParamError(`${name} must be true or false (got ${show(v)})`);
}

export function optionalEvaluationWindow(name: string, v: Raw): EvaluationWindow | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && (EVALUATION_WINDOWS as readonly string[]).includes(v.trim())) return v.trim() as EvaluationWindow;
  throw new ParamError(`${name} must be one of ${EVALUATION_WINDOWS.join(', ')} (got ${show(v)})`);
}

/** A session's settings (`blind`, `evaluate`, `bin_ms`) from query parameters or a body; absent ones stay undefined. */
export function settingsFrom(get: (name: string) => Raw): { blind?: boolean; evaluate?: EvaluationWindow; bin_ms?: number } {
  const blind = optionalBool('blind', get('blind'));
  const evaluate = optionalEvaluationWindow('evaluate', get('evaluate'));
  const binMs = optionalNumber('bin_ms', get('bin_ms'));
  if (binMs !== undefined && !isBinWidth(binMs)) throw new ParamError(`bin_ms must be one of ${BIN_WIDTHS_MS.join(', ')} (got ${show(get('bin_ms'))})`);
  return { ...(blind !== undefined && { blind }), ...(evaluate !== undefined && { evaluate }), ...(binMs !== undefined && { bin_ms: binMs }) };
}

/** The query parameters of perturbations, for stream URLs and REST queries. */
export const PERTURBATION_PARAMETERS = ['seed', 'dropout', 'dropout_at', 'shuffle', 'shuffle_at', 'drift', 'noise', 'bursts', 'jitter', 'loss'];

/**
 * Perturbations written compactly as query parameters, turned into their object form (checked
 * later, with every other edge's, by checkPerturbations):
 * `seed=42&dropout=0.25` (or `dropout=ch:3,7,12`) `&dropout_at=30&shuffle=shift:2` (or
 * `permute`) `&drift=walk:0.3` (or `sine:0.3:60`) `&noise=poisson:0.5` (or `gaussian:1`)
 * `&bursts=0.5:10&jitter=20&loss=0.05`. Undefined when none is given.
 */
export function perturbationsFromQuery(get: (name: string) => Raw): Record<string, unknown> | undefined {
  const raw = (name: string): string | undefined => {
    const v = get(name);
    return v === undefined || v === null || v === '' ? undefined : String(v).trim();
  };
  if (!PERTURBATION_PARAMETERS.some((k) => raw(k) !== undefined)) return undefined;
  const number = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
  const parts = (name: string) => raw(name)?.split(':');
  // Parts not given stay out of the object, so the check names only what is wrong.
  const given = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const out: Record<string, unknown> = {};
  if (raw('seed') !== undefined) out.seed = number(raw('seed'));
  const dropout = raw('dropout');
  if (dropout !== undefined) {
    const which = dropout.startsWith('ch:') ? { channels: dropout.slice(3).split(',').map((c) => number(c.trim())) } : { fraction: number(dropout) };
    out.dropout = given({ ...which, at_s: number(raw('dropout_at')) });
  }
  const shuffle = parts('shuffle');
  if (shuffle) out.shuffle = given({ mode: shuffle[0], shift: number(shuffle[1]), at_s: number(raw('shuffle_at')) });
  const drift = parts('drift');
  if (drift) out.drift = given({ mode: drift[0], amount: number(drift[1]), period_s: number(drift[2]) });
  const noise = parts('noise');
  if (noise) out.noise = given({ mode: noise[0], amount: number(noise[1]) });
  const bursts = parts('bursts');
  if (bursts) out.bursts = given({ rate_hz: number(bursts[0]), count: number(bursts[1]) });
  if (raw('jitter') !== undefined) out.jitter = { max_ms: number(raw('jitter')) };
  if (raw('loss') !== undefined) out.loss = { fraction: number(raw('loss')) };
  return out;
}

/** Reads `trial_id` / `target_id` from query parameters (or a body); rejects repeated parameters. */
export function filtersFrom(get: (name: string) => Raw): SessionFilters {
  return { trial_id: optionalId('trial_id', get('trial_id')), target_id: optionalId('target_id', get('target_id')) };
}

/** A getter over URLSearchParams that refuses a parameter given twice (ambiguous). */
export function queryGetter(q: URLSearchParams): (name: string) => string | undefined {
  return (name) => {
    const all = q.getAll(name);
    if (all.length > 1) throw new ParamError(`${name} is given ${all.length} times; give it once`);
    return all[0];
  };
}

/** Body field first, then the query string (the original server took query parameters). */
export function fieldGetter(body: Record<string, unknown>, q: URLSearchParams): (...names: string[]) => Raw {
  const query = queryGetter(q);
  return (...names) => {
    for (const n of names) if (body[n] !== undefined) return body[n];
    for (const n of names) {
      const v = query(n);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
