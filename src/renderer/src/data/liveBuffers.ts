/**
 * Everything the live views draw, fed one StudioPacket at a time: the plot window (rate,
 * position, velocity, and each column's sequence number, to look the decoders' predictions up
 * by), the raster's pixel ring, the workspace trail, the latest packet's readout fields, and
 * the decoders' predictions joined to the packets (`decoded`). Allocated once per window size
 * and channel count; pushing a packet allocates nothing.
 */
import type { StudioPacket } from '../../../shared/studioApi.ts';
import { FREQUENCY_HZ } from '../../../shared/bins.ts';
import { DecodedTracks } from './decodedTracks.ts';
import { RasterRing } from './rasterRing.ts';
import { SeriesRing } from './ringBuffer.ts';
import { BIN_S, isContinuous } from './timeline.ts';

/** Series of `LiveBuffers.window`. */
export const S_RATE = 0;
export const S_RATE_SMOOTH = 1;
export const S_X = 2;
export const S_Y = 3;
export const S_VX = 4;
export const S_VY = 5;
/** The packet's sequence number: where the decoded traces look their predictions up. */
export const S_SEQ = 6;
const NUM_SERIES = 7;

export const DEFAULT_WINDOW_S = 10;
/** Workspace trail length: ~2 s of cursor positions. */
export const TRAIL_PACKETS = 80;
/** The smoothed population rate is a causal boxcar of this many bins (200 ms). */
export const SMOOTH_BINS = 8;

export function windowColumns(windowS: number): number {
  return Math.max(1, Math.round(windowS * FREQUENCY_HZ));
}

const num = (v: number | null): number => (v === null ? NaN : v);

export class LiveBuffers {
  window: SeriesRing;
  raster: RasterRing;
  readonly trail = new SeriesRing(2, TRAIL_PACKETS);
  /** The decoders' predictions by sequence number, and the velocity-only ones' integrated cursors. */
  readonly decoded = new DecodedTracks();
  /** Bumps whenever the buffers start afresh, so views know to redraw fully. */
  generation = 0;
  /** Packets taken since the last reset. */
  packets = 0;

  // The latest packet's fields, for the readouts (plain fields: no object per packet).
  positionS = NaN;
  seq = -1;
  trialId: number | null = null;
  trialTimeMs: number | null = null;
  targetId: number | null = null;
  x: number | null = null;
  y: number | null = null;

  private prevPos: number | null = null;

  constructor(columns = windowColumns(DEFAULT_WINDOW_S), channels = 0) {
    this.window = new SeriesRing(NUM_SERIES, columns);
    this.raster = new RasterRing(columns, channels);
  }

  get columns(): number {
    return this.window.capacity;
  }

  /** Bumps when the decoded overlays changed without a new packet (the frame loop redraws then). */
  get decodedRevision(): number {
    return this.decoded.revision;
  }

  get hasPacket(): boolean {
    return this.seq >= 0;
  }

  /** Session-timeline position just after the latest packet (where the engine's cursor is). */
  get endOfLastPacketS(): number {
    return this.positionS + BIN_S;
  }

  /**
   * Takes one packet. A jump in the session timeline (a seek or a filter change seen in the
   * stream) starts the plots afresh; a loop wrap does not.
   */
  push(p: StudioPacket, durationS: number): void {
    if (!isContinuous(this.prevPos, p.positionS, durationS)) this.reset();
    if (p.counts.length !== this.raster.channels) {
      this.raster = new RasterRing(this.columns, p.counts.length);
      this.generation++;
    }
    this.prevPos = p.positionS;

    let sum = 0;
    const counts = p.counts;
    for (let i = 0; i < counts.length; i++) sum += counts[i];
    const rate = sum * FREQUENCY_HZ;
    let smooth = rate;
    let n = 1;
    for (let age = 0; age < SMOOTH_BINS - 1; age++) {
      const v = this.window.at(S_RATE, age);
      if (Number.isNaN(v)) break;
      smooth += v;
      n++;
    }
    const w = this.window;
    const s = w.slot;
    w.series[S_RATE][s] = rate;
    w.series[S_RATE_SMOOTH][s] = smooth / n;
    w.series[S_X][s] = num(p.x);
    w.series[S_Y][s] = num(p.y);
    w.series[S_VX][s] = num(p.vx);
    w.series[S_VY][s] = num(p.vy);
    w.series[S_SEQ][s] = p.seq;
    w.commit();

    const t = this.trail;
    t.series[0][t.slot] = num(p.x);
    t.series[1][t.slot] = num(p.y);
    t.commit();

    this.raster.writeColumn(counts, p.trialId);
    this.decoded.onPacket(p);

    this.positionS = p.positionS;
    this.seq = p.seq;
    this.trialId = p.trialId;
    this.trialTimeMs = p.trialTimeMs;
    this.targetId = p.targetId;
    this.x = p.x;
    this.y = p.y;
    this.packets++;
  }

  /** Starts afresh (seek, stop, session or dataset change). */
  reset(): void {
    this.window.clear();
    this.trail.clear();
    this.raster.clear();
    this.decoded.onReset();
    this.prevPos = null;
    this.positionS = NaN;
    this.seq = -1;
    this.trialId = null;
    this.trialTimeMs = null;
    this.targetId = null;
    this.x = null;
    this.y = null;
    this.packets = 0;
    this.generation++;
  }

  /** A different window length (seconds): new arrays, fresh plots. */
  setWindow(windowS: number): void {
    const columns = windowColumns(windowS);
    if (columns === this.columns) return;
    this.window = new SeriesRing(NUM_SERIES, columns);
    this.raster = new RasterRing(columns, this.raster.channels);
    this.reset();
  }
}
