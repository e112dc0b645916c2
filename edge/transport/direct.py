"""The bounded memory queue of direct messages (publish_now): not durable, drops counted."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from protocol.topics import Kind

LOG = logging.getLogger(__name__)

DROP_LOG_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class Message:
    """A message in flight: a batch knows its outbox seqs; a direct message keeps its bytes,
    having no other copy to send again after a reconnect."""

    kind: Kind
    topic: str
    seqs: tuple[int, ...] = ()
    payload: bytes | None = None


class DirectQueue:
    """Direct messages waiting for the broker; when full the oldest is dropped and counted.

    Thread-safe: any thread puts, the transport thread takes, requeues and marks done.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.dropped = 0
        self._queue: deque[Message] = deque()
        self._unacked = 0  # queued or in flight: the queue alone misses a message in hand
        self._lock = threading.Lock()
        self._drop_logged = float("-inf")

    def put(self, message: Message) -> None:
        """Queue a message, dropping the oldest if the queue is full."""
        with self._lock:
            self._unacked += 1
            self._queue.append(message)
            self._trim()

    def take(self) -> Message | None:
        """The oldest queued message, if any."""
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def requeue(self, messages: list[Message]) -> None:
        """Put unacknowledged messages back in front, in their order."""
        with self._lock:
            self._queue.extendleft(reversed(messages))
            self._trim()

    def done(self) -> None:
        """One taken message was acknowledged."""
        with self._lock:
            self._unacked -= 1

    @property
    def unacked(self) -> int:
        """Messages queued or in flight."""
        return self._unacked

    def __len__(self) -> int:
        return len(self._queue)

    def _trim(self) -> None:
        while len(self._queue) > self.limit:
            dropped = self._queue.popleft()
            self._unacked -= 1
            self.dropped += 1
            self._log_drop(dropped)

    def _log_drop(self, dropped: Message) -> None:
        if time.monotonic() - self._drop_logged < DROP_LOG_INTERVAL_S:
            return
        self._drop_logged = time.monotonic()
        LOG.warning(
            "queue of direct messages full (%d): dropped a %s message; %d dropped so far",
            self.limit,
            dropped.kind.value,
            self.dropped,
        )
