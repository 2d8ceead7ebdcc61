import { describe, expect, it } from 'vitest';
import { elapsedSeconds, newlyFailed } from '../../src/renderer/src/data/recordings.ts';
import type { RecordingSummary } from '../../src/shared/studioApi.ts';

const rec = (id: string, status: RecordingSummary['status']): RecordingSummary => ({
  id,
  sessionCode: 'demo',
  status,
  error: status === 'failed' ? 'disk full: no space left to write …' : null,
  startedAt: '2026-12-06T16:00:00.000Z',
  stoppedAt: null,
  durationS: 1,
  dataset: { name: 'x', synthetic: true },
  decoders: [],
  best: null,
  counts: { packets: 0, predictions: 0, events: 0 },
  sizeBytes: 0,
});

describe('the recordings list rules', () => {
  it('a recording that fails while the studio watches is news (a toast); failures already there at first load are not', () => {
    expect(newlyFailed(null, [rec('a', 'failed')])).toEqual([]);
    expect(newlyFailed([rec('a', 'recording')], [rec('a', 'failed')]).map((r) => r.id)).toEqual(['a']);
    expect(newlyFailed([], [rec('b', 'failed')]).map((r) => r.id)).toEqual(['b']);
    expect(newlyFailed([rec('a', 'failed')], [rec('a', 'failed')])).toEqual([]);
    expect(newlyFailed([rec('a', 'recording')], [rec('a', 'complete')])).toEqual([]);
  });

  it('the record button clock counts from the start, never below zero', () => {
    expect(elapsedSeconds('2026-12-06T16:00:00.000Z', Date.parse('2026-12-06T16:01:05.500Z'))).toBe(65.5);
    expect(elapsedSeconds('2026-12-06T16:00:00.000Z', Date.parse('2026-12-06T15:59:59Z'))).toBe(0);
    expect(elapsedSeconds('not a time')).toBe(0);
  });
});
