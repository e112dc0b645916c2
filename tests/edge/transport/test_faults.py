"""Fault injection: broker outages and a killed publisher lose no event.

"Delivered" is what a subscriber received; "produced" is the outbox audit table (every event
whose append committed). They must be equal, with repeats only byte-identical rows and each
kind's first copies in production order.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Outbox
from edge.transport import Publisher
from protocol.codec import fields_of
from protocol.messages import Availability
from protocol.topics import Kind, status_topic
from tests.edge.outbox.factory import mixed
from tests.support.mqtt import Collector, Gate, clear_retained, retained, wait_until
from tests.support.services import BrokerAddress, BrokerProcess

pytestmark = pytest.mark.fault

GATEWAY = "gw-f"
REPO = Path(__file__).resolve().parents[3]


def assert_delivered_exactly(collector: Collector, produced: set[str]) -> None:
    """Every produced event arrived, nothing else did, repeats are exact, order per kind kept."""
    assert wait_until(lambda: collector.ids() >= produced), len(produced - collector.ids())
    assert collector.ids() == produced
    assert collector.inexact_repeats() == {}
    for kind in (Kind.PORTAL, Kind.PRESENCE):
        at = fields_of(kind).index("time_ms")
        times = [json.loads(collector.rows[eid][0])[at] for eid in collector.order(kind)]
        assert times == sorted(times), f"{kind.value} events out of order"


class Producer:
    """Appends numbered events on its own thread, as the gateway's event pipeline would."""

    def __init__(self, outbox: Outbox, site: str, chunk: int = 10, pause_s: float = 0.02) -> None:
        self.outbox, self.site, self.chunk, self.pause_s = outbox, site, chunk, pause_s
        self.produced = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.outbox.append(mixed(self.site, self.produced, self.chunk))
            self.produced += self.chunk
            self._stop.wait(self.pause_s)


@pytest.fixture
def gate(private_broker: BrokerProcess) -> Iterator[Gate]:
    gate = Gate(private_broker.address)
    yield gate
    gate.close()


@pytest.mark.parametrize("outage_s", [3.0, 30.0])
def test_broker_outage_loses_nothing(
    private_broker: BrokerProcess, gate: Gate, unique_site: str, tmp_path: Path, outage_s: float
) -> None:
    # The publisher reaches the broker through a gate, the subscriber directly: after the
    # restart the gate holds the publisher off until the subscriber has subscribed again, since
    # a broker without persistence forgets subscriptions when it dies.
    config = MqttConfig(
        url=gate.address.url, batch_max_events=50, reconnect_min_s=0.2, reconnect_max_s=2.0
    )
    with (
        Collector(private_broker.address, unique_site) as collector,
        Outbox(OutboxConfig(path=tmp_path / "outbox.sqlite", audit=True)) as outbox,
        Publisher(outbox, config, unique_site, GATEWAY) as publisher,
    ):
        producer = Producer(outbox, unique_site)
        producer.start()
        try:
            assert wait_until(lambda: len(collector.ids()) >= 500)
            private_broker.stop()  # SIGKILL, mid-stream
            assert wait_until(lambda: not publisher.stats().connected)
            before_outage = producer.produced
            time.sleep(outage_s)  # the outage: events keep coming and wait in the outbox
            assert producer.produced > before_outage
            assert outbox.depth > 0
            gate.hold()
            subscriptions = collector.subscribed
            private_broker.start()
            assert wait_until(lambda: collector.subscribed > subscriptions)
            gate.release()
            after_restart = producer.produced
            assert wait_until(lambda: len(collector.ids()) >= after_restart + 200)
        finally:
            producer.stop()
        assert publisher.wait_idle(60), publisher.stats()
        assert_delivered_exactly(collector, outbox.audit_ids())
        stats = publisher.stats()
    assert stats.reconnects >= 1
    assert stats.connect_failures >= 1
    assert len(collector.ids()) == producer.produced


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.edge.transport.publisher_proc", *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_publisher_killed_mid_stream_loses_nothing(
    mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.sqlite"
    common = ["--outbox", str(path), "--url", mqtt_broker.url]
    common += ["--site", unique_site, "--gateway", GATEWAY]
    log = tmp_path / "publisher.log"
    try:
        with Collector(mqtt_broker, unique_site) as collector:
            # Produce faster than one MQTT connection drains, so a backlog is pending at the kill.
            fast = ["--chunk", "100", "--pause", "0.005"]
            first = _spawn([*common, *fast, "--start", "0", "--count", "1000000"], log)
            try:
                assert wait_until(lambda: len(collector.ids()) >= 1000), log.read_text()
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(30)
            with Outbox(OutboxConfig(path=path, audit=True)) as outbox:
                assert outbox.depth > 0
            # The broker noticed the dead connection and published the last will, retained.
            assert wait_until(lambda: collector.states() == ["online", "offline"])
            will = retained(mqtt_broker, status_topic(unique_site, GATEWAY))
            assert will is not None
            assert Availability.model_validate_json(will).state == "offline"
            second = _spawn([*common, "--start", "2000000", "--count", "500", "--finish"], log)
            assert second.wait(180) == 0, log.read_text()
            with Outbox(OutboxConfig(path=path, audit=True)) as outbox:
                assert outbox.depth == 0
                produced = outbox.audit_ids()
            assert_delivered_exactly(collector, produced)
            assert wait_until(lambda: collector.states() == ["online", "offline"] * 2)
    finally:
        clear_retained(mqtt_broker, status_topic(unique_site, GATEWAY))
