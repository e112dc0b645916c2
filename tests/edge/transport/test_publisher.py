"""Publisher against a real broker: every event arrives in order, birth and clean offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Outbox
from edge.transport import Publisher
from protocol.codec import decode, row_json
from protocol.messages import Availability
from protocol.topics import Kind, gateway_topic, status_topic
from tests.edge.outbox.factory import mixed, portal
from tests.support.mqtt import Collector, clear_retained, retained, wait_until
from tests.support.services import BrokerAddress

pytestmark = pytest.mark.broker

GATEWAY = "gw-1"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(OutboxConfig(path=tmp_path / "outbox.sqlite", audit=True)) as box:
        yield box


@pytest.fixture
def collector(mqtt_broker: BrokerAddress, unique_site: str) -> Iterator[Collector]:
    with Collector(mqtt_broker, unique_site) as sub:
        yield sub
    clear_retained(mqtt_broker, status_topic(unique_site, GATEWAY))


def mqtt_config(broker: BrokerAddress, **options: object) -> MqttConfig:
    return MqttConfig.model_validate({"url": broker.url, **options})


def test_every_event_arrives_once_in_order_per_kind(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, collector: Collector
) -> None:
    events = mixed(unique_site, 0, 3000)
    config = mqtt_config(mqtt_broker, batch_max_events=100, max_inflight=4)
    with Publisher(outbox, config, unique_site, GATEWAY) as publisher:
        for start in range(0, len(events), 250):
            outbox.append(events[start : start + 250])
        assert publisher.wait_idle(60), publisher.stats()
        assert wait_until(lambda: collector.ids() == outbox.audit_ids())
        stats = publisher.stats()
    assert collector.copies() == 3000
    for kind in (Kind.PORTAL, Kind.PRESENCE):
        assert collector.order(kind) == [eid for k, eid, _ in events if k is kind]
    assert stats.events_acked == stats.events_published == 3000
    assert stats.messages_acked == stats.messages_published >= 30
    assert stats.connected
    assert stats.reconnects == 0
    assert outbox.depth == 0


def test_batches_are_valid_wire_messages(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox
) -> None:
    # Read the raw payloads with the cloud's decoder: the rows are exactly what was stored.
    payloads: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, m: payloads.append(bytes(m.payload))
    client.connect(mqtt_broker.host, mqtt_broker.port)
    client.subscribe(gateway_topic(unique_site, GATEWAY, Kind.PORTAL), qos=1)
    client.loop_start()
    try:
        events = [portal(unique_site, i) for i in range(25)]
        outbox.append(events)
        config = mqtt_config(mqtt_broker, batch_max_events=10)
        with Publisher(outbox, config, unique_site, GATEWAY) as publisher:
            assert publisher.wait_idle(30)
            assert wait_until(lambda: len(payloads) == 3)
    finally:
        client.disconnect()
        client.loop_stop()
        clear_retained(mqtt_broker, status_topic(unique_site, GATEWAY))
    batches = [decode(Kind.PORTAL, p) for p in payloads]
    assert [len(b.events) for b in batches] == [10, 10, 5]
    assert all(not b.rejects for b in batches)
    assert [row_json(e) for b in batches for e in b.events] == [r for _, _, r in events]


def test_birth_online_and_clean_offline_are_retained(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, collector: Collector
) -> None:
    topic = status_topic(unique_site, GATEWAY)
    publisher = Publisher(outbox, mqtt_config(mqtt_broker), unique_site, GATEWAY, version="9.9")
    publisher.start()
    try:
        assert publisher.wait_connected(30)
        online = retained(mqtt_broker, topic)
        assert online is not None
        message = Availability.model_validate_json(online)
        assert (message.state, message.version, message.schema_version) == ("online", "9.9", 1)
    finally:
        assert publisher.stop(10)
    offline = retained(mqtt_broker, topic)
    assert offline is not None
    assert Availability.model_validate_json(offline).state == "offline"
    assert wait_until(lambda: collector.states() == ["online", "offline"])


def test_publish_now_sends_direct_messages(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, collector: Collector
) -> None:
    payload = b'{"schema":1,"kind":"health","sent_ms":1,"fields":[],"rows":[]}'
    with Publisher(outbox, mqtt_config(mqtt_broker), unique_site, GATEWAY) as publisher:
        publisher.publish_now(Kind.HEALTH, payload)
        assert publisher.wait_idle(30)
        assert publisher.stats().messages_acked == 1
        assert wait_until(lambda: collector.direct == [(Kind.HEALTH, payload)])
    # Direct messages are not retained.
    assert retained(mqtt_broker, gateway_topic(unique_site, GATEWAY, Kind.HEALTH), 1) is None


def test_inflight_stays_within_the_limit(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, collector: Collector
) -> None:
    outbox.append(mixed(unique_site, 0, 2000))
    config = mqtt_config(mqtt_broker, batch_max_events=5, max_inflight=3)
    seen: list[int] = []

    def sample_until_drained() -> bool:
        seen.append(publisher.stats().inflight)
        return outbox.depth == 0

    with Publisher(outbox, config, unique_site, GATEWAY) as publisher:
        assert wait_until(sample_until_drained)
    assert len(seen) > 5
    assert max(seen) <= 3
    assert wait_until(lambda: len(collector.ids()) == 2000)


@pytest.mark.parametrize("protocol", ["3.1.1", "auto"])
def test_protocol_choice(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, protocol: str
) -> None:
    config = mqtt_config(mqtt_broker, protocol=protocol)
    with Publisher(outbox, config, unique_site, GATEWAY) as publisher:
        assert publisher.wait_connected(30)
        version = publisher.stats().protocol
    clear_retained(mqtt_broker, status_topic(unique_site, GATEWAY))
    expected = "3.1.1" if protocol == "3.1.1" or mqtt_broker.kind == "embedded" else "5"
    assert version == expected


def test_pending_events_go_out_after_a_restart_of_the_gateway(
    mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path, collector: Collector
) -> None:
    config = OutboxConfig(path=tmp_path / "outbox.sqlite", audit=True)
    events = mixed(unique_site, 0, 300)
    with Outbox(config) as box:
        box.append(events)  # the gateway stops before it ever connects
    with Outbox(config) as box, Publisher(box, mqtt_config(mqtt_broker), unique_site, GATEWAY) as p:
        assert p.wait_idle(30)
        assert wait_until(lambda: collector.ids() == {eid for _, eid, _ in events})


def test_broker_receive_maximum_caps_inflight(
    mqtt_broker: BrokerAddress, unique_site: str, outbox: Outbox, collector: Collector
) -> None:
    # MQTT 5 forbids more unacknowledged messages than the broker's Receive Maximum (Mosquitto
    # announces 20; stricter brokers disconnect offenders), whatever max_inflight asks for.
    outbox.append(mixed(unique_site, 0, 3000))
    config = mqtt_config(mqtt_broker, batch_max_events=1, max_inflight=200)
    seen: list[int] = []

    def sample_until_drained() -> bool:
        seen.append(publisher.stats().inflight)
        return outbox.depth == 0

    with Publisher(outbox, config, unique_site, GATEWAY) as publisher:
        assert wait_until(sample_until_drained, 120)
        stats = publisher.stats()
    assert (stats.reconnects, stats.messages_acked) == (0, 3000)
    assert wait_until(lambda: len(collector.ids()) == 3000)
    if stats.protocol == "5":
        assert max(seen) <= 19
