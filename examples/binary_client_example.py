#!/usr/bin/env python3
"""PhantomLink binary streaming example (the guide's "Examples -> Basic Streaming").

    python examples/binary_client_example.py [--url ws://HOST:PORT] [--host H] [--port P]
                                             [--session CODE] [--packets N]

It does three things against a running PhantomLink server:

1. connects to the JSON endpoint (/stream/{code}) and the MessagePack endpoint
   (/stream/binary/{code}) of the same session, takes a few packets from each and compares
   the size of the *same* packets (matched by sequence number) in the two encodings;
2. streams N packets (default 200, i.e. 5 s at 40 Hz) from the binary endpoint;
3. prints the packet rate, inter-arrival timing (mean, p50, p99, max), sequence gaps and
   the fields of a sample packet.

Needs only `websockets` and `msgpack` (pip install websockets msgpack) and the standard
library. Start the server first: `node bin/phantomlink.mjs serve --port 8000`.
"""

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from urllib.parse import quote, urlsplit

try:
    import msgpack
    import websockets
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.exit(f"error: this example needs the websockets and msgpack packages ({e}); install them with: pip install websockets msgpack")

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_SESSION = "binary-example"
RECV_TIMEOUT_S = 5.0  # no message for this long: the session is paused or the server is stuck
OPEN_TIMEOUT_S = 5.0


START_HINT = "(is the PhantomLink server running? start it with: node bin/phantomlink.mjs serve --port 8000)"


class ExampleError(Exception):
    """A problem worth one clear line on stderr and a non-zero exit."""


# ---------------------------------------------------------------------------------------
# Connection helpers
# ---------------------------------------------------------------------------------------


def base_url(args):
    """ws://host:port from --url or --host/--port (http:// URLs are accepted too)."""
    if args.url:
        parts = urlsplit(args.url if "://" in args.url else "ws://" + args.url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        if scheme not in ("ws", "wss") or not parts.netloc:
            raise ExampleError(f"--url must look like ws://HOST:PORT (got {args.url!r})")
        return f"{scheme}://{parts.netloc}"
    return f"ws://{args.host}:{args.port}"


def why(e):
    """A short reason for a socket error."""
    if isinstance(e, ConnectionRefusedError) or "Connect call failed" in str(e):
        return "connection refused"
    return e.strerror or str(e)


async def check_reachable(base):
    """Fails fast, before any output, when nothing listens at the server address."""
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), OPEN_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise ExampleError(f"cannot reach {base}: no answer within {OPEN_TIMEOUT_S:.0f} s {START_HINT}") from None
    except OSError as e:
        raise ExampleError(f"cannot reach {base}: {why(e)} {START_HINT}") from None
    writer.close()


def close_info(exc):
    """(code, reason) the server closed with, across websockets versions."""
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is not None:
        return rcvd.code, rcvd.reason
    return getattr(exc, "code", None), getattr(exc, "reason", "")


async def open_stream(url):
    """Opens a WebSocket, turning the usual failures into one readable sentence."""
    try:
        return await asyncio.wait_for(websockets.connect(url, max_size=2**22), OPEN_TIMEOUT_S)
    except asyncio.TimeoutError:  # before OSError: TimeoutError is an OSError since Python 3.11
        raise ExampleError(f"cannot connect to {url}: no answer within {OPEN_TIMEOUT_S:.0f} s") from None
    except OSError as e:  # connection refused, unknown host, network unreachable...
        raise ExampleError(f"cannot connect to {url}: {why(e)} {START_HINT}") from None
    except websockets.exceptions.InvalidHandshake as e:
        raise ExampleError(f"{url} refused the WebSocket handshake ({e}): is this a PhantomLink server?") from None


async def recv_message(ws, url, decode):
    """Next message, decoded; server errors and closes become ExampleError with the server's words."""
    try:
        raw = await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise ExampleError(f"no message from {url} for {RECV_TIMEOUT_S:.0f} s (is the session paused?)") from None
    except websockets.exceptions.ConnectionClosed as e:
        code, reason = close_info(e)
        raise ExampleError(f"server closed {url} with code {code}: {reason or '(no reason given)'}") from None
    msg = decode(raw)
    if isinstance(msg, dict) and msg.get("type") == "error":
        raise ExampleError(f"server refused {url}: [{msg.get('code')}] {msg.get('message')}")
    return raw, msg


def decode_msgpack(raw):
    return msgpack.unpackb(raw, raw=False)


def decode_json(raw):
    return json.loads(raw)


def wire_size(raw):
    return len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)


def is_data(msg):
    # Data packets carry type "data"; older servers sent no type at all.
    return isinstance(msg, dict) and msg.get("type", "data") == "data" and "sequence_number" in msg


def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


# ---------------------------------------------------------------------------------------
# 1. Payload size: the same packets as JSON and as MessagePack
# ---------------------------------------------------------------------------------------


async def collect(url, decode, count):
    """Metadata size and {sequence_number: (raw size, raw message)} for `count` data packets."""
    ws = await open_stream(url)
    try:
        raw, meta = await recv_message(ws, url, decode)
        meta_size = wire_size(raw)
        packets = {}
        while len(packets) < count:
            raw, msg = await recv_message(ws, url, decode)
            if is_data(msg):
                packets[msg["sequence_number"]] = (wire_size(raw), raw)
        return meta_size, packets
    finally:
        await ws.close()


async def compare_sizes(base, session, count):
    code = quote(session, safe="")
    json_url = f"{base}/stream/{code}"
    bin_url = f"{base}/stream/binary/{code}"
    print("1) Payload size: JSON vs MessagePack (same session, same packets)")
    print(f"   JSON:        {json_url}")
    print(f"   MessagePack: {bin_url}")
    # return_exceptions: when the server refuses both sockets, wait for both failures and
    # report one, rather than leaving the second to die unobserved during shutdown.
    results = await asyncio.gather(
        collect(json_url, decode_json, count), collect(bin_url, decode_msgpack, count), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    (json_meta, json_packets), (bin_meta, bin_packets) = results
    common = sorted(set(json_packets) & set(bin_packets))
    if not common:
        # Both sockets joined the same session at almost the same time, so this is rare;
        # fall back to comparing whatever each one got.
        json_sizes = [s for s, _ in json_packets.values()]
        bin_sizes = [s for s, _ in bin_packets.values()]
        matched = "different packets of the same stream"
    else:
        json_sizes = [json_packets[s][0] for s in common]
        bin_sizes = [bin_packets[s][0] for s in common]
        matched = f"{len(common)} packets with the same sequence numbers"
    json_avg = statistics.mean(json_sizes)
    bin_avg = statistics.mean(bin_sizes)
    reduction = 100 * (1 - bin_avg / json_avg)
    print(f"   compared:    {matched}")
    print(f"   JSON packet:        {json_avg:7.0f} bytes/packet (metadata {json_meta} bytes)")
    print(f"   MessagePack packet: {bin_avg:7.0f} bytes/packet (metadata {bin_meta} bytes)")
    print(f"   Size reduction: {reduction:.1f}% (MessagePack is {bin_avg / json_avg:.2f}x the JSON size)")

    # Decode cost on this machine, for the same packets (both decoders are C extensions here).
    samples = [(json_packets[s][1], bin_packets[s][1]) for s in common]
    if samples:
        reps = max(1, 2000 // len(samples))
        t0 = time.perf_counter()
        for _ in range(reps):
            for j, _b in samples:
                json.loads(j)
        t_json = (time.perf_counter() - t0) / (reps * len(samples))
        t0 = time.perf_counter()
        for _ in range(reps):
            for _j, b in samples:
                msgpack.unpackb(b, raw=False)
        t_bin = (time.perf_counter() - t0) / (reps * len(samples))
        print(f"   Decode time: JSON {t_json * 1e6:.1f} us/packet, MessagePack {t_bin * 1e6:.1f} us/packet")
    print()
    return json_avg, bin_avg


# ---------------------------------------------------------------------------------------
# 2. + 3. Stream N packets from the binary endpoint and report timing
# ---------------------------------------------------------------------------------------


def describe_metadata(meta):
    data = meta.get("data", meta)
    line = (
        f"   metadata: {data.get('num_channels')} channels at {data.get('frequency_hz')} Hz, "
        f"{data.get('duration_seconds')} s, {data.get('total_packets')} packets"
    )
    ds = data.get("dataset") or {}
    if ds:
        line += f"\n   dataset:  {ds.get('name')}" + (" (SYNTHETIC)" if ds.get("synthetic") else "")
    filters = data.get("filters") or {}
    active = {k: v for k, v in filters.items() if v is not None}
    if active:
        line += f"\n   filters:  {active}"
    return line


async def stream_packets(base, session, count):
    url = f"{base}/stream/binary/{quote(session, safe='')}"
    print(f"2) Streaming {count} packets from {url}")
    ws = await open_stream(url)
    arrivals = []  # perf_counter seconds at receive
    latencies = []  # local clock - server timestamp (meaningful on one machine only)
    seqs = []
    sample = None
    try:
        _raw, meta = await recv_message(ws, url, decode_msgpack)
        if meta.get("type") != "metadata":
            raise ExampleError(f"expected a metadata message first, got {str(meta)[:120]}")
        print(describe_metadata(meta))
        while len(seqs) < count:
            _raw, msg = await recv_message(ws, url, decode_msgpack)
            now = time.perf_counter()
            if not is_data(msg):
                kind = msg.get("type") if isinstance(msg, dict) else type(msg).__name__
                print(f"   (non-data message: {kind} {str(msg)[:100]})")
                continue
            arrivals.append(now)
            seqs.append(msg["sequence_number"])
            if isinstance(msg.get("timestamp"), (int, float)):
                latencies.append(time.time() - msg["timestamp"])
            if sample is None and msg.get("trial_id") is not None:
                sample = msg
            if len(seqs) % 40 == 0:
                print(f"   ... {len(seqs)} packets (seq {msg['sequence_number']}, trial {msg.get('trial_id')})")
        if sample is None:
            sample = msg
    finally:
        await ws.close()
    print()
    return meta, seqs, arrivals, latencies, sample


def report(seqs, arrivals, latencies, sample):
    n = len(seqs)
    elapsed = arrivals[-1] - arrivals[0] if n > 1 else 0.0
    rate = (n - 1) / elapsed if elapsed > 0 else float("nan")
    gaps = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
    missing = sum(b - a - 1 for a, b in gaps if b > a)
    intervals = sorted((b - a) * 1000 for a, b in zip(arrivals, arrivals[1:]))

    print("3) Performance")
    print(f"   Packets received: {n}")
    print(f"   Elapsed: {elapsed:.2f} s")
    print(f"   Rate: {rate:.1f} packets/s (nominal 40)")
    if intervals:
        print(
            "   Inter-arrival: "
            f"mean {statistics.mean(intervals):.2f} ms, p50 {percentile(intervals, 50):.2f} ms, "
            f"p99 {percentile(intervals, 99):.2f} ms, max {intervals[-1]:.2f} ms (nominal 25 ms)"
        )
    if latencies:
        lat = sorted(x * 1000 for x in latencies)
        print(f"   Server timestamp -> receipt: p50 {percentile(lat, 50):.1f} ms (same-machine clocks only)")
    print(f"   Sequence gaps: {len(gaps)} ({missing} packets missing)")
    for a, b in gaps[:5]:
        print(f"     gap after seq {a}: next was {b}")
    print(f"   Sequence range: {seqs[0]}..{seqs[-1]}")
    print()
    print_sample(sample)


def fmt(v):
    return "None" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def print_sample(p):
    spikes = p["spikes"]
    counts = spikes["spike_counts"]
    ids = spikes["channel_ids"]
    print(f"Sample packet (seq {p['sequence_number']}):")
    print(f"   timestamp:       {p['timestamp']:.3f}")
    print(f"   sequence_number: {p['sequence_number']}")
    print(f"   trial_id:        {fmt(p.get('trial_id'))}")
    print(f"   trial_time_ms:   {fmt(p.get('trial_time_ms'))}")
    print(f"   spikes:          {len(ids)} channels ({ids[0]}..{ids[-1]}), bin {spikes['bin_size_ms']} ms, "
          f"total {sum(counts)} spikes, first 10 counts {counts[:10]}")
    k = p["kinematics"]
    print(f"   kinematics:      x {fmt(k['x'])}, y {fmt(k['y'])}, vx {fmt(k['vx'])}, vy {fmt(k['vy'])}")
    it = p["intention"]
    print(
        f"   intention:       target {fmt(it['target_id'])} at ({fmt(it['target_x'])}, {fmt(it['target_y'])}), "
        f"distance {fmt(it['distance_to_target'])}"
    )
    extras = sorted(set(p) - {"timestamp", "sequence_number", "spikes", "kinematics", "intention", "trial_id", "trial_time_ms"})
    if extras:
        print(f"   other fields:    " + ", ".join(f"{k}={fmt(p[k])}" for k in extras))


async def main(args):
    base = base_url(args)
    if args.packets < 1 or args.compare_packets < 1:
        raise ExampleError("--packets and --compare-packets must be at least 1")
    await check_reachable(base)
    print(f"PhantomLink binary streaming example: server {base}, session {args.session!r}\n")
    await compare_sizes(base, args.session, args.compare_packets)
    meta, seqs, arrivals, latencies, sample = await stream_packets(base, args.session, args.packets)
    report(seqs, arrivals, latencies, sample)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Stream MessagePack packets from a PhantomLink server and report sizes and timing.")
    p.add_argument("--url", help="server URL, e.g. ws://localhost:8000 (overrides --host/--port)")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"server host (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"server port (default {DEFAULT_PORT})")
    p.add_argument("--session", default=DEFAULT_SESSION, help=f"session code (default {DEFAULT_SESSION})")
    p.add_argument("--packets", type=int, default=200, help="packets to stream from the binary endpoint (default 200)")
    p.add_argument("--compare-packets", type=int, default=10, help="packets per endpoint for the size comparison (default 10)")
    return p.parse_args(argv)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except ExampleError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
