import { BIN_MS, FREQUENCY_HZ } from '../../shared/bins.ts';
import type { StreamMetadata } from '../../shared/wire.ts';
import type { Dataset } from '../dataset/types.ts';

/** The dataset as decoders see it (snake_case, the guide's names): in every metadata message and in REST. */
export type DatasetMetadata = Pick<
  StreamMetadata,
  'num_channels' | 'frequency_hz' | 'duration_seconds' | 'total_packets' | 'bin_size_ms' | 'unit_ids' | 'num_trials' | 'num_targets' | 'units'
>;

export function datasetMetadata(ds: Dataset): DatasetMetadata {
  return {
    num_channels: ds.numUnits,
    frequency_hz: FREQUENCY_HZ,
    duration_seconds: ds.durationSeconds,
    total_packets: ds.numBins,
    bin_size_ms: BIN_MS,
    unit_ids: ds.unitIds,
    num_trials: ds.trials.length,
    num_targets: ds.targets.length,
    units: { position: 'mm', velocity: 'mm/s', time: 's' },
  };
}
