import { BIN_US } from '../../shared/bins.ts';
import type { DatasetProvenance } from '../../shared/wire.ts';
import { baseBinsPer, type BaseRecording, type CountSink } from './baseBins.ts';
import type { BinKinematics, Dataset, KinematicsSources, Target, Trial } from './types.ts';

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

/**
 * The Dataset of the 25 ms stream over a base recording. A bin is `perBin` consecutive base
 * bins; a stream of another width would use baseBinsPer(width) the same way.
 */
export class BinnedDataset implements Dataset {
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
  private readonly perBin = baseBinsPer(BIN_US);

  constructor(p: DatasetParts) {
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

  countsInto(bin: number, out: CountSink): void {
    const f = this.perBin;
    this.base.spikes.countsInto(bin * f, bin * f + f, out);
  }

  kinematicsAt(bin: number): BinKinematics {
    const f = this.perBin;
    const { position, velocity } = this.base;
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
