/**
 * One requestAnimationFrame loop for every live view. Each frame it moves the packets that
 * are due from the pacer into the live buffers (once), then lets each view draw what changed.
 * Views write to canvases, uPlot and text nodes directly: 40 Hz data never goes through
 * React state, so React renders only when something a person would click changes.
 */
import { createContext, useContext, useEffect, useRef } from 'react';
import type { StudioStore } from '../state/store.ts';

export interface FrameContext {
  /** requestAnimationFrame time, ms. */
  now: number;
  /** Packets taken into the live buffers this frame. */
  taken: number;
  store: StudioStore;
}

export type FrameCallback = (frame: FrameContext) => void;

export class FrameLoop {
  private callbacks: FrameCallback[] = [];
  private raf = 0;
  private readonly frame: FrameContext;

  constructor(store: StudioStore) {
    this.frame = { now: 0, taken: 0, store };
  }

  add(cb: FrameCallback): () => void {
    this.callbacks = [...this.callbacks, cb];
    return () => {
      this.callbacks = this.callbacks.filter((c) => c !== cb);
    };
  }

  start(): void {
    if (this.raf) return;
    const tick = (t: number) => {
      this.raf = requestAnimationFrame(tick);
      const f = this.frame;
      f.now = t;
      f.taken = f.store.advance(t);
      const cbs = this.callbacks;
      for (let i = 0; i < cbs.length; i++) cbs[i](f);
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }
}

export const FrameLoopContext = createContext<FrameLoop | null>(null);

/** Runs `cb` every animation frame while the component is mounted (the latest `cb` is used). */
export function useFrame(cb: FrameCallback): void {
  const loop = useContext(FrameLoopContext);
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(() => {
    if (!loop) return;
    return loop.add((f) => ref.current(f));
  }, [loop]);
}

/** Keeps an element's size in device pixels; `onResize` runs after a change. */
export function observeSize(el: Element, onResize: (cssW: number, cssH: number) => void): () => void {
  const ro = new ResizeObserver((entries) => {
    const r = entries[entries.length - 1].contentRect;
    onResize(r.width, r.height);
  });
  ro.observe(el);
  return () => ro.disconnect();
}

/** Sizes a canvas's backing store to its CSS box × devicePixelRatio; true if it changed. */
export function fitCanvas(canvas: HTMLCanvasElement, cssW: number, cssH: number): boolean {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(cssW * dpr));
  const h = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  return true;
}
