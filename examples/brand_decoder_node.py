#!/usr/bin/env python3
"""A decoder node written the way BRAND nodes are (brand-tutorial's wiener_filter.py).

It knows nothing of PhantomLink: it reads BRAND's `binned_spikes` stream (int8 `samples`,
uint64 `i`), keeps a window of `seq_len` bins, applies a linear map, and writes its output
stream with BRAND's fields: float32 `samples` (vx, vy), `i_in` (the input's `i`, copied as
read), its own `i` and `ts` (uint64, monotonic ns), `sync` (copied from the input),
`n_features`, `n_targets`.

Its weights are fit by ridge regression on the first --train-entries bins, against a
velocity stream with the same layout (PhantomLink publishes `phantomlink_kinematics`:
float32 [x, y, vx, vy]); in a lab they come from a calibration block instead.

    python3 examples/brand_decoder_node.py --host 127.0.0.1 --port 6379
    phantomlink serve --redis redis://127.0.0.1:6379 --redis-decoder wiener_filter:wiener

Needs redis-py and numpy (Debian: python3-redis python3-numpy).
"""
import argparse
import json
import sys
import time

import numpy as np
import redis


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--input-stream", default="binned_spikes")
    p.add_argument("--kinematics-stream", default="phantomlink_kinematics")
    p.add_argument("--output-stream", default="wiener_filter")
    p.add_argument("--seq-len", type=int, default=5, help="bins of spike history per prediction")
    p.add_argument("--train-entries", type=int, default=2400, help="bins used to fit the weights")
    p.add_argument("--ridge", type=float, default=1.0)
    p.add_argument("--predict-entries", type=int, default=0, help="stop after this many predictions (0: run on)")
    return p.parse_args()


def newest(r, stream):
    """The id of a stream's latest entry: reading goes on from there (not "$", which would
    skip what arrives between two reads of a second stream)."""
    e = r.xrevrange(stream, count=1)
    return e[0][0] if e else b"0-0"


def fit(r, args):
    """Ridge fit from a window of spikes to (vx, vy) over the first training bins."""
    last = newest(r, args.input_stream)
    kin_last = newest(r, args.kinematics_stream)
    spikes, vel, index = [], {}, {}
    while len(spikes) < args.train_entries:
        reply = r.xread({args.input_stream: last, args.kinematics_stream: kin_last}, block=0, count=100)
        for stream, entries in reply:
            for entry_id, e in entries:
                i = int(np.frombuffer(e[b"i"], dtype=np.uint64)[0])
                if stream.decode() == args.input_stream:
                    last = entry_id
                    index[i] = len(spikes)
                    spikes.append(np.frombuffer(e[b"samples"], dtype=np.int8).astype(np.float64))
                else:
                    kin_last = entry_id
                    vel[i] = np.frombuffer(e[b"samples"], dtype=np.float32)[2:4].astype(np.float64)
    S = np.array(spikes)
    rows, targets = [], []
    for i, k in index.items():
        if k + 1 < args.seq_len or i not in vel or not np.all(np.isfinite(vel[i])):
            continue
        rows.append(np.concatenate([S[k + 1 - args.seq_len : k + 1].ravel(), [1.0]]))
        targets.append(vel[i])
    X, Y = np.array(rows), np.array(targets)
    reg = args.ridge * np.eye(X.shape[1])
    reg[-1, -1] = 0.0
    W = np.linalg.solve(X.T @ X + reg, X.T @ Y)
    print(json.dumps({"trained_on": len(rows), "features": int(X.shape[1])}), file=sys.stderr, flush=True)
    return W, last


def main():
    args = parse_args()
    r = redis.Redis(host=args.host, port=args.port)
    W, last_id = fit(r, args)
    n_features = W.shape[0] - 1
    window = None
    i_out = 0
    while args.predict_entries == 0 or i_out < args.predict_entries:
        reply = r.xread({args.input_stream: last_id}, block=0, count=1)
        entry_id, e = reply[0][1][0]
        last_id = entry_id
        x = np.frombuffer(e[b"samples"], dtype=np.int8).astype(np.float64)
        window = np.tile(x, (args.seq_len, 1)) if window is None else np.vstack([window[1:], x])
        y = np.concatenate([window.ravel(), [1.0]]) @ W
        r.xadd(
            args.output_stream,
            {
                "samples": y.astype(np.float32).tobytes(),
                "i_in": e[b"i"],
                "i": np.uint64(i_out).tobytes(),
                "ts": np.uint64(time.monotonic_ns()).tobytes(),
                "sync": e[b"sync"],
                "n_features": n_features,
                "n_targets": 2,
            },
            maxlen=6000,
        )
        i_out += 1


if __name__ == "__main__":
    main()
