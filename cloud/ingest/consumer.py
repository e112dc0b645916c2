"""The MQTT consumer: owns its connection, reconnects with backoff, acknowledges after commit.

Delivery: QoS 1 with manual acknowledgement. A message is acknowledged only after the
transaction that applied it (or dead-lettered it) committed, so a crash loses nothing: the
broker sends unacknowledged messages again and the event IDs make the repeat harmless. The
broker's in-flight limit (MQTT 5 Receive Maximum; Mosquitto's max_inflight_messages on 3.1.1)
bounds how many unacknowledged messages wait here. Several workers split one stream through
an MQTT 5 shared subscription; on a 3.1.1-only broker each worker gets everything.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud.events import EventBus
from cloud.ingest.handler import Incoming, IngestHandler, Outcome
from cloud.settings import CloudSettings
from cloud.sinks import Sink
from cloud.threads import ThreadWork
from protocol.topics import shared_subscription, subscription

logger = logging.getLogger(__name__)

LINGER_S = 0.05  # how long a batch waits for more messages before it is applied
SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue for a week of downtime


class MqttIngest:
    """Background component: consume gateway messages and apply them; close quiet doors."""

    name = "mqtt-ingest"

    def __init__(
        self,
        settings: CloudSettings,
        handler: IngestHandler,
        bus: EventBus,
        sinks: Sequence[Sink] = (),
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.bus = bus
        self.sinks = list(sinks)
        parts = urlsplit(settings.mqtt_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self._client_id = settings.mqtt_client_id or f"tagtrail-cloud-{socket.gethostname()}"
        self._tasks: list[asyncio.Task[None]] = []
        self._threads = ThreadWork()  # database work running on threads
        self._stats: dict[str, Any] = {"connected": False, "protocol": None, "messages": 0}
        self._stats.update({"applied": 0, "duplicates": 0, "dead_letters": 0, "own": 0})
        self._stats["reconnects"] = 0

    async def start(self) -> None:
        """Start consuming and the door ticker."""
        self._tasks = [
            asyncio.create_task(self._run(), name="mqtt-ingest"),
            asyncio.create_task(self._tick(), name="door-ticker"),
        ]

    async def stop(self) -> None:
        """Stop both tasks (unacknowledged messages will be redelivered to the next run)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A transaction already running on a thread finishes before the engine goes away.
        await self._threads.drain()

    async def _offload(self, work: Callable[[], Outcome]) -> Outcome:
        return await self._threads.run(work)

    def health(self) -> dict[str, Any]:
        """Counters for /readyz."""
        return dict(self._stats)

    async def _run(self) -> None:
        delay = 0.5
        version = aiomqtt.ProtocolVersion.V5
        while True:
            started = time.monotonic()
            try:
                await self._session(version)
            except aiomqtt.MqttCodeError as exc:
                if version is aiomqtt.ProtocolVersion.V5 and _refused_version(exc):
                    logger.warning(
                        "broker refuses MQTT 5: falling back to 3.1.1 (no shared subscription)"
                    )
                    version = aiomqtt.ProtocolVersion.V311
                    continue
                logger.warning("MQTT ingest: %s", exc)
            except aiomqtt.MqttError as exc:
                logger.warning("MQTT ingest disconnected: %s", exc)
            except (OSError, ValueError, RuntimeError):
                # Whatever ends one connection must not end the consumer: log it, back off.
                logger.exception("MQTT ingest session failed")
            self._stats["connected"] = False
            self._stats["reconnects"] += 1
            delay = 0.5 if time.monotonic() - started > 30 else min(delay * 2, 30.0)
            await asyncio.sleep(delay * random.uniform(0.75, 1.25))

    async def _session(self, version: aiomqtt.ProtocolVersion) -> None:
        client = self._client(version)
        # aiomqtt has no public switch for manual acknowledgement yet (its PR #346): use paho's.
        client._client.manual_ack_set(True)
        async with client:
            topics = self._topics(version)
            for topic in topics:
                await client.subscribe(topic, qos=1)
            self._stats.update(connected=True, protocol=version.name)
            logger.info("MQTT ingest subscribed to %s on %s:%s", topics, self._host, self._port)
            await self._consume(client)

    def _client(self, version: aiomqtt.ProtocolVersion) -> aiomqtt.Client:
        v5 = version is aiomqtt.ProtocolVersion.V5
        properties = None
        if v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
            properties.ReceiveMaximum = self.settings.ingest_inflight
        return aiomqtt.Client(
            self._host, self._port, identifier=self._client_id, protocol=version,
            clean_session=None if v5 else False,
            clean_start=False if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,  # v3.1.1: paho default
            properties=properties, keepalive=30,
        )  # fmt: skip

    def _topics(self, version: aiomqtt.ProtocolVersion) -> list[str]:
        sites: list[str | None] = [*self.settings.ingest_sites] or [None]
        filters = [subscription(site=site) for site in sites]
        if version is aiomqtt.ProtocolVersion.V5:
            return [shared_subscription(self.settings.mqtt_group, f) for f in filters]
        return filters

    async def _consume(self, client: aiomqtt.Client) -> None:
        batch: list[aiomqtt.Message] = []
        messages = aiter(client.messages)
        while True:
            timeout = LINGER_S if batch else None
            try:
                message = await asyncio.wait_for(anext(messages), timeout)
                batch.append(message)
            except TimeoutError:
                pass
            if batch and (len(batch) >= self.settings.ingest_batch or not _waiting(client)):
                await self._apply(client, batch)
                batch = []

    async def _apply(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        incoming = [Incoming(str(m.topic), _bytes(m.payload)) for m in batch]
        outcome = await self._offload(lambda: self.handler.handle(incoming))
        for message in batch:
            client._client.ack(message.mid, message.qos)  # only now: the effect is committed
        self._count(outcome, len(batch))

    def _count(self, outcome: Outcome, messages: int) -> None:
        self._stats["messages"] += messages
        self._stats["applied"] += outcome.applied
        self._stats["duplicates"] += outcome.duplicates
        self._stats["dead_letters"] += outcome.dead_letters
        self._stats["own"] += outcome.own
        for topic, data in outcome.notices:
            self.bus.publish(topic, data)
        for where, events in outcome.fresh:
            for sink in self.sinks:
                sink.write(where, events)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ingest_tick_s)
            await _logged(self._offload(self.handler.close_due), self._count_tick)

    def _count_tick(self, outcome: Outcome) -> None:
        for topic, data in outcome.notices:
            self.bus.publish(topic, data)


def _waiting(client: aiomqtt.Client) -> bool:
    return len(client.messages) > 0


def _bytes(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()


def _refused_version(exc: aiomqtt.MqttCodeError) -> bool:
    # CONNACK 0x84 (MQTT 5) / 1 (3.1.1): unsupported protocol version.
    return getattr(exc.rc, "value", exc.rc) in {1, 0x84}


async def _logged(work: Awaitable[Outcome], then: Callable[[Outcome], None]) -> None:
    try:
        then(await work)
    except Exception:
        # The ticker must outlive a failed round (database restart, say): log and go on.
        logger.exception("closing quiet doors failed; retrying next tick")
