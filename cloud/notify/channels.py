"""Where alert changes go: a signed webhook and the site's MQTT alert topic.

Each channel delivers one change at a time, in order, retrying with exponential backoff (and
jitter) up to the configured number of retries; then it gives up on that change, says why,
and goes on. A change it cannot route (MQTT: no site) is skipped and counted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiomqtt
import httpx

from cloud.notify.outbox import Change
from cloud.notify.signing import EVENT_HEADER, SIGNATURE_HEADER, sign
from protocol.topics import TopicError, site_alert_topic

logger = logging.getLogger(__name__)


class PermanentError(Exception):
    """A delivery that retrying will not fix (e.g. the receiver refuses it)."""


@dataclass(frozen=True, slots=True)
class Retry:
    """How often and how patiently to retry."""

    retries: int
    backoff_s: float
    backoff_max_s: float

    def pause(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1, 2, ...): doubling, capped, ±25 %."""
        base = min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s)
        return float(base * random.uniform(0.75, 1.25))


class Channel(Protocol):
    """One way out for alert changes."""

    name: str

    async def send(self, change: Change) -> bool:
        """Deliver one change (raise to have it retried); False if it does not apply here."""

    async def close(self) -> None:
        """Release connections."""


class Webhook:
    """POSTs each change as JSON, signed (X-Tagtrail-Signature: sha256=HMAC of the body)."""

    name = "webhook"

    def __init__(self, url: str, secret: bytes, timeout_s: float) -> None:
        self.url = url
        self.secret = secret
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, change: Change) -> bool:
        """POST the change; 2xx is done, 408/429/5xx and network errors are retried."""
        body = json.dumps(change.body(), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: str(change.id),
            SIGNATURE_HEADER: sign(self.secret, body),
        }
        response = await self._client.post(self.url, content=body, headers=headers)
        if response.is_success:
            return True
        if response.status_code in (408, 429) or response.status_code >= 500:
            response.raise_for_status()
        raise PermanentError(f"webhook refused change {change.id}: HTTP {response.status_code}")

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


class MqttAlerts:
    """Publishes each change on its site's alert topic (QoS 1), over one kept connection."""

    name = "mqtt"

    def __init__(self, url: str, client_id: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self._client_id = client_id
        self._client: aiomqtt.Client | None = None

    async def send(self, change: Change) -> bool:
        """Publish the change; False if it belongs to no site."""
        if change.site is None:
            return False
        try:
            topic = site_alert_topic(change.site)
        except TopicError:
            return False
        client = await self._connected()
        payload = json.dumps(change.body(), separators=(",", ":"))
        try:
            await client.publish(topic, payload, qos=1)
        except aiomqtt.MqttError:
            await self.close()  # reconnect on the retry
            raise
        return True

    async def _connected(self) -> aiomqtt.Client:
        if self._client is None:
            client = aiomqtt.Client(
                self._host,
                self._port,
                identifier=self._client_id,
                protocol=aiomqtt.ProtocolVersion.V311,
            )
            await client.__aenter__()
            self._client = client
        return self._client

    async def close(self) -> None:
        """Disconnect (a broken connection is dropped quietly)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.__aexit__(None, None, None)
            except aiomqtt.MqttError:
                logger.debug("MQTT alert connection was already gone")


async def deliver(channel: Channel, change: Change, retry: Retry) -> tuple[bool, str | None]:
    """Send with retries: (sent, error of the last attempt if it was given up)."""
    for attempt in range(retry.retries + 1):
        try:
            return await channel.send(change), None
        except PermanentError as exc:
            return False, str(exc)
        except (httpx.HTTPError, aiomqtt.MqttError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "%s: change %s failed (attempt %s): %s", channel.name, change.id, attempt + 1, error
            )
            if attempt < retry.retries:
                await asyncio.sleep(retry.pause(attempt + 1))
    return False, error


def stats() -> dict[str, Any]:
    """Fresh per-channel counters."""
    return {"sent": 0, "skipped": 0, "given_up": 0, "queued": 0}
