"""Runs a Python snippet from the binary streaming guide, UNMODIFIED, against a test server.

    PL_GUIDE_CODE=<the snippet> PL_SERVER=ws://127.0.0.1:PORT python3 run_guide_snippet.py MODE

The snippet text comes in PL_GUIDE_CODE exactly as it stands in the guide and is executed
as is; everything the test needs happens around it, in this prelude:

quickstart      The guide's Quick Start hardcodes ws://localhost:8000 and loops forever.
                `websockets.connect` is wrapped so that (1) the URL's scheme/host/port are
                rewritten to PL_SERVER (path and query kept), and (2) after PL_MESSAGES
                `recv()` calls the next one raises `Enough`, which ends the snippet's
                `asyncio.run(...)`; the prelude then exits 0. The snippet's prints are the
                output under test.

error-handling  The guide's Error Handling fragment uses `message` and `logger` from its
                surroundings. The prelude takes a real data packet from PL_SERVER/stream/
                binary/PL_SESSION, then runs the fragment once per case (valid, truncated,
                extra trailing byte, invalid MessagePack) with `message`, `logger` and
                `msgpack` in its namespace, and prints one JSON line per case with the log
                records the fragment produced and the packet it decoded.
"""

import asyncio
import json
import logging
import os
import signal
import sys
from urllib.parse import urlsplit, urlunsplit

import msgpack
import websockets

CODE = os.environ["PL_GUIDE_CODE"]
SERVER = urlsplit(os.environ["PL_SERVER"])

# Never hang a test run: a stuck snippet dies with SIGALRM (non-zero exit, output kept).
signal.alarm(int(os.environ.get("PL_ALARM_S", "30")))


class Enough(Exception):
    """Raised from recv() once the snippet has received the messages the test wants."""


def rewrite(uri):
    parts = urlsplit(uri)
    return urlunsplit((SERVER.scheme, SERVER.netloc, parts.path, parts.query, parts.fragment))


def quickstart():
    limit = int(os.environ["PL_MESSAGES"])
    real_connect = websockets.connect
    received = 0

    class Connection:
        """Stands in for the object websockets.connect returns (async with / await)."""

        def __init__(self, uri, args, kwargs):
            self.target = rewrite(uri)
            print(f"[prelude] {uri} -> {self.target}", file=sys.stderr)
            self.inner = real_connect(self.target, *args, **kwargs)

        def wrap(self, ws):
            real_recv = ws.recv

            async def recv():
                nonlocal received
                if received >= limit:
                    raise Enough()
                received += 1
                return await real_recv()

            ws.recv = recv
            return ws

        async def __aenter__(self):
            return self.wrap(await self.inner.__aenter__())

        async def __aexit__(self, *exc):
            return await self.inner.__aexit__(*exc)

        def __await__(self):
            return (yield from self._open().__await__())

        async def _open(self):
            return self.wrap(await self.inner)

    websockets.connect = lambda uri, *args, **kwargs: Connection(uri, args, kwargs)
    try:
        exec(compile(CODE, "<guide: Quick Start>", "exec"), {"__name__": "__main__"})
    except Enough:
        sys.stdout.flush()
        print(f"[prelude] stopped after {received} messages", file=sys.stderr)
        return 0
    print("[prelude] the snippet returned without reaching the message limit", file=sys.stderr)
    return 3


def error_handling():
    url = f"{urlunsplit((SERVER.scheme, SERVER.netloc, '', '', ''))}/stream/binary/{os.environ.get('PL_SESSION', 'error-handling')}"

    async def one_packet():
        async with websockets.connect(url) as ws:
            while True:
                raw = await ws.recv()
                if msgpack.unpackb(raw, raw=False).get("type") == "data":
                    return raw

    good = asyncio.run(one_packet())

    class Capture(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append([record.levelname, record.getMessage()])

    logger = logging.getLogger("guide-error-handling")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    capture = Capture()
    logger.addHandler(capture)

    cases = [
        ("valid", good),
        ("truncated", good[: len(good) // 2]),
        ("extra_data", good + b"\x00"),
        ("invalid", b"\xc1"),  # 0xc1 is never used in MessagePack
    ]
    compiled = compile(CODE, "<guide: Error Handling>", "exec")
    for name, message in cases:
        capture.records.clear()
        namespace = {"__name__": "__main__", "msgpack": msgpack, "logger": logger, "message": message}
        exec(compiled, namespace)
        packet = namespace.get("packet")
        print(
            json.dumps(
                {
                    "case": name,
                    "bytes": len(message),
                    "logs": capture.records,
                    "packet": None
                    if not isinstance(packet, dict)
                    else {
                        "type": packet.get("type"),
                        "sequence_number": packet.get("sequence_number"),
                        "channels": len(packet.get("spikes", {}).get("spike_counts", [])),
                    },
                }
            )
        )
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "quickstart":
        sys.exit(quickstart())
    if mode == "error-handling":
        sys.exit(error_handling())
    sys.exit(f"usage: {sys.argv[0]} quickstart|error-handling")
