"""Reads what PhantomLink published, independently: python3-redis and numpy, BRAND's way.

argv: PORT HOST PREFIX; prints JSON of every entry of each stream, decoded with np.frombuffer.
"""
import json
import sys
import time

import numpy as np
import redis

port, host, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
r = redis.Redis(host=host, port=port)


def f32(b):
    return [None if np.isnan(v) else float(v) for v in np.frombuffer(b, dtype=np.float32)]


out = {"now_ns": time.monotonic_ns(), "types": {}}
for key in ["binned_spikes", "phantomlink_kinematics", "phantomlink_intention", "phantomlink_trial"]:
    name = prefix + key
    out["types"][key] = r.type(name).decode()
    rows = []
    for _id, e in r.xrange(name):
        row = {
            "i": int(np.frombuffer(e[b"i"], dtype=np.uint64)[0]),
            "ts": int(np.frombuffer(e[b"ts"], dtype=np.uint64)[0]),
            "sync": json.loads(e[b"sync"]),
            "sizes": {k.decode(): len(v) for k, v in e.items()},
        }
        if key == "binned_spikes":
            row["samples"] = np.frombuffer(e[b"samples"], dtype=np.int8).tolist()
        elif key == "phantomlink_trial":
            row["trial_id"] = int(np.frombuffer(e[b"trial_id"], dtype=np.int32)[0])
            row["trial_time_ms"] = f32(e[b"trial_time_ms"])[0]
        else:
            row["samples"] = f32(e[b"samples"])
            if b"target_id" in e:
                row["target_id"] = int(np.frombuffer(e[b"target_id"], dtype=np.int32)[0])
        rows.append(row)
    out[key] = rows
meta = r.get(prefix + "phantomlink_metadata")
out["metadata"] = json.loads(meta) if meta else None
print(json.dumps(out))
