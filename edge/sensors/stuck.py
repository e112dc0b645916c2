"""Stuck-probe detection: the same reading, digit for digit, many times in a row.

A live probe's last digit jitters (noise, quantisation); a frozen sensor element or a hung
transmitter repeats one value. Stuck readings are flagged and counted, never dropped: the
values may still be right, and the decision belongs to whoever reads the counters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from edge.sensors.lines import Reading

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StuckChange:
    """A stuck episode began (stuck) or ended (not stuck) with this reading."""

    stuck: bool
    reading: Reading
    run: int


class StuckDetector:
    """Counts identical readings in a row; after `after` of them the probe is stuck."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.episodes = 0
        self.readings = 0  # readings that were part of a flagged run
        self._last: Reading | None = None
        self._run = 0

    @property
    def stuck(self) -> bool:
        """Whether the current run is flagged."""
        return self.after > 0 and self._run >= self.after

    def feed(self, reading: Reading) -> StuckChange | None:
        """Take the next valid reading; return a change of state, if any."""
        if self.after <= 0:
            return None
        if reading == self._last:
            self._run += 1
            return self._grown(reading)
        ended = self._ended()
        self._last, self._run = reading, 1
        return ended

    def _grown(self, reading: Reading) -> StuckChange | None:
        if self._run < self.after:
            return None
        if self._run == self.after:
            self.episodes += 1
            self.readings += self.after
            return StuckChange(True, reading, self._run)
        self.readings += 1
        return None

    def _ended(self) -> StuckChange | None:
        if self._last is None or not self.stuck:
            return None
        return StuckChange(False, self._last, self._run)
