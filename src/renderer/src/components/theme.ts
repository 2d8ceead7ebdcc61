/**
 * Colours and plot geometry the canvases and uPlot need in JS. They mirror the CSS
 * variables in styles/theme.css; series colours are from the Okabe–Ito palette, which stays
 * distinguishable for colour-blind viewers and on washed-out projectors.
 */
export const COLORS = {
  bg: '#0a0e13',
  plotBg: '#070a0f',
  grid: '#1b2531',
  gridStrong: '#2a3746',
  axis: '#9aabbf',
  text: '#e8eef5',
  muted: '#8696aa',
  accent: '#56b4e9',
  x: '#56b4e9', // sky blue
  y: '#e69f00', // orange
  rate: '#009e73', // bluish green
  rateRaw: 'rgba(0, 158, 115, 0.35)',
  target: '#f0e442', // yellow
  filter: '#e69f00',
  trail: '86, 180, 233',
  cursor: '#ffffff',
  /** Stress (perturbations): Okabe–Ito vermillion, apart from the data's blue, orange and yellow. */
  stress: '#d55e00',
} as const;

/**
 * One colour per decoder slot (data/decoderSlots.ts), for its row, decoded cursor and traces.
 * Eight hues that stay apart from each other on the dark background and from what the true
 * data already uses (sky-blue x, orange y, yellow target, white cursor) as far as eight can.
 */
export const DECODER_COLORS = [
  '#ff5c8a', // rose
  '#b48cff', // violet
  '#3ddc84', // green
  '#d4d4d4', // silver
  '#4d7cff', // royal blue
  '#f26bff', // magenta
  '#2fd6c8', // turquoise
  '#c6e14a', // lime
] as const;

/** Every time plot shares these, so the raster's columns line up with the charts' x axis. */
export const PLOT = {
  /** Left gutter (y axis labels), CSS px. */
  axisW: 60,
  /** Right padding, CSS px. */
  padR: 14,
} as const;

/** Axis label font for canvases: larger in presentation mode (read by the projector's audience). */
export function axisFont(presentation: boolean, dpr = 1): string {
  return `${Math.round((presentation ? 16 : 12) * dpr)}px Inter, "Segoe UI", "Liberation Sans", "DejaVu Sans", system-ui, sans-serif`;
}

export function axisWidth(presentation: boolean): number {
  return presentation ? 72 : PLOT.axisW;
}

/** Vertical grid every second (every 2 s for long windows), at fixed "seconds ago" positions. */
export function timeGridStep(windowS: number): number {
  return windowS > 12 ? 2 : 1;
}
