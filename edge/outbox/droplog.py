"""Rate-limited reporting of dropped events: exact counts, bounded log lines."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

LOG = logging.getLogger(__name__)


class DropReporter:
    """Collect drops and log them at most once per interval; the counts stay exact."""

    def __init__(
        self, policy: str, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        self.interval_s = interval_s
        self._clock = clock
        self._unreported: Counter[str] = Counter()
        self._last_report = float("-inf")

    def note(self, kind_counts: Counter[str], depth: int, total: int) -> None:
        """Record drops by kind; log them now unless a report went out within the interval."""
        self._unreported.update(kind_counts)
        if self._clock() - self._last_report >= self.interval_s:
            self.flush(depth, total)

    def flush(self, depth: int, total: int) -> None:
        """Log whatever drops were not reported yet."""
        if not self._unreported:
            return
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self._unreported.items()))
        LOG.warning(
            "outbox full at %d events (%s): dropped %s; %d dropped since open",
            depth,
            self.policy,
            kinds,
            total,
        )
        self._unreported.clear()
        self._last_report = self._clock()
