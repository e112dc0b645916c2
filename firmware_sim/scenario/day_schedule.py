"""When loads move on the day: each door's trips back to back with a gap, staged and lane loads."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from firmware_sim.scenario.day_config import DayConfig
from firmware_sim.scenario.day_loads import Load, Staging, Trip
from firmware_sim.scenario.motion import Motions, concat
from firmware_sim.scenario.physics import FloatArray
from firmware_sim.scenario.traffic import lane_motions, staged_motions, trip_motions


@dataclass(frozen=True)
class DaySchedule:
    """Movements in pallet order (trips' loads, then standing, then lane loads) and trip spans."""

    motions: Motions
    spans: tuple[tuple[int, int], ...]  # per trip: first trip start, last trip done (us)
    end_us: int  # the scenario's end: after the last trip and a quiet tail


def moving_loads(staging: Staging) -> list[Load]:
    """Every physical pallet in pallet order: trips' travelling loads, standing, lane loads."""
    travelling = [load for trip in staging.trips for load in trip.loads if load.present]
    return travelling + staging.standing + staging.lanes


def schedule_day(
    rng: np.random.Generator, config: DayConfig, door_x: FloatArray, staging: Staging
) -> DaySchedule:
    """Trips of each door one after another, the next starting truck_gap_s after the last ends."""
    start = config.start_us
    parts: list[Motions] = []
    spans: list[tuple[int, int]] = []
    free_at: dict[int, float] = {}  # door -> seconds from start its next trip may begin
    first = 0
    for trip in staging.trips:
        t0 = free_at.get(trip.door, float(rng.uniform(*config.first_trip_s)))
        motions = _trip(rng, config, door_x, trip, (t0, first))
        first += len(motions)
        parts.append(motions)
        spans.append((int(motions.t0_us.min()), int(motions.t_end_us.max())))
        free_at[trip.door] = (spans[-1][1] - start) / 1e6 + config.truck_gap_s
    end = max(s[1] for s in spans) + round(config.tail_s * 1e6)
    parts += _standing_and_lanes(rng, config, door_x, staging, (first, end))
    return DaySchedule(concat(parts), tuple(spans), end)


def _trip(
    rng: np.random.Generator,
    config: DayConfig,
    door_x: FloatArray,
    trip: Trip,
    start_and_first: tuple[float, int],
) -> Motions:
    # One pallet after another through the trip's door, the first at t0 (s from the start).
    t0, first = start_and_first
    n = sum(load.present for load in trip.loads)
    gaps = rng.uniform(*config.pallet_interval_s, max(n - 1, 0))
    offsets = t0 + np.concatenate(([0.0], np.cumsum(gaps)))
    schedule = (
        np.full(n, trip.door, dtype=np.int64),
        np.full(n, 1 if trip.inbound else -1, dtype=np.int64),
        np.round(offsets * 1e6).astype(np.int64),
    )
    return trip_motions(
        rng, config.forklift, door_x, schedule, start_us=config.start_us, first_pallet=first
    )


def _standing_and_lanes(
    rng: np.random.Generator,
    config: DayConfig,
    door_x: FloatArray,
    staging: Staging,
    first_and_end: tuple[int, int],
) -> list[Motions]:
    first, end = first_and_end
    start = config.start_us
    doors = np.array([load.door for load in staging.standing], dtype=np.int64)
    inside = np.ones(len(doors), dtype=bool)  # staged on the dock floor, inside the wall
    standing = staged_motions(
        rng, config.forklift, door_x, (doors, inside), span_us=(start, end), first_pallet=first
    )
    traffic = dataclasses.replace(
        config.forklift, duration_s=(end - start) / 1e6, lane_pallets=len(staging.lanes)
    )
    lanes = lane_motions(rng, traffic, door_x, start, first + len(doors))
    return [standing, lanes]
