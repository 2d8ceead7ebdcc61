/**
 * The spike raster: every channel over the scrolling window, as the decoders receive it (a
 * channel under dropout is a silent row; the header says how many). New columns are uploaded
 * into a ring canvas (`putImageData` on the dirty span only: the columns started since the last
 * frame, and the newest one again while its bins still come in — a 5 ms session sums five bins
 * into a column, data/rasterRing.ts), and the ring is blitted to the screen in two parts, oldest
 * on the left. A resize only re-blits; a seek, session or dataset change starts the ring afresh.
 */
import { useEffect, useRef } from 'react';
import { BIN_MS } from '../../../shared/bins.ts';
import type { Perturbations } from '../../../shared/wire.ts';
import { blitParts, dirtySpans, type RasterRing } from '../data/rasterRing.ts';
import { fitCanvas, observeSize, useFrame } from '../live/frameLoop.ts';
import { liveContext } from '../live/liveCanvas.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import { formatPercent } from '../data/format.ts';
import { binMsOf } from '../data/timeline.ts';
import { axisFont, axisWidth, COLORS, PLOT, timeGridStep } from './theme.ts';

export function Raster() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const numUnits = useStudio((s) => s.dataset?.numUnits ?? 0);
  const windowS = useStudio((s) => s.windowS);
  const presentation = useStudio((s) => s.presentation);
  const binMs = useStudio((s) => binMsOf(s.playback));
  const dropout = useStudio((s) => s.playback?.perturbations?.dropout ?? null);
  const dropped = dropout?.channels ?? null;
  const view = useRef({
    ring: null as RasterRing | null,
    ringCanvas: null as HTMLCanvasElement | null,
    image: null as ImageData | null,
    generation: -1,
    drawn: 0,
    /** Bins drawn, and whether the newest column drawn was still filling. */
    drawnBins: 0,
    drawnPartial: false,
    /** Channels dropout silences (marked beside the axis), when given as a list. */
    dropped,
    /** The axis gutter needs drawing too (size, type size, channels or window changed). */
    full: true,
    windowS,
    presentation,
    spans: new Int32Array(4),
    parts: new Int32Array(6),
  });
  view.current.windowS = windowS;
  view.current.presentation = presentation;
  view.current.dropped = dropped;

  // Drawn only in frames with new packets, or after one of these changes.
  const invalidate = useFrame(
    ({ store }) => {
      const v = view.current;
      const ring = store.live.raster;
      const rows = Math.max(1, ring.channels);
      if (ring !== v.ring || store.live.generation !== v.generation) {
        // A fresh ring (seek, new session, dataset, window): upload it whole, once.
        v.ring = ring;
        v.generation = store.live.generation;
        if (!v.ringCanvas) v.ringCanvas = document.createElement('canvas');
        if (v.ringCanvas.width !== ring.columns || v.ringCanvas.height !== rows) {
          v.ringCanvas.width = ring.columns;
          v.ringCanvas.height = rows;
        }
        v.image = new ImageData(new Uint8ClampedArray(ring.pixels.buffer), ring.columns, rows);
        v.ringCanvas.getContext('2d')!.putImageData(v.image, 0, 0);
        v.drawn = ring.written;
        v.drawnBins = ring.binsWritten;
        v.drawnPartial = ring.partial;
        v.full = true;
      } else if (ring.binsWritten !== v.drawnBins) {
        // The usual frame: only the columns written since the last one (and the newest drawn
        // again if it was still filling).
        const rctx = v.ringCanvas!.getContext('2d')!;
        const n = dirtySpans(v.drawnPartial ? v.drawn - 1 : v.drawn, ring.written, ring.columns, v.spans);
        for (let i = 0; i < n; i++) rctx.putImageData(v.image!, 0, 0, v.spans[2 * i], 0, v.spans[2 * i + 1], rows);
        v.drawn = ring.written;
        v.drawnBins = ring.binsWritten;
        v.drawnPartial = ring.partial;
      }
      blit(canvasRef.current!, v.ringCanvas!, ring, v.parts, v.windowS, v.presentation, v.full, v.dropped);
      v.full = false;
    },
    { onData: true },
  );

  useEffect(() => {
    const canvas = canvasRef.current!;
    return observeSize(canvas, (w, h) => {
      // Resizing clears the canvas: redraw it all in the next frame, even when paused.
      if (fitCanvas(canvas, w, h)) {
        view.current.full = true;
        invalidate();
      }
    });
  }, [invalidate]);

  useEffect(() => {
    view.current.full = true;
    invalidate();
  }, [invalidate, numUnits, windowS, presentation, dropped]);

  return (
    <section className="plot-panel raster-panel" aria-label="Spike raster">
      <header className="plot-header" style={{ paddingLeft: axisWidth(presentation) }}>
        <h2>Spike raster</h2>
        <span className="plot-meta">
          {numUnits} channels · last {windowS} s{binMs !== BIN_MS && <span data-testid="raster-bin"> · {binMs} ms bins</span>}
        </span>
        {dropout && (
          <span className="plot-meta stress-note" data-testid="raster-dropout" title="Dropout (stress): these channels reach the decoders silent, and show silent here">
            {describeDropout(dropout)}
          </span>
        )}
        <span className="legend">
          <i className="swatch swatch-spike1" /> 1 <i className="swatch swatch-spike2" /> 2 <i className="swatch swatch-spike3" /> 3+ spikes
          <i className="swatch swatch-boundary" /> trial start
        </span>
        <WindowPicker />
      </header>
      <div className="plot-body">
        <canvas ref={canvasRef} className="raster-canvas" data-testid="raster-canvas" />
      </div>
    </section>
  );
}

const WINDOWS = [5, 10, 20, 30];

function describeDropout(d: NonNullable<Perturbations['dropout']>): string {
  const what = d.channels ? `${d.channels.length} ${d.channels.length === 1 ? 'channel' : 'channels'}` : `${formatPercent(d.fraction ?? 0)} of channels`;
  return `${what} dropped${d.at_s ? ` from ${d.at_s} s` : ''}`;
}

/** The scrolling window of the raster and the charts (they share one time axis). */
function WindowPicker() {
  const store = useStore();
  const windowS = useStudio((s) => s.windowS);
  return (
    <div className="segmented" role="group" aria-label="Plot window">
      {WINDOWS.map((w) => (
        <button key={w} type="button" className={w === windowS ? 'on' : ''} aria-pressed={w === windowS} data-testid={`window-${w}`} onClick={() => store.setWindow(w)}>
          {w} s
        </button>
      ))}
    </div>
  );
}

/**
 * Draws the plot area (the ring, oldest column on the left, and the time grid over it) and,
 * when `full`, the canvas background and the channel axis. The axis does not change between
 * packets, so the usual frame redraws only the plot area.
 */
function blit(
  canvas: HTMLCanvasElement,
  ringCanvas: HTMLCanvasElement,
  ring: RasterRing,
  parts: Int32Array,
  windowS: number,
  presentation: boolean,
  full: boolean,
  dropped: readonly number[] | null,
): void {
  const ctx = liveContext(canvas, { alpha: false });
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.width;
  const H = canvas.height;
  const x0 = Math.round(axisWidth(presentation) * dpr);
  const plotW = W - x0 - Math.round(PLOT.padR * dpr);
  const top = Math.round(4 * dpr);
  const plotH = H - top - Math.round(4 * dpr);
  if (full) {
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, W, H);
  }
  ctx.fillStyle = COLORS.plotBg;
  ctx.fillRect(x0, top, plotW, plotH);
  if (plotW <= 0 || plotH <= 0) return;

  ctx.imageSmoothingEnabled = false;
  const rows = ringCanvas.height;
  const colW = plotW / ring.columns;
  blitParts(ring.nextColumn, ring.count, ring.columns, parts);
  for (let p = 0; p < 2; p++) {
    const src = parts[p * 3];
    const len = parts[p * 3 + 1];
    const dst = parts[p * 3 + 2];
    if (len > 0) ctx.drawImage(ringCanvas, src, 0, len, rows, x0 + dst * colW, top, len * colW, plotH);
  }

  // Fixed "seconds ago" grid, the same as the charts below.
  const step = timeGridStep(windowS);
  ctx.fillStyle = 'rgba(154, 171, 191, 0.16)';
  for (let s = 0; s <= windowS + 1e-9; s += step) {
    const x = Math.round(x0 + plotW - (s / windowS) * plotW);
    ctx.fillRect(Math.min(x, x0 + plotW - 1), top, Math.max(1, Math.round(dpr)), plotH);
  }

  if (!full) return;
  // Channel axis.
  ctx.fillStyle = COLORS.axis;
  ctx.font = axisFont(presentation, dpr);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const channels = ring.channels;
  if (channels > 0) {
    const labelStep = channels > 100 ? 50 : channels > 40 ? 20 : 10;
    for (let ch = 0; ch < channels; ch += labelStep) {
      const y = top + ((ch + 0.5) / channels) * plotH;
      ctx.fillText(String(ch), x0 - 8 * dpr, Math.max(y, top + 6 * dpr));
    }
    ctx.fillText(String(channels - 1), x0 - 8 * dpr, Math.min(top + ((channels - 0.5) / channels) * plotH, top + plotH - 6 * dpr));
  }
  if (dropped && channels > 0) {
    // A mark beside each dropped channel's row, in the stress colour.
    ctx.fillStyle = COLORS.stress;
    const markW = Math.max(2, Math.round(4 * dpr));
    const rowH = Math.max(1, plotH / channels);
    for (const ch of dropped) {
      if (ch >= channels) continue;
      ctx.fillRect(x0 - markW - Math.round(2 * dpr), Math.floor(top + (ch / channels) * plotH), markW, Math.ceil(rowH));
    }
  }
  ctx.save();
  ctx.translate((presentation ? 18 : 14) * dpr, top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillStyle = COLORS.muted;
  ctx.fillText('channel', 0, 0);
  ctx.restore();
}
