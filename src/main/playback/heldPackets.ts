/**
 * Packets held back by latency jitter (a perturbation): each is released after its own delay,
 * never before the one ahead of it (order kept), as a network that delays but does not reorder.
 */
export interface HoldClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

interface Held {
  releaseAt: number;
  send: () => void;
}

export class HeldPackets {
  private readonly queue: Held[] = [];
  private lastRelease = -Infinity;
  private cancel: (() => void) | null = null;

  constructor(private readonly clock: HoldClock) {}

  get size(): number {
    return this.queue.length;
  }

  /** Sends now if nothing waits and there is no hold; else queues behind what waits. */
  push(holdMs: number, send: () => void): void {
    const now = this.clock.now();
    const releaseAt = Math.max(now + holdMs, this.lastRelease);
    this.lastRelease = releaseAt;
    if (releaseAt <= now && this.queue.length === 0) return send();
    this.queue.push({ releaseAt, send });
    this.plan();
  }

  /** Forgets what waits (the session closed). */
  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue.length = 0;
  }

  private plan(): void {
    if (this.cancel || this.queue.length === 0) return;
    this.cancel = this.clock.setTimer(this.release, Math.max(0, this.queue[0].releaseAt - this.clock.now()));
  }

  private readonly release = (): void => {
    this.cancel = null;
    const now = this.clock.now();
    while (this.queue.length > 0 && this.queue[0].releaseAt <= now + 0.5) this.queue.shift()!.send();
    this.plan();
  };
}
