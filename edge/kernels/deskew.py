"""Reader clock de-skew: per-reader offset of the gateway clock over the reader's clock.

Every report gives a sample recv_us - (reader time of its newest read) = offset + delay, where
delay (report accumulation plus network latency) is never negative. The lower envelope of the
samples over a sliding window is therefore the offset plus the smallest delay seen: robust to
latency jitter and bursts, and it follows slow clock drift with a lag of at most one window.
The window is kept as BUCKETS minima of window / BUCKETS each, so memory is fixed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
BUCKETS = 8
_EMPTY = np.iinfo(np.int64).max


class ClockDeskew:
    """Offsets (gateway minus reader clock, µs) per reader, from report receive times."""

    def __init__(self, n_readers: int, window_us: int, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.width = max(1, window_us // BUCKETS)
        self._bucket = np.full((n_readers, BUCKETS), -1, dtype=np.int64)
        self._low = np.full((n_readers, BUCKETS), _EMPTY, dtype=np.int64)

    def update(self, reader: int, reader_us: int, recv_us: int) -> int:
        """Add a sample (newest reader time of a report, its receive time); return the offset."""
        if not self.enabled:
            return 0
        now = recv_us // self.width
        slot = now % BUCKETS
        if self._bucket[reader, slot] != now:
            self._bucket[reader, slot] = now
            self._low[reader, slot] = _EMPTY
        self._low[reader, slot] = min(int(self._low[reader, slot]), recv_us - reader_us)
        return self._estimate(reader, now)

    def offset(self, reader: int, now_us: int) -> int | None:
        """Current offset of a reader, or None without samples in the window."""
        if not self.enabled:
            return 0
        value = self._estimate(reader, now_us // self.width)
        return None if value == _EMPTY else value

    def correct(
        self, reader: int, t_us: npt.NDArray[np.int64], recv_us: int
    ) -> npt.NDArray[np.int64]:
        """Reader times of one report on the gateway clock (updates the estimate first)."""
        if len(t_us) == 0:
            return t_us
        corrected: I64 = t_us + self.update(reader, int(t_us.max()), recv_us)
        return corrected

    def _estimate(self, reader: int, now: int) -> int:
        live = self._bucket[reader] > now - BUCKETS
        return int(self._low[reader][live].min(initial=_EMPTY))
