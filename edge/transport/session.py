"""One MQTT connection: a fresh paho client per connection, driven by the caller's thread.

A new client per connection means nothing paho queued on the old one is re-sent behind our back:
after a reconnect the publisher alone decides what to send again (everything not acknowledged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from edge.config import MqttConfig

LOG = logging.getLogger(__name__)

# CONNACK codes meaning "I do not speak this MQTT version": 0x84 in MQTT 5, 1 in MQTT 3.1.1.
_VERSION_REFUSED = frozenset({0x84, 1})
VERSION_NAMES = {MQTTProtocolVersion.MQTTv5: "5", MQTTProtocolVersion.MQTTv311: "3.1.1"}


class Outcome(Enum):
    """How a connection attempt ended."""

    CONNECTED = "connected"
    VERSION_REFUSED = "version refused"
    REFUSED = "refused"
    NO_CONNACK = "no connack"  # TCP connected, but the broker never answered the CONNECT
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Will:
    """Last will: set on every connection."""

    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Ack:
    """A PUBACK: which message, and whether the broker accepted it."""

    mid: int
    ok: bool
    reason: str


@dataclass
class _Events:
    """What paho reported; kept apart from the client so that no reference cycle holds it."""

    connack: ReasonCode | None = None
    receive_maximum: int = 65535  # MQTT 5 brokers may announce fewer (Mosquitto: 20)
    lost: str | None = None
    acks: list[Ack] = field(default_factory=list)

    def on_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, props: Any) -> None:
        self.connack = reason
        self.receive_maximum = getattr(props, "ReceiveMaximum", self.receive_maximum)

    def on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.lost = self.lost or str(reason)

    def on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        self.acks.append(Ack(mid, not reason.is_failure, str(reason)))


class Session:
    """One connection attempt and, if it succeeds, the connection until it ends."""

    def __init__(
        self, config: MqttConfig, client_id: str, protocol: MQTTProtocolVersion, will: Will
    ) -> None:
        self.config = config
        self.protocol = protocol
        self.error: str | None = None
        self._events = _Events()
        self._client: mqtt.Client | None = self._new_client(client_id, will)

    @property
    def version(self) -> str:
        """MQTT version of this connection, as in MqttConfig.protocol."""
        return VERSION_NAMES[self.protocol]

    def _new_client(self, client_id: str, will: Will) -> mqtt.Client:
        v5 = self.protocol == MQTTProtocolVersion.MQTTv5
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self.protocol,
            clean_session=None if v5 else True,
        )
        client.on_connect = self._events.on_connect
        client.on_disconnect = self._events.on_disconnect
        client.on_publish = self._events.on_publish
        # The publisher bounds what is in flight; paho must never hold messages back itself.
        client.max_inflight_messages_set(self.config.max_inflight + 8)
        client.will_set(will.topic, will.payload, qos=1, retain=True)
        username, password = credentials(self.config)
        if username is not None:
            client.username_pw_set(username, password)
        return client

    def open(self, timeout_s: float, should_stop: Callable[[], bool]) -> Outcome:
        """Connect and wait for the CONNACK; on failure `error` says why."""
        client = self._live()
        try:
            client.connect(self.config.host, self.config.port, self.config.keepalive_s)
        except (OSError, ValueError) as exc:
            return self._fail(Outcome.FAILED, f"{type(exc).__name__}: {exc}")
        deadline = time.monotonic() + timeout_s
        while self._events.connack is None and self._events.lost is None:
            if should_stop():
                return self._fail(Outcome.STOPPED, "stopping")
            if time.monotonic() > deadline:
                return self._fail(Outcome.NO_CONNACK, f"no CONNACK within {timeout_s:.0f}s")
            if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS and self._events.lost is None:
                self._events.lost = "connection closed before CONNACK"
        return self._connack_outcome()

    def _connack_outcome(self) -> Outcome:
        reason = self._events.connack
        if reason is None:
            return self._fail(Outcome.NO_CONNACK, self._events.lost or "connection closed")
        if not reason.is_failure:
            return Outcome.CONNECTED
        if reason.value in _VERSION_REFUSED:
            return self._fail(Outcome.VERSION_REFUSED, f"broker refused MQTT {self.version}")
        return self._fail(Outcome.REFUSED, f"broker refused the connection: {reason}")

    def _fail(self, outcome: Outcome, error: str) -> Outcome:
        self.error = error
        self.close(clean=False)
        return outcome

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish at QoS 1; return the message id, or None if the connection is gone."""
        client = self._client
        if client is None or self._events.lost is not None:
            return None
        info = client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._events.lost = self._events.lost or mqtt.error_string(info.rc)
            return None
        return info.mid

    def poll(self, timeout_s: float) -> bool:
        """Do network I/O for up to timeout_s; False once the connection is gone."""
        client = self._client
        if client is None or self._events.lost is not None:
            return False
        rc = client.loop(timeout_s)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS and self._events.lost is None:
            self._events.lost = mqtt.error_string(rc)
        return self._events.lost is None

    def take_acks(self) -> list[Ack]:
        """PUBACKs received since the last call."""
        acks, self._events.acks = self._events.acks, []
        return acks

    @property
    def receive_maximum(self) -> int:
        """QoS 1 messages the broker accepts unacknowledged at once (MQTT 5 CONNACK)."""
        return self._events.receive_maximum

    @property
    def lost(self) -> str | None:
        """Why the connection ended, or None while it is up."""
        return self._events.lost

    def close(self, *, clean: bool) -> None:
        """End the connection; clean sends DISCONNECT, so the broker discards the last will."""
        client, self._client = self._client, None
        if client is None:
            return
        if clean and self._events.lost is None:
            client.disconnect()
            client.loop(0.1)  # let paho finish writing DISCONNECT and close the socket
        # Dropping the only reference runs paho's __del__, which closes its sockets now.
        del client

    def _live(self) -> mqtt.Client:
        if self._client is None:
            raise RuntimeError("session is closed")
        return self._client


def credentials(config: MqttConfig) -> tuple[str | None, str | None]:
    """User name and password from the config fields, else from the URL."""
    parts = urlsplit(config.url)
    username = config.username if config.username is not None else parts.username
    password = config.password if config.password is not None else parts.password
    return username, password
