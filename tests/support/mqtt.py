"""Test-side MQTT clients and a TCP gate for transport tests."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from protocol.topics import Kind, parse
from tests.support.services import BrokerAddress

DEADLINE_S = 60.0


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_S) -> bool:
    """Poll condition until it holds or the (generous) deadline passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


class Collector:
    """A QoS 1 subscriber on one site that records every event row and availability state.

    It keeps a persistent session (clean_session false, QoS 1), so a broker that stays up queues
    its messages across its own reconnects; paho reconnects it by itself. A broker restart
    without persistence forgets it: tests hold publishers off until it has subscribed again.
    """

    def __init__(self, broker: BrokerAddress, site: str) -> None:
        self.broker = broker
        self.site = site
        self.rows: dict[str, list[str]] = defaultdict(list)  # event id -> every row received
        self.first_seen: dict[Kind, list[str]] = defaultdict(list)  # arrival order, first copies
        self.status: list[str] = []
        self.direct: list[tuple[Kind, bytes]] = []  # payloads without event ids
        self.subscribed = 0
        self._lock = threading.Lock()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"collector-{uuid.uuid4().hex[:10]}",
            clean_session=False,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        self._client.username_pw_set("collector")
        self._client.reconnect_delay_set(1, 2)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def start(self) -> None:
        """Connect and wait for the SUBACK."""
        self._client.connect(self.broker.host, self.broker.port, keepalive=10)
        self._client.loop_start()
        assert wait_until(lambda: self.subscribed > 0), "collector did not subscribe"

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Collector:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ids(self) -> set[str]:
        """IDs of every event received."""
        with self._lock:
            return set(self.rows)

    def copies(self) -> int:
        """Event rows received, repeats included."""
        with self._lock:
            return sum(len(r) for r in self.rows.values())

    def inexact_repeats(self) -> dict[str, set[str]]:
        """Events received more than once with differing rows (there must be none)."""
        with self._lock:
            return {eid: set(r) for eid, r in self.rows.items() if len(set(r)) > 1}

    def order(self, kind: Kind) -> list[str]:
        """IDs of one kind in the order their first copies arrived."""
        with self._lock:
            return list(self.first_seen[kind])

    def states(self) -> list[str]:
        """Availability states received on the site's status topics, in order."""
        with self._lock:
            return list(self.status)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(f"tagtrail/v1/{self.site}/#", qos=1)

    def _on_subscribe(self, _c: Any, _u: Any, _m: Any, _r: Any, _p: Any) -> None:
        self.subscribed += 1

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        kind = parse(message.topic).kind
        doc = json.loads(message.payload) if message.payload else None
        with self._lock:
            if kind is Kind.STATUS:
                self.status.append(doc["state"] if doc else "")
                return
            if not doc or "id" not in doc.get("fields", ()):
                self.direct.append((kind, bytes(message.payload)))
                return
            id_at = doc["fields"].index("id")
            for row in doc["rows"]:
                event_id = row[id_at]
                if event_id not in self.rows:
                    self.first_seen[kind].append(event_id)
                self.rows[event_id].append(json.dumps(row, separators=(",", ":")))


def retained(broker: BrokerAddress, topic: str, timeout: float = 10.0) -> bytes | None:
    """The retained message on topic as a new subscriber gets it, or None."""
    got: list[mqtt.MQTTMessage] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311)
    client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(topic, qos=1)
    client.on_message = lambda _c, _u, m: got.append(m)
    client.connect(broker.host, broker.port, keepalive=10)
    client.loop_start()
    try:
        wait_until(lambda: bool(got), timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return bytes(got[0].payload) if got and got[0].retain else None


def clear_retained(broker: BrokerAddress, topic: str) -> None:
    """Remove a retained message (the system broker keeps them across test runs)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311)
    client.connect(broker.host, broker.port, keepalive=10)
    client.loop_start()
    try:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


class Gate:
    """A TCP forwarder in front of a broker that can refuse new connections.

    Lets a test hold a publisher off until its subscriber is back after a broker restart.
    """

    def __init__(self, upstream: BrokerAddress) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def address(self) -> BrokerAddress:
        """Where clients connect to reach the broker through the gate."""
        return BrokerAddress("127.0.0.1", self.port, self.upstream.kind)

    def hold(self) -> None:
        """Refuse new connections (close them at once)."""
        self._open.clear()

    def release(self) -> None:
        """Forward new connections again."""
        self._open.set()

    def close(self) -> None:
        """Stop accepting and close every forwarded connection."""
        _close(self._listener)  # shutdown() wakes the blocked accept(); close() alone does not
        with self._lock:
            for conn in self._conns:
                _close(conn)
        for thread in list(self._threads):
            thread.join(10)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            if not self._open.is_set():
                raise ConnectionRefusedError("gate held")
            upstream = socket.create_connection((self.upstream.host, self.upstream.port), 2)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._conns += [client, upstream]
        for src, dst in ((client, upstream), (upstream, client)):
            thread = threading.Thread(target=_pump, args=(src, dst), daemon=True)
            self._threads.append(thread)
            thread.start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
