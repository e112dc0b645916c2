"""Per-sensor interval aggregation: min/max/mean/count over wall-clock-aligned intervals.

Readings are stamped by the gateway clock on arrival (probes carry no time). Interval k covers
[k * interval, (k + 1) * interval) of epoch time, so every gateway's minutes line up. A sample's
start is the later of its interval start and the time the source started, so that a restart
within an interval yields a sample with a different ID instead of a clash with the first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from edge.sensors.lines import Reading
from protocol.ids import make_event_id
from protocol.messages import ConditionSample
from protocol.topics import Kind

logger = logging.getLogger(__name__)

MEAN_DECIMALS = 3


@dataclass(slots=True)
class _Stat:
    """Running min/max/sum of one quantity."""

    n: int = 0
    low: float = float("inf")
    high: float = float("-inf")
    total: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)

    def parts(self) -> tuple[float | None, float | None, float | None]:
        if not self.n:
            return None, None, None
        return round(self.low, 4), round(self.high, 4), round(self.total / self.n, MEAN_DECIMALS)


@dataclass(slots=True)
class _Interval:
    """What one interval has collected so far."""

    count: int = 0
    bad: int = 0
    temp: _Stat = field(default_factory=_Stat)
    rh: _Stat = field(default_factory=_Stat)

    def add(self, reading: Reading) -> None:
        self.count += 1
        if reading.temp is not None:
            self.temp.add(reading.temp)
        if reading.rh is not None:
            self.rh.add(reading.rh)


class IntervalAggregator:
    """Collects one sensor's stamped readings and closes intervals as the clock passes them."""

    def __init__(self, gateway: str, sensor: str, interval_s: float, start_us: int) -> None:
        self.gateway = gateway
        self.sensor = sensor
        self.interval_us = max(1000, round(interval_s * 1e6))
        self.start_us = start_us
        self._open: dict[int, _Interval] = {}
        self._closed_until_us = start_us  # nothing at or before this goes into a sample again
        self.late = 0  # readings stamped before an interval already closed (clock stepped back)
        self.empty = 0  # intervals that had bad lines but no valid reading to report

    def add(self, t_us: int, reading: Reading) -> None:
        """Add a valid reading stamped t_us."""
        self._slot(t_us).add(reading)

    def reject(self, t_us: int) -> None:
        """Count a rejected line stamped t_us in its interval."""
        self._slot(t_us).bad += 1

    def close(self, now_us: int) -> list[ConditionSample]:
        """Samples of every interval that ended at or before now_us, in time order."""
        done = [k for k in sorted(self._open) if (k + 1) * self.interval_us <= now_us]
        samples = [s for k in done if (s := self._finish(k, (k + 1) * self.interval_us))]
        if done:
            self._closed_until_us = max(self._closed_until_us, (done[-1] + 1) * self.interval_us)
        return samples

    def flush(self, end_us: int) -> list[ConditionSample]:
        """Close everything, the open interval ending early at end_us (the source stopped)."""
        samples = self.close(end_us)
        for k in sorted(self._open):
            end = max(min(end_us, (k + 1) * self.interval_us), self._start_of(k))
            if sample := self._finish(k, end):
                samples.append(sample)
        self._closed_until_us = max(self._closed_until_us, end_us)
        return samples

    def _slot(self, t_us: int) -> _Interval:
        if t_us < self._closed_until_us:
            # A reading can only be this late if the clock stepped back or the reader thread
            # stalled between stamping and queueing: keep it, in the first open interval.
            self.late += 1
            t_us = self._closed_until_us
        k = t_us // self.interval_us
        interval = self._open.get(k)
        if interval is None:
            interval = self._open[k] = _Interval()
        return interval

    def _start_of(self, k: int) -> int:
        return max(k * self.interval_us, self.start_us)

    def _finish(self, k: int, end_us: int) -> ConditionSample | None:
        interval = self._open.pop(k)
        start_ms = self._start_of(k) // 1000
        if not interval.count:
            self.empty += 1
            logger.info(
                "sensor %s: no valid reading in the interval from %d ms (%d bad lines)",
                self.sensor,
                start_ms,
                interval.bad,
            )
            return None
        return self._sample(interval, start_ms, end_us // 1000)

    def _sample(self, interval: _Interval, start_ms: int, end_ms: int) -> ConditionSample:
        t_min, t_max, t_mean = interval.temp.parts()
        rh_min, rh_max, rh_mean = interval.rh.parts()
        return ConditionSample(
            id=make_event_id(self.gateway, Kind.CONDITION.value, self.sensor, start_ms),
            sensor=self.sensor,
            start_ms=start_ms,
            time_ms=end_ms,
            count=interval.count,
            temp_min=t_min,
            temp_max=t_max,
            temp_mean=t_mean,
            rh_min=rh_min,
            rh_max=rh_max,
            rh_mean=rh_mean,
            bad=interval.bad,
        )
