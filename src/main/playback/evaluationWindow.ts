import { firstBinFrom } from '../../shared/bins.ts';
import type { EvaluationWindow } from '../../shared/wire.ts';
import { ParamError } from '../common/errors.ts';
import type { BinnedStream, Dataset } from '../dataset/types.ts';

/** The NLB's MC_Maze movement window around each trial's move_onset_time. */
export const MOVEMENT_WINDOW_S = { before: 0.25, after: 0.45 } as const;

const cache = new WeakMap<BinnedStream, Map<EvaluationWindow, Uint8Array | null>>();

/**
 * Which bins a session's decoders are scored on: 1 for a scored bin. Null means every bin
 * (`all`; bins without a finite truth are skipped when scoring). A bin is in a window when
 * its start lies in it, as a bin belongs to a trial (architecture.md).
 */
export function evaluationMask(ds: Dataset, stream: BinnedStream, mode: EvaluationWindow): Uint8Array | null {
  if (mode === 'all') return null;
  let perMode = cache.get(stream);
  if (!perMode) cache.set(stream, (perMode = new Map()));
  const hit = perMode.get(mode);
  if (hit !== undefined) return hit;
  const mask = new Uint8Array(stream.numBins);
  if (mode === 'trials') {
    for (let k = 0; k < stream.numBins; k++) mask[k] = stream.trialOfBin[k] >= 0 ? 1 : 0;
  } else {
    for (const t of ds.trials) {
      const onset = t.columns.move_onset_time;
      if (typeof onset !== 'number' || !Number.isFinite(onset)) continue;
      const from = Math.max(0, firstBinFrom(onset - MOVEMENT_WINDOW_S.before, stream.binUs));
      const to = Math.min(stream.numBins, firstBinFrom(onset + MOVEMENT_WINDOW_S.after, stream.binUs));
      mask.fill(1, from, Math.max(from, to));
    }
  }
  perMode.set(mode, mask);
  return mask;
}

/** Refuses a window the dataset cannot give (no move_onset_time, no trials). */
export function assertEvaluationWindow(ds: Dataset, mode: EvaluationWindow): void {
  if (mode === 'trials' && ds.trials.length === 0) {
    throw new ParamError('evaluate=trials: this dataset has no trials; use evaluate=all');
  }
  if (mode === 'movement' && !ds.trials.some((t) => typeof t.columns.move_onset_time === 'number' && Number.isFinite(t.columns.move_onset_time))) {
    throw new ParamError('evaluate=movement needs a move_onset_time column in the trials table (MC_Maze has one); this dataset has none: use evaluate=all or trials');
  }
}
