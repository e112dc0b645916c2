"""Reconnect delays: exponential growth with jitter, so that many gateways do not reconnect
in step after a broker restart."""

from __future__ import annotations

import random

_MAX_EXPONENT = 30  # 2**30 times the first delay is beyond any sensible cap


class Backoff:
    """Delays drawn from [ceiling / 2, ceiling], the ceiling doubling from 2 * min_s to max_s.

    Every delay lies within [min_s, max_s]; even the first is jittered, so gateways that lost
    the same broker at the same moment do not come back at the same moment.
    """

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if min_s <= 0 or max_s < min_s:
            raise ValueError(f"need 0 < min_s <= max_s, got {min_s}, {max_s}")
        self.min_s = min_s
        self.max_s = max_s
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one failed attempt."""
        ceiling = min(self.max_s, self.min_s * 2 ** min(self.attempts + 1, _MAX_EXPONENT))
        self.attempts += 1
        return self._rng.uniform(max(self.min_s, ceiling / 2), ceiling)

    def reset(self) -> None:
        """Start again from min_s (after a successful connection)."""
        self.attempts = 0
