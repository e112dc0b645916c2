"""Estimated time of arrival: remaining distance over the recent moving speed.

The speed is the distance driven while moving over the last speed window divided by the time
spent moving in it: a short stop (a red light, a queue at a border) does not make the truck
look slow, and a truck standing still keeps the speed it drove at. Without a window long
enough, the trip's average moving speed is used, and before that a default speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_SPAN_S = 60.0  # moving time a window needs before its speed is trusted

# (event time, cumulative metres driven while moving, cumulative seconds moving)
Sample = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Eta:
    """An arrival estimate made at the time of a fix."""

    t: float
    arrive_t: float
    remaining_m: float
    speed_mps: float
    basis: str  # route, great_circle or arrived


@dataclass(frozen=True, slots=True)
class SpeedRules:
    """How the speed for an ETA is chosen."""

    window_s: float = 1200.0
    min_speed_mps: float = 1.0
    default_speed_mps: float = 60.0 / 3.6


def trimmed(window: Sequence[Sample], now: float, window_s: float) -> list[Sample]:
    """The samples within window_s before now, plus the last one before (the window's start)."""
    inside = [i for i, s in enumerate(window) if s[0] >= now - window_s]
    first = max((inside[0] - 1) if inside else len(window) - 1, 0)
    return list(window[first:])


def speed(window: Sequence[Sample], total: Sample, rules: SpeedRules) -> float:
    """Recent moving speed, else the trip's average moving speed, else the default."""
    if len(window) >= 2:
        metres, seconds = window[-1][1] - window[0][1], window[-1][2] - window[0][2]
        if seconds >= MIN_SPAN_S and metres / seconds >= rules.min_speed_mps:
            return metres / seconds
    _, metres, seconds = total
    if seconds >= MIN_SPAN_S and metres / seconds >= rules.min_speed_mps:
        return metres / seconds
    return rules.default_speed_mps


def estimate(t: float, remaining_m: float, speed_mps: float, basis: str) -> Eta:
    """Arrival at the current speed over the remaining distance."""
    return Eta(t, t + remaining_m / speed_mps, remaining_m, speed_mps, basis)
