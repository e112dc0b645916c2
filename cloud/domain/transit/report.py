"""Trips-and-stops report of a track: where the vehicle stood, how it drove in between, and
where the track has holes.

A stop is a run of fixes that all stay within the stop radius of the run's first fix for at
least the minimum stop time; a leg is the driving between two stops (or the track's ends); a
gap is a pause between two consecutive fixes longer than the offline time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cloud.domain.transit.geo import Fix, distance_m, distances_m


@dataclass(frozen=True, slots=True)
class Stop:
    """Where the vehicle stood, from when to when."""

    lat: float
    lon: float
    start_t: float
    end_t: float
    fixes: int


@dataclass(frozen=True, slots=True)
class Leg:
    """Driving between two stops."""

    start_t: float
    end_t: float
    distance_m: float
    max_speed_mps: float
    fixes: int


@dataclass(frozen=True, slots=True)
class Gap:
    """No fix between two consecutive fixes for longer than the offline time."""

    start_t: float
    end_t: float
    distance_m: float


@dataclass(frozen=True)
class Report:
    """Legs, stops and gaps of a track, each in time order."""

    legs: tuple[Leg, ...]
    stops: tuple[Stop, ...]
    gaps: tuple[Gap, ...]
    distance_m: float


def report(fixes: Sequence[Fix], radius_m: float, min_stop_s: float, gap_s: float) -> Report:
    """The report of a track in time order."""
    if not fixes:
        return Report((), (), (), 0.0)
    lats = np.fromiter((f.lat for f in fixes), np.float64, len(fixes))
    lons = np.fromiter((f.lon for f in fixes), np.float64, len(fixes))
    hops = distances_m(lats, lons)
    runs = [r for r in _runs(fixes, radius_m) if fixes[r[1]].t - fixes[r[0]].t >= min_stop_s]
    stops = tuple(_stop(fixes, a, b) for a, b in runs)
    gaps = tuple(
        Gap(fixes[i].t, fixes[i + 1].t, float(hops[i]))
        for i in range(len(hops))
        if fixes[i + 1].t - fixes[i].t > gap_s
    )
    return Report(_legs(fixes, hops, runs), stops, gaps, float(hops.sum()))


def _runs(fixes: Sequence[Fix], radius_m: float) -> list[tuple[int, int]]:
    """Index ranges (first, last) of fixes within radius_m of each range's first fix."""
    runs, first = [], 0
    for i in range(1, len(fixes)):
        anchor = fixes[first]
        if distance_m(anchor.lat, anchor.lon, fixes[i].lat, fixes[i].lon) > radius_m:
            runs.append((first, i - 1))
            first = i
    runs.append((first, len(fixes) - 1))
    return runs


def _stop(fixes: Sequence[Fix], a: int, b: int) -> Stop:
    lats = [f.lat for f in fixes[a : b + 1]]
    lons = [f.lon for f in fixes[a : b + 1]]
    return Stop(float(np.median(lats)), float(np.median(lons)), fixes[a].t, fixes[b].t, b - a + 1)


def _legs(fixes: Sequence[Fix], hops: np.ndarray, runs: list[tuple[int, int]]) -> tuple[Leg, ...]:
    """Driving between stops: from a stop's last fix to the next stop's first fix."""
    bounds = [0] + [i for a, b in runs for i in (a, b)] + [len(fixes) - 1]
    legs = []
    for start, end in zip(bounds[0::2], bounds[1::2], strict=True):
        if end > start:
            legs.append(_leg(fixes, hops, start, end))
    return tuple(legs)


def _leg(fixes: Sequence[Fix], hops: np.ndarray, start: int, end: int) -> Leg:
    dts = np.array([fixes[i + 1].t - fixes[i].t for i in range(start, end)])
    speeds = [f.speed for f in fixes[start : end + 1] if f.speed is not None]
    derived = hops[start:end] / np.maximum(dts, 1e-9)
    top = max(speeds) if speeds else float(derived.max())
    return Leg(fixes[start].t, fixes[end].t, float(hops[start:end].sum()), top, end - start + 1)
