"""Exponential backoff with jitter for reconnect loops."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from `low` up to `high`, with ±25 % jitter so peers don't stampede."""

    def __init__(self, low: float, high: float, rng: random.Random | None = None) -> None:
        self._low = low
        self._high = max(low, high)
        self._next = low
        self._rng = rng or random.Random()

    def reset(self) -> None:
        """Start again from the shortest delay (after a successful connection)."""
        self._next = self._low

    def next(self) -> float:
        """The delay to wait before the next attempt."""
        delay = self._next * self._rng.uniform(0.75, 1.25)
        self._next = min(self._next * 2, self._high)
        return min(delay, self._high)
