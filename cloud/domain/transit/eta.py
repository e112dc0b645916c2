"""Estimated time of arrival: the plan's time for the rest of the route at the vehicle's pace.

The plan gives a driving time for every stretch of the route (its expected speeds, else the
default speed everywhere). A pace compares the time the vehicle took with the time the plan
gives for the progress it made: 1.1 is ten percent slower than planned, traffic lights and
queues included. Standing longer than the stop credit is no pace (a rest, an incident), and
the plan's own stops are added for every one still ahead.

Two paces are kept: the recent one (the last window) and the trip's typical one (the median of
its five-minute chunks, which a jam does not drag along; the plan's pace fills in for the
first chunks). The estimate drives the next
minutes at the recent pace, fading into the typical pace beyond the horizon: a truck that is
stuck now is late for the next minutes, not for the rest of the day. Without a route, the
remaining great-circle distance (times a detour factor) at the default speed is the plan.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_PLANNED_S = 60.0  # planned progress a window needs before its pace is trusted
CHUNK_S = 300.0  # planned seconds per chunk of the typical pace
MIN_CHUNKS = 3
MAX_CHUNKS = 500
PACE_BOUNDS = (0.5, 4.0)

# (event time, cumulative seconds on the clock that count, cumulative planned seconds)
Sample = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Eta:
    """An arrival estimate made at the time of a fix."""

    t: float
    arrive_t: float
    remaining_m: float
    speed_mps: float  # the average speed the estimate amounts to
    basis: str  # route, great_circle or arrived


@dataclass(frozen=True, slots=True)
class SpeedRules:
    """How the pace for an ETA is measured."""

    window_s: float = 600.0  # the recent pace's window
    horizon_s: float = 300.0  # how fast the recent pace fades into the typical one
    default_speed_mps: float = 60.0 / 3.6
    stop_credit_s: float = 120.0  # standing longer than this does not count towards the pace


def clamp(value: float) -> float:
    """A pace within sensible bounds."""
    return min(max(value, PACE_BOUNDS[0]), PACE_BOUNDS[1])


def trimmed(window: Sequence[Sample], now: float, window_s: float) -> list[Sample]:
    """The samples within window_s before now, plus the last one before (the window's start)."""
    inside = [i for i, s in enumerate(window) if s[0] >= now - window_s]
    first = max((inside[0] - 1) if inside else len(window) - 1, 0)
    return list(window[first:])


def recent(window: Sequence[Sample], last: float) -> float:
    """Time taken over planned time in the window, else the last pace known."""
    if len(window) < 2:
        return last
    clock, planned = window[-1][1] - window[0][1], window[-1][2] - window[0][2]
    return clamp(clock / planned) if planned >= MIN_PLANNED_S else last


def chunked(chunks: list[float], start: Sample, now: Sample) -> tuple[list[float], Sample]:
    """Close the current chunk once it holds CHUNK_S of planned progress."""
    planned = now[2] - start[2]
    if planned < CHUNK_S:
        return chunks, start
    return [*chunks, clamp((now[1] - start[1]) / planned)][-MAX_CHUNKS:], now


def typical(chunks: Sequence[float]) -> float:
    """The trip's typical pace: the median chunk, the plan's pace standing in for missing ones."""
    # Until the trip has MIN_CHUNKS of its own, the plan (pace 1.0) fills in: a slow start in
    # the yard must not stretch over the whole route and call an on-time truck late.
    prior = [1.0] * max(MIN_CHUNKS - len(chunks), 0)
    return statistics.median([*chunks, *prior])


def drive_s(remaining_s: float, now: float, usual: float, horizon_s: float) -> float:
    """Time to drive the planned remaining seconds, the pace fading from now to usual."""
    fade = horizon_s * (1.0 - math.exp(-remaining_s / horizon_s)) if horizon_s > 0 else 0.0
    return usual * remaining_s + (now - usual) * fade


def estimate(t: float, remaining_m: float, duration_s: float, basis: str) -> Eta:
    """An arrival duration_s after t."""
    speed = remaining_m / duration_s if duration_s > 0 else 0.0
    return Eta(t, t + duration_s, remaining_m, speed, basis)
