"""Outbox and publisher throughput, each beside its baseline measured in the same run.

1. Outbox append + ack, batched (one transaction per append of --batch events, acks per
   transport batch) against one transaction per event.
2. Publishing a full outbox to the local MQTT broker (QoS 1, acknowledged, deleted): batches of
   --mqtt-batch events per message against one event per message.

Run: .venv/bin/python -m bench.bench_outbox [--events N] [--url mqtt://127.0.0.1:1883]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Event, Outbox
from edge.transport import Publisher
from protocol.codec import row_json
from protocol.ids import make_event_id
from protocol.messages import Direction, PortalEvent
from protocol.topics import Kind

BASE_MS = 1_767_225_600_000
Sync = Literal["normal", "full"]


def make_events(count: int, salt: str) -> list[Event]:
    """Distinct portal crossings as the gateway would store them."""
    events = []
    for i in range(count):
        t = BASE_MS + i * 10
        event = PortalEvent(
            id=make_event_id(salt, i),
            epc=f"{0x3074257BF7194E4000000000 + i:024X}",
            door="dock-1",
            direction=Direction.IN,
            time_ms=t,
            first_ms=t - 400,
            last_ms=t + 300,
            reads=5,
            peak_rssi=-52.5,
        )
        events.append((Kind.PORTAL, event.id, row_json(event)))
    return events


def timed(fn: Callable[[], object]) -> float:
    """Seconds fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def outbox_rate(events: list[Event], append_batch: int, ack_batch: int, sync: Sync) -> float:
    """Events/s through append then ack, with the given transaction sizes."""
    with tempfile.TemporaryDirectory() as tmp:
        config = OutboxConfig(path=Path(tmp) / "o.sqlite", synchronous=sync)
        with Outbox(config) as box:

            def run() -> None:
                for i in range(0, len(events), append_batch):
                    box.append(events[i : i + append_batch])
                while batch := box.next_batch({}, ack_batch):
                    box.ack(e.seq for e in batch)

            return len(events) / timed(run)


def publish_rate(events: list[Event], url: str, batch: int) -> float:
    """Events/s from a full outbox to PUBACKed and deleted, batch events per message."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        Outbox(OutboxConfig(path=Path(tmp) / "o.sqlite")) as box,
    ):
        box.append(events)
        config = MqttConfig(url=url, batch_max_events=batch)
        publisher = Publisher(box, config, f"bench{uuid.uuid4().hex[:8]}", "gw")
        publisher.start()
        try:
            if not publisher.wait_connected(30):
                raise SystemExit(f"no MQTT broker at {url}")
            start = time.perf_counter()
            if not publisher.wait_idle(600):
                raise SystemExit("outbox did not drain within 600 s")
            elapsed = time.perf_counter() - start
        finally:
            publisher.stop(5)
    return len(events) / elapsed


def line(label: str, rate: float, baseline: float | None = None) -> None:
    """One table row: label, events/s, and the speed-up over the baseline row."""
    ratio = f"{rate / baseline:6.1f}x" if baseline else "baseline"
    print(f"  {label:<48} {rate:10,.0f}  {ratio}")


def main() -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100, help="events per append")
    parser.add_argument("--mqtt-batch", type=int, default=500, help="events per MQTT message")
    parser.add_argument("--url", default="mqtt://127.0.0.1:1883")
    args = parser.parse_args()
    events = make_events(args.events, uuid.uuid4().hex)
    print(f"outbox append + ack, {args.events:,} events{'events/s':>34}")
    for sync in ("normal", "full"):
        base = outbox_rate(events, 1, 1, sync)
        line(f"synchronous={sync}: 1 event per transaction", base)
        fast = outbox_rate(events, args.batch, 500, sync)
        line(f"synchronous={sync}: {args.batch} per append, 500 per ack", fast, base)
    # The per-event baseline is slow: a quarter of the events give a steady rate.
    few = events[: max(1, args.events // 4)]
    print(f"publish to {args.url}, QoS 1, until acknowledged and deleted")
    base = publish_rate(few, args.url, 1)
    line(f"1 event per message ({len(few):,} events)", base)
    fast = publish_rate(events, args.url, args.mqtt_batch)
    line(f"{args.mqtt_batch} events per message ({len(events):,} events)", fast, base)


if __name__ == "__main__":
    main()
