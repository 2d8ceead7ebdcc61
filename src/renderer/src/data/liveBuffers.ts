/**
 * Everything the live views draw, fed one StudioPacket at a time: the plot window (rate,
 * position, velocity, and each column's sequence number, to look the decoders' predictions up
 * by), the raster's pixel ring, the workspace trail, the latest packet's readout fields, and
 * the decoders' predictions joined to the packets (`decoded`). Allocated once per window size,
 * bin width and channel count; pushing a packet allocates nothing.
 *
 * The followed session's bin width (PlaybackInfo.binMs) sets the time of a column: the plot
 * window holds windowS × 1000 / binMs packets (400 at 25 ms, 2000 for a 5 ms session in 10 s),
 * the population rate is spikes per bin × packets per second, and narrow bins share a raster
 * column and a trail point (so a 200 Hz session draws as many of those as a 40 Hz one).
 */
import type { StudioPacket } from '../../../shared/studioApi.ts';
import { BIN_MS } from '../../../shared/bins.ts';
import { DecodedTracks } from './decodedTracks.ts';
import { RasterRing } from './rasterRing.ts';
import { SeriesRing } from './ringBuffer.ts';
import { isContinuous, packetRateHz } from './timeline.ts';

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
/** Workspace trail length (s): the cursor's last 2 s. */
export const TRAIL_S = 2;
/** Trail points at the default 25 ms width (80 points: 2 s). */
export const TRAIL_PACKETS = Math.round((TRAIL_S * 1000) / BIN_MS);
/** The smoothed population rate is a causal boxcar over this long (s)... */
export const SMOOTH_S = 0.2;
/** ...which is this many bins at the default width. */
export const SMOOTH_BINS = Math.round((SMOOTH_S * 1000) / BIN_MS);

/** Packets in a plot window of `windowS` seconds at bins of `binMs`. */
export function windowColumns(windowS: number, binMs = BIN_MS): number {
  return Math.max(1, Math.round((windowS * 1000) / binMs));
}

/**
 * Bins per raster column and per trail point: bins narrower than 25 ms are grouped, so a
 * column is 20–25 ms at any width (5 ms: 5 bins, 10 ms: 2, 20 ms and wider: 1).
 */
export function binsPerColumn(binMs = BIN_MS): number {
  return Math.max(1, Math.floor(BIN_MS / binMs));
}

/** Raster columns in a window of `windowS` seconds. */
export function rasterColumns(windowS: number, binMs = BIN_MS): number {
  return Math.max(1, Math.round((windowS * 1000) / (binMs * binsPerColumn(binMs))));
}

function trailCapacity(binMs: number): number {
  return Math.max(2, Math.round((TRAIL_S * 1000) / (binMs * binsPerColumn(binMs))));
}

const num = (v: number | null): number => (v === null ? NaN : v);

export class LiveBuffers {
  window: SeriesRing;
  raster: RasterRing;
  /** The cursor's last TRAIL_S seconds, a point per raster column's worth of bins (the newest point follows the newest packet). */
  trail: SeriesRing;
  /** The decoders' predictions by sequence number, and the velocity-only ones' integrated cursors. */
  readonly decoded = new DecodedTracks();
  /** Bumps whenever the buffers start afresh, so views know to redraw fully. */
  generation = 0;
  /** Packets taken since the last reset. */
  packets = 0;

  /** Width of a bin (ms) of the session drawn, and what follows from it. */
  binMs = BIN_MS;
  binS = BIN_MS / 1000;
  /** Packets a second at 1×. */
  rateHz = packetRateHz(BIN_MS);
  /** Length of the plot window (s). */
  windowS: number;

  // The latest packet's fields, for the readouts (plain fields: no object per packet).
  positionS = NaN;
  seq = -1;
  trialId: number | null = null;
  trialTimeMs: number | null = null;
  targetId: number | null = null;
  x: number | null = null;
  y: number | null = null;

  private prevPos: number | null = null;
  private prevSeq = -1;
  /** Packets held back by jitter arrive with a position up to this late (s): still continuous. */
  private slackS = 0;
  /** Bins of the smoothed rate's boxcar. */
  private smoothBins = SMOOTH_BINS;
  /** Bins per trail point, and how many bins the newest point has taken. */
  private trailStride = 1;
  private trailPhase = 0;

  /** `columns`: packets in the plot window (the window is that many 25 ms bins). */
  constructor(columns = windowColumns(DEFAULT_WINDOW_S), channels = 0) {
    this.windowS = (columns * BIN_MS) / 1000;
    this.window = new SeriesRing(NUM_SERIES, columns);
    this.raster = new RasterRing(rasterColumns(this.windowS), channels);
    this.trail = new SeriesRing(2, trailCapacity(BIN_MS));
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
    return this.positionS + this.binS;
  }

  /**
   * Takes one packet. A jump in the session timeline (a seek or a filter change seen in the
   * stream) starts the plots afresh; a loop wrap does not. Packets the stream lost (a gap in
   * sequence numbers whose positions agree) leave empty columns, so the time axis stays true.
   */
  push(p: StudioPacket, durationS: number): void {
    const steps = this.prevSeq < 0 ? 1 : p.seq - this.prevSeq;
    if (!isContinuous(this.prevPos, p.positionS, durationS, this.binS, steps, this.slackS)) this.reset();
    else if (this.prevPos !== null && steps > 1) this.leaveGap(steps - 1);
    if (p.counts.length !== this.raster.channels) {
      this.raster = new RasterRing(this.raster.columns, p.counts.length, undefined, this.raster.binsPerColumn);
      this.generation++;
    }
    this.prevPos = p.positionS;
    this.prevSeq = p.seq;

    let sum = 0;
    const counts = p.counts;
    for (let i = 0; i < counts.length; i++) sum += counts[i];
    const w = this.window;
    const rate = sum * this.rateHz;
    // Causal boxcar over SMOOTH_S; lost packets' columns (NaN) are left out.
    let smooth = rate;
    let n = 1;
    const held = Math.min(this.smoothBins - 1, w.count);
    for (let age = 0; age < held; age++) {
      const v = w.at(S_RATE, age);
      if (v === v) {
        smooth += v;
        n++;
      }
    }
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
    if (this.trailPhase === 0) {
      t.series[0][t.slot] = num(p.x);
      t.series[1][t.slot] = num(p.y);
      t.commit();
    } else {
      // The newest point follows the newest packet until the next point starts.
      t.setNewest(0, num(p.x));
      t.setNewest(1, num(p.y));
    }
    this.trailPhase = (this.trailPhase + 1) % this.trailStride;

    this.raster.writeBin(counts, p.trialId);
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

  /** `lost` packets the stream never sent: empty plot columns (at most a window of them). */
  private leaveGap(lost: number): void {
    const w = this.window;
    const n = Math.min(lost, w.capacity);
    for (let i = 0; i < n; i++) {
      const s = w.slot;
      for (let k = 0; k < NUM_SERIES; k++) w.series[k][s] = NaN;
      w.commit();
      this.raster.writeLostBin();
    }
  }

  /** Starts afresh (seek, stop, session or dataset change). */
  reset(): void {
    this.window.clear();
    this.trail.clear();
    this.trailPhase = 0;
    this.raster.clear();
    this.decoded.onReset();
    this.prevPos = null;
    this.prevSeq = -1;
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
    this.windowS = windowS;
    this.resize();
  }

  /**
   * The bin width of the session drawn (ms): a column is that long, the rate is per second.
   * Re-sizes the buffers once when it changes (never per packet); returns whether it did.
   */
  setBinMs(binMs: number): boolean {
    if (!(binMs > 0) || binMs === this.binMs) return false;
    this.binMs = binMs;
    this.binS = binMs / 1000;
    this.rateHz = packetRateHz(binMs);
    this.smoothBins = Math.max(1, Math.round((SMOOTH_S * 1000) / binMs));
    this.decoded.setBinMs(binMs);
    this.resize(true);
    return true;
  }

  /** How late (s) a packet's position may be and still follow on (a jittered stream's); 0 otherwise. */
  setPositionSlack(seconds: number): void {
    this.slackS = seconds > 0 ? seconds : 0;
  }

  private resize(force = false): void {
    const columns = windowColumns(this.windowS, this.binMs);
    if (!force && columns === this.columns) return;
    if (columns !== this.columns) this.window = new SeriesRing(NUM_SERIES, columns);
    const rasterCols = rasterColumns(this.windowS, this.binMs);
    const perColumn = binsPerColumn(this.binMs);
    if (rasterCols !== this.raster.columns || perColumn !== this.raster.binsPerColumn) {
      this.raster = new RasterRing(rasterCols, this.raster.channels, undefined, perColumn);
    }
    this.trailStride = perColumn;
    const trail = trailCapacity(this.binMs);
    if (trail !== this.trail.capacity) this.trail = new SeriesRing(2, trail);
    this.reset();
  }
}
