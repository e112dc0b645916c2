"""A subscriber that decodes a site's portal events as they arrive (for the demo and tools)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from protocol.codec import PayloadError, decode
from protocol.epc import EpcError, decode_epc
from protocol.messages import PortalEvent, ms_to_datetime
from protocol.topics import Kind, TopicError, parse, subscription

logger = logging.getLogger(__name__)


def describe_epc(epc: str) -> str:
    """A short human name for an EPC: its GS1 key, or the raw hex."""
    try:
        decoded = decode_epc(epc)
    except EpcError:
        return epc
    if decoded.key_type and decoded.gs1_key:
        return f"{decoded.key_type} {decoded.gs1_key}"
    return epc


def portal_line(event: PortalEvent) -> str:
    """One console line for a portal event."""
    when = ms_to_datetime(event.time_ms).astimezone().strftime("%H:%M:%S.%f")[:-3]
    arrow = "IN " if event.direction == "in" else "OUT"
    return f"{when}  {arrow} {event.door:<8} {describe_epc(event.epc)}"


class PortalWatch:
    """Subscribe to a site's portal topics and hand each new event to a callback."""

    def __init__(self, mqtt_url: str, site: str, on_event: Callable[[PortalEvent], None]) -> None:
        parts = urlsplit(mqtt_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self._topic = subscription(Kind.PORTAL, site)
        self._on_event = on_event
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"tagtrail-watch-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        self._client.on_connect = self._connected
        self._client.on_message = self._message

    def start(self) -> None:
        """Connect and start the network thread (paho reconnects by itself)."""
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()

    def _connected(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(self._topic, qos=1)

    def _message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            batch = decode(parse(message.topic).kind, bytes(message.payload))
        except (PayloadError, TopicError) as exc:
            logger.warning("ignoring a bad message on %s: %s", message.topic, exc)
            return
        for event in batch.events:
            if isinstance(event, PortalEvent) and self._first(event.id):
                self._on_event(event)

    def _first(self, event_id: str) -> bool:
        # At-least-once delivery: a repeat after a reconnect is the same event.
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen.add(event_id)
            return True
