/**
 * Text the frame loop changes many times a second: the clock, the readouts, the chart values.
 *
 * Each value is drawn on a small live (desynchronized) canvas laid over its fixed box, and the
 * same text is kept in the box's DOM, transparent, refreshed every DOM_TEXT_MS (flushLiveTexts;
 * at once after a seek): the DOM copy is what screen readers, selection and the tests read. Why:
 * every DOM text change costs its frame the page's whole rendering lifecycle — layout,
 * pre-paint, paint, layerize and commit, 2–3 ms a frame in a software-rendered page (measured
 * in bench/renderer.ts, 20 such frames a second) — where a fillText on a live canvas costs a
 * few hundredths of a millisecond and no lifecycle at all.
 */
import { useEffect, useRef } from 'react';
import { observeSize } from './frameLoop.ts';
import { liveContext } from './liveCanvas.ts';

/** The DOM copy of a live value is refreshed at most this often (ms). */
export const DOM_TEXT_MS = 500;

/** A live value's DOM text: the box's first child, when it is a text node. */
function textNodeOf(box: HTMLElement): Text | null {
  const node = box.firstChild;
  return node !== null && node.nodeType === 3 /* Node.TEXT_NODE */ ? (node as Text) : null;
}

/**
 * Writes a live value's DOM text only when it changed, and then by changing the existing text
 * node's data: replacing the node would make a new layout object, which lays out the whole
 * page instead of one line. A box without one gets a text node before its canvas.
 */
export function writeText(box: HTMLElement, text: string): void {
  const node = textNodeOf(box);
  if (node === null) box.insertBefore(document.createTextNode(text), box.firstChild);
  else if (node.data !== text) node.data = text;
}

/** How the box draws its text, read from its computed style (again after each resize). */
interface TextStyle {
  font: string;
  color: string;
  align: 'left' | 'right' | 'center';
  /** Baseline from the top of the box, CSS px: where the DOM would put it. */
  baseline: number;
  /** Advance of the widest digit: digits are drawn in cells of this width (tabular figures). */
  digit: number;
  /** The font's digits are all that wide already: the text is drawn in one call. */
  tabular: boolean;
  /** Advances of the other characters, measured once per style. */
  widths: Map<string, number>;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Live values whose DOM copy is behind what their canvas shows. */
const behind = new Set<LiveText>();

/**
 * Brings every DOM copy up to date at once. The frame loop calls it at most every DOM_TEXT_MS
 * (main.tsx), together with the other low-rate DOM updates, so that they cost one frame's
 * layout and paint instead of one frame each.
 */
export function flushLiveTexts(): void {
  for (const t of behind) t.syncDom();
  behind.clear();
}

/** One live value: a fixed `.live-text` box with a canvas over it. */
export class LiveText {
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly offSize: () => void;
  private style: TextStyle | null = null;
  private cssW = 0;
  private cssH = 0;
  private text: string;

  constructor(private readonly box: HTMLElement) {
    this.text = box.textContent ?? '';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'live-text-canvas';
    this.canvas.setAttribute('aria-hidden', 'true');
    this.ctx = liveContext(this.canvas);
    box.appendChild(this.canvas);
    box.classList.add('on-canvas');
    this.offSize = observeSize(box, (w, h) => {
      this.cssW = w;
      this.cssH = h;
      const dpr = window.devicePixelRatio || 1;
      this.canvas.width = Math.max(1, Math.round(w * dpr));
      this.canvas.height = Math.max(1, Math.round(h * dpr));
      this.style = null;
      this.draw();
    });
  }

  /** Shows `text` now; the DOM copy follows at the next flush, or at once with `domNow` (a seek). */
  set(text: string, domNow = false): void {
    if (text !== this.text) {
      this.text = text;
      this.draw();
    }
    if (domNow) {
      behind.delete(this);
      this.syncDom();
    } else if (textNodeOf(this.box)?.data !== text) {
      behind.add(this);
    }
  }

  /** Writes the shown text into the box's DOM copy. */
  syncDom(): void {
    writeText(this.box, this.text);
  }

  destroy(): void {
    behind.delete(this);
    this.offSize();
    this.canvas.remove();
    this.box.classList.remove('on-canvas');
  }

  private readStyle(): TextStyle {
    const cs = getComputedStyle(this.box);
    const ctx = this.ctx;
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const m = ctx.measureText('0');
    const ascent = m.fontBoundingBoxAscent;
    const descent = m.fontBoundingBoxDescent;
    let digit = 0;
    let narrowest = Infinity;
    for (let d = 0; d < 10; d++) {
      const w = ctx.measureText(String(d)).width;
      digit = Math.max(digit, w);
      narrowest = Math.min(narrowest, w);
    }
    const align = cs.textAlign === 'right' || cs.textAlign === 'end' ? 'right' : cs.textAlign === 'center' ? 'center' : 'left';
    return {
      font: ctx.font,
      color: cs.color,
      align,
      // CSS puts the glyphs' ascent + descent in the middle of the line box (half-leading).
      baseline: (this.cssH - (ascent + descent)) / 2 + ascent,
      digit,
      tabular: digit - narrowest < 0.01,
      widths: new Map(),
    };
  }

  private draw(): void {
    if (this.cssW <= 0 || this.cssH <= 0) return;
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    let st = this.style;
    if (st === null) {
      // Set once per style: nothing else draws on this context, and a resize (which resets the
      // context's state) clears the style. Assigning ctx.font parses and resolves the font again.
      st = this.style = this.readStyle();
      ctx.font = st.font;
      ctx.fillStyle = st.color;
      ctx.textBaseline = 'alphabetic';
      // Tabular figures by hand place each character themselves, from the left.
      ctx.textAlign = st.tabular ? st.align : 'left';
    }
    const text = this.text;
    if (st.tabular) {
      // Most UI fonts' digits are tabular already: one call, aligned by the canvas.
      ctx.fillText(text, st.align === 'right' ? this.cssW : st.align === 'center' ? this.cssW / 2 : 0, st.baseline);
      return;
    }
    // Tabular figures by hand (CSS says font-variant-numeric: tabular-nums; canvas text has no
    // such setting): each digit centred in a cell of the widest digit, so values do not jitter.
    const natural = (ch: string) => {
      let w = st.widths.get(ch);
      if (w === undefined) st.widths.set(ch, (w = ctx.measureText(ch).width));
      return w;
    };
    let width = 0;
    for (let i = 0; i < text.length; i++) width += isDigit(text.charCodeAt(i)) ? st.digit : natural(text[i]);
    let x = st.align === 'right' ? this.cssW - width : st.align === 'center' ? (this.cssW - width) / 2 : 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (isDigit(text.charCodeAt(i))) {
        ctx.fillText(ch, x + (st.digit - natural(ch)) / 2, st.baseline);
        x += st.digit;
      } else {
        ctx.fillText(ch, x, st.baseline);
        x += natural(ch);
      }
    }
  }
}

/** A live value bound to an element by a ref callback; stable, so React calls it on mount and unmount only. */
export interface LiveTextHandle {
  ref: (el: HTMLElement | null) => void;
  set: (text: string, domNow?: boolean) => void;
  destroy: () => void;
}

export function liveTextHandle(): LiveTextHandle {
  let live: LiveText | null = null;
  const destroy = () => {
    live?.destroy();
    live = null;
  };
  return {
    ref: (el) => {
      destroy();
      if (el) live = new LiveText(el);
    },
    set: (text, domNow = false) => live?.set(text, domNow),
    destroy,
  };
}

/** `count` live values for a component: put `ref` on each fixed `.live-text` box, call `set` from the frame loop. */
export function useLiveTexts(count: number): LiveTextHandle[] {
  const handles = useRef<LiveTextHandle[]>([]);
  while (handles.current.length < count) handles.current.push(liveTextHandle());
  useEffect(() => () => handles.current.forEach((h) => h.destroy()), []);
  return handles.current;
}
