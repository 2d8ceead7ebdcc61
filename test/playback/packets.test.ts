import { describe, expect, it } from 'vitest';
import { binRecording } from '../../src/main/dataset/binning.ts';
import { memoryRecordingSource } from '../../src/main/dataset/memorySource.ts';
import { PacketBuilder } from '../../src/main/playback/packets.ts';
import { memoryDataset } from '../helpers/memoryDataset.ts';

describe('PacketBuilder', () => {
  const ds = memoryDataset(400, 4, 40);
  const builder = new PacketBuilder(ds);

  it('builds a bin inside a trial: counts from the base bins, kinematics, trial and intention fields', () => {
    const p = builder.build(47, 9, 1700000000.5);
    expect(p).toEqual({
      type: 'data',
      timestamp: 1700000000.5,
      sequence_number: 9,
      spikes: { channel_ids: [0, 1, 2, 3], spike_counts: [3, 0, 1, 2], bin_size_ms: 25 },
      kinematics: { vx: 1, vy: null, x: 47, y: -47 },
      // Trial 1 covers bins 45 .. 79 and aims at target 1 (-100, 50).
      intention: { target_id: 1, target_x: -100, target_y: 50, distance_to_target: Math.hypot(-100 - 47, 50 + 47) },
      trial_id: 1,
      trial_time_ms: 50,
      bin_index: 47,
      time_s: 1.175,
      frequency_hz: 40,
    });
  });

  it('leaves the trial and intention fields null between trials', () => {
    const p = builder.build(42, 0, 0);
    expect(p.spikes.spike_counts).toEqual([2, 3, 0, 1]);
    expect(p.trial_id).toBeNull();
    expect(p.trial_time_ms).toBeNull();
    expect(p.intention).toEqual({ target_id: null, target_x: null, target_y: null, distance_to_target: null });
  });

  it('gives every bin the counts of its spikes, and fresh count arrays (packets are kept by faces)', () => {
    const a = builder.build(5, 0, 0);
    const b = builder.build(6, 1, 0);
    expect(a.spikes.spike_counts).not.toBe(b.spikes.spike_counts);
    expect(a.spikes.channel_ids).toBe(b.spikes.channel_ids);
    for (let k = 0; k < ds.numBins; k++) {
      expect(builder.build(k, k, 0).spikes.spike_counts).toEqual([0, 1, 2, 3].map((u) => (k + u) % 4));
    }
  });

  it('sends null kinematics for a recording without behaviour, and null distance without a cursor', () => {
    const noBehaviour = binRecording(
      memoryRecordingSource({
        path: '/memory/units-only.nwb',
        unitIds: [1, 2],
        spikeTimes: [Float64Array.of(0.01, 0.02, 0.9), Float64Array.of(0.03)],
        trials: {
          count: 1,
          ids: [0],
          startTime: Float64Array.of(0),
          stopTime: Float64Array.of(0.5),
          columns: [],
          activeTarget: { x: Float64Array.of(3), y: Float64Array.of(4) },
        },
      }),
      { path: '/memory/units-only.nwb', name: 'units-only.nwb', synthetic: false, description: '' },
    );
    const p = new PacketBuilder(noBehaviour).build(1, 0, 0);
    expect(p.spikes.spike_counts).toEqual([0, 1]);
    expect(p.kinematics).toEqual({ vx: null, vy: null, x: null, y: null });
    expect(p.intention).toEqual({ target_id: 0, target_x: 3, target_y: 4, distance_to_target: null });
    expect(p.trial_time_ms).toBe(25);
  });
});
