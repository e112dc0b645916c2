"""What an emulated reader counts, so tests and health checks can see every read's fate."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass


@dataclass(slots=True)
class Counters:
    """Counters of one emulated reader.

    Every scenario read that falls due ends up in exactly one of: reads_idle (no ROSpec was
    running, or it did not use that antenna), reads_sent, reads_dropped_disconnected,
    reads_dropped_overflow, or is still waiting (reads_pending in the report buffer,
    reads_held for a client that is away). `accounted()` checks that sum.
    """

    reads_due: int = 0
    reads_idle: int = 0
    reads_sent: int = 0
    reads_dropped_disconnected: int = 0
    reads_dropped_overflow: int = 0
    reads_pending: int = 0
    reads_held: int = 0
    reports_sent: int = 0
    connections: int = 0
    connections_rejected: int = 0
    disconnects: int = 0
    messages_received: int = 0
    bad_messages: int = 0
    protocol_errors: int = 0
    truncated_messages: int = 0
    keepalives_sent: int = 0
    keepalive_acks: int = 0
    bytes_sent: int = 0
    faults_injected: int = 0

    def snapshot(self) -> Counters:
        """An independent copy."""
        return dataclasses.replace(self)

    def as_dict(self) -> dict[str, int]:
        """Counters by name."""
        return dataclasses.asdict(self)

    def accounted(self) -> bool:
        """Whether every due read is counted exactly once."""
        fates = (
            self.reads_idle
            + self.reads_sent
            + self.reads_dropped_disconnected
            + self.reads_dropped_overflow
            + self.reads_pending
            + self.reads_held
        )
        return fates == self.reads_due


class DropLog:
    """Logs lost reads of one kind at most once per interval, with the total so far."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        level: int = logging.WARNING,
        interval_s: float = 5.0,
    ) -> None:
        self._logger = logger
        self._what = what
        self._level = level
        self._interval = interval_s
        self._last = -float("inf")
        self._since = 0

    def dropped(self, reader: str, n: int, total: int) -> None:
        """Note n more lost reads; log if the last line is old enough."""
        self._since += n
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._logger.log(
            self._level,
            "reader %s: %d reads lost (%s); %d so far",
            reader,
            self._since,
            self._what,
            total,
        )
        self._last, self._since = now, 0
