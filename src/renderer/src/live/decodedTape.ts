/**
 * The decoders' decoded traces of one chart, drawn incrementally on a "tape": an offscreen
 * canvas as tall as the plot box and about twice as wide, on which each packet's new segment of
 * each trace is drawn once, at a tape x that never changes. Every frame that redraws the chart
 * copies the window of the tape that is on screen into the chart's lines canvas, over the true
 * traces: one image copy, instead of building and rasterizing every decoded trace's whole path
 * again (with 8 decoders, 28 traces of 400 points on the two kinematics charts: as uPlot series
 * they made the frame's main-thread work p95 twice what it is without decoders; bench/README.md).
 *
 * Positions: the packet drawn `n`-th since the plots' last reset is at tape x
 * `anchorX + (n − anchorN) · pitch` (pitch = plot width / packets in the window), so the newest
 * packet's point moves right by a pitch per packet and the window shown is the plot width to
 * its left. The tape is copied from a whole-pixel x (rounded), so the decoded traces sit within
 * half a pixel of where uPlot would put them, all points alike (no wobble between them). When
 * the newest point nears the tape's right end, the part still on screen is moved back to the
 * left end (one copy every plot width of packets: every 10 s in the 10 s window).
 *
 * The tape starts again (cleared, every visible column drawn) when what a point's position or
 * colour depends on changes: the plot box, the y range, the window, the traces (decoders come,
 * go, or take other slots), or the plots' reset (seek, session switch). A prediction that comes
 * after its packet was drawn is drawn when it comes: each trace remembers the last packet it
 * drew or knew to be a gap, and moves on only up to the newest packet its decoder answered
 * (a packet it did not answer, before one it did, is a gap in the line, as before).
 *
 * Allocates nothing per frame (after the tape canvas, made once per size).
 */
import type { Axis } from '../../../shared/wire.ts';
import { S_SEQ } from '../data/liveBuffers.ts';

export interface DecodedTrace {
  /** The decoder's id: another decoder in the same slot (colour) is another trace. */
  id: string;
  slot: number;
  axis: Axis;
  color: string;
  /** The chart's second axis is dashed, so a decoder's two traces are told apart. */
  dashed: boolean;
}

/** The 2-D context calls the tape makes (CanvasRenderingContext2D; a recording fake in tests). */
export interface TapeContext {
  globalCompositeOperation: string;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  lineDashOffset: number;
  lineCap: CanvasLineCap;
  lineJoin: CanvasLineJoin;
  setLineDash(segments: number[]): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  drawImage(image: CanvasImageSource, sx: number, sy: number, sw: number, sh: number, dx: number, dy: number, dw: number, dh: number): void;
}

export interface TapeCanvas {
  width: number;
  height: number;
  readonly ctx: TapeContext;
  /** What `drawImage` is given to copy from it. */
  readonly source: CanvasImageSource;
}

/** What the tape reads of the live buffers (LiveBuffers). */
export interface TapeSource {
  readonly generation: number;
  readonly window: { readonly capacity: number; readonly written: number; at(series: number, age: number): number };
  readonly decoded: {
    /** The predicted `axis` for packet `seq`, NaN if none came. */
    value(slot: number, axis: Axis, seq: number): number;
    /** Newest seq the slot's decoder answered, -1 if none. */
    newestAnswered(slot: number): number;
  };
}

/** Where the chart's plot box is, in its canvas's pixels, and what it shows. */
export interface TapeGeometry {
  left: number;
  top: number;
  width: number;
  height: number;
  /** The y scale: the values at the bottom and top of the box. */
  yMin: number;
  yMax: number;
  /** Seconds the x axis spans (its right end is the newest packet). */
  windowS: number;
  /** Device pixels per CSS pixel (line widths and dashes scale with it). */
  dpr: number;
}

/**
 * CSS px: thinner than the true traces (1.75–2). At 1 device px a software canvas draws a line
 * as a hairline; wider, every vertex is stroked as geometry: a whole noisy trace of 400 points
 * costs ~10× more at 1.25 px (~1 ms), which is what starting the tape again costs a trace.
 */
export const DECODED_WIDTH = 1;
export const DECODED_DASH: readonly number[] = [6, 4];
const NO_DASH: number[] = [];

interface TraceState {
  spec: DecodedTrace;
  /** Packet index (ring `written` count) of the last point drawn or skipped as a gap. */
  lastN: number;
  /** The last point drawn (tape px), if the line goes on from it. */
  pen: boolean;
  x: number;
  y: number;
  /** Dash phase at (x, y), so the dashes run on across the frames' short strokes. */
  dash: number;
}

export function createTapeCanvas(width: number, height: number): TapeCanvas {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  return {
    get width() {
      return canvas.width;
    },
    set width(w: number) {
      canvas.width = w;
    },
    get height() {
      return canvas.height;
    },
    set height(h: number) {
      canvas.height = h;
    },
    ctx,
    source: canvas,
  };
}

export class DecodedTape {
  private traces: TraceState[] = [];
  private tape: TapeCanvas | null = null;
  /** Tape x of packet `anchorN`. */
  private anchorX = 0;
  private anchorN = 0;
  /** What the tape was drawn for: a change starts it again. */
  private key = { left: NaN, top: NaN, width: NaN, height: NaN, yMin: NaN, yMax: NaN, windowS: NaN, dpr: NaN, capacity: -1, generation: -1 };
  private fresh = false;
  /** DECODED_DASH in device pixels. */
  private dashPx: number[] = [...DECODED_DASH];
  /** Counters for tests and diagnostics. */
  readonly stats = { restarts: 0, rebases: 0, segments: 0 };

  constructor(private readonly makeCanvas: (w: number, h: number) => TapeCanvas = createTapeCanvas) {}

  get hasTraces(): boolean {
    return this.traces.length > 0;
  }

  /** The traces to draw, in order (later ones over earlier ones): the tape starts again. */
  setTraces(specs: readonly DecodedTrace[]): void {
    this.traces = specs.map((spec) => ({ spec, lastN: 0, pen: false, x: 0, y: 0, dash: 0 }));
    this.fresh = false;
  }

  /** Starts the tape again at the next draw (e.g. the canvas it is copied into was resized). */
  invalidate(): void {
    this.fresh = false;
  }

  /**
   * Brings the tape up to the newest packet and copies its visible window into `target` (the
   * chart's lines canvas, just drawn) at the plot box.
   */
  draw(target: Pick<TapeContext, 'drawImage'>, live: TapeSource, g: TapeGeometry): void {
    if (this.traces.length === 0 || !(g.width > 1 && g.height > 1) || !(g.yMax > g.yMin)) return;
    const ring = live.window;
    const n = ring.written;
    const columns = ring.capacity;
    // A packet's width: the window's packets (windowS × 1000 / binMs) over the plot width.
    const pitch = g.width / columns;
    const k = this.key;
    if (
      !this.fresh ||
      k.left !== g.left ||
      k.top !== g.top ||
      k.width !== g.width ||
      k.height !== g.height ||
      k.yMin !== g.yMin ||
      k.yMax !== g.yMax ||
      k.windowS !== g.windowS ||
      k.dpr !== g.dpr ||
      k.capacity !== columns ||
      k.generation !== live.generation ||
      n < this.anchorN
    ) {
      this.restart(live, g, n);
    }
    const tape = this.tape!;
    // Room for the next packets: move what is on screen back to the left end.
    const right = this.anchorX + (n - this.anchorN) * pitch;
    if (right + 4 * pitch + 8 > tape.width) this.rebase(Math.floor(right - g.width) - 2);
    this.extend(live, g, n, pitch, columns);
    const sx = Math.round(this.anchorX + (n - this.anchorN) * pitch - g.width);
    target.drawImage(tape.source, sx, 0, Math.round(g.width), tape.height, g.left, g.top, Math.round(g.width), tape.height);
  }

  private restart(live: TapeSource, g: TapeGeometry, n: number): void {
    const w = Math.ceil(g.width) * 2 + 64;
    const h = Math.max(1, Math.round(g.height));
    if (this.tape === null) this.tape = this.makeCanvas(w, h);
    else if (this.tape.width !== w || this.tape.height !== h) {
      // A new backing store, cleared.
      this.tape.width = w;
      this.tape.height = h;
    } else {
      this.tape.ctx.clearRect(0, 0, w, h);
    }
    // The newest packet at the plot width: every column in the window has a place on the tape.
    this.anchorN = n;
    this.anchorX = g.width;
    for (const t of this.traces) {
      t.lastN = n - live.window.capacity;
      t.pen = false;
      t.dash = 0;
    }
    this.dashPx = DECODED_DASH.map((d) => d * g.dpr);
    this.key = { left: g.left, top: g.top, width: g.width, height: g.height, yMin: g.yMin, yMax: g.yMax, windowS: g.windowS, dpr: g.dpr, capacity: live.window.capacity, generation: live.generation };
    this.fresh = true;
    this.stats.restarts++;
  }

  /** Moves the tape left by `shift` whole pixels (what is left of it is off screen). */
  private rebase(shift: number): void {
    const tape = this.tape!;
    if (shift <= 0) return;
    const ctx = tape.ctx;
    ctx.globalCompositeOperation = 'copy';
    ctx.drawImage(tape.source, shift, 0, tape.width - shift, tape.height, 0, 0, tape.width - shift, tape.height);
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(tape.width - shift, 0, shift, tape.height);
    this.anchorX -= shift;
    for (const t of this.traces) t.x -= shift;
    this.stats.rebases++;
  }

  /** Draws each trace's points from the last one it drew up to the newest its decoder answered. */
  private extend(live: TapeSource, g: TapeGeometry, n: number, pitch: number, columns: number): void {
    const ctx = this.tape!.ctx;
    const ring = live.window;
    const decoded = live.decoded;
    const yScale = g.height / (g.yMax - g.yMin);
    const yMax = g.yMax;
    const x0 = this.anchorX - this.anchorN * pitch;
    ctx.lineWidth = DECODED_WIDTH * g.dpr;
    ctx.lineCap = 'butt';
    ctx.lineJoin = 'round';
    let dashOn = false;
    for (let ti = 0; ti < this.traces.length; ti++) {
      const t = this.traces[ti];
      const { slot, axis, dashed } = t.spec;
      // Oldest packet to look at: the one after the last it drew, at most a window back.
      let age = Math.min(n - t.lastN - 1, columns - 1, ring.written - 1);
      if (age < 0) continue;
      const answered = decoded.newestAnswered(slot);
      let open = false;
      for (; age >= 0; age--) {
        const seq = ring.at(S_SEQ, age);
        const v = decoded.value(slot, axis, seq);
        if (v !== v) {
          // Not answered yet: wait for it here. Never answered (a newer one came), no estimate, or
          // a packet the stream lost (no seq in its column): a gap.
          if (seq === seq && !(seq <= answered)) break;
          if (open) ctx.stroke();
          open = false;
          t.pen = false;
          t.lastN = n - age;
          continue;
        }
        const x = x0 + (n - age) * pitch;
        const y = (yMax - v) * yScale;
        if (t.pen) {
          if (!open) {
            if (dashed !== dashOn) {
              ctx.setLineDash(dashed ? this.dashPx : NO_DASH);
              dashOn = dashed;
            }
            ctx.strokeStyle = t.spec.color;
            // The dashes go on from where the last stroke of this trace left them.
            if (dashed) ctx.lineDashOffset = t.dash;
            ctx.beginPath();
            ctx.moveTo(t.x, t.y);
            open = true;
          }
          ctx.lineTo(x, y);
          if (dashed) t.dash += Math.hypot(x - t.x, y - t.y);
          this.stats.segments++;
        } else {
          t.dash = 0;
        }
        t.x = x;
        t.y = y;
        t.pen = true;
        t.lastN = n - age;
      }
      if (open) ctx.stroke();
    }
    if (dashOn) ctx.setLineDash(NO_DASH);
  }
}
