"""The embedded broker: QoS 1, retained messages, last wills, persistent sessions, MQTT 5
refusal, quiet handling of clients that vanish, and the `tagtrail broker` command."""

from __future__ import annotations

import logging
import signal
import socket
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from edge.config import MqttConfig, OutboxConfig
from edge.outbox import Outbox
from edge.transport import Publisher
from tagtrail.broker import BrokerThread
from tagtrail.cli import build_parser
from tests.edge.outbox.factory import mixed
from tests.support.mqtt import Collector, retained, wait_until
from tests.support.services import BrokerAddress, free_port, port_open, wait_port

pytestmark = pytest.mark.broker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker() -> Iterator[BrokerAddress]:
    with BrokerThread("127.0.0.1", free_port()) as thread:
        yield BrokerAddress(thread.broker.host, thread.broker.port, "embedded")


class Client:
    """A small synchronous paho client for broker tests."""

    def __init__(self, broker: BrokerAddress, *, client_id: str = "", **options: object) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self.connack: object = None
        self.paho = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"c-{uuid.uuid4().hex[:8]}",
            **options,  # type: ignore[arg-type]
        )
        self.paho.on_connect = lambda _c, _u, _f, rc, _p: setattr(self, "connack", rc)
        self.paho.on_message = lambda _c, _u, m: self.messages.append(m)
        self.broker = broker

    def connect(self, **will: object) -> Client:
        if will:
            self.paho.will_set(**will)  # type: ignore[arg-type]
        self.paho.connect(self.broker.host, self.broker.port, keepalive=10)
        self.paho.loop_start()
        assert wait_until(lambda: self.connack is not None, 10)
        return self

    def subscribe(self, topic: str) -> None:
        self.paho.subscribe(topic, qos=1)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


def test_qos1_round_trip(broker: BrokerAddress) -> None:
    sub = Client(broker).connect()
    got_suback: list[int] = []
    sub.paho.on_subscribe = lambda *_: got_suback.append(1)
    sub.subscribe("t/a")
    assert wait_until(lambda: bool(got_suback))
    pub = Client(broker).connect()
    infos = [pub.paho.publish("t/a", f"m{i}".encode(), qos=1) for i in range(50)]
    for info in infos:
        info.wait_for_publish(10)
    assert wait_until(lambda: len(sub.messages) == 50)
    assert [m.payload for m in sub.messages] == [f"m{i}".encode() for i in range(50)]
    assert all(m.qos == 1 for m in sub.messages)
    pub.close()
    sub.close()


def test_retained_message_reaches_later_subscribers(broker: BrokerAddress) -> None:
    pub = Client(broker).connect()
    pub.paho.publish("t/status", b"online", qos=1, retain=True).wait_for_publish(10)
    pub.close()
    assert retained(broker, "t/status") == b"online"


def test_last_will_on_abrupt_disconnect(broker: BrokerAddress) -> None:
    gone = Client(broker, protocol=MQTTProtocolVersion.MQTTv311)
    gone.connect(topic="t/will", payload=b"offline", qos=1, retain=True)
    gone.paho.loop_stop()
    sock = gone.paho.socket()
    assert isinstance(sock, socket.socket)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset, no DISCONNECT: the broker must publish the will
    assert retained(broker, "t/will") == b"offline"


def test_persistent_session_gets_what_was_sent_while_away(broker: BrokerAddress) -> None:
    options = {"clean_session": False, "protocol": MQTTProtocolVersion.MQTTv311}
    sub = Client(broker, client_id="durable-sub", **options)
    sub.connect()
    acked: list[int] = []
    sub.paho.on_subscribe = lambda *_: acked.append(1)
    sub.subscribe("t/q")
    assert wait_until(lambda: bool(acked))
    sub.close()
    pub = Client(broker).connect()
    for i in range(5):
        pub.paho.publish("t/q", str(i).encode(), qos=1).wait_for_publish(10)
    pub.close()
    back = Client(broker, client_id="durable-sub", **options)
    back.connect()
    assert wait_until(lambda: len(back.messages) == 5)
    assert sorted(m.payload for m in back.messages) == [str(i).encode() for i in range(5)]
    back.close()


def test_mqtt5_is_refused_with_the_proper_reason(broker: BrokerAddress) -> None:
    client = Client(broker, protocol=MQTTProtocolVersion.MQTTv5)
    client.connect(topic="t/will", payload=b"x", qos=1, retain=True)
    assert str(client.connack) == "Unsupported protocol version"
    client.paho.loop_stop()


def test_clients_that_vanish_are_handled_quietly(
    broker: BrokerAddress, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    connect = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x0a\x00\x04abcd"
    for data in (b"", b"\x10", b"\x10\x20\x00", connect[:9], connect):
        with socket.create_connection((broker.host, broker.port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(data)
    # The broker still serves clients afterwards, and nothing above INFO was logged.
    pub = Client(broker).connect()
    pub.paho.publish("t/after", b"1", qos=1, retain=True).wait_for_publish(10)
    pub.close()
    assert retained(broker, "t/after") == b"1"
    noisy = [r for r in caplog.records if r.levelno > logging.INFO]
    assert noisy == [], [r.getMessage() for r in noisy]


def test_publisher_falls_back_to_311_and_delivers(broker: BrokerAddress, tmp_path: Path) -> None:
    site = f"t{uuid.uuid4().hex[:10]}"
    events = mixed(site, 0, 500)
    with (
        Collector(broker, site) as collector,
        Outbox(OutboxConfig(path=tmp_path / "o.sqlite")) as outbox,
        Publisher(outbox, MqttConfig(url=broker.url, batch_max_events=40), site, "gw") as pub,
    ):
        outbox.append(events)
        assert pub.wait_idle(60)
        assert pub.stats().protocol == "3.1.1"
        assert wait_until(lambda: collector.ids() == {eid for _, eid, _ in events})
    assert wait_until(lambda: collector.states() == ["online", "offline"])


def test_stopping_disconnects_clients() -> None:
    thread = BrokerThread("127.0.0.1", free_port())
    thread.start()
    address = BrokerAddress(thread.broker.host, thread.broker.port, "embedded")
    client = Client(address).connect()
    lost: list[object] = []
    client.paho.on_disconnect = lambda *args: lost.append(args)
    thread.stop()
    assert wait_until(lambda: bool(lost))
    assert not port_open(address.host, address.port)
    client.paho.loop_stop()


def test_broker_command_is_registered() -> None:
    args = build_parser().parse_args(["broker", "--host", "127.0.0.1", "--port", "1999"])
    assert (args.host, args.port, callable(args.handler)) == ("127.0.0.1", 1999, True)


def _broker_process(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tagtrail", "broker", "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def test_broker_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = _broker_process(port, tmp_path / "broker.log")
    try:
        wait_port("127.0.0.1", port)
        address = BrokerAddress("127.0.0.1", port, "embedded")
        pub = Client(address).connect()
        pub.paho.publish("t/x", b"1", qos=1, retain=True).wait_for_publish(10)
        pub.close()
        assert retained(address, "t/x") == b"1"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert not port_open("127.0.0.1", port)
    assert "listening on 127.0.0.1" in (tmp_path / "broker.log").read_text()


def test_broker_command_reports_a_taken_port(tmp_path: Path, broker: BrokerAddress) -> None:
    proc = _broker_process(broker.port, tmp_path / "broker.log")
    assert proc.wait(30) == 1
    assert "address already in use" in (tmp_path / "broker.log").read_text().lower()
