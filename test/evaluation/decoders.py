"""Decoders for the live-scoring tests: real clients that answer the stream with predictions.

Usage: decoders.py MODE URL [--packets N] [--seed S] [--sleep-ms MS] [--binary]
  truth   answers x, y, vx, vy with the packet's own truth
  noise   answers vx, vy with truth + seeded Gaussian noise (sd 20 mm/s)
  mean    listens to one loop of a filtered session, resets the scores, then answers one loop
          with the mean of the truth over that loop
  sleep   sleeps --sleep-ms before answering each packet with the truth

After its last prediction it sends a ping and waits for the status reply (the server handles a
socket's messages in order, so every prediction has been scored by then), then prints one JSON
line: the (truth, prediction) pairs it sent, per axis, where both are numbers.
"""
import argparse
import asyncio
import json
import sys

import msgpack
import numpy as np
import websockets

AXES = ("x", "y", "vx", "vy")


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["truth", "noise", "mean", "sleep"])
    p.add_argument("url")
    p.add_argument("--packets", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sleep-ms", type=float, default=0)
    p.add_argument("--binary", action="store_true")
    return p.parse_args()


async def main():
    args = parse_args()
    rng = np.random.RandomState(args.seed)
    pairs = {a: {"y": [], "p": []} for a in AXES}
    async with websockets.connect(args.url, max_size=None) as ws:
        def decode(raw):
            return msgpack.unpackb(raw, raw=False) if isinstance(raw, bytes) else json.loads(raw)

        async def send(msg):
            await ws.send(msgpack.packb(msg) if args.binary else json.dumps(msg))

        async def data_packets():
            while True:
                m = decode(await ws.recv())
                if m.get("type") == "data":
                    yield m

        async def wait_status():
            while True:
                m = decode(await ws.recv())
                if m.get("type") == "status":
                    return

        meta = decode(await ws.recv())
        assert meta["type"] == "metadata", meta
        await send({"type": "hello", "decoder": f"py-{args.mode}", "version": "1"})
        await wait_status()

        def predict(packet):
            k = packet["kinematics"]
            if args.mode == "noise":
                return {a: (None if k[a] is None else k[a] + 20 * rng.randn()) for a in ("vx", "vy")}
            return {a: k[a] for a in AXES}

        if args.mode == "mean":
            loop = meta["timeline_packets"]
            seen = {a: [] for a in AXES}
            packets = data_packets()
            for _ in range(loop):
                p = await packets.__anext__()
                for a in AXES:
                    if p["kinematics"][a] is not None:
                        seen[a].append(p["kinematics"][a])
            means = {a: float(np.mean(v)) for a, v in seen.items() if v}
            await send({"type": "reset_scores"})
            await wait_status()
            answered = 0
            async for p in data_packets():
                await send({"type": "prediction", "sequence_number": p["sequence_number"], **means})
                for a, v in means.items():
                    if p["kinematics"][a] is not None:
                        pairs[a]["y"].append(p["kinematics"][a])
                        pairs[a]["p"].append(v)
                answered += 1
                if answered == loop:
                    break
        else:
            answered = 0
            async for p in data_packets():
                if args.sleep_ms:
                    await asyncio.sleep(args.sleep_ms / 1000)
                pred = predict(p)
                await send({"type": "prediction", "sequence_number": p["sequence_number"], **pred})
                for a, v in pred.items():
                    if v is not None and p["kinematics"][a] is not None:
                        pairs[a]["y"].append(p["kinematics"][a])
                        pairs[a]["p"].append(v)
                answered += 1
                if answered == args.packets:
                    break
        await send({"type": "ping"})
        await wait_status()
    print(json.dumps({a: v for a, v in pairs.items() if v["y"]}))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # a test reads the reason on stderr
        print(f"decoder failed: {e!r}", file=sys.stderr)
        sys.exit(1)
