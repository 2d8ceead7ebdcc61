/**
 * One flush's writes as one command. ioredis spends ~17 µs of our event loop per pipelined
 * command (argument encoding, a promise each): 64 sessions × 4 XADDs was ~4.4 ms per tick plus
 * the replies, enough to make WebSocket ticks late (bench/results/redis.md). So a flush is framed
 * here into one binary blob, written straight from the typed arrays, and a Lua script in Redis
 * unpacks it into the very same XADDs (and the metadata SET): one EVALSHA per flush, the entries
 * byte for byte what separate XADDs would write.
 *
 * Frame: per item, u8 kind (1 XADD, 2 SET), u8 argument count, then per argument u32le length
 * and bytes. An XADD's first argument is the stream, the rest its field/value pairs.
 */

/** Runs every item; answers one flag per item (1 written, 0 refused, e.g. OOM), in order. */
export const WRITE_SCRIPT = `
local blob, maxlen = ARGV[2], ARGV[1]
local pos, n, k, ok = 1, #blob, 0, {}
while pos <= n do
  local kind, nargs
  kind, nargs, pos = struct.unpack('<BB', blob, pos)
  local a = {}
  for j = 1, nargs do
    local len
    len, pos = struct.unpack('<I4', blob, pos)
    a[j] = string.sub(blob, pos, pos + len - 1)
    pos = pos + len
  end
  local res
  if kind == 1 then
    res = redis.pcall('XADD', a[1], 'MAXLEN', '~', maxlen, '*', unpack(a, 2))
  else
    res = redis.pcall('SET', a[1], a[2])
  end
  k = k + 1
  ok[k] = (type(res) == 'table' and res.err) and 0 or 1
end
return ok`;

export const ITEM_XADD = 1;
export const ITEM_SET = 2;

/** A growable byte buffer the flush writes its items into; reused once Redis has answered. */
export class WriteBatch {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  /** Items written (XADDs and SETs): the index of the script's flag for the next one. */
  items = 0;

  reset(): void {
    this.len = 0;
    this.items = 0;
  }

  get byteLength(): number {
    return this.len;
  }

  /** The framed items, valid until the next reset. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  begin(kind: number, args: number): void {
    this.ensure(2);
    this.buf[this.len++] = kind;
    this.buf[this.len++] = args;
    this.items++;
  }

  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.ensure(4 + n);
    this.buf.writeUInt32LE(n, this.len);
    this.buf.write(s, this.len + 4);
    this.len += 4 + n;
  }

  /** Raw bytes, e.g. a row of int8 counts (a view on the ring: copied here). */
  raw(b: Uint8Array): void {
    this.ensure(4 + b.length);
    this.buf.writeUInt32LE(b.length, this.len);
    this.buf.set(b, this.len + 4);
    this.len += 4 + b.length;
  }

  /** A uint64 little-endian (values up to 2^53, no BigInt). */
  u64(v: number): void {
    this.ensure(12);
    this.buf.writeUInt32LE(8, this.len);
    this.buf.writeUInt32LE(v % 0x1_0000_0000, this.len + 4);
    this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.len + 8);
    this.len += 12;
  }

  /** Already-encoded 8 bytes (the flush's `ts`). */
  u64Bytes(b: Buffer): void {
    this.raw(b);
  }

  i32(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(4, this.len);
    this.buf.writeInt32LE(v, this.len + 4);
    this.len += 8;
  }

  /** float32 little-endian values, NaN where there is none. */
  f32(values: Float32Array, from: number, count: number): void {
    this.ensure(4 + 4 * count);
    this.buf.writeUInt32LE(4 * count, this.len);
    for (let k = 0; k < count; k++) this.buf.writeFloatLE(values[from + k], this.len + 4 + 4 * k);
    this.len += 4 + 4 * count;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
