import { describe, expect, it } from 'vitest';
import { FilterError, buildTimeline } from '../../src/main/playback/timeline.ts';
import { memoryDataset } from '../helpers/memoryDataset.ts';

const ds = memoryDataset(400, 4, 40); // 10 trials: bins [5,40), [45,80), …; targets alternate 0, 1

const bins = (f: { trial_id: number | null; target_id: number | null }) => {
  const t = buildTimeline(ds, f);
  return Array.from({ length: t.length }, (_, i) => t.binAt(i));
};

describe('session timelines', () => {
  it('plays every bin of the recording without a filter', () => {
    const t = buildTimeline(ds, { trial_id: null, target_id: null });
    expect(t.length).toBe(400);
    expect(t.binAt(0)).toBe(0);
    expect(t.binAt(399)).toBe(399);
  });

  it('plays exactly one trial with trial_id', () => {
    expect(bins({ trial_id: 3, target_id: null })).toEqual(Array.from({ length: 35 }, (_, i) => 125 + i));
  });

  it('plays all trials aimed at a target, in trial order', () => {
    const b = bins({ trial_id: null, target_id: 1 });
    expect(b.length).toBe(5 * 35);
    expect(b.slice(0, 2)).toEqual([45, 46]);
    expect(b[35]).toBe(125); // trial 3 follows trial 1
    expect(b.every((k) => ds.trials[ds.trialOfBin[k]].targetId === 1)).toBe(true);
  });

  it('intersects trial and target filters, and refuses an empty intersection', () => {
    expect(bins({ trial_id: 3, target_id: 1 }).length).toBe(35);
    expect(() => buildTimeline(ds, { trial_id: 2, target_id: 1 })).toThrow(/trial 2 is not aimed at target 1/);
  });

  it('refuses unknown trials and targets with a clear message', () => {
    const err = (() => {
      try {
        buildTimeline(ds, { trial_id: 99, target_id: null });
      } catch (e) {
        return e as FilterError;
      }
    })();
    expect(err).toBeInstanceOf(FilterError);
    expect(err!.code).toBe('unknown_trial');
    expect(err!.message).toMatch(/trial_id=99 does not exist \(trials are 0\.\.9\)/);
    expect(() => buildTimeline(ds, { trial_id: null, target_id: 7 })).toThrow(/target_id=7 does not exist/);
  });

  it('maps a recording bin back to its timeline position', () => {
    const t = buildTimeline(ds, { trial_id: null, target_id: 0 });
    expect(t.positionOfBin(85)).toBe(35); // trial 2 starts at bin 85, second range
    expect(t.rangeStarts()).toEqual([0, 35, 70, 105, 140]);
  });
});
