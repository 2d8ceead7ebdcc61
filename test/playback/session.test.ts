import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataPacket } from '../../src/shared/wire.ts';
import { ParamError } from '../../src/main/common/errors.ts';
import { Session, type SessionSubscriber } from '../../src/main/playback/session.ts';
import { memoryDataset } from '../helpers/memoryDataset.ts';
import { manualScheduler, type ManualTime } from '../helpers/manualTime.ts';

// Sessions run on a manual clock: `sleep(ms)` advances it, firing every tick due in between, so
// packet counts are exact however loaded the machine is.
let time: ManualTime;
let scheduler: ReturnType<typeof manualScheduler>['scheduler'];
beforeEach(() => {
  ({ time, scheduler } = manualScheduler());
});
const sleep = (ms: number) => time.advance(ms);

class Recorder implements SessionSubscriber {
  packets: DataPacket[] = [];
  at: number[] = [];
  prepared: DataPacket[] = [];
  describeClient() {
    return { id: 1, endpoint: 'json' as const, address: 'test', connectedAt: 0, packetsSent: this.packets.length, bytesSent: 0, drops: 0, bufferedBytes: 0 };
  }
  prepare(p: DataPacket): void {
    this.prepared.push(p);
  }
  onPacket(p: DataPacket): void {
    this.packets.push(p);
    this.at.push(time.now());
  }
}

const sessions: Session[] = [];
function session(opts: ConstructorParameters<typeof Session>[3] = {}, ds = memoryDataset()) {
  const s = new Session('test', ds, { trial_id: null, target_id: null }, { ...opts, clock: { scheduler } });
  sessions.push(s);
  return s;
}
afterEach(() => {
  for (const s of sessions.splice(0)) s.close(1001, 'test over');
});

describe('a playing session', () => {
  it('streams bins in order at 40 Hz with sequence numbers rising by one', () => {
    const s = session();
    const r = new Recorder();
    s.attach(r);
    sleep(520);
    const n = r.packets.length;
    expect(n).toBeGreaterThanOrEqual(20); // 520 ms at 40 Hz: 21 packets, the first at once or one period in
    expect(n).toBeLessThanOrEqual(22);
    const seqs = r.packets.map((p) => p.sequence_number);
    seqs.forEach((q, i) => i && expect(q).toBe(seqs[i - 1] + 1));
    const bins = r.packets.map((p) => p.bin_index);
    bins.forEach((b, i) => i && expect(b).toBe(bins[i - 1] + 1));
  });

  it('carries the binned content of each bin, with null for missing samples', () => {
    const s = session();
    const r = new Recorder();
    s.attach(r);
    sleep(300);
    const p = r.packets.find((q) => q.trial_id !== null)!;
    const k = p.bin_index;
    expect(p.spikes.spike_counts).toEqual([0, 1, 2, 3].map((u) => (k + u) % 4));
    expect(p.spikes.channel_ids).toEqual([0, 1, 2, 3]);
    expect(p.kinematics).toEqual({ x: k, y: -k, vx: 1, vy: null });
    expect(p.trial_id).toBe(0);
    expect(p.trial_time_ms).toBeCloseTo((k - 5) * 25, 6);
    expect(p.intention.target_id).toBe(0);
    expect(p.intention.distance_to_target).toBeCloseTo(Math.hypot(100 - k, k), 9);
    const outside = r.packets.find((q) => q.trial_id === null)!;
    expect(outside.intention).toEqual({ target_id: null, target_x: null, target_y: null, distance_to_target: null });
    expect(outside.trial_time_ms).toBeNull();
  });

  it('gives every subscriber the very same packet, prepared by all before any receives it', () => {
    const s = session();
    const a = new Recorder();
    const b = new Recorder();
    s.attach(a);
    s.attach(b);
    const order: string[] = [];
    a.prepare = (p) => order.push(`prepare a ${p.sequence_number}`);
    b.prepare = (p) => order.push(`prepare b ${p.sequence_number}`);
    const onA = a.onPacket.bind(a);
    a.onPacket = (p) => (order.push(`send a ${p.sequence_number}`), onA(p));
    sleep(200);
    s.pause();
    expect(a.packets.length).toBeGreaterThan(2);
    expect(a.packets).toEqual(b.packets);
    expect(a.packets[0]).toBe(b.packets[0]);
    expect(order.slice(0, 3)).toEqual(['prepare a 0', 'prepare b 0', 'send a 0']);
    expect(s.clientCount).toBe(2);
  });
});

describe('transport', () => {
  it('pause stops packets; resume continues the sequence without a catch-up burst', () => {
    const s = session();
    const r = new Recorder();
    s.attach(r);
    sleep(200);
    s.pause();
    const atPause = r.packets.length;
    const lastSeq = r.packets[atPause - 1].sequence_number;
    const lastBin = r.packets[atPause - 1].bin_index;
    sleep(400);
    expect(r.packets.length).toBe(atPause);
    const resumedAt = time.now();
    s.play();
    sleep(300);
    const after = r.packets.slice(atPause);
    expect(after[0].sequence_number).toBe(lastSeq + 1);
    expect(after[0].bin_index).toBe(lastBin + 1);
    // A burst would deliver the ~16 packets "missed" during the pause at once.
    const inFirst60ms = r.at.slice(atPause).filter((t) => t - resumedAt < 60).length;
    expect(inFirst60ms).toBeLessThanOrEqual(4);
    expect(after.length).toBeLessThanOrEqual(16);
  });

  it('stop pauses and rewinds; seek moves the next packet', () => {
    const s = session();
    const r = new Recorder();
    s.attach(r);
    sleep(150);
    s.stop();
    expect(s.state()).toMatchObject({ status: 'paused', position_s: 0 });
    s.seek(5); // 5 s = bin 200
    s.play();
    sleep(100);
    s.pause();
    const afterSeek = r.packets.filter((p) => p.bin_index >= 200);
    expect(afterSeek[0].bin_index).toBe(200);
    expect(() => s.seek(1e6)).toThrow(/past the end/);
    expect(() => s.seek(-1)).toThrow(ParamError);
  });

  it('speed changes the packet rate, never the bin content', () => {
    const s = session({ speed: 4 });
    const r = new Recorder();
    s.attach(r);
    sleep(500);
    s.pause();
    expect(r.packets.length).toBeGreaterThanOrEqual(60); // ~80 at 4×
    const p = r.packets[10];
    expect(p.spikes.spike_counts).toEqual([0, 1, 2, 3].map((u) => (p.bin_index + u) % 4));
    expect(() => s.setSpeed(25)).toThrow(/between 0.1 and 20/);
    expect(() => s.setSpeed(0)).toThrow(ParamError);
  });

  it('loops by default and ends when loop is off', () => {
    const ds = memoryDataset(20, 2, 10);
    const looping = session({ speed: 20 }, ds);
    const r = new Recorder();
    looping.attach(r);
    sleep(150); // 20 bins at 20× last 25 ms
    const bins = r.packets.map((p) => p.bin_index);
    expect(bins.indexOf(0, 1)).toBeGreaterThan(0); // wrapped around to bin 0 again

    const once = session({ speed: 20, loop: false }, ds);
    const r2 = new Recorder();
    once.attach(r2);
    sleep(150);
    expect(r2.packets.map((p) => p.bin_index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(once.state().status).toBe('ended');
    once.play(); // play after the end starts over
    sleep(40);
    expect(r2.packets[20].bin_index).toBe(0);
  });
});
