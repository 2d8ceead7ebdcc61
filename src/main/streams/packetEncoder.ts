import { encodeJson, encodeMsgpack, type StreamFormat } from '../../shared/codecs.ts';
import type { Dataset } from '../dataset/types.ts';
import { PacketBuilder } from '../playback/packets.ts';
import type { DataPacket } from '../../shared/wire.ts';

/**
 * A session's packets encoded at most once per format, however many clients send them: the
 * first client of a format pays for the encoding in the tick's prepare phase, the rest reuse the
 * bytes. Holds only the current packet.
 */
export class PacketEncoder {
  private packet: DataPacket | null = null;
  private json: Uint8Array | null = null;
  private msgpack: Uint8Array | null = null;

  bytes(packet: DataPacket, format: StreamFormat): Uint8Array {
    if (packet !== this.packet) {
      this.packet = packet;
      this.json = null;
      this.msgpack = null;
    }
    if (format === 'json') return (this.json ??= encodeJson(packet));
    return (this.msgpack ??= encodeMsgpack(packet));
  }
}

/**
 * Builds and encodes packets of both formats before any session plays: the first real tick
 * would otherwise pay for compiling those paths (2–9 ms late in bench/results/timing.md).
 */
export function warmUpCodecs(ds: Dataset): void {
  const packet = new PacketBuilder(ds).build(0, 0, Date.now() / 1000);
  for (let i = 0; i < 50; i++) {
    encodeJson(packet);
    encodeMsgpack(packet);
  }
}
