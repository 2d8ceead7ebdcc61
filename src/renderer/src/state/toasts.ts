/**
 * The toast list's rules, as functions from one list to the next: the store keeps the list in
 * its state (so React renders it like everything else) and the timers that dismiss each toast.
 */

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
  /** The same message again bumps this instead of stacking copies. */
  repeat: number;
}

/** Errors stay long enough to read (and can be dismissed), then leave so a projector is not left showing one. */
export const ERROR_TOAST_MS = 15000;
/** Information fades sooner. */
export const INFO_TOAST_MS = 5000;
/** At most this many show at once; the oldest goes first. */
export const MAX_TOASTS = 4;

/**
 * The list with `message` added: a toast of the same kind and message already showing counts
 * one more repeat (and keeps its place and id); otherwise a new toast with `newId` goes last.
 * Returns the list and the id of the toast that shows the message.
 */
export function withToast(toasts: readonly Toast[], kind: Toast['kind'], message: string, newId: number): { toasts: Toast[]; id: number } {
  const same = toasts.find((t) => t.kind === kind && t.message === message);
  if (same) return { toasts: toasts.map((t) => (t === same ? { ...t, repeat: t.repeat + 1 } : t)), id: same.id };
  return { toasts: [...toasts, { id: newId, kind, message, repeat: 1 }].slice(-MAX_TOASTS), id: newId };
}
