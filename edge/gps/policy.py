"""Reporting policy: which accepted fixes become PositionFix events.

A fix is reported when it is the first, or report_every_s have passed since the last report,
or the vehicle moved report_every_m from it, or turned by more than heading_change_deg (at
min_turn_speed_mps or more: a standing receiver's course is noise). The last accepted fix is
kept, so that the end of a track can be reported when the input ends.
"""

from __future__ import annotations

from edge.gps.config import GpsConfig
from edge.gps.filters import Fix, distance_m


def course_change(a: float, b: float) -> float:
    """Smallest angle between two courses, degrees (0-180)."""
    return abs((b - a + 180.0) % 360.0 - 180.0)


class ReportPolicy:
    """Decides, fix by fix, what is worth sending."""

    def __init__(self, config: GpsConfig) -> None:
        self.config = config
        self.last: Fix | None = None  # last reported fix
        self._pending: Fix | None = None  # last accepted fix, if not reported

    def offer(self, fix: Fix) -> bool:
        """Whether this accepted fix is to be reported."""
        if self.last is None or self._due(self.last, fix):
            self.last, self._pending = fix, None
            return True
        self._pending = fix
        return False

    def take_pending(self) -> Fix | None:
        """The last accepted fix if it was not reported (end of input); it counts as reported."""
        fix, self._pending = self._pending, None
        if fix is not None:
            self.last = fix
        return fix

    def _due(self, last: Fix, fix: Fix) -> bool:
        return (
            fix.time_ms - last.time_ms >= self.config.report_every_s * 1000
            or distance_m(last, fix) >= self.config.report_every_m
            or self._turned(last, fix)
        )

    def _turned(self, last: Fix, fix: Fix) -> bool:
        floor = self.config.min_turn_speed_mps
        if last.course_deg is None or fix.course_deg is None:
            return False
        if (last.speed_mps or 0.0) < floor or (fix.speed_mps or 0.0) < floor:
            return False
        return course_change(last.course_deg, fix.course_deg) > self.config.heading_change_deg
