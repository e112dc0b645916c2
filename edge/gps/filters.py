"""Position filters: which raw fixes are believable enough to become part of a track.

Each rejected fix is counted under one reason, checked in this order:
no_fix (receiver says invalid, or no position), no_time (no time of day, or no date yet),
zero (0°, 0°: a receiver's placeholder), inconsistent (RMC and GGA of one epoch disagree),
out_of_range (beyond what the wire carries), future (later than the gateway clock allows),
duplicate (not newer than the last accepted fix), jump (implies more than max_speed_mps from
the last accepted fix). Distances are geodesics on WGS 84 (pyproj.Geod).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass

from pyproj import Geod

from edge.gps.config import GpsConfig
from edge.gps.epochs import RawFix
from protocol.messages import MAX_TIME_MS, MIN_TIME_MS

logger = logging.getLogger(__name__)

GEOD = Geod(ellps="WGS84")
REASONS = (
    "no_fix",
    "no_time",
    "zero",
    "inconsistent",
    "out_of_range",
    "future",
    "duplicate",
    "jump",
)
ZERO_DEG = 1e-6
INCONSISTENT_M = 50.0  # RMC and GGA of one epoch are the same solution: metres apart is a fault
MAX_SPEED_MPS = 100.0  # the wire's bound on ground speed
MAX_HDOP = 100.0
MAX_SATELLITES = 99


@dataclass(frozen=True, slots=True)
class Fix:
    """An accepted fix: a believable position at a known UTC time."""

    time_ms: int
    lat: float
    lon: float
    speed_mps: float | None = None
    course_deg: float | None = None
    hdop: float | None = None
    satellites: int | None = None


def distance_m(a: Fix, b: Fix) -> float:
    """Geodesic distance between two fixes, metres."""
    return float(GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2])


def implied_speed(a: Fix, b: Fix) -> float:
    """Speed needed to get from a to b in the time between them (inf if b is not later)."""
    seconds = (b.time_ms - a.time_ms) / 1000.0
    return distance_m(a, b) / seconds if seconds > 0 else math.inf


class FixFilter:
    """Screens raw fixes one by one, in receiver order; see the module docstring."""

    def __init__(self, config: GpsConfig) -> None:
        self.config = config
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.reanchored = 0
        self._anchor: Fix | None = None  # last accepted fix
        self._candidate: Fix | None = None  # last fix rejected as a jump
        self._streak = 0  # consecutive jumps that agree with each other

    def check(self, raw: RawFix, now_ms: int) -> Fix | None:
        """The accepted fix, or None (and the reason counted)."""
        fix, reason = self._screen(raw, now_ms)
        if fix is not None and reason is None and self._jumped(fix):
            reason = "jump"
        if fix is None or reason is not None:
            self.rejected[reason or "no_fix"] += 1
            return None
        self._anchor = fix
        self.accepted += 1
        return fix

    def _screen(self, raw: RawFix, now_ms: int) -> tuple[Fix | None, str | None]:
        if not raw.valid or raw.lat is None or raw.lon is None:
            return None, "no_fix"
        if raw.time_ms is None:
            return None, "no_time"
        fix = Fix(
            raw.time_ms, raw.lat, raw.lon, raw.speed_mps, raw.course_deg, raw.hdop, raw.satellites
        )
        return fix, self._reason(fix, raw, now_ms)

    def _reason(self, fix: Fix, raw: RawFix, now_ms: int) -> str | None:
        if abs(fix.lat) < ZERO_DEG and abs(fix.lon) < ZERO_DEG:
            return "zero"
        if raw.second is not None and _apart(fix, raw.second) > INCONSISTENT_M:
            return "inconsistent"
        if not _in_range(fix):
            return "out_of_range"
        if fix.time_ms > now_ms + self.config.future_tolerance_s * 1000:
            return "future"
        if self._anchor is not None and fix.time_ms <= self._anchor.time_ms:
            return "duplicate"
        return None

    def _jumped(self, fix: Fix) -> bool:
        limit = self.config.max_speed_mps
        if self._anchor is None or implied_speed(self._anchor, fix) <= limit:
            self._candidate, self._streak = None, 0
            return False
        agrees = self._candidate is not None and implied_speed(self._candidate, fix) <= limit
        self._candidate, self._streak = fix, (self._streak + 1 if agrees else 1)
        if self._streak < self.config.jump_reanchor:
            return True
        # Several fixes agree with each other and not with the anchor: the anchor was wrong.
        logger.warning("GPS track re-anchored after %d consistent jumps", self._streak)
        self.reanchored += 1
        self._candidate, self._streak = None, 0
        return False


def _apart(fix: Fix, other: tuple[float, float]) -> float:
    return float(GEOD.inv(fix.lon, fix.lat, other[1], other[0])[2])


def _in_range(fix: Fix) -> bool:
    return (
        MIN_TIME_MS <= fix.time_ms <= MAX_TIME_MS
        and (fix.speed_mps is None or fix.speed_mps <= MAX_SPEED_MPS)
        and (fix.hdop is None or fix.hdop <= MAX_HDOP)
        and (fix.satellites is None or fix.satellites <= MAX_SATELLITES)
    )
