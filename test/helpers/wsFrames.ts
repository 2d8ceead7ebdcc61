/**
 * Reads whole WebSocket frames from the front of `pending` (server frames: unmasked) and calls
 * `each` with their opcode and payload; returns what is left (an incomplete frame, or nothing).
 * For raw-socket clients that read at their own pace (slow readers, stalled peers).
 */
export function takeServerFrames(pending: Buffer, each: (opcode: number, payload: Buffer) => void): Buffer {
  let rest = pending;
  for (;;) {
    if (rest.length < 2) return rest;
    const op = rest[0] & 0x0f;
    let len = rest[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (rest.length < 4) return rest;
      len = rest.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (rest.length < 10) return rest;
      len = Number(rest.readBigUInt64BE(2));
      off = 10;
    }
    if (rest.length < off + len) return rest;
    const payload = rest.subarray(off, off + len);
    rest = rest.subarray(off + len);
    each(op, payload);
  }
}

/** A client's empty pong: FIN + opcode 10, masked with a zero key. */
export const EMPTY_PONG = Buffer.from([0x8a, 0x80, 0, 0, 0, 0]);
