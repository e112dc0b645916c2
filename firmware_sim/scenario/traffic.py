"""Forklift traffic at a dock: trips through doors, passes along the dock and staged loads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.motion import CROSS, LANE, PARKED, IntArray, Motions, along_paths
from firmware_sim.scenario.physics import FloatArray

Range = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Traffic:
    """When and where loads move; distances in metres from the door / wall plane."""

    duration_s: float = 600.0
    trip_interval_s: float = 40.0  # mean time between loads through one door
    min_headway_s: float = 12.0  # a forklift's round trip is never shorter
    speed_mps: Range = (1.5, 3.0)
    pallets_per_trailer: int = 26
    trailer_swap_s: float = 240.0  # idle door while trailers are swapped
    trailer_depth_m: Range = (9.0, 13.0)  # where in the trailer the load is picked or dropped
    turn_distance_m: Range = (4.0, 12.0)  # inside, where the forklift turns along the dock
    aisle_run_m: Range = (10.0, 25.0)  # how far it drives along the dock after turning
    lateral_sigma_m: float = 0.25  # off-centre driving through the opening
    parked_pallets: int = 2  # staged in range of a door for the whole scenario
    parked_inside_m: Range = (5.0, 9.0)
    parked_outside_m: Range = (5.0, 9.0)
    lane_pallets: int = 6  # driven along the dock without crossing a door
    lane_distance_m: Range = (3.5, 7.0)
    lane_overrun_m: float = 12.0  # lane passes start and end this far beyond the end doors


def trip_schedule(
    rng: np.random.Generator, traffic: Traffic, n_doors: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Door, direction (+1 in, -1 out) and start offset (us) of every trip through a door."""
    doors, dirs, times = [], [], []
    last_start = traffic.duration_s - 40.0  # leave time to get through before the end
    mean_gap = max(traffic.trip_interval_s - traffic.min_headway_s, 0.1)
    for door in range(n_doors):
        t = float(rng.uniform(0.0, traffic.trip_interval_s))
        k = 0
        direction = 1 if rng.random() < 0.5 else -1
        while t < last_start:
            doors.append(door)
            dirs.append(direction)
            times.append(t)
            k += 1
            t += traffic.min_headway_s + float(rng.exponential(mean_gap))
            if k % traffic.pallets_per_trailer == 0:
                t += traffic.trailer_swap_s
                direction = 1 if rng.random() < 0.5 else -1
    order = np.argsort(times, kind="stable")
    return (
        np.asarray(doors, dtype=np.int64)[order],
        np.asarray(dirs, dtype=np.int64)[order],
        np.round(np.asarray(times)[order] * 1e6).astype(np.int64),
    )


def crossing_motions(
    rng: np.random.Generator,
    traffic: Traffic,
    door_x: FloatArray,
    start_us: int,
    first_pallet: int,
) -> Motions:
    """Trips from the trailer through the door and along the dock inside, or the reverse."""
    schedule = trip_schedule(rng, traffic, len(door_x))
    return trip_motions(
        rng, traffic, door_x, schedule, start_us=start_us, first_pallet=first_pallet
    )


def trip_motions(
    rng: np.random.Generator,
    traffic: Traffic,
    door_x: FloatArray,
    schedule: tuple[IntArray, IntArray, IntArray],
    *,
    start_us: int,
    first_pallet: int,
) -> Motions:
    """Trips of a schedule (door, direction +1 in / -1 out, start offset us) on drawn paths."""
    door, direction, offset = schedule
    n = len(door)
    x = door_x[door] + np.clip(rng.normal(0.0, traffic.lateral_sigma_m, n), -0.5, 0.5)
    trailer = np.stack([x, -rng.uniform(*traffic.trailer_depth_m, n), np.zeros(n)], axis=1)
    turn = np.stack([x, rng.uniform(*traffic.turn_distance_m, n), np.zeros(n)], axis=1)
    run = rng.uniform(*traffic.aisle_run_m, n) * np.where(rng.random(n) < 0.5, -1.0, 1.0)
    aisle = turn + np.stack([run, np.zeros(n), np.zeros(n)], axis=1)
    inward = (direction > 0)[:, None]
    p0 = np.where(inward, trailer, aisle)
    p2 = np.where(inward, aisle, trailer)
    speed = rng.uniform(*traffic.speed_mps, n)
    return along_paths(
        pallet=first_pallet + np.arange(n, dtype=np.int64),
        kind=CROSS,
        door=door,
        direction=direction,
        t0_us=start_us + offset,
        speed=speed,
        points=(p0, turn, p2),
    )


def lane_motions(
    rng: np.random.Generator,
    traffic: Traffic,
    door_x: FloatArray,
    start_us: int,
    first_pallet: int,
) -> Motions:
    """Loads driven along the dock inside, past the doors' inside antennas."""
    n = traffic.lane_pallets
    lo, hi = door_x[0] - traffic.lane_overrun_m, door_x[-1] + traffic.lane_overrun_m
    y = rng.uniform(*traffic.lane_distance_m, n)
    east = rng.random(n) < 0.5
    xa, xb = np.where(east, lo, hi), np.where(east, hi, lo)
    speed = rng.uniform(*traffic.speed_mps, n)
    span_s = (hi - lo) / speed
    t0 = start_us + np.round(rng.uniform(0.0, 1.0, n) * (traffic.duration_s - span_s) * 1e6)
    p0 = np.stack([xa, y, np.zeros(n)], axis=1)
    p2 = np.stack([xb, y, np.zeros(n)], axis=1)
    return along_paths(
        pallet=first_pallet + np.arange(n, dtype=np.int64),
        kind=LANE,
        door=np.full(n, -1, dtype=np.int64),
        direction=np.zeros(n, dtype=np.int64),
        t0_us=t0.astype(np.int64),
        speed=speed,
        points=(p0, (p0 + p2) / 2, p2),
    )


def parked_motions(
    rng: np.random.Generator,
    traffic: Traffic,
    door_x: FloatArray,
    start_us: int,
    first_pallet: int,
) -> Motions:
    """Loads staged near a door, inside or just inside the trailer, for the whole scenario."""
    n = traffic.parked_pallets
    door = rng.integers(len(door_x), size=n)
    inside = rng.random(n) < 0.5
    end = start_us + round(traffic.duration_s * 1e6)
    return staged_motions(
        rng, traffic, door_x, (door, inside), span_us=(start_us, end), first_pallet=first_pallet
    )


def staged_motions(
    rng: np.random.Generator,
    traffic: Traffic,
    door_x: FloatArray,
    where: tuple[IntArray, npt.NDArray[np.bool_]],
    *,
    span_us: tuple[int, int],
    first_pallet: int,
) -> Motions:
    """Loads standing still near given doors (inside, or just inside the trailer) over a span."""
    door, inside = where
    n = len(door)
    y = np.where(
        inside, rng.uniform(*traffic.parked_inside_m, n), -rng.uniform(*traffic.parked_outside_m, n)
    )
    x = door_x[door] + np.where(inside, rng.uniform(-2.0, 2.0, n), rng.uniform(-0.9, 0.9, n))
    yaw = rng.uniform(0.0, 2.0 * np.pi, n)
    heading = np.stack([np.cos(yaw), np.sin(yaw), np.zeros(n)], axis=1)
    p0 = np.stack([x, y, np.zeros(n)], axis=1)
    return Motions(
        pallet=first_pallet + np.arange(n, dtype=np.int64),
        kind=np.full(n, PARKED, dtype=np.int64),
        door=np.full(n, -1, dtype=np.int64),
        direction=np.zeros(n, dtype=np.int64),
        t0_us=np.full(n, span_us[0], dtype=np.int64),
        t_end_us=np.full(n, span_us[1], dtype=np.int64),
        speed=np.zeros(n),
        p0=p0,
        p1=p0.copy(),
        u1=heading,
        u2=heading.copy(),
        len1=np.zeros(n),
    )
