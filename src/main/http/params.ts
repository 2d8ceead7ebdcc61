/** Query parameters and body fields of the HTTP faces (streams, REST), read and checked. */
import { EVALUATION_WINDOWS, type EvaluationWindow, type SessionFilters } from '../../shared/wire.ts';
import { describeValue } from '../../shared/describeValue.ts';
import { ParamError } from '../common/errors.ts';

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

/** A session's settings (`blind`, `evaluate`) from query parameters or a body; absent ones stay undefined. */
export function settingsFrom(get: (name: string) => Raw): { blind?: boolean; evaluate?: EvaluationWindow } {
  const blind = optionalBool('blind', get('blind'));
  const evaluate = optionalEvaluationWindow('evaluate', get('evaluate'));
  return { ...(blind !== undefined && { blind }), ...(evaluate !== undefined && { evaluate }) };
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
