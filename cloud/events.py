"""In-process, bounded publish/subscribe for live events: publishers never wait for readers."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from cloud.store.models.base import utcnow

log = logging.getLogger(__name__)

DropHook = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One published event: a topic such as "receiving.session.closed" and JSON-able data."""

    seq: int
    topic: str
    data: Mapping[str, Any]
    at: datetime


class Subscription:
    """A subscriber's bounded buffer; when full, the oldest message is dropped and counted."""

    def __init__(self, bus: EventBus, topics: Sequence[str], buffer: int) -> None:
        self._bus = bus
        self._prefixes = tuple(topics)
        self._queue: deque[BusMessage] = deque(maxlen=buffer)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0
        self._unreported = 0

    def wants(self, topic: str) -> bool:
        """Whether this subscriber asked for topic (no prefixes means everything)."""
        return not self._prefixes or topic.startswith(self._prefixes)

    def offer(self, message: BusMessage) -> bool:
        """Queue message without waiting; return False if that pushed an older one out."""
        full = len(self._queue) == self._queue.maxlen
        self._queue.append(message)
        self._ready.set()
        if full:
            self.dropped += 1
            self._unreported += 1
            if self.dropped == 1:
                log.warning("live-stream subscriber too slow: dropping its oldest messages")
        return not full

    async def get(self) -> BusMessage | None:
        """The next message, waiting for one; None once the subscription is closed."""
        while not self._queue:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def take_dropped(self) -> int:
        """Messages dropped since the last call (so that a reader can tell its client)."""
        count, self._unreported = self._unreported, 0
        return count

    def close(self) -> None:
        """Stop receiving; a waiting get() returns None."""
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aiter__(self) -> AsyncIterator[BusMessage]:
        while (message := await self.get()) is not None:
            yield message


class EventBus:
    """Fan-out of live events to subscribers; publish() is safe from any thread and never blocks."""

    def __init__(self, buffer: int, on_drop: DropHook | None = None) -> None:
        self._buffer = buffer
        self._on_drop = on_drop
        self._subscribers: set[Subscription] = set()
        self._seq = itertools.count(1)
        self._loop = asyncio.get_running_loop()
        self.published = 0

    @property
    def subscribers(self) -> int:
        """Number of current subscribers."""
        return len(self._subscribers)

    def subscribe(self, topics: Sequence[str] = (), buffer: int | None = None) -> Subscription:
        """New subscription to topics starting with any of the prefixes (all if none)."""
        subscription = Subscription(self, topics, buffer or self._buffer)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscriber (Subscription.close calls this)."""
        self._subscribers.discard(subscription)

    def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        """Hand a message to every interested subscriber; from worker threads via the loop."""
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._deliver(topic, data)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, topic, data)

    def close(self) -> None:
        """End every subscription (service shutdown)."""
        for subscription in list(self._subscribers):
            subscription.close()

    def _deliver(self, topic: str, data: Mapping[str, Any]) -> None:
        message = BusMessage(next(self._seq), topic, data, utcnow())
        self.published += 1
        dropped = sum(
            not subscription.offer(message)
            for subscription in list(self._subscribers)
            if subscription.wants(topic)
        )
        if dropped and self._on_drop:
            self._on_drop(dropped)
