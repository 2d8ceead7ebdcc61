/**
 * The task workspace, to scale: every distinct target where it is (an SVG layer, so each is a
 * clickable, focusable element: click to filter the session by that target, click again to
 * remove the filter), and on a canvas above it the cursor's last ~2 s, the current target, and
 * each decoder's decoded cursor in its colour with its last second (data/decodedTracks.ts).
 * Both layers use the same fit (data/workspace.ts).
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { TargetSummary } from '../../../shared/studioApi.ts';
import { MAX_DECODERS } from '../data/decoderSlots.ts';
import { formatNumber } from '../data/format.ts';
import { TRAIL_PACKETS } from '../data/liveBuffers.ts';
import { fitWorkspace, type WorkspaceFit } from '../data/workspace.ts';
import { fitCanvas, observeSize, useFrame } from '../live/frameLoop.ts';
import { liveContext } from '../live/liveCanvas.ts';
import { useFilters, useStore, useStudio } from '../state/hooks.ts';
import type { DecoderOverlay, StudioStore } from '../state/store.ts';
import { COLORS, DECODER_COLORS } from './theme.ts';

const MARGIN_PX = 26;

export function Workspace() {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  const bounds = useStudio((s) => s.dataset?.bounds ?? null);
  const targets = useStudio((s) => s.targets);
  const filters = useFilters();
  const liveTarget = useStudio((s) => s.liveTargetId);
  const hasKinematics = useStudio((s) => s.dataset?.hasKinematics ?? true);
  const presentation = useStudio((s) => s.presentation);
  const overlays = useStudio((s) => s.decoderOverlays);

  useEffect(() => observeSize(wrapRef.current!, (w, h) => setSize({ w, h })), []);
  const fit = useMemo(() => fitWorkspace(bounds, size.w, size.h, MARGIN_PX), [bounds, size]);
  // Targets are drawn a little larger than a dot, never so large that neighbours merge; their
  // ids are written inside only when there is room for every one of them.
  const { radius, labels } = useMemo(() => {
    let nearest = Infinity;
    for (let i = 0; i < targets.length; i++)
      for (let j = i + 1; j < targets.length; j++) nearest = Math.min(nearest, Math.hypot(targets[i].x - targets[j].x, targets[i].y - targets[j].y));
    const room = Number.isFinite(nearest) ? (nearest * fit.scale) / 2 - 2 : 14;
    return { radius: Math.max(presentation ? 8 : 6, Math.min(presentation ? 20 : 16, room)), labels: room >= 10 };
  }, [targets, fit, presentation]);

  const view = useRef({ fit, radius });
  view.current.fit = fit;
  view.current.radius = radius;
  // Redrawn only in frames with new packets, or after the fit or the current target changes.
  const invalidate = useFrame(({ store }) => drawTrail(canvasRef.current!, view.current.fit, view.current.radius, store), { onData: true });
  useEffect(() => {
    fitCanvas(canvasRef.current!, size.w, size.h);
    invalidate();
  }, [invalidate, fit, radius, size, liveTarget]);

  const b = bounds;
  return (
    <section className="panel workspace-panel" aria-label="Workspace">
      <header className="panel-header">
        <h2>Workspace</h2>
        <span className="panel-meta">{hasKinematics ? 'cursor, last 2 s · click a target to filter' : 'no kinematics in this file · click a target to filter'}</span>
      </header>
      <div className="workspace" ref={wrapRef} data-testid="workspace">
        <svg className="target-map" data-testid="target-map" width={size.w} height={size.h} role="group" aria-label="Targets">
          {b && size.w > 0 && (
            <rect
              className="workspace-bounds"
              x={fit.ox + b.xMin * fit.scale}
              y={fit.oy - b.yMax * fit.scale}
              width={(b.xMax - b.xMin) * fit.scale}
              height={(b.yMax - b.yMin) * fit.scale}
            />
          )}
          {size.w > 0 && (
            <g className="workspace-axes">
              <line x1={fit.ox} x2={fit.ox} y1={MARGIN_PX / 2} y2={size.h - MARGIN_PX / 2} />
              <line x1={MARGIN_PX / 2} x2={size.w - MARGIN_PX / 2} y1={fit.oy} y2={fit.oy} />
            </g>
          )}
          {size.w > 0 &&
            targets.map((t) => (
              <TargetDot
                key={t.id}
                t={t}
                cx={fit.ox + t.x * fit.scale}
                cy={fit.oy - t.y * fit.scale}
                radius={radius}
                label={labels}
                active={filters.target_id === t.id}
                current={liveTarget === t.id}
              />
            ))}
        </svg>
        <canvas ref={canvasRef} className="workspace-canvas" data-testid="workspace-canvas" />
      </div>
      {overlays.length > 0 && <DecodedLegend overlays={overlays} />}
    </section>
  );
}

const integrates = (o: DecoderOverlay) => !(o.axes.includes('x') && o.axes.includes('y')) && (o.axes.includes('vx') || o.axes.includes('vy'));

/** Which ring is which decoder, and how a velocity-only decoder gets a cursor at all. */
function DecodedLegend({ overlays }: { overlays: readonly DecoderOverlay[] }) {
  const anyIntegrated = overlays.some(integrates);
  return (
    <div className="workspace-legend" data-testid="workspace-legend">
      <span className="legend-item">
        <i className="legend-cursor true" /> true
      </span>
      {overlays.map((o) =>
        o.slot < 0 ? null : (
          <span key={o.id} className="legend-item" title={integrates(o) ? `${o.name}: sends velocity only — its cursor is integrated` : `${o.name}: decoded position`}>
            <i className="legend-cursor" style={{ borderColor: DECODER_COLORS[o.slot] }} />
            {o.name}
            {integrates(o) && <span className="muted"> ∫v</span>}
          </span>
        ),
      )}
      {anyIntegrated && (
        <span className="legend-note" data-testid="workspace-legend-note">
          ∫v: velocity-only decoders are integrated from the true position at each trial start
        </span>
      )}
    </div>
  );
}

interface TargetDotProps {
  t: TargetSummary;
  cx: number;
  cy: number;
  radius: number;
  label: boolean;
  active: boolean;
  current: boolean;
}

/**
 * One target: click (or Enter) to filter the session by it, again to remove the filter.
 * Memoized: when the current target changes, two of them re-render, not all of them.
 */
const TargetDot = memo(function TargetDot({ t, cx, cy, radius, label, active, current }: TargetDotProps) {
  const store = useStore();
  return (
    <g
      className={`target${active ? ' is-filter' : ''}${current ? ' is-current' : ''}${t.numTrials === 0 ? ' is-empty' : ''}`}
      data-testid={`target-${t.id}`}
      data-target-id={t.id}
      role="button"
      tabIndex={0}
      aria-pressed={active}
      aria-label={`Target ${t.id} at (${formatNumber(t.x)}, ${formatNumber(t.y)}) mm, ${t.numTrials} trials${active ? ', filtering' : ''}`}
      onClick={() => void store.toggleTarget(t.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          void store.toggleTarget(t.id);
        }
      }}
    >
      <title>{`Target ${t.id} · (${formatNumber(t.x)}, ${formatNumber(t.y)}) mm · ${t.numTrials} trials — click to ${active ? 'remove the filter' : 'filter by it'}`}</title>
      <circle className="target-hit" cx={cx} cy={cy} r={radius + 4} />
      <circle className="target-dot" cx={cx} cy={cy} r={radius} />
      {label && (
        <text className="target-label" x={cx} y={cy} dy="0.35em">
          {t.id}
        </text>
      )}
    </g>
  );
});

/**
 * The trail fades and thins with age. It is stroked in bands of TRAIL_BAND segments, one
 * polyline per band, in the style of the band's middle age: 16 strokes a frame instead of 80
 * (a thick anti-aliased stroke has a large fixed cost in a software canvas; this halves the
 * workspace's drawing time) while the steps of the fade stay below what the eye separates.
 * The trail holds 2 s whatever the bin width (40 to 100 points, LiveBuffers.trail): ages are
 * scaled to the 80 points of a 25 ms session, so the bands and the fade are the same.
 */
const TRAIL_BAND = 5;
/** Stroke colour and width per band, computed once (no strings built per frame). */
const TRAIL_STYLES = Array.from({ length: Math.ceil(TRAIL_PACKETS / TRAIL_BAND) }, (_, band) => {
  const a = 1 - (band * TRAIL_BAND + (TRAIL_BAND - 1) / 2) / TRAIL_PACKETS;
  return { stroke: `rgba(${COLORS.trail}, ${(0.12 + 0.88 * a).toFixed(3)})`, width: 1 + 2.5 * a };
});

function drawTrail(canvas: HTMLCanvasElement, fit: WorkspaceFit, radius: number, store: StudioStore): void {
  const ctx = liveContext(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const live = store.live;
  const trail = live.trail;
  const n = trail.count;
  const bandScale = TRAIL_PACKETS / (trail.capacity * TRAIL_BAND);
  const curX = trail.at(0, 0);
  const curY = trail.at(1, 0);
  const hasCursor = Number.isFinite(curX) && Number.isFinite(curY);

  // The current target: a ring and a dashed line from the cursor, so "distance" is visible.
  const target = live.targetId === null ? undefined : store.state.targetById.get(live.targetId);
  if (target) {
    const tx = fit.ox + target.x * fit.scale;
    const ty = fit.oy - target.y * fit.scale;
    if (hasCursor) {
      ctx.strokeStyle = 'rgba(240, 228, 66, 0.5)';
      ctx.lineWidth = 1.5;
      ctx.setLineDash(DASH);
      ctx.beginPath();
      ctx.moveTo(fit.ox + curX * fit.scale, fit.oy - curY * fit.scale);
      ctx.lineTo(tx, ty);
      ctx.stroke();
      ctx.setLineDash(NO_DASH);
    }
    ctx.strokeStyle = COLORS.target;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(tx, ty, radius + 6, 0, Math.PI * 2);
    ctx.stroke();
  }

  // The trail, oldest faint → newest bright; a NaN (no sample) breaks the line. The segment
  // from age + 1 to age belongs to band floor(age / TRAIL_BAND).
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  let px = NaN;
  let py = NaN;
  let band = -1;
  let open = false;
  for (let age = n - 1; age >= 0; age--) {
    const x = trail.at(0, age);
    const y = trail.at(1, age);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (open) ctx.stroke();
      open = false;
      px = NaN;
      continue;
    }
    const sx = fit.ox + x * fit.scale;
    const sy = fit.oy - y * fit.scale;
    if (Number.isFinite(px)) {
      const b = Math.min(Math.floor(age * bandScale), TRAIL_STYLES.length - 1);
      if (!open || b !== band) {
        if (open) ctx.stroke();
        const style = TRAIL_STYLES[b];
        ctx.strokeStyle = style.stroke;
        ctx.lineWidth = style.width;
        ctx.beginPath();
        ctx.moveTo(px, py);
        band = b;
        open = true;
      }
      ctx.lineTo(sx, sy);
    }
    px = sx;
    py = sy;
  }
  if (open) ctx.stroke();
  drawDecoded(ctx, fit, store);
  if (hasCursor) {
    ctx.fillStyle = COLORS.cursor;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(fit.ox + curX * fit.scale, fit.oy - curY * fit.scale, 6, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}

/**
 * Decoded cursors: a ring in the decoder's colour (the true white dot shows through when they
 * agree) and its last second, as a 1 px line of at most DECODED_TRAIL_PACKETS points (a 5 ms
 * session's 200 packets a second: every fifth). In a software canvas every vertex of a wider line
 * is stroked as geometry while a 1 px line is drawn as a hairline: with 8 decoders' noisy trails
 * the 1.5 px lines were ~0.8 ms of raster a frame, 1 px lines ~0.15 ms. They are a little more
 * opaque than before (0.75), so they read as well.
 */
export const DECODED_TRAIL_PACKETS = 40;
/** The newest packet's prediction is often still on its way: the ring shows the newest within this long (s). */
const DECODED_LOOKBACK_S = 0.2;
const DECODED_TRAIL_STYLES = DECODER_COLORS.map((c) => `rgba(${parseInt(c.slice(1, 3), 16)}, ${parseInt(c.slice(3, 5), 16)}, ${parseInt(c.slice(5, 7), 16)}, 0.75)`);
const cursor = new Float64Array(2);

function drawDecoded(ctx: CanvasRenderingContext2D, fit: WorkspaceFit, store: StudioStore): void {
  const live = store.live;
  const decoded = live.decoded;
  const newest = live.seq;
  if (newest < 0) return;
  // The last second of packets, every `stride`-th (the newest always).
  const span = Math.max(1, Math.round(live.rateHz));
  const stride = Math.max(1, Math.round(span / DECODED_TRAIL_PACKETS));
  const first = newest - Math.floor((span - 1) / stride) * stride;
  const lookback = Math.max(1, Math.round(DECODED_LOOKBACK_S * live.rateHz));
  // 1 CSS px: a hairline at DPR 1 (where the canvas is most likely a software one).
  ctx.lineWidth = 1;
  ctx.lineJoin = 'miter';
  ctx.lineCap = 'butt';
  for (let slot = 0; slot < MAX_DECODERS; slot++) {
    if (!decoded.has(slot)) continue;
    // Its last second, oldest first; a packet without a cursor breaks the line.
    ctx.strokeStyle = DECODED_TRAIL_STYLES[slot];
    ctx.beginPath();
    let pen = false;
    for (let s = first; s <= newest; s += stride) {
      if (s < 0 || !decoded.cursorAt(slot, s, cursor)) {
        pen = false;
        continue;
      }
      const sx = fit.ox + cursor[0] * fit.scale;
      const sy = fit.oy - cursor[1] * fit.scale;
      if (pen) ctx.lineTo(sx, sy);
      else ctx.moveTo(sx, sy);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.lineWidth = 3;
  for (let slot = 0; slot < MAX_DECODERS; slot++) {
    if (!decoded.has(slot) || decoded.latestCursor(slot, newest, lookback, cursor) < 0) continue;
    ctx.strokeStyle = DECODER_COLORS[slot];
    ctx.beginPath();
    ctx.arc(fit.ox + cursor[0] * fit.scale, fit.oy - cursor[1] * fit.scale, 8, 0, Math.PI * 2);
    ctx.stroke();
  }
}

const DASH = [5, 5];
const NO_DASH: number[] = [];
