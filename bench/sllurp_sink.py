"""Baseline client for bench_e2e: unmodified sllurp clients that only count tag reports."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

from sllurp.llrp import LLRPReaderClient

from edge.config import ReaderConfig
from edge.readers.llrp import sllurp_config


def main() -> int:
    """Connect to every port, print the running read count once a second until stopped."""
    args = _parser().parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    counter = _Counter()
    clients = [_client(port, counter) for port in range(args.port, args.port + args.readers)]
    try:
        while True:
            print(json.dumps({"t": time.monotonic(), "reads": counter.total}), flush=True)
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    for client in clients:
        client.hard_disconnect()
    return 0


class _Counter:
    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()

    def on_tags(self, _client: object, tags: list[dict[str, Any]]) -> None:
        with self._lock:
            self.total += len(tags)


def _client(port: int, counter: _Counter) -> LLRPReaderClient:
    cfg = ReaderConfig(
        name=f"r{port}", host="127.0.0.1", port=port, antennas={1: "a", 2: "a", 3: "b", 4: "b"}
    )
    client = LLRPReaderClient("127.0.0.1", port, sllurp_config(cfg))
    client.add_tag_report_callback(counter.on_tags)
    client.connect()
    return client


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--port", type=int, default=25084)
    parser.add_argument("--cpu", type=int)
    return parser


if __name__ == "__main__":
    sys.exit(main())
