/**
 * The session timeline: trial starts marked, the played part filled, a thumb at the live
 * position. A click or drag maps the pointer's fraction of the track to a time and seeks there
 * on release. The thumb moves from the frame loop (no React render per packet).
 */
import { useEffect, useRef, useState } from 'react';
import { formatClock } from '../data/format.ts';
import { binMsOf, fractionToSeconds, secondsToFraction } from '../data/timeline.ts';
import { fitCanvas, observeSize, useFrame } from '../live/frameLoop.ts';
import { useStore, useStudio } from '../state/hooks.ts';

export function Scrubber() {
  const store = useStore();
  const trackRef = useRef<HTMLDivElement>(null);
  const ticksRef = useRef<HTMLCanvasElement>(null);
  const fillRef = useRef<HTMLDivElement>(null);
  const thumbRef = useRef<HTMLDivElement>(null);
  const drag = useRef<number | null>(null);
  const [hover, setHover] = useState<{ x: number; s: number } | null>(null);
  const durationS = useStudio((s) => s.playback?.durationS ?? 0);
  const binMs = useStudio((s) => binMsOf(s.playback));
  const starts = useStudio((s) => s.playback?.trialStartsS);
  const hasSession = useStudio((s) => s.playback !== null);
  const [size, setSize] = useState({ w: 0, h: 0 });

  useEffect(() => observeSize(ticksRef.current!, (w, h) => setSize({ w, h })), []);

  // Trial marks: redrawn when the timeline or the size changes (each polled snapshot carries
  // a new but usually identical array, so compare contents).
  const drawn = useRef<{ starts: number[] | undefined; durationS: number; w: number; h: number } | null>(null);
  useEffect(() => {
    const c = ticksRef.current!;
    const prev = drawn.current;
    if (prev && prev.durationS === durationS && prev.w === size.w && prev.h === size.h && sameNumbers(prev.starts, starts)) return;
    drawn.current = { starts, durationS, w: size.w, h: size.h };
    fitCanvas(c, size.w, size.h);
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, c.width, c.height);
    if (!starts || !(durationS > 0)) return;
    const dpr = window.devicePixelRatio || 1;
    // Many trials: thin, short marks along the bottom; few (a filter): clear full-height ones.
    const many = starts.length > 120;
    const w = Math.max(1, Math.round(dpr * (many ? 1 : 2)));
    const y0 = many ? Math.round(c.height * 0.5) : 0;
    ctx.fillStyle = many ? 'rgba(154, 171, 191, 0.45)' : 'rgba(200, 215, 230, 0.7)';
    for (const s of starts) {
      const x = Math.round((s / durationS) * (c.width - w));
      ctx.fillRect(x, y0, w, c.height - y0);
    }
  }, [starts, durationS, size]);

  // The thumb moves by a transform over the track's width (kept by a ResizeObserver), so a
  // position change repaints the thumb and never lays out the page. It moves in whole device
  // pixels and only when the pixel changes: at 1× a 10-minute recording crosses one pixel of
  // the track about once a second, and writing sub-pixel moves 20 times a second cost every
  // one of those frames a style recalc and repaint for nothing visible. The slider's ARIA value
  // follows the same steps.
  const lastPx = useRef(-1);
  const trackW = useRef(0);
  useEffect(
    () =>
      observeSize(trackRef.current!, (w) => {
        trackW.current = w;
        lastPx.current = -1;
      }),
    [],
  );
  useFrame(
    ({ now }) => {
      const pb = store.state.playback;
      const pos = drag.current ?? (pb ? store.positionAt(now) : 0);
      const frac = pb ? secondsToFraction(pos, pb.durationS) : 0;
      const dpr = window.devicePixelRatio || 1;
      const px = Math.round(frac * trackW.current * dpr);
      if (px === lastPx.current) return;
      lastPx.current = px;
      const w = trackW.current * dpr;
      fillRef.current!.style.transform = `scaleX(${w > 0 ? px / w : frac})`;
      thumbRef.current!.style.transform = `translateX(${px / dpr}px)`;
      trackRef.current!.setAttribute('aria-valuenow', pos.toFixed(3));
      trackRef.current!.setAttribute('aria-valuetext', formatClock(pos));
    },
    { phase: 'write' },
  );

  const fractionAt = (clientX: number) => {
    const r = trackRef.current!.getBoundingClientRect();
    return r.width > 0 ? (clientX - r.left) / r.width : 0;
  };

  return (
    <div
      ref={trackRef}
      className={`scrubber${hasSession ? '' : ' disabled'}`}
      data-testid="scrubber"
      role="slider"
      tabIndex={0}
      aria-label="Playback position"
      aria-valuemin={0}
      aria-valuemax={Number(durationS.toFixed(3))}
      aria-valuenow={0}
      onPointerDown={(e) => {
        if (!hasSession || e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = fractionToSeconds(fractionAt(e.clientX), durationS, binMs);
      }}
      onPointerMove={(e) => {
        const s = fractionToSeconds(fractionAt(e.clientX), durationS, binMs);
        if (drag.current !== null) drag.current = s;
        const r = trackRef.current!.getBoundingClientRect();
        setHover({ x: Math.min(Math.max(e.clientX - r.left, 0), r.width), s });
      }}
      onPointerUp={(e) => {
        if (drag.current === null) return;
        const s = fractionToSeconds(fractionAt(e.clientX), durationS, binMs);
        drag.current = null;
        void store.seek(s);
      }}
      onPointerCancel={() => (drag.current = null)}
      onPointerLeave={() => setHover(null)}
    >
      <div className="scrubber-rail">
        <div ref={fillRef} className="scrubber-fill" />
        <canvas ref={ticksRef} className="scrubber-ticks" data-testid="scrubber-trial-marks" />
      </div>
      <div ref={thumbRef} className="scrubber-thumb" />
      {hover && durationS > 0 && (
        <div className="scrubber-hover" style={{ left: hover.x }}>
          {formatClock(hover.s)}
        </div>
      )}
    </div>
  );
}

function sameNumbers(a: number[] | undefined, b: number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
