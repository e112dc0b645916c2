"""The MQTT consumer against a real broker: bad input, worker pairs, a 3.1.1-only broker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from cloud.app import create_app
from cloud.container import ServiceContainer
from cloud.store.models import DeadLetter, Move, ProcessedEvent, Receipt, SessionRead
from protocol.topics import Kind, gateway_topic
from tagtrail.broker import BrokerThread
from tests.cloud.api.client import ApiClient, running
from tests.cloud.conftest import Database
from tests.cloud.ingest.world import GATEWAY, T0, Message, build, case, health, pallet, portal
from tests.support.services import BrokerAddress, free_port

pytestmark = pytest.mark.broker
DEADLINE_S = 90.0


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextmanager
def cloud(
    database: Database, broker: BrokerAddress, site: str, worker: str = "w1"
) -> Iterator[ApiClient]:
    """A cloud service with its MQTT ingest, consuming only this test's site."""
    settings = database.settings(
        migrate_on_startup=False, mqtt_url=broker.url, mqtt_group=f"g{site}",
        mqtt_client_id=f"{site}-{worker}", ingest_sites=[site], ingest_tick_s=0.2,
    )  # fmt: skip
    with running(create_app(settings)) as api:
        yield api


def container(api: ApiClient) -> ServiceContainer:
    found: ServiceContainer = api.state()["container"]
    return found


def count(api: ApiClient, model: type[Any]) -> int:
    with container(api).read_transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@contextmanager
def publisher(broker: BrokerAddress) -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def publish(client: mqtt.Client, messages: list[Message]) -> None:
    for message in messages:
        client.publish(message.topic, message.payload, qos=1).wait_for_publish(30)


def bad_messages(site: str, n: int) -> list[tuple[Message, str]]:
    """n malformed messages of ten kinds, each with the reason the dead letter must give."""
    topic = gateway_topic(site, GATEWAY, Kind.PORTAL)
    stranger = gateway_topic(site, "gw-stranger", Kind.PORTAL)
    good = json.loads(portal([case(1)], "d1", "in", T0, site=site).payload)
    row = good["rows"][0]

    def doc(**change: Any) -> bytes:
        return json.dumps({**good, **change}).encode()

    def event(n: int, door: str) -> bytes:
        return portal([case(n)], door, "in", T0, site=site).payload

    kinds: list[Callable[[int], tuple[Message, str]]] = [
        lambda i: (Message(topic, b"\x00\xffgarbage%d" % i), "not JSON"),
        lambda i: (Message(topic, b"[1, 2, 3]"), "not a JSON object"),
        lambda i: (Message(topic, doc(schema=7 + i)), "unsupported schema"),
        lambda i: (Message(topic, doc(kind="presence")), "does not match"),
        lambda i: (Message(topic, doc(rows=[row[:3]])), "is not a list of 9 values"),
        lambda i: (Message(topic, doc(rows=[[*row[:4], 17, *row[5:]]])), "time_ms"),
        lambda i: (Message(topic, doc(rows=[[*row[:8], 500.0]])), "peak_rssi"),
        lambda i: (Message(stranger, event(9000 + i, "d1")), "unknown gateway"),
        lambda i: (Message(f"tagtrail/v1/{site}/{GATEWAY}/bogus", b"{}"), "unknown kind"),
        lambda i: (Message(topic, event(5000 + i, "d9")), "unknown door"),
    ]
    return [kinds[i % len(kinds)](i) for i in range(n)]


def test_thousand_malformed_messages_dead_lettered_and_the_valid_ones_applied(
    database: Database, mqtt_broker: BrokerAddress, unique_site: str
) -> None:
    bad = bad_messages(unique_site, 1000)
    good = [
        portal([case(100_000 + i)], "d1", "in", T0 + timedelta(seconds=i % 5), site=unique_site)
        for i in range(300)
    ]
    stream = [m for pair in zip(bad[:300], good, strict=True) for m in (pair[0][0], pair[1])]
    stream += [m for m, _ in bad[300:]]
    with cloud(database, mqtt_broker, unique_site) as api, publisher(mqtt_broker) as client:
        build(api, unique_site)
        publish(client, stream)
        assert wait_until(lambda: count(api, DeadLetter) >= 1000), count(api, DeadLetter)
        assert wait_until(lambda: count(api, SessionRead) == 300), count(api, SessionRead)
        assert api.get("/readyz").json()["components"]["mqtt-ingest"]["connected"]
        assert api.get("/api/dead-letters").json()["total"] == 1000
        with container(api).read_transaction() as session:
            reasons = list(session.scalars(select(DeadLetter.reason)))
    assert all(reasons)  # every dead letter says why
    for expected in sorted({e for _, e in bad}):
        found = sum(expected in reason for reason in reasons)
        assert found == sum(e == expected for _, e in bad), (expected, found)


def test_two_workers_share_the_stream_and_post_each_receipt_once(
    database: Database, mqtt_broker: BrokerAddress, unique_site: str
) -> None:
    first = [pallet(1), case(1), case(2), case(3), case(4), case(5)]
    truck = [portal(first, "d1", "in", T0, site=unique_site)]
    for n in range(6, 11):
        truck.append(portal([case(n)], "d1", "in", T0 + timedelta(seconds=n - 3), site=unique_site))
    with ExitStack() as stack:
        one = stack.enter_context(cloud(database, mqtt_broker, unique_site, "w1"))
        two = stack.enter_context(cloud(database, mqtt_broker, unique_site, "w2"))
        build(one, unique_site)
        client = stack.enter_context(publisher(mqtt_broker))
        publish(client, truck * 3)  # every message three times, to both workers' share
        publish(client, [health(T0 + timedelta(seconds=40), site=unique_site)] * 4)
        assert wait_until(lambda: count(one, Receipt) == 1)
        time.sleep(2.0)  # both tickers get more chances to post it again
        stats = [api.get("/readyz").json()["components"]["mqtt-ingest"] for api in (one, two)]
        assert count(one, Receipt) == 1
        # 4 opening-stock moves, then supplier -> dock -> storage for each of 10 cases, once.
        assert count(one, Move) == 4 + 2 * 10
    assert all(s["messages"] > 0 for s in stats), stats  # the shared subscription split the work
    assert sum(s["applied"] for s in stats) == 11
    assert sum(s["duplicates"] for s in stats) == 22


def test_a_broker_without_mqtt5_is_consumed_over_311(database: Database, unique_site: str) -> None:
    embedded = BrokerThread("127.0.0.1", free_port())
    embedded.start()
    try:
        broker = BrokerAddress("127.0.0.1", embedded.broker.port, "embedded")
        with cloud(database, broker, unique_site) as api, publisher(broker) as client:
            build(api, unique_site)
            publish(client, [portal([case(1), case(2)], "d1", "in", T0, site=unique_site)])
            assert wait_until(lambda: count(api, ProcessedEvent) == 2)
            assert api.get("/readyz").json()["components"]["mqtt-ingest"]["protocol"] == "V311"
    finally:
        embedded.stop()
