import { describe, expect, it } from 'vitest';
import { PacketColumns, PredictionColumns } from '../../src/main/recorder/columns.ts';
import { LineWriter } from '../../src/main/recorder/lineWriter.ts';

const fixed3 = (v: number) => new LineWriter().fixed3(v).view().toString();
const int = (v: number) => new LineWriter().int(v).view().toString();

describe('recorder columns', () => {
  it('fixed3 writes ms with up to 3 decimals that parse back to the value rounded to the µs', () => {
    for (const v of [0, 0.0004, 0.0005, 1, 1.5, 12.3456, 999.9995, 28.201, 3.2, 1e6 + 0.001, 2_000_000.5]) {
      expect(Number(fixed3(v))).toBe(Math.round(v * 1000) / 1000);
    }
    expect(fixed3(-1.25)).toBe('-1.25');
    expect(fixed3(3e9)).toBe('3000000000');
    expect(fixed3(1.05)).toBe('1.05');
    expect(fixed3(1.005)).toBe('1.005');
    for (const n of [0, 7, 10, 99, 100, 12345, -42, 2 ** 53 - 1, 1e15, 9_999_999_999]) expect(int(n)).toBe(String(n));
  });

  it('integers on both sides of 2^31 and any double are written as JSON.stringify writes them', () => {
    const edges = [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, -(2 ** 31), 2 ** 32 + 5, 21_474_836_480, 10_000_000_000, 4_294_967_295];
    const randomInts = Array.from({ length: 2000 }, (_, i) => Math.floor(Math.random() * 10 ** (i % 16)) * (i % 3 ? 1 : -1));
    for (const n of [...edges, ...randomInts]) expect(int(n)).toBe(JSON.stringify(n));
    const doubles = [0.1, -3.25, 1e-7, 1.7976931348623157e308, 5e-324, ...Array.from({ length: 2000 }, () => (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 12 - 4))];
    for (const v of doubles) expect(new LineWriter(4).num(v).view().toString()).toBe(JSON.stringify(v));
  });

  it('the writer grows past its first size and keeps what it had', () => {
    const w = new LineWriter(8);
    for (let i = 0; i < 1000; i++) w.int(i).text('é,');
    expect(w.view().toString()).toBe(Array.from({ length: 1000 }, (_, i) => `${i}é,`).join(''));
  });

  it('drain gives one JSON line per record, with the format\'s fields, and empties the columns (growing past their first size)', () => {
    const p = new PacketColumns();
    for (let i = 0; i < 3000; i++) p.push(i, i * 2, i * 25.0004, i % 2 ? null : 7, i === 5);
    const lines = p.drain().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(3000);
    expect(lines[5]).toEqual({ seq: 5, bin: 10, t_ms: 125.002, trial: null, lost: true });
    expect(lines[4]).toEqual({ seq: 4, bin: 8, t_ms: 100.002, trial: 7 });
    expect(p.drain()).toBe('');
    expect(p.total).toBe(3000);

    const q = new PredictionColumns();
    const a = q.nameIndex('a "quoted" name');
    q.push(a, 9, 'late', 10.5, 2.25, NaN, { x: NaN, y: 1e-7, vx: -3, vy: NaN });
    q.push(q.nameIndex('b'), -1, 'invalid', 11, NaN, NaN, { x: NaN, y: NaN, vx: NaN, vy: NaN });
    const [l1, l2] = q.drain().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(l1).toEqual({ decoder: 'a "quoted" name', seq: 9, t_ms: 10.5, latency_ms: 2.25, reported_latency_ms: null, values: { y: 1e-7, vx: -3 }, outcome: 'late' });
    expect(l2).toEqual({ decoder: 'b', seq: -1, t_ms: 11, latency_ms: null, reported_latency_ms: null, values: {}, outcome: 'invalid' });
  });
});
