"""A seeded week of cold-room temperatures with injected excursions, and its ground truth.

The truth is a 10-second signal: 5 °C with a daily swing and noise (never beyond 6.5 °C on its
own), plus injected events (a ramp in, a plateau, a ramp out). The sensor reports it as
1-minute intervals with min, max and mean, as a gateway would; a silence cuts out a stretch.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from cloud.domain.conditions.engine import Sample

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STEP_S = 10
INTERVAL_S = 60
WEEK_S = 7 * 86400


@dataclass(frozen=True)
class Event:
    """An injected excursion: plateau value, when it starts, how long the plateau lasts."""

    kind: str  # "high" or "low"
    start_s: int
    plateau_s: int
    value: float
    ramp_s: int = 120


@dataclass
class Week:
    """Samples as the sensor reports them, the 10-second truth and what was injected."""

    samples: list[Sample]
    times_s: list[int]
    temps: list[float]
    events: list[Event]
    silences: list[tuple[int, int]] = field(default_factory=list)

    def runs(self, beyond: float, *, above: bool) -> list[tuple[float, float]]:
        """Truth: (start, end) seconds of every run beyond the level, crossings interpolated."""
        sign = 1.0 if above else -1.0
        runs: list[tuple[float, float]] = []
        start: float | None = None
        for i in range(1, len(self.temps)):
            a, b = sign * (self.temps[i - 1] - beyond), sign * (self.temps[i] - beyond)
            t0, t1 = self.times_s[i - 1], self.times_s[i]
            if a <= 0 < b:
                start = t0 + (t1 - t0) * (-a) / (b - a)
            elif a > 0 >= b and start is not None:
                runs.append((start, t0 + (t1 - t0) * a / (a - b)))
                start = None
        return runs

    def time_beyond_until(self, beyond: float, total_s: float) -> float:
        """Truth: when the time above `beyond` first adds up to total_s (seconds from T0)."""
        used = 0.0
        for i in range(1, len(self.temps)):
            a, b = self.temps[i - 1] - beyond, self.temps[i] - beyond
            t0, t1 = self.times_s[i - 1], self.times_s[i]
            part = _above_part(t1 - t0, a, b)
            if used + part >= total_s:
                return t0 + (total_s - used) if a > 0 else t1 - (part - (total_s - used))
            used += part
        return math.inf


def _above_part(span: float, a: float, b: float) -> float:
    if a > 0 and b > 0:
        return span
    if a <= 0 and b <= 0:
        return 0.0
    return span * max(a, b) / abs(b - a)


def _event_value(event: Event, t: int) -> float | None:
    offset = t - event.start_s
    total = event.ramp_s * 2 + event.plateau_s
    if offset < 0 or offset > total:
        return None
    if offset < event.ramp_s:
        return offset / event.ramp_s
    if offset <= event.ramp_s + event.plateau_s:
        return 1.0
    return (total - offset) / event.ramp_s


def _events(rng: random.Random) -> list[Event]:
    """Long highs and lows (45 min to 3 h), short spikes (up to 6 min), well apart."""
    events: list[Event] = []
    slot = 4 * 3600  # one event per 4-hour slot, starting in its first half hour
    for k, start in enumerate(range(3600, WEEK_S - 6 * 3600, slot)):
        at = start + rng.randrange(0, 1800, STEP_S)
        if k % 3 == 0:
            events.append(
                Event("high", at, rng.randrange(45 * 60, 3 * 3600, 60), rng.uniform(10.0, 14.0))
            )
        elif k % 3 == 1:
            events.append(
                Event(
                    "high",
                    at,
                    rng.randrange(0, 6 * 60, STEP_S),
                    rng.uniform(9.0, 15.0),
                    ramp_s=rng.choice([20, 60, 120]),
                )
            )
        else:
            events.append(
                Event("low", at, rng.randrange(45 * 60, 2 * 3600, 60), rng.uniform(-1.0, 1.0))
            )
    return events


def truth(seed: int) -> tuple[list[int], list[float], list[Event]]:
    """The 10-second signal of a week and the events injected into it."""
    rng = random.Random(seed)
    events = _events(rng)
    times = list(range(0, WEEK_S + STEP_S, STEP_S))
    temps = []
    active = iter(events)
    current = next(active, None)
    for t in times:
        base = (
            5.0 + 0.8 * math.sin(2 * math.pi * t / 86400) + max(-0.6, min(0.6, rng.gauss(0, 0.2)))
        )
        while current is not None and t > current.start_s + 2 * current.ramp_s + current.plateau_s:
            current = next(active, None)
        weight = _event_value(current, t) if current is not None else None
        if weight is not None and current is not None:
            base += weight * (current.value - base)
        temps.append(base)
    return times, temps, events


def aggregate(
    times: list[int],
    temps: list[float],
    silences: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> list[Sample]:
    """1-minute interval samples (min/max/mean of the readings in each), none in a silence."""
    per = INTERVAL_S // STEP_S
    samples = []
    for i in range(0, len(times) - per, per):
        start, end = times[i], times[i + per]
        if any(a <= start < b for a, b in silences):
            continue
        chunk = temps[i : i + per + 1]  # both ends: the signal is continuous across intervals
        samples.append(
            Sample(
                T0_MS + start * 1000,
                T0_MS + end * 1000,
                t_lo=min(chunk),
                t_hi=max(chunk),
                t_mean=sum(chunk) / len(chunk),
            )
        )
    return samples


def week(seed: int, silences: list[tuple[int, int]] | None = None) -> Week:
    """A seeded week as samples, with its truth."""
    times, temps, events = truth(seed)
    silences = silences or []
    return Week(aggregate(times, temps, silences), times, temps, events, silences)
