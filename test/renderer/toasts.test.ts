import { describe, expect, it } from 'vitest';
import { MAX_TOASTS, withToast, type Toast } from '../../src/renderer/src/state/toasts.ts';

describe('toasts', () => {
  it('the same message again counts a repeat on the toast showing it; a new one goes last; at most MAX_TOASTS show', () => {
    let list: Toast[] = [];
    let r = withToast(list, 'error', 'no', 1);
    list = r.toasts;
    r = withToast(list, 'error', 'no', 2);
    expect(r.id).toBe(1);
    expect(r.toasts).toEqual([{ id: 1, kind: 'error', message: 'no', repeat: 2 }]);
    r = withToast(r.toasts, 'info', 'no', 2); // another kind: another toast
    expect(r.toasts.map((t) => t.id)).toEqual([1, 2]);
    list = r.toasts;
    for (let id = 3; id <= 3 + MAX_TOASTS; id++) list = withToast(list, 'info', `m${id}`, id).toasts;
    expect(list).toHaveLength(MAX_TOASTS);
    expect(list.at(-1)?.message).toBe(`m${3 + MAX_TOASTS}`);
  });
});
