"""Time the results store in a local directory against the same store in object storage (a
local S3-compatible server, moto's, as in the tests): writes, reads of stored entries (what
a warm run does for every batch) and reads of missing ones (a cold run's first look).

    .venv/bin/python bench/object_store.py --entries 1000

A real object store adds the network's round trip to every request; this measures what
fairgate and the client library add on top of a server on the same machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.store import ResultStore  # noqa: E402


def key(i: int) -> str:
    return "ll/" + hashlib.sha256(str(i).encode()).hexdigest()


def timed(store: ResultStore, entries: int, payload: int) -> dict[str, float]:
    """Seconds per request of each kind."""
    rng = random.Random(0)
    value = [[-rng.random() * 100, rng.random() < 0.5] for _ in range(payload)]
    start = time.perf_counter()
    for i in range(entries):
        store.put(key(i), value)
    wrote = time.perf_counter()
    for i in range(entries):
        assert store.get(key(i)) == value
    read = time.perf_counter()
    for i in range(entries, 2 * entries):
        assert store.get(key(i)) is None
    missed = time.perf_counter()
    return {"put": (wrote - start) / entries, "get": (read - wrote) / entries, "miss": (missed - read) / entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--payload", type=int, default=32, help="scored sequences per entry (a batch)")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args()

    import fsspec
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update({
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
    })
    fsspec.filesystem("s3").mkdir("bench")
    figures = {}
    with tempfile.TemporaryDirectory() as cache:
        stores = {
            "directory": ResultStore(Path(cache) / "results", cache_root=Path(cache)),
            "s3 (local moto server)": ResultStore("s3://bench/results", cache_root=Path(cache)),
        }
        for name, store in stores.items():
            figures[name] = timed(store, args.entries, args.payload)
    server.stop()
    print(f"{args.entries} entries of {args.payload} scored sequences; milliseconds per request")
    print(f"{'store':<24} {'put':>8} {'get':>8} {'miss':>8}")
    for name, f in figures.items():
        print(f"{name:<24} {f['put'] * 1e3:>8.2f} {f['get'] * 1e3:>8.2f} {f['miss'] * 1e3:>8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"entries": args.entries, "payload": args.payload, "seconds": figures}, indent=2))


if __name__ == "__main__":
    main()
