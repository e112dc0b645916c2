"""Mean kinetic temperature (USP <1079.2>, WHO TRS 961 annex 9): one temperature with the same
degradation effect as the varying temperatures measured. Pure.

    MKT = (ΔH/R) / -ln( Σ wᵢ·exp(-ΔH / (R·Tᵢ)) / Σ wᵢ )      (T in kelvin)

with ΔH = 83.144 kJ/mol and R = 8.3144 J/(mol·K), so ΔH/R = 10,000 K. Weights are durations:
an interval sample weighs its length; spot readings at unequal times are integrated with the
trapezoidal rule (Tong & Lock 2015), i.e. each reading weighs half the gaps beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

DELTA_H_J_PER_MOL = 83_144.0
GAS_CONSTANT = 8.3144  # J/(mol·K)
DELTA_H_OVER_R = DELTA_H_J_PER_MOL / GAS_CONSTANT  # 10,000 K
KELVIN = 273.15


def mkt_weighted(temps_c: Sequence[float], weights: Sequence[float]) -> float:
    """MKT in °C of temperatures each weighing its weight (e.g. its duration)."""
    if len(temps_c) != len(weights):
        raise ValueError("temperatures and weights differ in number")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    total = math.fsum(weights)
    if not temps_c or total <= 0:
        raise ValueError("MKT needs at least one temperature with a positive weight")
    terms = (
        w * math.exp(-DELTA_H_OVER_R / (t + KELVIN)) for t, w in zip(temps_c, weights, strict=True)
    )
    return DELTA_H_OVER_R / -math.log(math.fsum(terms) / total) - KELVIN


def trapezoid_weights(times_s: Sequence[float]) -> list[float]:
    """Weight of each reading under the trapezoidal rule: half the gap to each neighbour."""
    if any(b < a for a, b in pairwise(times_s)):
        raise ValueError("times must not go backwards")
    if len(times_s) == 1:
        return [1.0]
    gaps = [b - a for a, b in pairwise(times_s)]
    return [(left + right) / 2 for left, right in zip([0.0, *gaps], [*gaps, 0.0], strict=True)]


def mkt_points(times_s: Sequence[float], temps_c: Sequence[float]) -> float:
    """MKT in °C of spot readings at possibly unequal times (one reading alone is its MKT)."""
    return mkt_weighted(temps_c, trapezoid_weights(times_s))


@dataclass(frozen=True, slots=True)
class Summary:
    """What a temperature record says: MKT, extremes, time beyond each limit, span."""

    mkt_c: float
    min_c: float
    max_c: float
    span_s: float
    above_s: float
    below_s: float
    readings: int

    @property
    def out_of_range_s(self) -> float:
        """Time above the upper plus below the lower limit."""
        return self.above_s + self.below_s


def time_beyond(times_s: Sequence[float], temps_c: Sequence[float], limit: float) -> float:
    """Seconds above limit, readings joined by straight lines (exact crossing times)."""
    total = 0.0
    for (t0, v0), (t1, v1) in pairwise(zip(times_s, temps_c, strict=True)):
        total += _above(t1 - t0, v0 - limit, v1 - limit)
    return total


def _above(span: float, a: float, b: float) -> float:
    if a > 0 and b > 0:
        return span
    if a <= 0 and b <= 0:
        return 0.0
    return span * max(a, b) / abs(b - a)


def summarize(
    times_s: Sequence[float], temps_c: Sequence[float], low: float, high: float
) -> Summary:
    """MKT, min, max and time out of [low, high] of spot readings."""
    below = time_beyond(times_s, [-t for t in temps_c], -low)
    return Summary(
        mkt_c=mkt_points(times_s, temps_c),
        min_c=min(temps_c),
        max_c=max(temps_c),
        span_s=times_s[-1] - times_s[0],
        above_s=time_beyond(times_s, temps_c, high),
        below_s=below,
        readings=len(temps_c),
    )


def fraction_beyond(lo: float, hi: float, limit: float) -> float:
    """Share of an interval with min lo and max hi spent above limit, taking the values to
    move as a straight ramp between them (as the rule engine does)."""
    if lo > limit:
        return 1.0
    if hi <= limit:
        return 0.0
    return (hi - limit) / (hi - lo)


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval sample: its length and its min, max and mean temperature."""

    seconds: float
    lo: float
    hi: float
    mean: float


@dataclass(frozen=True, slots=True)
class IntervalSummary:
    """MKT (duration-weighted means), extremes and time beyond limits of interval samples."""

    mkt_c: float
    min_c: float
    max_c: float
    mean_c: float
    seconds: float
    above_s: float | None
    below_s: float | None


def summarize_intervals(
    intervals: Sequence[Interval], low: float | None = None, high: float | None = None
) -> IntervalSummary | None:
    """Summary of interval samples (None if there are none with a length)."""
    usable = [i for i in intervals if i.seconds > 0]
    if not usable:
        return None
    weights = [i.seconds for i in usable]
    total = math.fsum(weights)
    above = below = None
    if high is not None:
        above = math.fsum(i.seconds * fraction_beyond(i.lo, i.hi, high) for i in usable)
    if low is not None:
        below = math.fsum(i.seconds * fraction_beyond(-i.hi, -i.lo, -low) for i in usable)
    return IntervalSummary(
        mkt_c=mkt_weighted([i.mean for i in usable], weights),
        min_c=min(i.lo for i in usable),
        max_c=max(i.hi for i in usable),
        mean_c=math.fsum(i.mean * i.seconds for i in usable) / total,
        seconds=total,
        above_s=above,
        below_s=below,
    )
