"""Seeded schedules of what happens to a probe: doors, defrosts, stops, failures, device faults."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_sim.sensors.climate import DAY_S, Episode


@dataclass(frozen=True)
class DoorPattern:
    """Door openings: a Poisson process in working hours, each open for a random while."""

    per_hour: float = 3.0
    hours: tuple[float, float] = (6.0, 20.0)
    open_s: tuple[float, float] = (15.0, 90.0)


@dataclass(frozen=True)
class FaultPlan:
    """Device faults of one probe: per-line rates and per-day episode rates.

    Explicit (start_s, length_s) episodes replace the random ones when given, so tests can
    place an unplug exactly where they need it.
    """

    garbled: float = 0.003
    truncated: float = 0.002
    spike: float = 0.001
    unplugs_per_day: float = 2.0
    unplug_s: tuple[float, float] = (30.0, 180.0)
    stucks_per_day: float = 1.0
    stuck_s: tuple[float, float] = (600.0, 1800.0)
    unplugs: tuple[tuple[float, float], ...] | None = None
    stucks: tuple[tuple[float, float], ...] | None = None


NO_FAULTS = FaultPlan(
    garbled=0.0, truncated=0.0, spike=0.0, unplugs_per_day=0.0, stucks_per_day=0.0
)


def doors(rng: np.random.Generator, duration_s: float, pattern: DoorPattern) -> list[Episode]:
    """Door openings within working hours, never overlapping."""
    out: list[Episode] = []
    t = float(rng.exponential(3600.0 / pattern.per_hour)) if pattern.per_hour > 0 else duration_s
    while t < duration_s:
        hour = (t % DAY_S) / 3600.0
        if pattern.hours[0] <= hour < pattern.hours[1]:
            length = float(rng.uniform(*pattern.open_s))
            out.append(Episode("door", t, min(t + length, duration_s)))
            t += length
        t += float(rng.exponential(3600.0 / pattern.per_hour))
    return out


def defrosts(
    rng: np.random.Generator, duration_s: float, every_s: float, length_s: float
) -> list[Episode]:
    """Defrost cycles on a timer, the first at a random phase."""
    t = float(rng.uniform(0.0, every_s))
    out: list[Episode] = []
    while t < duration_s:
        out.append(Episode("defrost", t, min(t + length_s, duration_s)))
        t += every_s
    return out


def stops(rng: np.random.Generator, duration_s: float, count: int) -> list[Episode]:
    """A reefer's delivery stops: the rear door open 5-15 minutes, by day."""
    out: list[Episode] = []
    for day in range(int(np.ceil(duration_s / DAY_S))):
        starts = np.sort(rng.uniform(7 * 3600.0, 17 * 3600.0, count)) + day * DAY_S
        out += [
            Episode("door", float(s), float(min(s + rng.uniform(300.0, 900.0), duration_s)))
            for s in starts
            if s < duration_s
        ]
    return _disjoint(out)


def failure(at_s: float | None, repair_s: float | None, duration_s: float) -> list[Episode]:
    """The injected compressor failure, if any, until repaired (or the end)."""
    if at_s is None or at_s >= duration_s:
        return []
    end = duration_s if repair_s is None else min(at_s + repair_s, duration_s)
    return [Episode("failure", at_s, end)]


def device_faults(rng: np.random.Generator, duration_s: float, plan: FaultPlan) -> list[Episode]:
    """Unplug and stuck episodes, random by rate unless given explicitly."""
    unplugs = _episodes(
        rng,
        duration_s,
        kind="unplug",
        per_day=plan.unplugs_per_day,
        length=plan.unplug_s,
        explicit=plan.unplugs,
    )
    stucks = _episodes(
        rng,
        duration_s,
        kind="stuck",
        per_day=plan.stucks_per_day,
        length=plan.stuck_s,
        explicit=plan.stucks,
    )
    return sorted(unplugs + stucks, key=lambda e: e.start_s)


def _episodes(
    rng: np.random.Generator,
    duration_s: float,
    *,
    kind: str,
    per_day: float,
    length: tuple[float, float],
    explicit: tuple[tuple[float, float], ...] | None,
) -> list[Episode]:
    if explicit is not None:
        return _disjoint([Episode(kind, s, min(s + n, duration_s)) for s, n in explicit])
    count = int(rng.poisson(per_day * duration_s / DAY_S)) if per_day > 0 else 0
    starts = np.sort(rng.uniform(0.0, duration_s, count))
    lengths = rng.uniform(*length, count)
    out = [
        Episode(kind, float(s), float(min(s + n, duration_s)))
        for s, n in zip(starts, lengths, strict=True)
    ]
    return _disjoint(out)


def _disjoint(episodes: list[Episode]) -> list[Episode]:
    """Drop episodes that start before the previous one ended (keeps the schedule simple)."""
    out: list[Episode] = []
    for e in sorted(episodes, key=lambda e: e.start_s):
        if not out or e.start_s >= out[-1].end_s:
            out.append(e)
    return out


def inside(episodes: list[Episode], kind: str, t_s: float) -> Episode | None:
    """The episode of one kind that t_s lies in, if any."""
    for e in episodes:
        if e.kind == kind and e.start_s <= t_s < e.end_s:
            return e
    return None
