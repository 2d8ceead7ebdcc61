import { describe, expect, it } from 'vitest';
import { describeFilters, formatBytes, formatClock, formatClockSeconds, formatDuration, formatNumber, formatTrialTime } from '../../src/renderer/src/data/format.ts';
import { isTypingTarget, nextSpeedPreset, transportKeyAction, type KeyPress } from '../../src/renderer/src/data/keys.ts';
import { clampSeek, fractionToSeconds, isContinuous } from '../../src/renderer/src/data/timeline.ts';
import { nextRangeMax, niceCeil } from '../../src/renderer/src/data/ranges.ts';

describe('time formatting', () => {
  it('the session list shows whole seconds, floored, so it changes once a second and never runs ahead', () => {
    expect(formatClockSeconds(0)).toBe('00:00');
    expect(formatClockSeconds(7.175)).toBe('00:07');
    expect(formatClockSeconds(59.999)).toBe('00:59');
    expect(formatClockSeconds(192.45)).toBe('03:12');
    expect(formatClockSeconds(-1)).toBe('00:00');
    expect(formatClockSeconds(NaN)).toBe('00:00');
    const shown = new Set(Array.from({ length: 40 }, (_, i) => formatClockSeconds(12 + i * 0.025)));
    expect([...shown]).toEqual(['00:12']);
  });

  it('formats positions as mm:ss.mmm, with a stable width', () => {
    expect(formatClock(0)).toBe('00:00.000');
    expect(formatClock(192.45)).toBe('03:12.450');
    expect(formatClock(581)).toBe('09:41.000');
    expect(formatClock(59.9996)).toBe('01:00.000'); // never "00:60.000"
    expect(formatClock(-3)).toBe('00:00.000');
    expect(formatClock(NaN)).toBe('00:00.000');
    const widths = new Set([0, 1.025, 12.5, 333.333, 599.975].map((s) => formatClock(s).length));
    expect([...widths]).toEqual([9]);
  });

  it('grows minutes past two digits for long recordings', () => {
    expect(formatClock(90 * 60 + 1.5)).toBe('90:01.500');
    expect(formatClock(120 * 60)).toBe('120:00.000');
  });

  it('formats summaries, signed values and trial times', () => {
    expect(formatDuration(581)).toBe('9:41');
    expect(formatDuration(5400)).toBe('1:30:00');
    expect(formatNumber(-120)).toBe('\u2212120.0');
    expect(formatNumber(-0.01)).toBe('0.0');
    expect(formatNumber(null)).toBe('—');
    expect(formatTrialTime(1250)).toBe('+1.250 s');
    expect(formatTrialTime(null)).toBe('—');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(2048)).toBe('2.0 kB');
  });

  it('describes filters the way the chips read', () => {
    expect(describeFilters({ trial_id: null, target_id: null })).toBe('all trials');
    expect(describeFilters({ trial_id: 41, target_id: 3 })).toBe('trial 41 · target 3');
  });
});

describe('timeline arithmetic', () => {
  it('snaps seeks to a bin and keeps them inside the timeline (the engine refuses the end)', () => {
    expect(clampSeek(1.2345, 10)).toBe(1.225);
    expect(clampSeek(-4, 10)).toBe(0);
    expect(clampSeek(10, 10)).toBe(9.975);
    expect(clampSeek(99, 10)).toBe(9.975);
    expect(fractionToSeconds(0.5, 600)).toBe(300);
    expect(fractionToSeconds(1.2, 600)).toBe(599.975);
  });

  it('tells a seek from the next packet and from a loop wrap', () => {
    expect(isContinuous(null, 5, 10)).toBe(true);
    expect(isContinuous(1.0, 1.025, 10)).toBe(true);
    expect(isContinuous(40 / 40, 41 / 40, 10)).toBe(true);
    expect(isContinuous(9.975, 0, 10)).toBe(true); // loop
    expect(isContinuous(3.0, 0, 10)).toBe(false); // filter change / stop
    expect(isContinuous(1.0, 2.0, 10)).toBe(false); // seek
  });

  it('chooses stable chart ranges: nice numbers, grow at once, shrink only well below', () => {
    expect(niceCeil(0.7)).toBe(1);
    expect(niceCeil(1300)).toBe(2000);
    expect(niceCeil(2100)).toBe(2500);
    expect(niceCeil(240)).toBe(250);
    expect(nextRangeMax(0, 1300)).toBe(2000); // 1300 × 1.1 headroom → 2000
    expect(nextRangeMax(2000, 1500)).toBe(2000); // jitter below the top: unchanged
    expect(nextRangeMax(2000, 2100)).toBe(2500); // would clip: grow
    expect(nextRangeMax(2500, 500)).toBe(1000); // far below: shrink
  });
});

const key = (k: string, more: Partial<KeyPress> = {}): KeyPress => ({
  key: k,
  shiftKey: false,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  repeat: false,
  target: { tagName: 'BODY' },
  ...more,
});

describe('transport keys', () => {
  it('space plays/pauses; arrows step 1 s, Shift 0.1 s, Alt 10 s', () => {
    expect(transportKeyAction(key(' '))).toEqual({ kind: 'toggle-play' });
    expect(transportKeyAction(key('ArrowRight'))).toEqual({ kind: 'step', seconds: 1 });
    expect(transportKeyAction(key('ArrowLeft'))).toEqual({ kind: 'step', seconds: -1 });
    expect(transportKeyAction(key('ArrowRight', { shiftKey: true }))).toEqual({ kind: 'step', seconds: 0.1 });
    expect(transportKeyAction(key('ArrowLeft', { altKey: true }))).toEqual({ kind: 'step', seconds: -10 });
  });

  it('ignores keys while typing in inputs, text areas, selects and editable content', () => {
    for (const target of [{ tagName: 'INPUT', type: 'text' }, { tagName: 'input' }, { tagName: 'INPUT', type: 'search' }, { tagName: 'TEXTAREA' }, { tagName: 'SELECT' }, { tagName: 'DIV', isContentEditable: true }]) {
      expect(transportKeyAction(key(' ', { target }))).toBeNull();
      expect(transportKeyAction(key('ArrowLeft', { target }))).toBeNull();
    }
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(transportKeyAction(key(' ', { target: { tagName: 'BUTTON' } }))).toEqual({ kind: 'toggle-play' });
  });

  it('leaves browser shortcuts and held-down space alone', () => {
    expect(transportKeyAction(key('ArrowLeft', { ctrlKey: true }))).toBeNull();
    expect(transportKeyAction(key(' ', { metaKey: true }))).toBeNull();
    expect(transportKeyAction(key(' ', { repeat: true }))).toBeNull();
    expect(transportKeyAction(key('a'))).toBeNull();
  });

  it('[ and ] walk the speed presets, from any speed', () => {
    expect(transportKeyAction(key(']'))).toEqual({ kind: 'speed', direction: 1 });
    expect(nextSpeedPreset(1, 1)).toBe(2);
    expect(nextSpeedPreset(1, -1)).toBe(0.5);
    expect(nextSpeedPreset(3, -1)).toBe(2);
    expect(nextSpeedPreset(20, 1)).toBe(20);
    expect(nextSpeedPreset(0.1, -1)).toBe(0.1);
  });
});
