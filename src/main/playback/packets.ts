import type { BinnedStream, Dataset } from '../dataset/types.ts';
import { binStartSeconds, toMicros } from '../../shared/bins.ts';
import type { DataPacket, IntentionField, KinematicsField } from '../../shared/wire.ts';

const NULL_INTENTION: Readonly<IntentionField> = Object.freeze({
  target_id: null,
  target_x: null,
  target_y: null,
  distance_to_target: null,
});

/** NaN (no sample in the bin) becomes null: JSON has no NaN, and both encodings must agree. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Builds the wire packet of one bin: its counts and kinematics are summed from the dataset's
 * 5 ms base bins (a few dozen spikes and samples), its trial fields indexed. One packet is built
 * per session tick and shared by every client and face.
 */
export class PacketBuilder {
  /** channel_ids never change within a dataset: one shared array, never mutated. */
  private readonly channelIds: number[];

  constructor(
    readonly dataset: Dataset,
    /** The bins it builds: the dataset at the session's width (the dataset itself at 25 ms). */
    readonly stream: BinnedStream = dataset,
  ) {
    this.channelIds = Array.from({ length: dataset.numUnits }, (_, i) => i);
  }

  build(bin: number, sequenceNumber: number, timestampSec: number): DataPacket {
    const ds = this.dataset;
    const stream = this.stream;
    const n = ds.numUnits;
    const spikeCounts = new Array<number>(n);
    stream.countsInto(bin, spikeCounts);

    const kinematics = this.kinematics(bin);
    const trialRow = stream.trialOfBin[bin];
    let intention: IntentionField = NULL_INTENTION;
    let trialId: number | null = null;
    let trialTimeMs: number | null = null;
    if (trialRow >= 0) {
      const trial = ds.trials[trialRow];
      trialId = trial.id;
      trialTimeMs = (bin * stream.binUs - toMicros(trial.startTime)) / 1000;
      if (trial.targetId !== null) {
        const target = ds.targets[trial.targetId];
        const { x, y } = kinematics;
        intention = {
          target_id: target.id,
          target_x: target.x,
          target_y: target.y,
          distance_to_target: x !== null && y !== null ? Math.hypot(target.x - x, target.y - y) : null,
        };
      }
    }

    return {
      type: 'data',
      timestamp: timestampSec,
      sequence_number: sequenceNumber,
      spikes: { channel_ids: this.channelIds, spike_counts: spikeCounts, bin_size_ms: stream.binMs },
      kinematics,
      intention,
      trial_id: trialId,
      trial_time_ms: trialTimeMs,
      bin_index: bin,
      time_s: binStartSeconds(bin, stream.binUs),
      frequency_hz: 1000 / stream.binMs,
    };
  }

  private kinematics(bin: number): KinematicsField {
    if (!this.dataset.kinematics) return { vx: null, vy: null, x: null, y: null };
    const k = this.stream.kinematicsAt(bin);
    return { vx: finiteOrNull(k.vx), vy: finiteOrNull(k.vy), x: finiteOrNull(k.x), y: finiteOrNull(k.y) };
  }
}
