/**
 * Codec benchmark: the same real packets encoded as JSON and as MessagePack, side by side.
 *
 *   node --import tsx bench/codec.ts [--quick]
 *
 * Packets are built with the engine's own PacketBuilder from the built-in `default` recording
 * (142 units), from many different bins spread over the whole recording. Sizes are per packet
 * (median over the bins). Times are per packet: each round encodes every packet once with each
 * codec, the codecs in a rotating order so machine noise (other processes on the shared cores,
 * GC) hits all of them alike; the figure is the median over rounds, with the spread.
 */
import { decode as freshDecode, encode as freshEncode } from '@msgpack/msgpack';
import { isDeepStrictEqual } from 'node:util';
import { loadDataset } from '../src/main/dataset/loadDataset.ts';
import { builtinRecordingPath } from '../src/main/dataset/synthetic/builtin.ts';
import { PacketBuilder } from '../src/main/playback/packets.ts';
import { decodeMsgpack, encodeJson, encodeMsgpack } from '../src/shared/codecs.ts';
import type { DataPacket } from '../src/shared/wire.ts';
import { QUICK, arg, dist, fmt, machineInfo, machineLine, mdTable, median, nowNs, quantile, round, writeResults } from './lib.ts';

const PACKETS = Number(arg('packets') ?? (QUICK ? 400 : 2000));
const ROUNDS = Number(arg('rounds') ?? (QUICK ? 5 : 25));
const WARMUP_ROUNDS = QUICK ? 1 : 3;

interface Codec<E> {
  name: string;
  encode(p: DataPacket): E;
  bytes(e: E): number;
  /** Decoders of this codec's output (the receiving side). */
  decode: (e: E) => unknown;
  decodeName: string;
}

const textDecoder = new TextDecoder();

const codecs: Codec<any>[] = [
  {
    name: 'JSON: `encodeJson` (stringify + UTF-8 bytes; what /stream sends)',
    encode: (p) => encodeJson(p),
    bytes: (b: Uint8Array) => b.length,
    decode: (b: Uint8Array) => JSON.parse(textDecoder.decode(b)),
    decodeName: 'JSON.parse(TextDecoder.decode(bytes))',
  },
  {
    name: 'JSON: plain `JSON.stringify` (string, no UTF-8 step)',
    encode: (p) => JSON.stringify(p),
    bytes: (s: string) => Buffer.byteLength(s),
    decode: (s: string) => JSON.parse(s),
    decodeName: 'JSON.parse(string)',
  },
  {
    name: 'MessagePack: `encodeMsgpack` (one reused Encoder; what /stream/binary sends)',
    encode: (p) => encodeMsgpack(p),
    bytes: (b: Uint8Array) => b.length,
    decode: (b: Uint8Array) => decodeMsgpack(b),
    decodeName: '`decodeMsgpack` (reused Decoder)',
  },
  {
    name: 'MessagePack: fresh `@msgpack/msgpack` `encode()`',
    encode: (p) => freshEncode(p),
    bytes: (b: Uint8Array) => b.length,
    decode: (b: Uint8Array) => freshDecode(b),
    decodeName: 'fresh `decode()`',
  },
];

async function main(): Promise<void> {
  const machine = machineInfo();
  const tLoad = performance.now();
  const path = await builtinRecordingPath('default');
  const ds = await loadDataset(path, { synthetic: true });
  const loadMs = performance.now() - tLoad;

  // Packets from bins spread over the whole recording (in-trial and between trials alike).
  const builder = new PacketBuilder(ds);
  const stride = ds.numBins / PACKETS;
  const ts0 = Date.now() / 1000;
  const packets: DataPacket[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const bin = Math.min(ds.numBins - 1, Math.floor(i * stride + stride / 2));
    packets.push(builder.build(bin, i, ts0 + i * 0.025));
  }
  const inTrial = packets.filter((p) => p.trial_id !== null).length;
  const withTarget = packets.filter((p) => p.intention.target_id !== null).length;
  const meanSpikes = packets.reduce((s, p) => s + p.spikes.spike_counts.reduce((a, b) => a + b, 0), 0) / packets.length / ds.numUnits;

  // Correctness first: every codec must give back the packet it was given.
  const encoded = codecs.map((c) => packets.map((p) => c.encode(p)));
  for (let k = 0; k < codecs.length; k++) {
    for (let i = 0; i < packets.length; i++) {
      if (!isDeepStrictEqual(codecs[k].decode(encoded[k][i]), packets[i])) {
        throw new Error(`${codecs[k].name}: packet ${i} does not round-trip`);
      }
    }
  }

  const sizes = codecs.map((c, k) => encoded[k].map((e) => c.bytes(e)));

  // Build time of one packet (the other per-tick cost), for context.
  const buildNs: number[] = [];
  // Interleaved rounds: rotate which codec goes first each round.
  const encNs: number[][] = codecs.map(() => []);
  const decNs: number[][] = codecs.map(() => []);
  let sink = 0;
  for (let r = -WARMUP_ROUNDS; r < ROUNDS; r++) {
    {
      const t0 = nowNs();
      for (let i = 0; i < packets.length; i++) sink += builder.build(packets[i].bin_index, i, ts0).sequence_number;
      if (r >= 0) buildNs.push((nowNs() - t0) / packets.length);
    }
    for (let j = 0; j < codecs.length; j++) {
      const k = (r + WARMUP_ROUNDS + j) % codecs.length;
      const c = codecs[k];
      let t0 = nowNs();
      for (let i = 0; i < packets.length; i++) sink += c.bytes(c.encode(packets[i]));
      const enc = (nowNs() - t0) / packets.length;
      const inputs = encoded[k];
      t0 = nowNs();
      for (let i = 0; i < inputs.length; i++) sink += (c.decode(inputs[i]) as DataPacket).sequence_number;
      const dec = (nowNs() - t0) / packets.length;
      if (r >= 0) {
        encNs[k].push(enc);
        decNs[k].push(dec);
      }
    }
  }
  if (sink === 0.5) console.log(sink); // keep the work observable

  const jsonBytes = median(sizes[0]);
  const jsonEnc = median(encNs[0]);
  const jsonDec = median(decNs[0]);
  const us = (ns: number) => ns / 1000;

  const rows = codecs.map((c, k) => {
    const sz = dist(sizes[k]);
    const enc = median(encNs[k]);
    const dec = median(decNs[k]);
    return {
      codec: c.name,
      bytes_median: sz.p50,
      bytes_min: sz.min,
      bytes_max: sz.max,
      bytes_vs_json: sz.p50 / jsonBytes,
      encode_us_median: us(enc),
      encode_us_p25: us(quantile(encNs[k], 0.25)),
      encode_us_p75: us(quantile(encNs[k], 0.75)),
      encode_time_vs_json: enc / jsonEnc,
      encode_packets_per_s: 1e9 / enc,
      decoder: c.decodeName,
      decode_us_median: us(dec),
      decode_us_p25: us(quantile(decNs[k], 0.25)),
      decode_us_p75: us(quantile(decNs[k], 0.75)),
      decode_time_vs_json: dec / jsonDec,
    };
  });
  const build = { us_median: us(median(buildNs)), us_p25: us(quantile(buildNs, 0.25)), us_p75: us(quantile(buildNs, 0.75)) };

  const md = [
    `# Codec benchmark${QUICK ? ' (quick)' : ''}`,
    '',
    machineLine(machine),
    '',
    `Packets: ${PACKETS} real packets from the built-in \`default\` recording (${ds.numUnits} channels, ${ds.numBins} bins; ` +
      `${inTrial} in a trial, ${withTarget} with a target; mean spike count ${fmt(meanSpikes, 3)} per channel per bin), ` +
      `one per bin spread evenly over the recording. Timing: ${ROUNDS} interleaved rounds (after ${WARMUP_ROUNDS} warm-up), ` +
      `each encoding then decoding all ${PACKETS} packets with every codec in a rotating order; a round gives the mean per packet, ` +
      `the table the median over rounds [p25–p75]. All codecs round-trip every packet exactly (checked).`,
    '',
    '## Bytes and encode time per packet',
    '',
    mdTable(
      ['codec', 'bytes (median) [min–max]', 'bytes vs JSON', 'encode µs/packet [p25–p75]', 'encode time vs JSON', 'packets/s (one core)'],
      rows.map((r) => [
        r.codec,
        `${fmt(r.bytes_median, 0)} [${fmt(r.bytes_min, 0)}–${fmt(r.bytes_max, 0)}]`,
        `${fmt(r.bytes_vs_json, 2)}×`,
        `${fmt(r.encode_us_median, 2)} [${fmt(r.encode_us_p25, 2)}–${fmt(r.encode_us_p75, 2)}]`,
        `${fmt(r.encode_time_vs_json, 2)}×`,
        fmt(r.encode_packets_per_s, 0),
      ]),
    ),
    '',
    '## Decode time per packet (the client side)',
    '',
    mdTable(
      ['decoder (of the codec above)', 'decode µs/packet [p25–p75]', 'decode time vs JSON'],
      rows.map((r) => [r.decoder, `${fmt(r.decode_us_median, 2)} [${fmt(r.decode_us_p25, 2)}–${fmt(r.decode_us_p75, 2)}]`, `${fmt(r.decode_time_vs_json, 2)}×`]),
    ),
    '',
    `Context: building one packet (\`PacketBuilder.build\`) takes ${fmt(build.us_median, 2)} µs [${fmt(build.us_p25, 2)}–${fmt(build.us_p75, 2)}]. ` +
      `A session encodes each packet at most once per format (streams/packetEncoder.ts), whatever its client count, so at 40 Hz ` +
      `one format costs ${fmt((rows[2].encode_us_median * 40) / 1e4, 3)} % of a core (MessagePack) or ${fmt((rows[0].encode_us_median * 40) / 1e4, 3)} % (JSON) per session. ` +
      `(Dataset load for this run: ${fmt(loadMs / 1000, 2)} s.)`,
  ].join('\n');

  console.log(md);
  const file = writeResults('codec', md, {
    benchmark: 'codec',
    quick: QUICK,
    machine,
    packets: PACKETS,
    rounds: ROUNDS,
    warmup_rounds: WARMUP_ROUNDS,
    dataset: { preset: 'default', channels: ds.numUnits, bins: ds.numBins, in_trial: inTrial, with_target: withTarget, mean_spike_count: round(meanSpikes, 4) },
    build_us: build,
    codecs: rows,
    per_round: { encode_ns_per_round: Object.fromEntries(codecs.map((c, k) => [c.name, encNs[k].map((v) => round(v, 1))])), decode_ns_per_round: Object.fromEntries(codecs.map((c, k) => [c.name, decNs[k].map((v) => round(v, 1))])) },
  });
  console.log(`\nwrote ${file}`);
}

await main();
