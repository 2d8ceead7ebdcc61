import { Decoder, Encoder } from '@msgpack/msgpack';

/** The two stream encodings: JSON text (`/stream/{code}`) and MessagePack (`/stream/binary/{code}`). */
export type StreamFormat = 'json' | 'msgpack';

const textEncoder = new TextEncoder();
// One reused Encoder (bench/results/codec.md: ~3 % faster than a fresh encode() per call, and
// no per-call encoder allocation). encode() copies out of the shared buffer, so the result
// stays valid while sockets queue it.
const msgpackEncoder = new Encoder({ ignoreUndefined: true });
const msgpackDecoder = new Decoder();

export function encodeJson(msg: unknown): Uint8Array {
  return textEncoder.encode(JSON.stringify(msg));
}

export function encodeMsgpack(msg: unknown): Uint8Array {
  return msgpackEncoder.encode(msg);
}

export function decodeMsgpack(bytes: Uint8Array): unknown {
  return msgpackDecoder.decode(bytes);
}

export function encode(format: StreamFormat, msg: unknown): Uint8Array {
  return format === 'json' ? encodeJson(msg) : encodeMsgpack(msg);
}
