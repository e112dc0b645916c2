"""Cloud ingest on PostgreSQL, beside the raw insert rate of the same rows in the same run.

1. Throughput: portal events at receiving doors applied (claimed, sessions, reads) and then
   reconciled (ASN matched, receipt lines, ledger moves) and committed, per second; beside a
   plain executemany of the same event rows into a table of the same database.
2. Latency at 1,000 events/s through Mosquitto: from the publish of a truck's last event to its
   receipt showing on the API's live stream, not counting the configured quiet time.

    python -m bench.bench_ingest [--trucks 60] [--rate 1000] [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, text

from bench.ingest_world import T0, Truck, build, health_message, portal_messages, trucks
from cloud.app import running_service
from cloud.container import ServiceContainer
from cloud.ingest import rules_from
from cloud.ingest.handler import Incoming, IngestHandler
from cloud.metrics import Metrics
from cloud.settings import CloudSettings
from cloud.store import migrate
from cloud.store.engine import make_engine, make_session_factory
from tagtrail.rehearsal.cloud_thread import CloudThread
from tests.support.postgres import fresh_database
from tests.support.services import free_port

MESSAGES_PER_TX = 20


def main() -> int:
    """Run both parts and print their tables."""
    args = _parser().parse_args()
    with fresh_database() as url:
        _throughput(url, args)
    with fresh_database() as url:
        _latency(url, args)
    return 0


def _settings(url: str, **extra: object) -> CloudSettings:
    # One worker: nothing to wait for after the watermark (close_settle_s guards worker pairs).
    base = {"environment": "development", "db_url": url, "receiving_quiet_s": 5.0}
    return CloudSettings.model_validate({**base, "close_settle_s": 0.0, **extra})


def _throughput(url: str, args: argparse.Namespace) -> None:
    asyncio.run(_throughput_in_service(url, args))


async def _throughput_in_service(url: str, args: argparse.Namespace) -> None:
    # The service's own container (migrations, engine, ledger); the work itself runs blocking.
    async with running_service(_settings(url), Metrics()) as container:
        _measure(container, args)


def _measure(container: ServiceContainer, args: argparse.Namespace) -> None:
    site = "bench"
    loads = trucks(args.trucks, args.doors, args.pallets, args.cases, args.items)
    with container.transaction() as session:
        build(session, site, loads, args.items)
    _analyze(container.engine)
    messages = _all_messages(site, loads, args.per_message)
    n_events = sum(len(t.epcs()) for t in loads)
    handler = IngestHandler(container, rules_from(container.settings))
    applied, reconciled = _ingest(handler, site, messages)
    raw = _raw_insert(container, messages)
    rows, raw_all = _raw_reinsert(container)
    total = applied + reconciled
    print(f"\ningest on PostgreSQL: {args.trucks} trucks, {n_events:,} portal events")
    print(f"  {'raw insert of the same rows':<44}{n_events / raw:>12,.0f} events/s")
    print(f"  {'applied (claimed, sessions, reads)':<44}{n_events / applied:>12,.0f} events/s")
    print(f"  {'reconciled (receipts, lines, moves)':<44}{n_events / reconciled:>12,.0f} events/s")
    print(f"  {'end to end: applied + reconciled':<44}{n_events / total:>12,.0f} events/s"
          f"  ({raw / total:.0%} of raw)")  # fmt: skip
    label = f"raw insert of all {rows:,} rows it wrote"
    print(f"  {label:<44}{n_events / raw_all:>12,.0f} events/s"
          f"  (ingest at {raw_all / total:.0%} of that)")  # fmt: skip


def _analyze(engine: Engine) -> None:
    # A running database has statistics (autovacuum); a freshly filled one has none, and its
    # planner would scan whole tables for a handful of keys.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def _all_messages(site: str, loads: list[Truck], per_message: int) -> list[Incoming]:
    out = []
    for i, truck in enumerate(loads):
        start = T0 + timedelta(minutes=i)
        batches = portal_messages(site, truck.door, truck.epcs(), start, per_message)
        out += [Incoming(topic, payload) for topic, payload, _ in batches]
    return out


def _ingest(handler: IngestHandler, site: str, messages: list[Incoming]) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(0, len(messages), MESSAGES_PER_TX):
        handler.handle(messages[i : i + MESSAGES_PER_TX])
    applied = time.perf_counter() - started
    until = int((T0 + timedelta(days=1)).timestamp() * 1000)
    handler.handle([Incoming(*health_message(site, until))])
    started = time.perf_counter()
    outcome = handler.close_due(datetime.now(UTC))
    reconciled = time.perf_counter() - started
    assert len(outcome.notices) > 0, "no receipt was posted"
    return applied, reconciled


def _raw_insert(container: ServiceContainer, messages: list[Incoming]) -> float:
    rows = [
        dict(zip(doc["fields"], row, strict=True))
        for m in messages
        for doc in [json.loads(m.payload)]
        for row in doc["rows"]
    ]
    with container.engine.begin() as connection:
        connection.execute(text(RAW_TABLE))
    started = time.perf_counter()
    per_tx = len(rows) // max(len(messages) // MESSAGES_PER_TX, 1)
    for i in range(0, len(rows), per_tx):
        with container.engine.begin() as connection:
            connection.execute(text(RAW_INSERT), rows[i : i + per_tx])
    return time.perf_counter() - started


WRITTEN = ("processed_events", "session_reads", "receipt_lines", "moves", "balances")


def _raw_reinsert(container: ServiceContainer) -> tuple[int, float]:
    """Insert every row the ingest wrote again, into copies of its tables with their indexes
    (no triggers, no foreign keys), in transactions of about a batch: the plain write cost."""
    with container.engine.connect() as connection:
        tables = {
            name: [dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {name}"))]
            for name in WRITTEN
        }
    with container.engine.begin() as connection:
        for name in WRITTEN:
            connection.execute(
                text(f"CREATE TABLE raw_{name} (LIKE {name} INCLUDING DEFAULTS INCLUDING INDEXES)")
            )
    started = time.perf_counter()
    for name, rows in tables.items():
        for i in range(0, len(rows), 1000):
            with container.engine.begin() as connection:
                connection.execute(text(_insert_all(name, rows[0])), rows[i : i + 1000])
    return sum(len(r) for r in tables.values()), time.perf_counter() - started


def _insert_all(name: str, row: dict[str, object]) -> str:
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    return f"INSERT INTO raw_{name} ({columns}) VALUES ({values})"


RAW_TABLE = (
    "CREATE TABLE raw_events (id varchar(24) PRIMARY KEY, epc varchar(124), door varchar(64), "
    "direction varchar(8), time_ms bigint, first_ms bigint, last_ms bigint, reads integer, "
    "peak_rssi real, received_at timestamptz DEFAULT now())"
)
RAW_COLUMNS = "id, epc, door, direction, time_ms, first_ms, last_ms, reads, peak_rssi"
RAW_INSERT = (
    f"INSERT INTO raw_events ({RAW_COLUMNS}) VALUES "
    f"({', '.join(':' + c.strip() for c in RAW_COLUMNS.split(','))})"
)


def _latency(url: str, args: argparse.Namespace) -> None:
    site = f"lat{uuid.uuid4().hex[:8]}"
    quiet = 1.0
    settings = _settings(
        url, receiving_quiet_s=quiet, mqtt_url="mqtt://127.0.0.1:1883", http_port=free_port(),
        ingest_sites=[site], ingest_tick_s=0.02, mqtt_group=site, mqtt_client_id=site,
    )  # fmt: skip
    per_truck = args.pallets * (args.cases + 1)
    n_trucks = max(args.doors, int(args.rate * args.seconds / per_truck))
    loads = trucks(n_trucks, args.doors, args.pallets, args.cases, args.items)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with make_session_factory(engine).begin() as session:
        build(session, site, loads, args.items)
    _analyze(engine)
    engine.dispose()
    with CloudThread(settings) as cloud:
        visible = _watch_receipts(cloud.url, n_trucks)
        last_event = _publish(site, loads, args.rate, quiet)
        visible.wait(n_trucks, timeout=60.0)
    _report_latency(loads, last_event, visible.times, quiet, args.rate)


class _Receipts:
    """Arrival time of each receipt notice on the live stream, by door in order."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self._done = threading.Event()
        self.count = 0

    def add(self, door: str, at: float, expected: int) -> None:
        self.times.setdefault(door, []).append(at)
        self.count += 1
        if self.count >= expected:
            self._done.set()

    def wait(self, expected: int, timeout: float) -> None:
        if not self._done.wait(timeout):
            print(f"  only {self.count} of {expected} receipts seen", file=sys.stderr)


def _watch_receipts(base: str, expected: int) -> _Receipts:
    seen = _Receipts()
    ready = threading.Event()

    def listen() -> None:
        params: dict[str, str | int] = {"topic": "receipt", "max_events": expected}
        with httpx.stream(
            "GET", f"{base}/api/events/stream", params=params, timeout=None
        ) as response:
            ready.set()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    data = json.loads(line[5:])
                    seen.add(data["door"].rsplit("/", 1)[-1], time.time(), expected)

    threading.Thread(target=listen, daemon=True).start()
    ready.wait(10)
    return seen


def _publish(site: str, loads: list[Truck], rate: float, quiet: float) -> dict[str, list[float]]:
    """Play the trucks door by door in parallel at `rate` events/s; event time = publish time."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    doors = sorted({t.door for t in loads})
    queues = {d: [t for t in loads if t.door == d] for d in doors}
    per_door = rate / len(doors)
    last: dict[str, list[float]] = {d: [] for d in doors}
    threads = [
        threading.Thread(
            target=_play_door, args=(client, site, queues[d], per_door, quiet, last[d])
        )
        for d in doors
    ]
    beat = threading.Event()
    health = threading.Thread(target=_heartbeat, args=(client, site, beat), daemon=True)
    health.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(quiet + 2.0)
    beat.set()
    client.disconnect()
    client.loop_stop()
    return last


def _play_door(
    client: mqtt.Client,
    site: str,
    queue: list[Truck],
    per_s: float,
    quiet: float,
    last: list[float],
) -> None:
    batch = 20  # events per message: what a gateway sends at this rate
    time.sleep(random.uniform(0.0, 2.0))  # doors do not start (or finish) in step
    for truck in queue:
        epcs = truck.epcs()
        for i in range(0, len(epcs), batch):
            part = epcs[i : i + batch]
            # Crossings already happened when a gateway publishes them: stamp them up to now.
            start = datetime.now(UTC) - timedelta(milliseconds=10 * (len(part) - 1))
            ((topic, payload, _),) = portal_messages(site, truck.door, part, start, batch)
            client.publish(topic, payload, qos=1)
            time.sleep(len(part) / per_s)
        last.append(time.time())
        time.sleep(quiet * 2)  # the door goes quiet: the receipt follows


def _heartbeat(client: mqtt.Client, site: str, stop: threading.Event) -> None:
    while not stop.wait(0.05):
        topic, payload = health_message(site, int(time.time() * 1000) - 20)
        client.publish(topic, payload, qos=1)


def _report_latency(
    loads: list[Truck],
    last: dict[str, list[float]],
    seen: dict[str, list[float]],
    quiet: float,
    rate: float,
) -> None:
    gaps = []
    for door, ends in last.items():
        for end, visible in zip(ends, seen.get(door, []), strict=False):
            gaps.append((visible - end - quiet) * 1000)
    gaps.sort()
    if not gaps:
        print("no receipts seen")
        return
    p50 = statistics.median(gaps)
    p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
    head = f"\npublish -> receipt on the API at {rate:,.0f} events/s"
    print(f"{head} ({len(gaps)} trucks, quiet {quiet} s not counted)")
    print(f"  p50 {p50:8.0f} ms   p99 {p99:8.0f} ms   max {gaps[-1]:8.0f} ms")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trucks", type=int, default=60, help="trucks in the throughput run")
    parser.add_argument("--doors", type=int, default=8)
    parser.add_argument("--pallets", type=int, default=8)
    parser.add_argument("--cases", type=int, default=25)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--per-message", type=int, default=100, help="events per MQTT message")
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the latency run")
    return parser


if __name__ == "__main__":
    sys.exit(main())
