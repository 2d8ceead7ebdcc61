/**
 * Writes a readout's text only when it changed (no DOM work for identical frames), and then by
 * changing the existing text node's data: assigning `textContent` would replace the node, and
 * a new node means a new layout object, which lays out the whole page instead of one line.
 */
export function setText(el: HTMLElement | null, text: string): void {
  if (!el) return;
  const node = el.firstChild;
  if (node !== null && node.nodeType === 3 /* Node.TEXT_NODE */ && node.nextSibling === null) {
    const t = node as Text;
    if (t.data !== text) t.data = text;
  } else if (el.textContent !== text) {
    el.textContent = text;
  }
}
