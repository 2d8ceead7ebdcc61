/**
 * 2-D contexts for the canvases redrawn at the packet rate (raster, 2-D view, chart lines).
 *
 * They are `desynchronized`: Chromium hands each drawn frame of such a canvas to the compositor
 * on its own, instead of flushing the canvas's recorded drawing and producing its resource in
 * the page's commit. Without a GPU (software canvas, as on these machines and many lab laptops)
 * that flush is where the strokes are rasterized: measured side by side (bench/renderer.ts),
 * commit fell from 1.4–2.2 ms to 0.1–0.3 ms per frame and the frame's main-thread work by about
 * 1 ms at the median. The cost is that a live canvas may show its new picture a frame before
 * or after the DOM text around it, which nobody can see in a plot that moves at 40 Hz.
 * Static canvases (axes, scrubber ticks) keep the default, synchronized context.
 */

const LIVE: CanvasRenderingContext2DSettings = { desynchronized: true };

/** Contexts already made: the raster and the 2-D view ask for theirs in every drawn frame. */
const contexts = new WeakMap<HTMLCanvasElement, CanvasRenderingContext2D>();

/** The 2-D context of a live canvas (the settings take effect on the first call). */
export function liveContext(canvas: HTMLCanvasElement, settings: CanvasRenderingContext2DSettings = {}): CanvasRenderingContext2D {
  let ctx = contexts.get(canvas);
  if (ctx === undefined) {
    const made = canvas.getContext('2d', { ...settings, ...LIVE });
    if (!made) throw new Error('no 2-D canvas context');
    contexts.set(canvas, (ctx = made));
  }
  return ctx;
}

/**
 * Runs `create` (a `new uPlot(...)`) so that the canvases it creates get live contexts. uPlot
 * creates its canvas and calls `getContext('2d')` inside its constructor, with no way to pass
 * settings; for the duration of the call only, 2-D contexts are requested with them.
 */
export function withLiveContexts<T>(create: () => T): T {
  const proto = HTMLCanvasElement.prototype;
  const original = proto.getContext;
  proto.getContext = function (this: HTMLCanvasElement, type: string, settings?: unknown) {
    return type === '2d' ? original.call(this, type, { ...(settings as object), ...LIVE }) : original.call(this, type, settings);
  } as typeof original;
  try {
    return create();
  } finally {
    proto.getContext = original;
  }
}
