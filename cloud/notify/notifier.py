"""The notifier component: claims alert changes from the outbox and feeds each channel's
bounded queue; channel workers deliver in order; a change is marked delivered once every
channel is through with it (sent, skipped, or given up with the reason kept).

Queues are bounded: when a channel is slow the poller claims no more (the outbox holds the
rest), so memory stays flat and nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import timedelta
from typing import Any

from cloud.container import ServiceContainer
from cloud.notify import outbox
from cloud.notify.channels import Channel, MqttAlerts, Retry, Webhook, deliver, stats
from cloud.notify.outbox import Change
from cloud.threads import ThreadWork

logger = logging.getLogger(__name__)


class Notifier:
    """Background component delivering alert changes to the webhook and MQTT."""

    name = "alert-notifier"

    def __init__(self, container: ServiceContainer, channels: list[Channel]) -> None:
        settings = container.settings
        self.container = container
        self.channels = channels
        self.retry = Retry(
            settings.notify_retries, settings.notify_backoff_s, settings.notify_backoff_max_s
        )
        self.worker = f"{socket.gethostname()}-{id(self):x}"[:64]
        self._queues = {c.name: asyncio.Queue[Change](settings.notify_queue) for c in channels}
        self._pending: dict[int, set[str]] = {}  # change id -> channels not through yet
        self._errors: dict[int, str | None] = {}
        self._done: dict[int, str | None] = {}
        self._stats = {c.name: stats() for c in channels}
        self._tasks: list[asyncio.Task[None]] = []
        self._threads = ThreadWork()

    async def start(self) -> None:
        """Start the poller and one worker per channel."""
        self._tasks = [asyncio.create_task(self._poll(), name="notify-poll")]
        self._tasks += [
            asyncio.create_task(self._work(c), name=f"notify-{c.name}") for c in self.channels
        ]

    async def stop(self) -> None:
        """Stop; what was delivered is marked, the rest is claimed again after the lease."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._threads.drain()  # a claim on its thread finishes before the engine goes
        await self._threads.run(self._mark_done)
        for channel in self.channels:
            await channel.close()

    def health(self) -> dict[str, Any]:
        """Per-channel counters and queue depths for /readyz."""
        for name, queue in self._queues.items():
            self._stats[name]["queued"] = queue.qsize()
        return {name: dict(values) for name, values in self._stats.items()}

    async def _poll(self) -> None:
        every = self.container.settings.notify_poll_s
        while True:
            try:
                await self.poll_once()
            except Exception:
                # A failed poll (database away) must not end notifications: try again later.
                logger.exception("alert notifier poll failed")
            await asyncio.sleep(every)

    async def poll_once(self) -> int:
        """Mark finished changes delivered, then claim as many as every queue has room for."""
        await self._threads.run(self._mark_done)
        room = min((q.maxsize - q.qsize() for q in self._queues.values()), default=0)
        if room <= 0 or not self.channels:
            return 0
        changes = await self._threads.run(lambda: self._claim(room))
        for change in changes:
            self._pending[change.id] = set(self._queues)
            for queue in self._queues.values():
                queue.put_nowait(change)  # room was checked: never blocks
        return len(changes)

    def _claim(self, limit: int) -> list[Change]:
        lease = timedelta(seconds=self.container.settings.notify_lease_s)
        claimed = [c for c in self._claimable(limit, lease) if c.id not in self._pending]
        return claimed

    def _claimable(self, limit: int, lease: timedelta) -> list[Change]:
        with self.container.transaction() as session:
            return outbox.claim(session, self.worker, limit, lease)

    def _mark_done(self) -> None:
        done, self._done = self._done, {}
        if not done:
            return
        with self.container.transaction() as session:
            outbox.delivered(session, done)

    async def _work(self, channel: Channel) -> None:
        queue = self._queues[channel.name]
        counters = self._stats[channel.name]
        while True:
            change = await queue.get()
            sent, error = await deliver(channel, change, self.retry)
            if error is not None:
                counters["given_up"] += 1
                logger.error("%s gave up on alert change %s: %s", channel.name, change.id, error)
            else:
                counters["sent" if sent else "skipped"] += 1
            self._through(change.id, channel.name, error)

    def _through(self, change_id: int, channel: str, error: str | None) -> None:
        waiting = self._pending.get(change_id, set())
        waiting.discard(channel)
        if error is not None:
            self._errors[change_id] = f"{channel}: {error}"[:2000]
        if not waiting:
            self._pending.pop(change_id, None)
            self._done[change_id] = self._errors.pop(change_id, None)


def channels_from(container: ServiceContainer) -> list[Channel]:
    """The channels the settings switch on."""
    settings = container.settings
    found: list[Channel] = []
    if settings.notify_webhook_url:
        secret = settings.secret_key.get_secret_value().encode()
        found.append(Webhook(settings.notify_webhook_url, secret, settings.notify_timeout_s))
    if settings.notify_mqtt:
        client_id = f"{settings.mqtt_client_id or 'tagtrail-cloud'}-alerts-{socket.gethostname()}"
        found.append(MqttAlerts(settings.mqtt_url, client_id[:64]))
    return found


def alert_notifier(container: ServiceContainer) -> Notifier:
    """Component factory for create_app."""
    return Notifier(container, channels_from(container))
