import { BIN_MS, BIN_US, binCount } from '../../shared/bins.ts';
import type { DatasetProvenance } from '../../shared/wire.ts';
import { baseBinsPer, type BaseRecording, type CountSink } from './baseBins.ts';
import { trialBins } from './trialBins.ts';
import type { BinKinematics, BinnedStream, Dataset, KinematicsSources, Target, Trial } from './types.ts';

export interface DatasetParts {
  provenance: DatasetProvenance;
  unitIds: number[];
  numBins: number;
  durationSeconds: number;
  totalSpikes: number;
  kinematics: KinematicsSources | null;
  trialOfBin: Int32Array;
  trials: Trial[];
  targets: Target[];
  notes: string[];
  base: BaseRecording;
}

/** Scratch for SeriesBase.meanInto (packets are built one at a time). */
const mean = new Float64Array(2);

/** Counts and kinematics of a bin of `f` base bins: a bin of any width is its run of base bins. */
class BaseBinReader {
  constructor(
    private readonly baseBins: BaseRecording,
    private readonly f: number,
  ) {}

  countsInto(bin: number, out: CountSink): void {
    const f = this.f;
    this.baseBins.spikes.countsInto(bin * f, bin * f + f, out);
  }

  kinematicsAt(bin: number): BinKinematics {
    const f = this.f;
    const { position, velocity } = this.baseBins;
    let x = NaN;
    let y = NaN;
    let vx = NaN;
    let vy = NaN;
    if (position) {
      position.meanInto(bin * f, bin * f + f, mean);
      x = mean[0];
      y = mean[1];
    }
    if (velocity) {
      velocity.meanInto(bin * f, bin * f + f, mean);
      vx = mean[0];
      vy = mean[1];
    }
    return { x, y, vx, vy };
  }
}

/** The recording at a width other than 25 ms: its trial bins are computed once, when first asked for. */
class WidthStream extends BaseBinReader implements BinnedStream {
  readonly binUs: number;
  readonly numBins: number;
  private bins: ReturnType<typeof trialBins> | null = null;

  constructor(
    private readonly ds: BinnedDataset,
    readonly binMs: number,
  ) {
    super(ds.base, baseBinsPer(binMs * 1000));
    this.binUs = binMs * 1000;
    this.numBins = binCount(ds.durationSeconds, this.binUs);
  }

  get trialOfBin(): Int32Array {
    return this.trialBins().trialOfBin;
  }

  trialRange(trial: number): readonly [number, number] {
    const b = this.trialBins();
    return [b.first[trial], b.end[trial]];
  }

  private trialBins(): ReturnType<typeof trialBins> {
    return (this.bins ??= trialBins(this.ds.trials, this.numBins, this.binUs));
  }
}

/**
 * A loaded recording, streamed at 25 ms by default: a bin is 5 consecutive base bins; `at(w)`
 * gives the same recording at another width, from the same base bins.
 */
export class BinnedDataset extends BaseBinReader implements Dataset {
  readonly binMs = BIN_MS;
  readonly binUs = BIN_US;
  readonly provenance: DatasetProvenance;
  readonly numUnits: number;
  readonly unitIds: number[];
  readonly numBins: number;
  readonly durationSeconds: number;
  readonly totalSpikes: number;
  readonly kinematics: KinematicsSources | null;
  readonly trialOfBin: Int32Array;
  readonly trials: Trial[];
  readonly targets: Target[];
  readonly notes: string[];
  readonly base: BaseRecording;
  private readonly widths = new Map<number, BinnedStream>();

  constructor(p: DatasetParts) {
    super(p.base, baseBinsPer(BIN_US));
    this.provenance = p.provenance;
    this.numUnits = p.unitIds.length;
    this.unitIds = p.unitIds;
    this.numBins = p.numBins;
    this.durationSeconds = p.durationSeconds;
    this.totalSpikes = p.totalSpikes;
    this.kinematics = p.kinematics;
    this.trialOfBin = p.trialOfBin;
    this.trials = p.trials;
    this.targets = p.targets;
    this.notes = p.notes;
    this.base = p.base;
  }

  trialRange(trial: number): readonly [number, number] {
    const t = this.trials[trial];
    return [t.firstBin, t.endBin];
  }

  at(binMs: number): BinnedStream {
    if (binMs === BIN_MS) return this;
    let s = this.widths.get(binMs);
    if (!s) this.widths.set(binMs, (s = new WidthStream(this, binMs)));
    return s;
  }
}
