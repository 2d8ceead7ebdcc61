/**
 * The trial list's search box. Terms are ANDed:
 *   `41`          trial id starting with 41
 *   `t3`, `target 3`, `target:3`   trials aimed at target 3
 *   `ok` / `success` / `hit`       successful trials; `fail` / `miss` the others
 */
import type { TrialSummary } from '../../../shared/studioApi.ts';

export type TrialTerm =
  | { kind: 'id-prefix'; prefix: string }
  | { kind: 'target'; id: number }
  | { kind: 'success'; value: boolean };

export function parseTrialQuery(query: string): TrialTerm[] {
  const words = query.toLowerCase().replace(/target\s*[:#]?\s*(\d+)/g, 't$1').split(/[\s,]+/).filter(Boolean);
  const terms: TrialTerm[] = [];
  for (const w of words) {
    let m: RegExpMatchArray | null;
    if ((m = w.match(/^#?(\d+)$/))) terms.push({ kind: 'id-prefix', prefix: m[1] });
    else if ((m = w.match(/^t[:#]?(\d+)$/))) terms.push({ kind: 'target', id: Number(m[1]) });
    else if (/^(ok|success|successful|hit|✓)$/.test(w)) terms.push({ kind: 'success', value: true });
    else if (/^(fail|failed|failure|miss|✗)$/.test(w)) terms.push({ kind: 'success', value: false });
    // Unknown words are ignored rather than hiding every trial.
  }
  return terms;
}

export function matchTrial(t: TrialSummary, terms: TrialTerm[]): boolean {
  for (const term of terms) {
    switch (term.kind) {
      case 'id-prefix':
        if (!String(t.id).startsWith(term.prefix)) return false;
        break;
      case 'target':
        if (t.targetId !== term.id) return false;
        break;
      case 'success':
        if (t.success !== term.value) return false;
        break;
    }
  }
  return true;
}

export function filterTrials(trials: TrialSummary[], query: string): TrialSummary[] {
  const terms = parseTrialQuery(query);
  return terms.length === 0 ? trials : trials.filter((t) => matchTrial(t, terms));
}
