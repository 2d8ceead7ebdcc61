import { describe, expect, it } from 'vitest';
import { FrameLoop, TEXT_INTERVAL_MS, TEXT_MAX_DELAY_MS, type FrameSource } from '../../src/renderer/src/live/frameLoop.ts';
import { writeText } from '../../src/renderer/src/live/liveText.ts';

/** A store whose packets arrive on a schedule: `due[i]` packets become due in frame i. */
function fakeStore(due: number[]): FrameSource & { frame: number; reset(): void } {
  const live = { generation: 0, packets: 0, decodedRevision: 0 };
  return {
    live,
    frame: 0,
    advance() {
      const n = due[this.frame++] ?? 0;
      live.packets += n;
      return n;
    },
    reset() {
      live.generation++;
      live.packets = 0;
    },
  };
}

/** 40 Hz packets on a 60 Hz display: a packet in two frames of every three. */
const FORTY_ON_SIXTY = Array.from({ length: 60 }, (_, i) => (i % 3 === 2 ? 0 : 1));

describe('frame loop: views draw only when there is something new', () => {
  it('a frame with no new packet does not redraw the live views (40 Hz data, 60 Hz display)', () => {
    const store = fakeStore(FORTY_ON_SIXTY);
    const loop = new FrameLoop(store);
    let chartDraws = 0;
    let clockRuns = 0;
    loop.add(() => chartDraws++, { onData: true });
    loop.add(() => clockRuns++, { phase: 'write' });
    for (let i = 0; i < 60; i++) loop.step(i * 16.7);
    // One draw per frame that brought a packet, none in the other third.
    expect(loop.stats.frames).toBe(60);
    expect(loop.stats.dataFrames).toBe(40);
    expect(chartDraws).toBe(40);
    expect(loop.stats.dataDraws).toBe(40);
    // Callbacks without `onData` (the clock: it follows pause and seek too) run in every
    // write frame: the first, then each frame without a packet that is TEXT_INTERVAL_MS on.
    expect(clockRuns).toBe(20);
  });

  it('paused: nothing redraws, until a view is invalidated (a resize), then once', () => {
    const store = fakeStore([1]);
    const loop = new FrameLoop(store);
    let draws = 0;
    const view = loop.add(() => draws++, { onData: true });
    for (let i = 0; i < 10; i++) loop.step(i * 16.7);
    expect(draws).toBe(1);
    view.invalidate();
    for (let i = 10; i < 20; i++) loop.step(i * 16.7);
    expect(draws).toBe(2);
  });

  it('a reset of the live buffers (seek, new session) redraws even before the next packet', () => {
    const store = fakeStore([1, 1, 0, 0, 0]);
    const loop = new FrameLoop(store);
    let draws = 0;
    loop.add(() => draws++, { onData: true });
    loop.step(0);
    loop.step(16.7);
    loop.step(33.4);
    expect(draws).toBe(2);
    store.reset();
    loop.step(50.1);
    expect(draws).toBe(3);
    loop.step(66.8);
    expect(draws).toBe(3);
  });

  it('canvases are drawn before DOM text is written in the same frame, whatever the mount order', () => {
    const store = fakeStore([1, 1]);
    const loop = new FrameLoop(store);
    const order: string[] = [];
    loop.add(() => order.push('readouts'), { phase: 'write', onData: true });
    loop.add(() => order.push('raster'), { onData: true });
    loop.add(() => order.push('clock'), { phase: 'write' });
    const chart = loop.add(() => order.push('chart'), { onData: true });
    loop.step(0);
    expect(order).toEqual(['raster', 'chart', 'readouts', 'clock']);
    chart.remove();
    order.length = 0;
    loop.step(16.7 + TEXT_MAX_DELAY_MS);
    expect(order).toEqual(['raster', 'readouts', 'clock']);
  });
});

describe('frame loop: DOM text on its own cadence, out of the frames that draw', () => {
  /** Runs `frames` frames at `hz`; records which frames drew and which wrote, and what was written. */
  function run(due: number[], frames: number, hz = 60, reset?: (frame: number) => boolean) {
    const store = fakeStore(due);
    const loop = new FrameLoop(store);
    const drawFrames: number[] = [];
    const writeFrames: number[] = [];
    const written: number[] = [];
    let frame = 0;
    loop.add(() => drawFrames.push(frame), { onData: true });
    loop.add(({ store: s }) => (writeFrames.push(frame), written.push(s.live.packets)), { phase: 'write', onData: true });
    const times: number[] = [];
    for (frame = 0; frame < frames; frame++) {
      if (reset?.(frame)) store.reset();
      times.push((frame * 1000) / hz);
      loop.step(times[frame]);
    }
    return { store, loop, drawFrames, writeFrames, written, times };
  }

  it('1× on 60 Hz: text lands in the frames without a packet, 20 times a second, never later than the next such frame', () => {
    const { drawFrames, writeFrames, written, times } = run(FORTY_ON_SIXTY, 60);
    expect(drawFrames).toHaveLength(40);
    // After the first frame, no write shares a frame with a draw.
    expect(writeFrames.slice(1).filter((f) => drawFrames.includes(f))).toEqual([]);
    expect(writeFrames.length).toBeGreaterThanOrEqual(19);
    for (let k = 1; k < writeFrames.length; k++) expect(times[writeFrames[k]] - times[writeFrames[k - 1]]).toBeGreaterThanOrEqual(TEXT_INTERVAL_MS);
    // What is written is the newest packet, not the one of the deferred frame.
    const packetsBy = (frame: number) => FORTY_ON_SIXTY.slice(0, frame + 1).reduce((a: number, b) => a + b, 0);
    writeFrames.forEach((f, k) => expect(written[k]).toBe(packetsBy(f)));
  });

  it('20×: every frame draws, and the text is still written at least every TEXT_MAX_DELAY_MS', () => {
    const { drawFrames, writeFrames, times } = run(new Array(120).fill(20), 120);
    expect(drawFrames).toHaveLength(120);
    for (let k = 1; k < writeFrames.length; k++) expect(times[writeFrames[k]] - times[writeFrames[k - 1]]).toBeLessThanOrEqual(TEXT_MAX_DELAY_MS + 1000 / 60);
    expect(writeFrames.length).toBeGreaterThanOrEqual(Math.floor((times[119] - times[0]) / (TEXT_MAX_DELAY_MS + 1000 / 60)));
    expect(writeFrames.length).toBeLessThanOrEqual(1 + Math.ceil((times[119] - times[0]) / TEXT_MAX_DELAY_MS));
  });

  it('a seek writes the text in the same frame as the redraw, however recent the last write, and says it was a reset', () => {
    const { writeFrames, drawFrames, loop, store } = run(new Array(30).fill(1), 30, 60, (f) => f === 7);
    expect(drawFrames).toContain(7);
    expect(writeFrames).toContain(7);
    const resets: boolean[] = [];
    loop.add(({ reset }) => resets.push(reset));
    loop.step(1000);
    store.reset();
    loop.step(1016.7);
    loop.step(1033.4);
    expect(resets).toEqual([false, true, false]);
  });

  it('paused: a write entry that was invalidated runs in the next frame; otherwise nothing is written', () => {
    const store = fakeStore([1]);
    const loop = new FrameLoop(store);
    let writes = 0;
    const readout = loop.add(() => writes++, { phase: 'write', onData: true });
    for (let i = 0; i < 30; i++) loop.step(i * 16.7);
    expect(writes).toBe(1);
    readout.invalidate();
    loop.step(30 * 16.7);
    expect(writes).toBe(2);
  });
});

describe('live text', () => {
  /** Just enough of a live value's box for writeText: a text child (then its canvas), counted writes. */
  function fakeElement(initial: string) {
    const log: string[] = [];
    const text = {
      nodeType: 3,
      // The canvas the value is drawn on follows the text node.
      nextSibling: { nodeName: 'CANVAS' },
      _data: initial,
      get data() {
        return this._data;
      },
      set data(v: string) {
        log.push(`data=${v}`);
        this._data = v;
      },
    };
    const el = {
      firstChild: text as unknown,
      get textContent() {
        return text._data;
      },
      set textContent(v: string) {
        log.push(`textContent=${v}`);
        text._data = v;
      },
    };
    return { el: el as unknown as HTMLElement, log };
  }

  it('changes the text node in place, beside the canvas (no new node, so no page relayout), and skips unchanged values', () => {
    const { el, log } = fakeElement('—');
    writeText(el, '12.5 mm');
    writeText(el, '12.5 mm');
    writeText(el, '12.6 mm');
    expect(log).toEqual(['data=12.5 mm', 'data=12.6 mm']);
    expect(el.textContent).toBe('12.6 mm');
  });
});
