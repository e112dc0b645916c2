"""A GPS scenario: a truck driving a route, and what its receiver sends each second.

Deterministic for (route, seed, start): the drive (speeds, lights, jams, stops), the
receiver's errors (correlated position jitter, speed and course noise, no fix while it
acquires satellites and in tunnels) and its faults. The truth is exported beside the NMEA:
the true trajectory every second, arrival times at named waypoints, no-fix gaps and faults.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from firmware_sim.gps.drive import GEOD, DriveParams, Geometry, Motion, geometry, plan_drive
from firmware_sim.gps.drive import simulate as drive
from firmware_sim.gps.faults import FAULT_KINDS, LINE_FAULTS, FaultRates, damage, plan_faults
from firmware_sim.gps.routes import Route, route
from firmware_sim.gps.sentences import Solution, epoch

DEFAULT_START = dt.datetime(2025, 3, 4, 5, 30, tzinfo=dt.UTC)
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ReceiverParams:
    """How a good automotive receiver errs."""

    jitter_m: float = 2.0  # standard deviation of each horizontal error component
    jitter_corr: float = 0.97  # second-to-second correlation of that error
    speed_sigma_mps: float = 0.05
    course_sigma_deg: float = 0.4
    min_course_speed_mps: float = 0.5  # slower than this, the course field stays empty
    acquisition_s: tuple[float, float] = (8.0, 20.0)  # no fix after power-up
    reacquire_s: tuple[float, float] = (1.0, 4.0)  # no fix after leaving a tunnel
    satellites: tuple[int, int] = (9, 16)
    spike_m: tuple[float, float] = (300.0, 3000.0)


@dataclass(frozen=True, slots=True)
class Arrival:
    """When the truck reached (and left) a named waypoint."""

    name: str
    distance_m: float
    arrival_ms: int
    departure_ms: int


@dataclass(frozen=True)
class GpsTruth:
    """What physically happened, and what the receiver was told to get wrong."""

    route: str
    seed: int
    time_ms: npt.NDArray[np.int64]  # one entry per epoch (second)
    lat: Floats
    lon: Floats
    speed_mps: Floats
    heading_deg: Floats
    fix: Bools  # whether the receiver had a fix at that epoch
    arrivals: tuple[Arrival, ...]
    gaps: tuple[tuple[int, int, str], ...]  # no-fix runs: first and last epoch ms, cause
    stops: tuple[tuple[int, int, str], ...]  # stand-stills: start ms, end ms, cause
    faults: dict[str, tuple[int, ...]] = field(default_factory=dict)  # kind -> epoch ms
    length_m: float = 0.0

    def index(self, time_ms: int) -> int:
        """Epoch index of a fix time (the receiver's epochs fall on whole seconds)."""
        return round((time_ms - int(self.time_ms[0])) / 1000.0)

    def position(self, time_ms: int) -> tuple[float, float]:
        """True latitude and longitude at an epoch time."""
        i = self.index(time_ms)
        return float(self.lat[i]), float(self.lon[i])

    @property
    def destination(self) -> Arrival:
        """Arrival at the route's end."""
        return self.arrivals[-1]

    def document(self) -> dict[str, Any]:
        """Plain JSON data."""
        fields = ["time_ms", "lat", "lon", "speed_mps", "heading_deg", "fix"]
        rows = zip(
            self.time_ms.tolist(),
            np.round(self.lat, 7).tolist(),
            np.round(self.lon, 7).tolist(),
            np.round(self.speed_mps, 3).tolist(),
            np.round(self.heading_deg, 2).tolist(),
            self.fix.tolist(),
            strict=True,
        )
        return {
            "route": self.route,
            "seed": self.seed,
            "length_m": round(self.length_m, 1),
            "arrivals": [vars_of(a) for a in self.arrivals],
            "gaps": [list(g) for g in self.gaps],
            "stops": [list(s) for s in self.stops],
            "faults": {k: list(v) for k, v in self.faults.items()},
            "fields": fields,
            "trajectory": [list(r) for r in rows],
        }


def vars_of(arrival: Arrival) -> dict[str, Any]:
    """An arrival as JSON data."""
    return {
        "name": arrival.name,
        "distance_m": round(arrival.distance_m, 1),
        "arrival_ms": arrival.arrival_ms,
        "departure_ms": arrival.departure_ms,
    }


@dataclass(frozen=True)
class GpsScenario:
    """Epoch-by-epoch receiver output and the truth behind it."""

    route: Route
    seed: int
    start: dt.datetime
    epochs: tuple[bytes, ...]  # everything the receiver sends in each second
    truth: GpsTruth

    @property
    def duration_s(self) -> int:
        """Emulated seconds from the first epoch to the last."""
        return len(self.epochs)

    def nmea(self) -> bytes:
        """The whole output as one byte string."""
        return b"".join(self.epochs)


def build_gps(
    name: str,
    seed: int,
    *,
    start: dt.datetime = DEFAULT_START,
    faults: FaultRates | None = None,
    drive_params: DriveParams | None = None,
    receiver: ReceiverParams | None = None,
) -> GpsScenario:
    """Build a route's scenario; KeyError for an unknown route."""
    the_route = route(name)
    # One random stream per part, so that turning faults off changes nothing else.
    drive_rng, rx_rng, fault_rng = (
        random.Random(f"gps:{name}:{seed}:{part}") for part in ("drive", "receiver", "faults")
    )
    params = drive_params or DriveParams()
    geo = geometry(the_route)
    motion = drive(plan_drive(the_route, geo, drive_rng, params), params)
    rx = receiver or ReceiverParams()
    fix, gaps = _fix_mask(the_route, geo, motion, rx, rx_rng)
    lat, lon, heading = geo.locate(motion.s_m)
    plan = _FaultPlan(plan_faults(fix, faults or FaultRates(), fault_rng), fault_rng)
    start_ms = int(start.timestamp() * 1000)
    times = start_ms + (motion.t_s * 1000).astype(np.int64)
    gen = np.random.default_rng(rx_rng.getrandbits(64))
    epochs = _render(start, _Track(motion, lat, lon, heading, fix), rx, gen, plan)
    truth = GpsTruth(
        route=name,
        seed=seed,
        time_ms=times,
        lat=lat,
        lon=lon,
        speed_mps=motion.v_mps,
        heading_deg=heading,
        fix=fix,
        arrivals=_arrivals(the_route, geo, motion, start_ms),
        gaps=tuple((int(times[a]), int(times[b]), cause) for a, b, cause in gaps),
        stops=tuple(
            (start_ms + int(a * 1000), start_ms + int(b * 1000), c) for a, b, c in motion.stops
        ),
        faults={
            k: tuple(int(times[i]) for i, f in enumerate(plan.kinds) if f == k) for k in FAULT_KINDS
        },
        length_m=geo.length_m,
    )
    return GpsScenario(the_route, seed, start, tuple(epochs), truth)


def _fix_mask(
    the_route: Route, geo: Geometry, motion: Motion, rx: ReceiverParams, rng: random.Random
) -> tuple[Bools, list[tuple[int, int, str]]]:
    n = len(motion.t_s)
    fix = np.ones(n, dtype=bool)
    gaps = [(0, int(rng.uniform(*rx.acquisition_s)), "acquisition")]
    for i, w in enumerate(the_route.waypoints[:-1]):
        if not w.tunnel:
            continue
        inside = np.flatnonzero((motion.s_m >= geo.cum_m[i]) & (motion.s_m <= geo.cum_m[i + 1]))
        if len(inside):
            last = min(n - 1, int(inside[-1]) + int(rng.uniform(*rx.reacquire_s)))
            gaps.append((int(inside[0]), last, f"tunnel {w.name or i}"))
    for first, last, _cause in gaps:
        fix[first : last + 1] = False
    return fix, gaps


def _arrivals(
    the_route: Route, geo: Geometry, motion: Motion, start_ms: int
) -> tuple[Arrival, ...]:
    arrivals = []
    for i, w in enumerate(the_route.waypoints):
        if w.name is None and i not in (0, len(the_route.waypoints) - 1):
            continue
        at = float(geo.cum_m[i])
        there = np.flatnonzero(np.abs(motion.s_m - at) <= 0.5)
        first = int(np.searchsorted(motion.s_m, at - 0.5))
        last = int(there[-1]) if len(there) else first
        arrivals.append(
            Arrival(
                name=w.name or f"waypoint {i}",
                distance_m=at,
                arrival_ms=start_ms + int(motion.t_s[min(first, len(motion.t_s) - 1)] * 1000),
                departure_ms=start_ms + int(motion.t_s[last] * 1000),
            )
        )
    return tuple(arrivals)


def _jitter(n: int, rx: ReceiverParams, gen: np.random.Generator) -> tuple[Floats, Floats]:
    """Correlated east and north position errors (first-order autoregressive), metres."""
    innovation = rx.jitter_m * math.sqrt(1.0 - rx.jitter_corr**2)
    noise = gen.normal(0.0, innovation, size=(n, 2))
    noise[0] = gen.normal(0.0, rx.jitter_m, size=2)
    for k in range(1, n):
        noise[k] += rx.jitter_corr * noise[k - 1]
    return noise[:, 0], noise[:, 1]


@dataclass(frozen=True)
class _Track:
    """The true motion with its positions, and where the receiver has a fix."""

    motion: Motion
    lat: Floats
    lon: Floats
    heading: Floats
    fix: Bools


@dataclass(frozen=True)
class _FaultPlan:
    """The fault of each epoch, and the random stream that shapes the faults."""

    kinds: list[str | None]
    rng: random.Random


def _render(
    start: dt.datetime,
    track: _Track,
    rx: ReceiverParams,
    gen: np.random.Generator,
    faults: _FaultPlan,
) -> list[bytes]:
    solutions = _solutions(track, rx, gen)
    rng = faults.rng
    out: list[bytes] = []
    clean: list[bytes] = []
    for k, when_s in enumerate(track.motion.t_s):
        when = start + dt.timedelta(seconds=float(when_s))
        solution = solutions[k] if track.fix[k] else None
        fault = faults.kinds[k]
        lines = epoch(when, solution)
        clean.append(b"".join(lines))
        if fault in ("spike", "zero"):
            lines = epoch(when, _falsified(solution, fault, rng, rx))
        elif fault in LINE_FAULTS:
            lines = damage(lines, fault, rng)
        elif fault == "duplicate":  # the previous epoch once more, after this one
            lines = [*lines, clean[-2]]
        out.append(b"".join(lines))
    return out


def _solutions(track: _Track, rx: ReceiverParams, gen: np.random.Generator) -> list[Solution]:
    n = len(track.lat)
    east, north = _jitter(n, rx, gen)
    moved = GEOD.fwd(
        track.lon, track.lat, np.degrees(np.arctan2(east, north)), np.hypot(east, north)
    )
    lon, lat = np.asarray(moved[0]), np.asarray(moved[1])
    motion = track.motion
    speed = np.abs(motion.v_mps + gen.normal(0.0, rx.speed_sigma_mps, n))
    course = (track.heading + gen.normal(0.0, rx.course_sigma_deg, n)) % 360.0
    sats = gen.integers(rx.satellites[0], rx.satellites[1] + 1, n)
    hdop = np.clip(0.6 + 6.0 / sats + gen.normal(0.0, 0.05, n), 0.5, 5.0)
    altitude = 20.0 + 15.0 * np.sin(motion.s_m / 7000.0)
    return [
        Solution(
            lat=float(lat[k]),
            lon=float(lon[k]),
            speed_mps=float(speed[k]),
            course_deg=float(course[k]) if speed[k] >= rx.min_course_speed_mps else None,
            satellites=int(sats[k]),
            hdop=float(hdop[k]),
            altitude_m=float(altitude[k]),
        )
        for k in range(n)
    ]


def _falsified(
    solution: Solution | None, fault: str | None, rng: random.Random, rx: ReceiverParams
) -> Solution | None:
    if solution is None:
        return solution
    if fault == "zero":
        lat, lon = 0.0, 0.0
    else:
        azimuth, distance = rng.uniform(0.0, 360.0), rng.uniform(*rx.spike_m)
        lon, lat, _ = GEOD.fwd(solution.lon, solution.lat, azimuth, distance)
    return Solution(
        lat=float(lat),
        lon=float(lon),
        speed_mps=solution.speed_mps,
        course_deg=solution.course_deg,
        satellites=solution.satellites,
        hdop=solution.hdop,
        altitude_m=solution.altitude_m,
    )


def write_log(scenario: GpsScenario, path: Path) -> Path:
    """Write the receiver's whole output as an NMEA log (gpsd style: '#' header lines)."""
    head = (
        f"# Name: tagtrail emulated receiver\n"
        f"# Route: {scenario.route.name} ({scenario.route.description})\n"
        f"# Seed: {scenario.seed}\n"
        f"# Start: {scenario.start.isoformat()}\n"
    )
    path.write_bytes(head.encode() + scenario.nmea())
    return path


def write_truth(scenario: GpsScenario, path: Path) -> Path:
    """Write the scenario's truth as JSON."""
    path.write_text(json.dumps(scenario.truth.document(), separators=(",", ":")))
    return path
