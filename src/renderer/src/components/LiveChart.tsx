/**
 * One live uPlot chart over the scrolling window ("seconds ago" on x, newest at the right,
 * aligned with the raster above). The chart is two uPlot instances over each other, created
 * once: the frame (axes, grid, labels) is drawn only when the range, the window or the size
 * changes; the lines, on a transparent canvas above it, are redrawn every packet. (Every packet
 * redrawing the axes and grid was a fifth to a third of a chart's drawing time in a software
 * canvas.) Each frame that brought packets copies the ring buffers into preallocated
 * Float64Arrays and calls `setData` inside `uPlot.batch`, so the chart is drawn right there, in
 * the frame loop's draw phase (uPlot would otherwise draw from a microtask after the whole frame
 * callback, when the readouts' text writes have already dirtied the layout its axis text
 * needs). The header values are written in the write phase.
 *
 * A chart of kinematics also draws each decoder's decoded trace of the same axes over the true
 * ones, thinner, in the decoder's colour (the second axis dashed): looked up per column by the
 * packet's sequence number (data/decodedTracks.ts). They are not uPlot series: each packet's new
 * segments are drawn once on a tape (live/decodedTape.ts) whose visible window is copied over the
 * true traces right after uPlot draws them, in the same canvas. As series, rebuilt and stroked
 * whole every packet, 8 decoders' 28 traces doubled the frame's main-thread work.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { formatNumber } from '../data/format.ts';
import { nextRangeMax, niceCeil } from '../data/ranges.ts';
import { DecodedTape, type DecodedTrace, type TapeGeometry } from '../live/decodedTape.ts';
import { observeSize, useFrame } from '../live/frameLoop.ts';
import { withLiveContexts } from '../live/liveCanvas.ts';
import { useLiveTexts } from '../live/liveText.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import type { DecoderOverlay, StudioState } from '../state/store.ts';
import { axisFont, axisWidth, COLORS, DECODER_COLORS, PLOT, timeGridStep } from './theme.ts';
import type { Axis } from '../../../shared/wire.ts';

export interface ChartSeries {
  label: string;
  /** Series index in LiveBuffers.window. */
  ring: number;
  color: string;
  width?: number;
  /** Shown in the header with its live value. */
  readout?: boolean;
}

export interface LiveChartProps {
  title: string;
  unit: string;
  series: ChartSeries[];
  /** How the y range is chosen: from 0 up (rates), or symmetric around 0. */
  range: 'positive' | 'symmetric';
  /** A fixed symmetric limit (e.g. the workspace extent for positions), else it follows the data. */
  fixedLimit?: (s: StudioState) => number | null;
  xLabels: boolean;
  /** The range never shrinks below this (so a still cursor does not magnify noise to full height). */
  minLimit?: number;
  testId: string;
  decimals?: number;
  /** The axes this chart shows, in the order of `series`: decoded traces are drawn for them. */
  decodedAxes?: readonly Axis[];
}

/**
 * The decoded traces of a chart: each decoder's predictions of each of the chart's axes it
 * sends, in its colour, the chart's second axis (y, vy) dashed so a decoder's two traces are
 * told apart.
 */
function decodedTracesOf(overlays: readonly DecoderOverlay[], axes: readonly Axis[] | undefined): DecodedTrace[] {
  if (!axes) return [];
  const out: DecodedTrace[] = [];
  for (const o of overlays) {
    if (o.slot < 0) continue;
    axes.forEach((axis, k) => {
      if (o.axes.includes(axis)) out.push({ id: o.id, slot: o.slot, axis, color: DECODER_COLORS[o.slot], dashed: k > 0 });
    });
  }
  return out;
}

/** Seconds ago of each column, newest (0) last: a column is a bin of the session's width. */
function xValues(columns: number, binS: number): Float64Array {
  const xs = new Float64Array(columns);
  for (let i = 0; i < columns; i++) xs[i] = (i + 1 - columns) * binS;
  return xs;
}

function newData(columns: number, series: number, binS: number): Float64Array[] & uPlot.AlignedData {
  return [xValues(columns, binS), ...Array.from({ length: series }, () => new Float64Array(columns).fill(NaN))] as Float64Array[] & uPlot.AlignedData;
}

/**
 * The true traces' paths: a straight polyline through the points, in the plot box. uPlot's own
 * `linear` builder draws the same line (a NaN is no point: the line goes on from the last one;
 * there are never 4 points a pixel to merge), but through closures and per-point scale calls
 * that V8 stops optimizing after a while: measured in the page, its garbage grew from ~0.5 to
 * ~6 MB/s within a minute of playing, and with it the minor and major GCs in the frames.
 */
function linePaths(u: uPlot, seriesIdx: number, idx0: number, idx1: number): uPlot.Series.Paths {
  const xs = u.data[0] as ArrayLike<number>;
  const ys = u.data[seriesIdx] as ArrayLike<number>;
  const b = u.bbox;
  const sx = u.scales.x;
  const sy = u.scales.y;
  const xMin = sx.min ?? 0;
  const yMax = sy.max ?? 1;
  const kx = b.width / ((sx.max ?? 1) - xMin);
  const ky = b.height / (yMax - (sy.min ?? 0));
  const stroke = new Path2D();
  for (let i = idx0; i <= idx1; i++) {
    const y = ys[i];
    // lineTo on an empty path starts it; a NaN point is skipped (as Path2D would ignore it).
    if (y === y) stroke.lineTo(b.left + (xs[i] - xMin) * kx, b.top + (yMax - y) * ky);
  }
  return { stroke, fill: null, clip: null, band: null };
}

/** Where a chart's decoded traces go, filled in per frame (charts draw one after another). */
const geometry: TapeGeometry = { left: 0, top: 0, width: 0, height: 0, yMin: 0, yMax: 1, windowS: 10, dpr: 1 };

const compact = (v: number) => (Math.abs(v) >= 1000 ? `${formatNumber(v / 1000, Math.abs(v) % 1000 === 0 ? 0 : 1)}k` : formatNumber(v, 0));

export function LiveChart(props: LiveChartProps) {
  const store = useStore();
  const hostRef = useRef<HTMLDivElement>(null);
  const valueTexts = useLiveTexts(props.series.length);
  const windowS = useStudio((s) => s.windowS);
  const presentation = useStudio((s) => s.presentation);
  const fixed = useStudio((s) => props.fixedLimit?.(s) ?? null);
  const overlays = useStudio((s) => s.decoderOverlays);
  const decoded = useMemo(() => decodedTracesOf(overlays, props.decodedAxes), [overlays, props.decodedAxes]);
  const decodedKey = decoded.map((d) => `${d.id}:${d.slot}:${d.axis}`).join('|');
  const view = useRef({
    u: null as uPlot | null,
    /** The axes and grid; redrawn only when `limit` or `windowS` differ from what it shows. */
    frame: null as uPlot | null,
    frameLimit: NaN,
    frameWindowS: NaN,
    data: null as (Float64Array[] & uPlot.AlignedData) | null,
    /** The decoders' traces, drawn over the lines after uPlot draws them. */
    tape: new DecodedTape(),
    columns: 0,
    /** Seconds per column (the session's bin width) the x values were made for. */
    binS: 0,
    limit: 0,
    fixed,
    windowS,
    /** Header values computed in the draw phase, written in the write phase. */
    texts: props.series.map(() => '—'),
  });
  view.current.fixed = fixed;
  view.current.windowS = windowS;

  // Redrawn only in frames with new packets, or after a resize or a new window/range.
  const invalidate = useFrame(() => draw(), { onData: true });
  useFrame(() => writeValues(), { phase: 'write', onData: true });

  useEffect(() => {
    const host = hostRef.current!;
    const v = view.current;
    const gridStroke = COLORS.grid;
    const xAxis: uPlot.Axis = {
      stroke: COLORS.axis,
      font: axisFont(presentation),
      grid: { stroke: gridStroke, width: 1 },
      ticks: { show: props.xLabels, stroke: gridStroke, width: 1, size: 4 },
      size: props.xLabels ? (presentation ? 32 : 26) : 2,
      gap: 4,
      splits: () => {
        const out: number[] = [];
        const step = timeGridStep(v.windowS);
        for (let s = -Math.floor(v.windowS / step) * step; s <= 1e-9; s += step) out.push(Math.round(s * 1000) / 1000);
        return out;
      },
      // No labels: null (uPlot skips it) rather than '' (an empty fillText per split per frame).
      values: (_u, splits) => splits.map((s) => (props.xLabels ? (s === 0 ? 'now' : `${formatNumber(s, 0)} s`) : null)),
    };
    const yAxis: uPlot.Axis = {
      stroke: COLORS.axis,
      font: axisFont(presentation),
      size: axisWidth(presentation),
      gap: 6,
      grid: { stroke: gridStroke, width: 1 },
      ticks: { show: false },
      values: (_u, splits) => splits.map(compact),
    };
    const opts: uPlot.Options = {
      width: Math.max(100, host.clientWidth),
      height: Math.max(60, host.clientHeight),
      pxAlign: 0,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      padding: [8, PLOT.padR, props.xLabels ? 0 : 6, 0],
      // `auto: true` so setData re-runs these range functions; they ignore uPlot's min/max
      // (which NaN gaps would spoil) and return the stable ranges chosen per frame.
      scales: {
        x: { time: false, auto: true, range: () => [-v.windowS, 0] },
        y: {
          auto: true,
          range: () => (props.range === 'positive' ? [0, v.limit || 1] : [-(v.limit || 1), v.limit || 1]),
        },
      },
      axes: [xAxis, yAxis],
      series: [
        {},
        ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: s.width ?? 1.5, points: { show: false }, paths: linePaths })),
      ],
    };
    v.columns = store.live.window.capacity;
    v.binS = store.live.binS;
    v.data = newData(v.columns, props.series.length, v.binS);
    // Same options, so both lay out the same plot box and scales; the lines are on top.
    const frame = new uPlot({ ...opts, drawOrder: ['axes'] as unknown as uPlot.DrawOrderKey[] }, v.data, host);
    // The lines change every packet: a live (desynchronized) canvas; the frame stays synchronized.
    const u = withLiveContexts(() => new uPlot({ ...opts, drawOrder: ['series'] as unknown as uPlot.DrawOrderKey[] }, v.data!, host));
    v.frame = frame;
    v.frameLimit = NaN;
    v.u = u;
    invalidate();
    const offSize = observeSize(host, (w, h) => {
      if (w > 0 && h > 0 && (Math.round(w) !== u.width || Math.round(h) !== u.height)) {
        frame.setSize({ width: Math.round(w), height: Math.round(h) });
        u.setSize({ width: Math.round(w), height: Math.round(h) });
        // uPlot redraws the lines without the decoded traces: the next frame draws them again.
        invalidate();
      }
    });
    return () => {
      offSize();
      u.destroy();
      frame.destroy();
      v.u = null;
      v.frame = null;
    };
    // Created once (and again only when presentation mode changes its type size); the data and
    // ranges are read through `view` each frame.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [presentation]);

  useEffect(() => {
    view.current.tape.setTraces(decoded);
    invalidate();
    // `decodedKey` says when the traces differ (`decoded` is a new array at every overlay update).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [invalidate, decodedKey]);

  useEffect(() => {
    invalidate();
  }, [invalidate, windowS, fixed]);

  const draw = () => {
    const v = view.current;
    const u = v.u;
    if (!u || !v.data) return;
    const ring = store.live.window;
    if (ring.capacity !== v.columns || store.live.binS !== v.binS) {
      // Another window length or bin width: new arrays once, then back to copying in place.
      v.columns = ring.capacity;
      v.binS = store.live.binS;
      v.data = newData(v.columns, props.series.length, v.binS);
    }
    let observed = 0;
    for (let i = 0; i < props.series.length; i++) {
      const s = props.series[i];
      ring.copyOrdered(s.ring, v.data[i + 1] as Float64Array);
      observed = Math.max(observed, props.range === 'positive' ? ring.max(s.ring) : ring.maxAbs(s.ring));
      if (s.readout) v.texts[i] = formatNumber(ring.at(s.ring, 0), props.decimals ?? 1);
    }
    v.limit = v.fixed !== null ? niceCeil(v.fixed) : nextRangeMax(v.limit, observed, props.minLimit ?? 1);
    const data = v.data;
    const frame = v.frame;
    if (frame && (v.limit !== v.frameLimit || v.windowS !== v.frameWindowS)) {
      v.frameLimit = v.limit;
      v.frameWindowS = v.windowS;
      frame.batch(() => frame.setData(data));
    }
    u.batch(() => u.setData(data));
    // The decoded traces follow the truth's range (a wild decoder is clipped, never rescales the truth).
    if (v.tape.hasTraces) {
      const b = u.bbox;
      const y = u.scales.y;
      geometry.left = b.left;
      geometry.top = b.top;
      geometry.width = b.width;
      geometry.height = b.height;
      geometry.yMin = y.min ?? NaN;
      geometry.yMax = y.max ?? NaN;
      geometry.windowS = v.windowS;
      geometry.dpr = uPlot.pxRatio;
      v.tape.draw(u.ctx, store.live, geometry);
    }
  };
  // Hooks in a fixed order: `invalidate` is used by the effects above, which run after this.
  const writeValues = () => {
    const v = view.current;
    for (let i = 0; i < props.series.length; i++) if (props.series[i].readout) valueTexts[i].set(v.texts[i]);
  };

  return (
    <section className="plot-panel chart-panel" aria-label={props.title}>
      <header className="plot-header" style={{ paddingLeft: axisWidth(presentation) }}>
        <h2>{props.title}</h2>
        <span className="plot-meta">{props.unit}</span>
        {decoded.length > 0 && props.decodedAxes && (
          <span className="plot-meta decoded-key" data-testid={`${props.testId}-decoded-key`} title="Each decoder's traces in its colour, thinner than the true ones">
            decoded: <span className="key-solid" /> {props.decodedAxes[0]} <span className="key-dashed" /> {props.decodedAxes[1]}
          </span>
        )}
        <span className="chart-values">
          {props.series.map((s, i) =>
            s.readout ? (
              <span key={s.label} className="chart-value">
                <i className="swatch" style={{ background: s.color }} />
                <span className="chart-value-label">{s.label}</span>
                <span className="chart-value-num" data-testid={`${props.testId}-value-${s.label}`}>
                  <span className="live-text" ref={valueTexts[i].ref}>
                    —
                  </span>
                </span>
              </span>
            ) : (
              <span key={s.label} className="chart-value chart-value-muted">
                <i className="swatch" style={{ background: s.color }} />
                <span className="chart-value-label">{s.label}</span>
              </span>
            ),
          )}
        </span>
      </header>
      <div className="plot-body chart-body" ref={hostRef} data-testid={props.testId} />
    </section>
  );
}
