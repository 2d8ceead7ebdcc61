/**
 * Maps the task workspace (mm, y up) onto a view (px, y down) with equal scale on both axes,
 * centred, with a margin. The target map's SVG and the trail canvas use the same fit, so a
 * target drawn on one sits exactly under the other.
 */
export interface WorkspaceBounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface WorkspaceFit {
  /** px per mm */
  scale: number;
  /** px = ox + x·scale, py = oy − y·scale */
  ox: number;
  oy: number;
}

export function fitWorkspace(bounds: WorkspaceBounds | null, width: number, height: number, marginPx: number): WorkspaceFit {
  const b = bounds ?? { xMin: -150, xMax: 150, yMin: -150, yMax: 150 };
  const w = Math.max(b.xMax - b.xMin, 1);
  const h = Math.max(b.yMax - b.yMin, 1);
  const availW = Math.max(width - 2 * marginPx, 1);
  const availH = Math.max(height - 2 * marginPx, 1);
  const scale = Math.min(availW / w, availH / h);
  const cx = (b.xMin + b.xMax) / 2;
  const cy = (b.yMin + b.yMax) / 2;
  return { scale, ox: width / 2 - cx * scale, oy: height / 2 + cy * scale };
}

export function toPx(fit: WorkspaceFit, x: number, y: number): [number, number] {
  return [fit.ox + x * fit.scale, fit.oy - y * fit.scale];
}
