import { binRecording } from '../../src/main/dataset/binning.ts';
import { memoryRecordingSource } from '../../src/main/dataset/memorySource.ts';
import type { RecordingTrials } from '../../src/main/dataset/source.ts';
import type { Dataset } from '../../src/main/dataset/types.ts';

/**
 * A small dataset built in memory, for playback tests that need exact control of every bin,
 * binned by the loader's own code (binRecording over an in-memory source).
 * Spike count of unit u in bin k is (k + u) % 4; cursor x = k, y = -k; vx = 1, vy has no
 * samples (a one-column velocity series: null on the wire); trials every `trialBins` bins,
 * covering [t·trialBins + 5, (t+1)·trialBins), alternating between two targets.
 */
export function memoryDataset(numBins = 400, numUnits = 4, trialBins = 40): Dataset {
  const BIN = 0.025;
  // Spikes: (k + u) % 4 of them in bin k, 5 ms apart from 2.5 ms into the bin.
  const spikeTimes = Array.from({ length: numUnits }, (_, u) => {
    const times: number[] = [];
    for (let k = 0; k < numBins; k++) for (let j = 0; j < (k + u) % 4; j++) times.push(k * BIN + 0.0025 + j * 0.005);
    return Float64Array.from(times);
  });
  // Behaviour: one sample per 5 ms, all of bin k at (k, -k); a last sample at the end of the
  // last bin makes the recording numBins·25 ms long (it lies outside every bin).
  const perBin = 5;
  const rows = numBins * perBin + 1;
  const timestamps = new Float64Array(rows);
  const position = new Float64Array(rows * 2);
  const velocity = new Float64Array(rows).fill(1);
  for (let i = 0; i < rows; i++) {
    const k = Math.floor(i / perBin);
    timestamps[i] = i === rows - 1 ? numBins * BIN : k * BIN + 0.0025 + (i % perBin) * 0.005;
    position[2 * i] = k;
    position[2 * i + 1] = -k;
  }
  const trialCount = Math.floor(numBins / trialBins);
  const firstBin = (t: number) => t * trialBins + 5;
  const endBin = (t: number) => (t + 1) * trialBins;
  const trials: RecordingTrials = {
    count: trialCount,
    ids: Array.from({ length: trialCount }, (_, t) => 100 + t),
    startTime: Float64Array.from({ length: trialCount }, (_, t) => firstBin(t) * BIN),
    stopTime: Float64Array.from({ length: trialCount }, (_, t) => endBin(t) * BIN),
    columns: [{ name: 'success', kind: 'boolean', values: Array.from({ length: trialCount }, (_, t) => t % 3 !== 2) }],
    activeTarget: {
      x: Float64Array.from({ length: trialCount }, (_, t) => (t % 2 === 0 ? 100 : -100)),
      y: Float64Array.from({ length: trialCount }, (_, t) => (t % 2 === 0 ? 0 : 50)),
    },
  };
  const source = memoryRecordingSource({
    path: '/memory/test.nwb',
    unitIds: Array.from({ length: numUnits }, (_, u) => 10 + u),
    spikeTimes,
    trials,
    position: { path: '/processing/behavior/cursor_pos', timestamps, data: position, columns: 2, unit: 'mm' },
    velocity: { path: '/processing/behavior/hand_vel', timestamps, data: velocity, columns: 1, unit: 'mm/s' },
  });
  return binRecording(source, { path: '/memory/test.nwb', name: 'test.nwb', synthetic: true, description: 'in-memory test dataset' });
}
