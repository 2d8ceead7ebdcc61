import type { Dataset, Trial } from '../../src/main/dataset/types.ts';

/**
 * A small binned dataset built in memory, for playback tests that need exact control of
 * every bin. (Loader and binning tests go through real NWB files instead.)
 * Spike count of unit u in bin k is (k + u) % 4; cursor x = k, y = -k; trials every
 * `trialBins` bins, alternating between two targets.
 */
export function memoryDataset(numBins = 400, numUnits = 4, trialBins = 40): Dataset {
  const spikeCounts = new Uint16Array(numBins * numUnits);
  for (let k = 0; k < numBins; k++) for (let u = 0; u < numUnits; u++) spikeCounts[k * numUnits + u] = (k + u) % 4;
  const x = Float64Array.from({ length: numBins }, (_, k) => k);
  const y = Float64Array.from({ length: numBins }, (_, k) => -k);
  const vx = new Float64Array(numBins).fill(1);
  const vy = new Float64Array(numBins).fill(NaN); // a field with no samples: null on the wire
  const trialOfBin = new Int32Array(numBins).fill(-1);
  const trials: Trial[] = [];
  // Trials cover [t·trialBins + 5, (t+1)·trialBins) so there are gaps between trials.
  for (let t = 0; (t + 1) * trialBins <= numBins; t++) {
    const firstBin = t * trialBins + 5;
    const endBin = (t + 1) * trialBins;
    for (let k = firstBin; k < endBin; k++) trialOfBin[k] = t;
    trials.push({
      id: t,
      nwbId: 100 + t,
      startTime: firstBin * 0.025,
      stopTime: endBin * 0.025,
      effectiveStopTime: endBin * 0.025,
      firstBin,
      endBin,
      targetId: t % 2,
      success: t % 3 !== 2,
      columns: {},
    });
  }
  return {
    provenance: { path: '/memory/test.nwb', name: 'test.nwb', synthetic: true, description: 'in-memory test dataset' },
    numUnits,
    unitIds: Array.from({ length: numUnits }, (_, u) => 10 + u),
    numBins,
    durationSeconds: numBins * 0.025,
    spikeCounts,
    totalSpikes: spikeCounts.reduce((a, b) => a + b, 0),
    kinematics: { x, y, vx, vy, positionSource: 'cursor_pos', velocitySource: 'hand_vel' },
    trialOfBin,
    trials,
    targets: [
      { id: 0, x: 100, y: 0, trialIds: trials.filter((t) => t.targetId === 0).map((t) => t.id) },
      { id: 1, x: -100, y: 50, trialIds: trials.filter((t) => t.targetId === 1).map((t) => t.id) },
    ],
    notes: [],
  };
}
