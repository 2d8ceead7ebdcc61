#!/usr/bin/env python3
"""A linear decoder for PhantomLink: ridge regression (a Wiener filter) in numpy.

    python examples/decoder_ridge.py [--url ws://HOST:PORT] [--host H] [--port P] [--session CODE]
                                     [--train-s 120] [--history 5] [--name ridge-py]

What any decoder does against PhantomLink, in order:
1. connect to the stream (here the MessagePack endpoint) and read the metadata;
2. say hello with a name: the server's scoreboard lists the decoder under it;
3. train: for the first --train-s seconds of recording, collect features (the spike counts of
   the last --history bins) and targets (the packets' vx, vy); fit ridge regression;
4. answer every data packet with {"type": "prediction", "sequence_number": N, "vx": .., "vy": ..};
   the server scores the answers live (GET /api/sessions/CODE/decoders);
5. print its own running R² against the packets' kinematics.

Needs numpy, websockets and msgpack (Debian: python3-numpy python3-websockets python3-msgpack).
"""
import argparse
import asyncio
import collections
import json
import signal
import sys
import time
from urllib.parse import urlsplit

import msgpack
import numpy as np
import websockets

ALPHAS = (0.1, 0.3, 1.0, 3.0)  # candidate ridge penalties per training bin (lambda = alpha * n)
REPORT_EVERY_S = 2.0


def fit_ridge(X, Y, lam):
    """Ridge regression on standardised features with an unpenalised intercept.
    Returns (W, b) such that the prediction for raw features x is x @ W + b."""
    mu, sd = X.mean(0), X.std(0)
    sd[sd == 0] = 1.0  # a channel that never fired: its (all-zero) column gets weight 0
    Z = (X - mu) / sd
    W = np.linalg.solve(Z.T @ Z + lam * np.eye(Z.shape[1]), Z.T @ (Y - Y.mean(0)))
    W = W / sd[:, None]  # back to raw counts
    return W, Y.mean(0) - mu @ W


def r2(Y, P):
    """R² per column and combined (sklearn's r2_score, multioutput='variance_weighted')."""
    sse, sst = ((Y - P) ** 2).sum(0), ((Y - Y.mean(0)) ** 2).sum(0)
    return 1 - sse / sst, 1 - sse.sum() / sst.sum()


def train(X, Y):
    """Choose alpha by fitting the first 80 % of the bins and scoring the last 20 % (the future,
    as in use), then refit on everything with it."""
    cut = int(len(X) * 0.8)
    scores = {}
    for alpha in ALPHAS:
        W, b = fit_ridge(X[:cut], Y[:cut], alpha * cut)
        scores[alpha] = r2(Y[cut:], X[cut:] @ W + b)[1]
    alpha = max(scores, key=scores.get)
    W, b = fit_ridge(X, Y, alpha * len(X))
    return W, b, alpha, scores


def stream_url(args):
    if args.url:
        parts = urlsplit(args.url if "://" in args.url else "ws://" + args.url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        if parts.path.startswith("/stream/"):
            return f"{scheme}://{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return f"{scheme}://{parts.netloc}/stream/binary/{args.session}"
    return f"ws://{args.host}:{args.port}/stream/binary/{args.session}"


async def decode(args):
    url = stream_url(args)
    try:
        ws = await websockets.connect(url, max_size=None, open_timeout=5)
    except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as e:
        sys.exit(f"cannot reach {url} ({e}): is the PhantomLink server running?")
    stopping = False

    def stop():  # Ctrl+C / SIGTERM: close cleanly, then the loop below ends
        nonlocal stopping
        stopping = True
        asyncio.ensure_future(ws.close(1000, "decoder stopped"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop)
    await ws.send(msgpack.packb({"type": "hello", "decoder": args.name, "version": "example"}))
    print(f"connected to {url} as {args.name!r}", flush=True)

    H = args.history
    history, model = None, None
    truths, preds = [], []
    last_seq, last_report = None, time.monotonic()
    try:
        async for raw in ws:
            t0 = time.perf_counter()
            msg = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
            kind = msg.get("type")
            if kind == "error":
                print(f"server says: [{msg.get('code')}] {msg.get('message')}", file=sys.stderr, flush=True)
            if kind == "metadata":  # first message, and again if the dataset changes: (re)train
                if msg.get("blind"):
                    sys.exit("this session is blind (no kinematics in its packets): nothing to train on")
                n_train = round(args.train_s * 1000 / msg.get("bin_size_ms", 25))
                history = collections.deque(maxlen=H)  # newest bin first
                X, Y, first_seq, model = [], [], None, None
                print(f"metadata: {msg['num_channels']} channels; training on {n_train} bins "
                      f"of {H}-bin spike history", flush=True)
            if kind != "data" or history is None:
                continue

            seq = msg["sequence_number"]
            if last_seq is not None and seq != last_seq + 1:
                history.clear()  # a gap (we fell behind): restart the window
            last_seq = seq
            history.appendleft(np.asarray(msg["spikes"]["spike_counts"], dtype=float))
            k = msg.get("kinematics") or {}
            truth = (k.get("vx"), k.get("vy"))
            has_truth = None not in truth
            if len(history) < H:
                continue
            x = np.concatenate(history)  # feature j*C + c: channel c, j bins ago

            if model is None:  # still training
                first_seq = seq if first_seq is None else first_seq
                if has_truth:
                    X.append(x)
                    Y.append(truth)
                if seq - first_seq + 1 >= n_train and len(X) >= 100:
                    W, b, alpha, scores = train(np.array(X), np.array(Y, dtype=float))
                    model, last_report = (W, b), time.monotonic()
                    axes, both = r2(np.array(Y, dtype=float), np.array(X) @ W + b)
                    tried = ", ".join(f"{a}: {s:.3f}" for a, s in scores.items())
                    print(f"trained on {len(X)} bins: lambda = {alpha} * n (validation R² {tried}); "
                          f"in-sample R² vx {axes[0]:.3f} vy {axes[1]:.3f} combined {both:.3f}", flush=True)
                continue

            W, b = model
            vx, vy = x @ W + b
            await ws.send(msgpack.packb({
                "type": "prediction", "sequence_number": seq, "vx": float(vx), "vy": float(vy),
                "latency_ms": (time.perf_counter() - t0) * 1000,
            }))
            if has_truth:
                truths.append(truth)
                preds.append((vx, vy))
            if time.monotonic() - last_report >= REPORT_EVERY_S:
                last_report = time.monotonic()
                if len(truths) > 1:
                    axes, both = r2(np.array(truths, dtype=float), np.array(preds))
                    print(f"score: {len(preds)} bins · R² vx {axes[0]:.3f} vy {axes[1]:.3f} "
                          f"combined {both:.3f}", flush=True)
                else:
                    print("answering, but cannot score myself: no kinematics (blind session)", flush=True)
    except websockets.ConnectionClosed:  # e.g. a send after we started closing, or a lost connection
        pass
    if not stopping:
        sys.exit(f"the server closed the connection: {ws.close_code} {ws.close_reason}")
    final = f"R² {r2(np.array(truths, dtype=float), np.array(preds))[1]:.3f} over {len(preds)} bins" if len(truths) > 1 else "no score"
    print(f"stopped: {final}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", help="ws://HOST:PORT, or a full stream URL")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--session", default="demo")
    p.add_argument("--train-s", type=float, default=120.0, help="seconds of recording to train on")
    p.add_argument("--history", type=int, default=5, help="bins of spike history per prediction")
    p.add_argument("--name", default="ridge-py", help="the decoder's name on the scoreboard")
    asyncio.run(decode(p.parse_args()))


if __name__ == "__main__":
    main()
