/**
 * One requestAnimationFrame loop for every live view. Each frame it moves the packets that
 * are due from the pacer into the live buffers (once), then lets the views draw, in two phases:
 *
 * - `draw`: canvases and uPlot. A view registered with `onData` is called only in frames where
 *   the live buffers changed (a packet was taken, they were reset, or — paused — a decoder's
 *   prediction came for a packet on screen) or after `invalidate()`
 *   (a resize, another window): packets come at 40 Hz, the display runs at 60 Hz, so about one
 *   frame in three has nothing new and does no drawing at all.
 * - `write`: the values people read (clock, readouts, chart values: live/liveText.ts) and DOM
 *   styles (the scrubber). They run after every canvas is drawn, because setting a canvas font
 *   needs clean style: a DOM write before a canvas draw could force a style or layout pass in
 *   the middle of the frame. They also run on their own cadence, at most every
 *   TEXT_INTERVAL_MS and preferably in a frame that drew nothing (at 40 Hz on a 60 Hz display
 *   one frame in three has no packet), which spreads the work over the frames. Nobody reads a
 *   number that changes 40 times a second; 20 times is still smooth for the clock and thumb.
 *   A seek (the live buffers reset) writes at once, and TEXT_MAX_DELAY_MS bounds the wait
 *   when every frame draws (20×).
 *
 * Views write to canvases, uPlot and text nodes directly: 40 Hz data never goes through React
 * state, so React renders only when something a person would click changes.
 */
import { createContext, useContext, useEffect, useRef } from 'react';
import type { LiveBuffers } from '../data/liveBuffers.ts';
import type { StudioStore } from '../state/store.ts';

export interface FrameContext<S extends FrameSource = StudioStore> {
  /** requestAnimationFrame time, ms. */
  now: number;
  /** Packets taken into the live buffers this frame. */
  taken: number;
  /** The live buffers were reset this frame (seek, new session): show the new state at once. */
  reset: boolean;
  store: S;
}

/** What the loop needs from the store: StudioStore implements it, and so does its LivePipeline. */
export interface FrameSource {
  /** `decodedRevision`: a decoder's prediction for a packet already drawn (paused) redraws too. */
  readonly live: Pick<LiveBuffers, 'generation' | 'packets' | 'decodedRevision'>;
  /** Moves the packets due at `nowMs` into the live buffers; returns how many. */
  advance(nowMs: number): number;
}

export type FrameCallback<S extends FrameSource = StudioStore> = (frame: FrameContext<S>) => void;

export type FramePhase = 'draw' | 'write';

/** The write phase runs at most this often (ms)... */
export const TEXT_INTERVAL_MS = 40;
/** ...and, while anything changes, at least this often even when every frame draws. */
export const TEXT_MAX_DELAY_MS = 100;

export interface FrameOptions {
  /** `draw` (the plots' canvases, default) runs before `write` (the values people read, DOM styles). */
  phase?: FramePhase;
  /**
   * Only in frames where the live buffers changed, or after `invalidate()`. A `write` entry
   * runs in the next write frame after such a change (it may be a later frame than the draw).
   */
  onData?: boolean;
}

export interface FrameHandle {
  remove(): void;
  /** Runs the callback in the next frame even without new data (resize, settings). */
  invalidate(): void;
}

interface Entry<S extends FrameSource> {
  cb: FrameCallback<S>;
  phase: FramePhase;
  onData: boolean;
  /** Draw entries: redraw in this frame. Write entries: new data since the last write. */
  dirty: boolean;
}

/** Counters for tests and diagnostics: how many frames ran and how many had anything to draw. */
export interface FrameStats {
  frames: number;
  /** Frames in which the live buffers changed. */
  dataFrames: number;
  /** `onData` draw callback runs (each one a redraw of a view). */
  dataDraws: number;
  /** Frames in which the write phase ran. */
  writeFrames: number;
}

export class FrameLoop<S extends FrameSource = StudioStore> {
  private entries: Entry<S>[] = [];
  private raf = 0;
  private readonly frame: FrameContext<S>;
  private seenGeneration = -1;
  private seenPackets = -1;
  private seenDecoded = -1;
  private lastWrite = -Infinity;
  private writtenGeneration = -1;
  /** A write entry was invalidated: write in the next frame. */
  private writeNow = false;
  readonly stats: FrameStats = { frames: 0, dataFrames: 0, dataDraws: 0, writeFrames: 0 };

  constructor(store: S) {
    this.frame = { now: 0, taken: 0, reset: false, store };
  }

  add(cb: FrameCallback<S>, opts: FrameOptions = {}): FrameHandle {
    const entry: Entry<S> = { cb, phase: opts.phase ?? 'draw', onData: opts.onData ?? false, dirty: true };
    // Draw-phase entries first, then write-phase ones; registration order within a phase.
    const others = this.entries.filter((e) => e.phase === 'draw');
    const writes = this.entries.filter((e) => e.phase === 'write');
    this.entries = entry.phase === 'draw' ? [...others, entry, ...writes] : [...others, ...writes, entry];
    return {
      remove: () => {
        this.entries = this.entries.filter((e) => e !== entry);
      },
      invalidate: () => {
        entry.dirty = true;
        if (entry.phase === 'write') this.writeNow = true;
      },
    };
  }

  /** One frame: take the due packets, then run the callbacks that have something to do. */
  step(now: number): void {
    const f = this.frame;
    f.now = now;
    f.taken = f.store.advance(now);
    const live = f.store.live;
    f.reset = live.generation !== this.seenGeneration;
    const changed = f.reset || live.packets !== this.seenPackets || live.decodedRevision !== this.seenDecoded;
    this.seenGeneration = live.generation;
    this.seenPackets = live.packets;
    this.seenDecoded = live.decodedRevision;
    this.stats.frames++;
    if (changed) this.stats.dataFrames++;
    const entries = this.entries;
    let drew = false;
    let i = 0;
    for (; i < entries.length && entries[i].phase === 'draw'; i++) {
      const e = entries[i];
      if (e.onData) {
        if (!changed && !e.dirty) continue;
        e.dirty = false;
        this.stats.dataDraws++;
        drew = true;
      }
      e.cb(f);
    }
    if (changed) for (let j = i; j < entries.length; j++) if (entries[j].onData) entries[j].dirty = true;
    const since = now - this.lastWrite;
    const due = this.writeNow || live.generation !== this.writtenGeneration || since >= TEXT_MAX_DELAY_MS || (since >= TEXT_INTERVAL_MS && !drew);
    if (!due) return;
    this.lastWrite = now;
    this.writtenGeneration = live.generation;
    this.writeNow = false;
    this.stats.writeFrames++;
    for (; i < entries.length; i++) {
      const e = entries[i];
      if (e.onData) {
        if (!e.dirty) continue;
        e.dirty = false;
      }
      e.cb(f);
    }
  }

  start(): void {
    if (this.raf) return;
    const tick = (t: number) => {
      this.raf = requestAnimationFrame(tick);
      this.step(t);
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }
}

export const FrameLoopContext = createContext<FrameLoop | null>(null);

/**
 * Runs `cb` in the frame loop while the component is mounted (the latest `cb` is used).
 * Returns `invalidate`: call it when the view must redraw without new data.
 */
export function useFrame(cb: FrameCallback, opts: FrameOptions = {}): () => void {
  const loop = useContext(FrameLoopContext);
  const ref = useRef(cb);
  ref.current = cb;
  const handle = useRef<FrameHandle | null>(null);
  const invalidate = useRef(() => handle.current?.invalidate());
  const { phase, onData } = opts;
  useEffect(() => {
    if (!loop) return;
    const h = loop.add((f) => ref.current(f), { phase, onData });
    handle.current = h;
    return () => {
      h.remove();
      handle.current = null;
    };
  }, [loop, phase, onData]);
  return invalidate.current;
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
