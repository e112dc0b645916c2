"""A gateway stand-in for fault tests: appends numbered events to an outbox and publishes them.

    python -m tests.edge.transport.publisher_proc --outbox PATH --url URL --site S --gateway G
        --start N --count N [--chunk 10] [--pause 0.01] [--finish]

Without --finish it keeps running after the last append, as a gateway would, until it is
killed; with --finish it waits until everything was acknowledged, stops cleanly and exits 0
(1 if the outbox did not drain within the deadline).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Outbox
from edge.transport import Publisher
from tests.edge.outbox.factory import mixed

DRAIN_DEADLINE_S = 120.0


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in; see the module docstring."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    outbox = Outbox(OutboxConfig(path=args.outbox, audit=True))
    mqtt = MqttConfig(url=args.url, batch_max_events=50, reconnect_min_s=0.1, reconnect_max_s=1.0)
    publisher = Publisher(outbox, mqtt, args.site, args.gateway)
    publisher.start()
    for start in range(args.start, args.start + args.count, args.chunk):
        outbox.append(mixed(args.site, start, min(args.chunk, args.start + args.count - start)))
        time.sleep(args.pause)
    if not args.finish:
        threading.Event().wait()  # run until killed
    drained = publisher.wait_idle(DRAIN_DEADLINE_S)
    publisher.stop(10)
    outbox.close()
    return 0 if drained else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--chunk", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--finish", action="store_true")
    return parser


if __name__ == "__main__":
    sys.exit(main())
