/** Writes a readout's text only when it changed (no DOM work for identical frames). */
export function setText(el: HTMLElement | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}
