"""Hand-made straight drives for the pure transit tests: where the truck is at every second is
known exactly, so every crossing, stop and arrival has a true time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloud.domain.transit.fences import Fence, FenceIndex, circle_shape
from cloud.domain.transit.geo import WGS84, Fix
from cloud.domain.transit.trip import Plan

T0 = 1_772_611_200.0  # 2026-03-04 08:00 UTC
LAT0, LON0 = 52.0, 10.0
EAST = 90.0


@dataclass(frozen=True)
class Leg:
    """Drive east at a speed for a time (speed 0: stand still)."""

    seconds: float
    speed_mps: float


def position(metres: float) -> tuple[float, float]:
    """(lat, lon) metres east of the start along the geodesic."""
    lon, lat, _ = WGS84.fwd(LON0, LAT0, EAST, metres)
    return float(lat), float(lon)


def distance_at(legs: Sequence[Leg], t: float) -> float:
    """Metres driven t seconds after T0."""
    done, clock = 0.0, 0.0
    for leg in legs:
        if t <= clock + leg.seconds:
            return done + (t - clock) * leg.speed_mps
        done += leg.seconds * leg.speed_mps
        clock += leg.seconds
    return done


def fixes(legs: Sequence[Leg], every_s: float = 30.0) -> list[Fix]:
    """A fix every every_s seconds along the legs, exact positions."""
    total = sum(leg.seconds for leg in legs)
    out = []
    k = 0
    while k * every_s <= total:
        t = k * every_s
        lat, lon = position(distance_at(legs, t))
        out.append(Fix(T0 + t, lat, lon))
        k += 1
    return out


def true_time_at(legs: Sequence[Leg], metres: float) -> float:
    """When the truck first reaches a distance, epoch seconds."""
    done, clock = 0.0, 0.0
    for leg in legs:
        reach = done + leg.seconds * leg.speed_mps
        if leg.speed_mps > 0 and reach >= metres:
            return T0 + clock + (metres - done) / leg.speed_mps
        done, clock = reach, clock + leg.seconds
    raise ValueError(f"the drive never reaches {metres} m")


def circle_at(fence_id: int, metres: float, radius_m: float, dwell_s: float, site: int) -> Fence:
    """A circular fence centred on the road metres from the start."""
    lat, lon = position(metres)
    return Fence(fence_id, circle_shape(lat, lon, radius_m), dwell_s, site, f"f{fence_id}")


ORIGIN_R, DEST_AT, DEST_R = 300.0, 60_000.0, 500.0


def corridor(dwell_s: float = 60.0, extra: Sequence[Fence] = ()) -> FenceIndex:
    """Origin (id 1, site 1) at the start, destination (id 2, site 2) 60 km east."""
    return FenceIndex(
        [
            circle_at(1, 0.0, ORIGIN_R, dwell_s, 1),
            circle_at(2, DEST_AT, DEST_R, dwell_s, 2),
            *extra,
        ]
    )


def plan(**kwargs: object) -> Plan:
    """A plan from the origin (site 1) to the destination (site 2), from T0."""
    values: dict[str, object] = {
        "start_t": T0,
        "origin": frozenset({1}),
        "destination": frozenset({2}),
        "target": position(DEST_AT)[::-1],
    }
    return Plan(**(values | kwargs))  # type: ignore[arg-type]
