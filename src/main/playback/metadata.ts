import type { StreamMetadata } from '../../shared/wire.ts';
import type { BinnedStream, Dataset } from '../dataset/types.ts';

/** The dataset as decoders see it (snake_case, the guide's names): in every metadata message and in REST. */
export type DatasetMetadata = Pick<
  StreamMetadata,
  'num_channels' | 'frequency_hz' | 'duration_seconds' | 'total_packets' | 'bin_size_ms' | 'unit_ids' | 'num_trials' | 'num_targets' | 'units'
>;

/** At the width of `stream` (the dataset itself: 25 ms, 40 Hz). */
export function datasetMetadata(ds: Dataset, stream: BinnedStream = ds): DatasetMetadata {
  return {
    num_channels: ds.numUnits,
    frequency_hz: 1000 / stream.binMs,
    duration_seconds: ds.durationSeconds,
    total_packets: stream.numBins,
    bin_size_ms: stream.binMs,
    unit_ids: ds.unitIds,
    num_trials: ds.trials.length,
    num_targets: ds.targets.length,
    units: { position: 'mm', velocity: 'mm/s', time: 's' },
  };
}
