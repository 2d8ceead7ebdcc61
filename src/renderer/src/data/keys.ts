/**
 * What a key press means to the transport. Decided here as a pure function so the rules
 * (typing wins, modifiers pick the step) are tested without a browser.
 *
 *   Space        play / pause
 *   ← / →        step 1 s back / forward
 *   Shift+←/→    0.1 s (finer)
 *   Alt+←/→      10 s (coarser)
 *   Home / End   start of the timeline / last bin
 *   [ / ]        previous / next speed preset
 */

export type TransportKeyAction =
  | { kind: 'toggle-play' }
  | { kind: 'step'; seconds: number }
  | { kind: 'jump'; to: 'start' | 'end' }
  | { kind: 'speed'; direction: -1 | 1 };

export interface KeyTarget {
  tagName?: string;
  type?: string;
  isContentEditable?: boolean;
}

export interface KeyPress {
  key: string;
  shiftKey: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  repeat: boolean;
  target: KeyTarget | null;
}

/** Input types that take no typing: keys stay with the transport while they are focused. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'color', 'file', 'image']);

/** Is focus somewhere the user types (or picks with arrows)? Then keys belong to it. */
export function isTypingTarget(t: KeyTarget | null): boolean {
  if (!t) return false;
  if (t.isContentEditable) return true;
  const tag = (t.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((t.type ?? 'text').toLowerCase());
  return false;
}

export const STEP_S = 1;
export const FINE_STEP_S = 0.1;
export const COARSE_STEP_S = 10;

export function transportKeyAction(e: KeyPress): TransportKeyAction | null {
  if (e.ctrlKey || e.metaKey) return null; // browser and OS shortcuts
  if (isTypingTarget(e.target)) return null;
  switch (e.key) {
    case ' ':
    case 'Spacebar':
      // Holding space must not flip play/pause at the key-repeat rate.
      return e.repeat ? null : { kind: 'toggle-play' };
    case 'ArrowLeft':
    case 'ArrowRight': {
      const size = e.altKey ? COARSE_STEP_S : e.shiftKey ? FINE_STEP_S : STEP_S;
      return { kind: 'step', seconds: e.key === 'ArrowLeft' ? -size : size };
    }
    case 'Home':
      return { kind: 'jump', to: 'start' };
    case 'End':
      return { kind: 'jump', to: 'end' };
    case '[':
      return { kind: 'speed', direction: -1 };
    case ']':
      return { kind: 'speed', direction: 1 };
    default:
      return null;
  }
}

export const SPEED_PRESETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20] as const;

/** The preset one step slower/faster than `speed` (which need not be a preset itself). */
export function nextSpeedPreset(speed: number, direction: -1 | 1): number {
  if (direction > 0) return SPEED_PRESETS.find((p) => p > speed + 1e-9) ?? SPEED_PRESETS[SPEED_PRESETS.length - 1];
  for (let i = SPEED_PRESETS.length - 1; i >= 0; i--) if (SPEED_PRESETS[i] < speed - 1e-9) return SPEED_PRESETS[i];
  return SPEED_PRESETS[0];
}
