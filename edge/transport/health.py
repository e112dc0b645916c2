"""Transport counters and the connection-state log (one line per change, not per attempt)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

LOG = logging.getLogger(__name__)

OUTAGE_REMINDER_S = 300.0


@dataclass(frozen=True, slots=True)
class TransportStats:
    """A snapshot of the publisher's counters for gateway health."""

    connected: bool
    protocol: str | None
    connects: int
    reconnects: int
    connect_failures: int
    messages_published: int
    messages_acked: int
    events_published: int
    events_acked: int
    rejected: int
    inflight: int
    queued_now: int
    now_dropped: int
    last_error: str | None


@dataclass
class Counters:
    """Mutable counters, written only by the transport thread."""

    connects: int = 0
    connect_failures: int = 0
    messages_published: int = 0
    messages_acked: int = 0
    events_published: int = 0
    events_acked: int = 0
    rejected: int = 0


class ConnectionLog:
    """Log the broker connection going down and up once, with a reminder during long outages."""

    def __init__(self, where: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.where = where
        self._clock = clock
        self._down_since: float | None = None
        self._reminded_at = 0.0
        self._failures = 0

    def connected(self, version: str, pending: int) -> None:
        """The broker accepted a connection."""
        if self._down_since is None:
            LOG.info("connected to MQTT broker %s (MQTT %s)", self.where, version)
        else:
            LOG.info(
                "reconnected to MQTT broker %s (MQTT %s) after %.1fs and %d failed attempts; "
                "%d events waiting",
                self.where,
                version,
                self._clock() - self._down_since,
                self._failures,
                pending,
            )
        self._down_since, self._failures = None, 0

    def lost(self, reason: str, pending: int) -> None:
        """An established connection ended."""
        LOG.warning(
            "connection to MQTT broker %s lost (%s); %d events waiting, reconnecting",
            self.where,
            reason,
            pending,
        )
        self._down_since = self._reminded_at = self._clock()

    def attempt_failed(self, error: str, pending: int) -> None:
        """A connection attempt failed: warn on the first, remind now and then, else DEBUG."""
        self._failures += 1
        now = self._clock()
        if self._down_since is None:
            self._down_since = self._reminded_at = now
            LOG.warning("cannot connect to MQTT broker %s: %s; retrying", self.where, error)
        elif now - self._reminded_at >= OUTAGE_REMINDER_S:
            self._reminded_at = now
            LOG.warning(
                "MQTT broker %s unreachable for %.0fs (%d attempts, last: %s); %d events waiting",
                self.where,
                now - self._down_since,
                self._failures,
                error,
                pending,
            )
        else:
            LOG.debug("connection attempt %d to %s failed: %s", self._failures, self.where, error)
