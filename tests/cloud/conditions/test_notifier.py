"""Alert notifications against a real local HTTP receiver and a real MQTT broker."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import select

from cloud.app import create_app
from cloud.container import ServiceContainer
from cloud.enums import AlertSeverity
from cloud.notify.notifier import Notifier, alert_notifier
from cloud.notify.signing import EVENT_HEADER, SIGNATURE_HEADER, verify
from cloud.services.alerts import raise_alert
from cloud.store.models import AlertEvent
from protocol.topics import site_alert_topic
from tests.cloud.api.client import ApiClient, running
from tests.cloud.conftest import Database
from tests.support.mqtt import wait_until
from tests.support.services import BrokerAddress

FAST = {"notify_poll_s": 0.05, "notify_backoff_s": 0.01, "notify_backoff_max_s": 0.05}


class Receiver:
    """A local HTTP server that records every POST and fails the first `failures` of them."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.failures, self.status = failures, status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers.items()), body))
                failing = len(receiver.posts) <= receiver.failures
                self.send_response(receiver.status if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        """Every body received, parsed, in arrival order."""
        return [json.loads(body) for _, body in self.posts]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class Subscriber:
    """Records what arrives on one topic."""

    def __init__(self, broker: BrokerAddress, topic: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            protocol=MQTTProtocolVersion.MQTTv311,
            client_id=f"alerts-{uuid.uuid4().hex[:8]}",
        )
        self._client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_: self.ready.set()
        self._client.on_message = lambda _c, _u, m: self.messages.append(json.loads(m.payload))
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(failures=2)
    yield found
    found.close()


def container_of(client: ApiClient) -> ServiceContainer:
    found: ServiceContainer = client.state()["container"]
    return found


def open_alert(client: ApiClient, site: str, what: str = "something") -> int:
    with container_of(client).transaction() as session:
        alert = raise_alert(session, "test", f"{site}/gw1/d1 {what}", "look", AlertSeverity.WARNING)
        assert alert is not None
        return alert.id


def test_lifecycle_reaches_the_webhook_signed_and_the_site_topic(
    database: Database, receiver: Receiver, mqtt_broker: BrokerAddress, unique_site: str
) -> None:
    settings = database.settings(
        migrate_on_startup=False, notify_webhook_url=receiver.url, mqtt_url=mqtt_broker.url, **FAST
    )
    subscriber = Subscriber(mqtt_broker, site_alert_topic(unique_site))
    assert subscriber.ready.wait(10)
    try:
        with running(create_app(settings, components=[alert_notifier])) as client:
            assert (
                client.post("/api/sites", json={"code": unique_site, "name": "S"}).status_code
                == 201
            )
            alert_id = open_alert(client, unique_site)
            assert (
                client.post(f"/api/alerts/{alert_id}/acknowledge", json={"by": "ann"}).status_code
                == 200
            )
            assert (
                client.post(f"/api/alerts/{alert_id}/clear", json={"by": "bob"}).status_code == 200
            )
            assert wait_until(lambda: len(receiver.posts) >= 5 and len(subscriber.messages) >= 3)
            assert wait_until(lambda: delivered(client) == 3)
    finally:
        subscriber.close()
    bodies = receiver.bodies()
    assert [b["action"] for b in bodies] == ["opened"] * 3 + [
        "acknowledged",
        "cleared",
    ]  # 2 retries
    assert [m["action"] for m in subscriber.messages] == ["opened", "acknowledged", "cleared"]
    assert bodies[3]["alert"]["acknowledged_by"] == "ann"
    assert bodies[4]["alert"]["cleared_by"] == "bob"
    assert {b["site"] for b in bodies} == {unique_site}
    secret = settings.secret_key.get_secret_value().encode()
    for headers, body in receiver.posts:
        assert verify(secret, body, headers[SIGNATURE_HEADER])
        assert headers[EVENT_HEADER] == str(json.loads(body)["event"])
    assert not verify(b"another key", receiver.posts[0][1], receiver.posts[0][0][SIGNATURE_HEADER])


def delivered(client: ApiClient) -> int:
    with container_of(client).read_transaction() as session:
        rows = session.scalars(select(AlertEvent).where(AlertEvent.delivered_at.is_not(None)))
        return len([r for r in rows if r.last_error is None])


def test_a_receiver_that_refuses_is_given_up_with_the_reason(database: Database) -> None:
    refusing = Receiver(failures=1000, status=400)
    settings = database.settings(
        migrate_on_startup=False, notify_webhook_url=refusing.url, notify_mqtt=False, **FAST
    )
    try:
        with running(create_app(settings, components=[alert_notifier])) as client:
            open_alert(client, "nowhere")
            assert wait_until(lambda: errors(client) != [])
            assert errors(client) == ["webhook: webhook refused change 1: HTTP 400"]
    finally:
        refusing.close()
    assert len(refusing.posts) == 1  # a refusal is not retried


def test_a_receiver_that_stays_down_is_retried_then_given_up(database: Database) -> None:
    down = Receiver(failures=1000, status=503)
    settings = database.settings(
        migrate_on_startup=False,
        notify_webhook_url=down.url,
        notify_mqtt=False,
        notify_retries=3,
        **FAST,
    )
    try:
        with running(create_app(settings, components=[alert_notifier])) as client:
            open_alert(client, "nowhere")
            assert wait_until(lambda: errors(client) != [])
            [error] = errors(client)
            assert error.startswith("webhook: HTTPStatusError")
    finally:
        down.close()
    assert len(down.posts) == 4  # the first try and three retries


def errors(client: ApiClient) -> list[str]:
    with container_of(client).read_transaction() as session:
        rows = session.scalars(
            select(AlertEvent.last_error).where(AlertEvent.delivered_at.is_not(None))
        )
        return [e for e in rows if e is not None]


class Stuck:
    """A channel that never finishes a delivery."""

    name = "stuck"

    async def send(self, change: object) -> bool:
        raise AssertionError("not started in this test")

    async def close(self) -> None:
        """Nothing to close."""


def test_queues_are_bounded_and_the_outbox_keeps_the_rest(client: ApiClient) -> None:
    container = container_of(client)
    small = container.settings.model_copy(update={"notify_queue": 2})
    notifier = Notifier(dataclasses.replace(container, settings=small), [Stuck()])
    for n in range(5):
        open_alert(client, "nowhere", f"thing-{n}")
    assert client.portal.call(notifier.poll_once) == 2
    assert client.portal.call(notifier.poll_once) == 0  # full: nothing more is claimed
    with container.read_transaction() as session:
        claimed = session.scalars(select(AlertEvent.claimed_at)).all()
    assert sum(c is not None for c in claimed) == 2
    assert len(claimed) == 5
