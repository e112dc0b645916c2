"""How a truck drives a route: speed zones, stops, and the kinematics that follow them.

The plan (seeded) puts the road's speeds on the route with each leg's driver factor, slows
down for sharp corners, adds traffic lights on urban legs (some red), slowdowns with
stop-and-go on highway legs, and the route's own stops. The truck then accelerates and brakes
at truck-like rates, looking ahead far enough to brake for the next lower speed or stop.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from firmware_sim.gps.routes import ROAD_KMH, Route

GEOD = Geod(ellps="WGS84")
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DriveParams:
    """Vehicle and traffic behaviour."""

    accel_mps2: float = 0.5  # a loaded truck: 0-80 km/h in about 45 s
    decel_mps2: float = 1.0  # comfortable braking, used to plan ahead
    brake_mps2: float = 2.5  # firm braking when a lower limit starts right away
    step_s: float = 0.5
    start_dwell_s: float = 60.0  # engine running at the dock before moving off
    end_dwell_s: float = 60.0  # standing at the destination dock after arrival
    driver_factor: tuple[float, float] = (0.93, 1.02)  # per leg, times the road's speed
    red_light_p: float = 0.45
    red_s: tuple[float, float] = (8.0, 55.0)
    jam_km: tuple[float, float] = (0.5, 4.0)
    jam_kmh: tuple[float, float] = (8.0, 35.0)
    jam_stops: tuple[int, int] = (0, 3)
    jam_stop_s: tuple[float, float] = (10.0, 45.0)


@dataclass(frozen=True, slots=True)
class Zone:
    """A stretch of road with a speed cap."""

    start_m: float
    end_m: float
    speed_mps: float
    cause: str  # road, corner, jam


@dataclass(frozen=True, slots=True)
class Stop:
    """A place where the truck stands still for a while."""

    at_m: float
    dwell_s: float
    cause: str  # traffic light, stop-and-go, a rest stop's name, destination


@dataclass(frozen=True)
class Geometry:
    """The route's polyline: cumulative geodesic distance and forward azimuth per leg."""

    lat: Floats
    lon: Floats
    cum_m: Floats  # distance of each waypoint from the origin
    azimuth: Floats  # forward azimuth of the leg starting at each waypoint

    @property
    def length_m(self) -> float:
        """Route length, metres."""
        return float(self.cum_m[-1])

    def locate(self, s_m: Floats) -> tuple[Floats, Floats, Floats]:
        """Latitude, longitude and heading at distances along the route."""
        s = np.clip(s_m, 0.0, self.length_m)
        leg = np.clip(np.searchsorted(self.cum_m, s, side="right") - 1, 0, len(self.cum_m) - 2)
        lon, lat, back = GEOD.fwd(
            self.lon[leg], self.lat[leg], self.azimuth[leg], s - self.cum_m[leg]
        )
        heading = (np.asarray(back) + 180.0) % 360.0
        return np.asarray(lat), np.asarray(lon), heading


def geometry(route: Route) -> Geometry:
    """Distances and azimuths of a route's legs (geodesics on WGS 84)."""
    lat = np.array([w.lat for w in route.waypoints])
    lon = np.array([w.lon for w in route.waypoints])
    az, _back, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    cum = np.concatenate([[0.0], np.cumsum(dist)])
    return Geometry(lat, lon, cum, np.append(np.asarray(az), az[-1]))


@dataclass(frozen=True)
class Plan:
    """Everything that sets the truck's speed along the route."""

    zones: tuple[Zone, ...]
    stops: tuple[Stop, ...]
    length_m: float


def plan_drive(route: Route, geo: Geometry, rng: random.Random, p: DriveParams) -> Plan:
    """Zones and stops of one drive (seeded)."""
    zones = _road_zones(route, geo, rng, p) + _corner_zones(geo)
    stops = _route_stops(route, geo)
    for i, waypoint in enumerate(route.waypoints[:-1]):
        start, end = float(geo.cum_m[i]), float(geo.cum_m[i + 1])
        if waypoint.road in ("urban", "arterial"):
            stops += _lights(start, end, route.lights_per_km, rng, p)
        elif waypoint.road == "highway" and not waypoint.tunnel:
            jam_zones, jam_stops = _jams(start, end, route.jams_per_100km, rng, p)
            zones += jam_zones
            stops += jam_stops
    stops.append(Stop(geo.length_m, p.end_dwell_s, "destination"))
    return Plan(tuple(zones), tuple(sorted(stops, key=lambda s: s.at_m)), geo.length_m)


def _road_zones(route: Route, geo: Geometry, rng: random.Random, p: DriveParams) -> list[Zone]:
    zones = []
    for i, w in enumerate(route.waypoints[:-1]):
        kmh = min(ROAD_KMH[w.road], w.limit_kmh or math.inf) * rng.uniform(*p.driver_factor)
        zones.append(Zone(float(geo.cum_m[i]), float(geo.cum_m[i + 1]), kmh / 3.6, "road"))
    return zones


def _corner_zones(geo: Geometry) -> list[Zone]:
    zones = []
    for i in range(1, len(geo.cum_m) - 1):
        turn = abs((geo.azimuth[i] - geo.azimuth[i - 1] + 180.0) % 360.0 - 180.0)
        if turn > 30.0:  # a junction or a bend worth slowing for
            kmh = 15.0 if turn > 60.0 else 30.0
            at = float(geo.cum_m[i])
            zones.append(Zone(at - 15.0, at + 15.0, kmh / 3.6, "corner"))
    return zones


def _route_stops(route: Route, geo: Geometry) -> list[Stop]:
    return [
        Stop(float(geo.cum_m[i]), w.dwell_s, w.name or f"waypoint {i}")
        for i, w in enumerate(route.waypoints)
        if w.dwell_s > 0
    ]


def _lights(
    start: float, end: float, per_km: float, rng: random.Random, p: DriveParams
) -> list[Stop]:
    usable = end - start - 60.0
    if usable <= 0:
        return []
    count = _poisson(rng, per_km * usable / 1000.0)
    positions = sorted(start + 30.0 + rng.random() * usable for _ in range(count))
    return [
        Stop(at, rng.uniform(*p.red_s), "traffic light")
        for at in positions
        if rng.random() < p.red_light_p
    ]


def _jams(
    start: float, end: float, per_100km: float, rng: random.Random, p: DriveParams
) -> tuple[list[Zone], list[Stop]]:
    zones: list[Zone] = []
    stops: list[Stop] = []
    for _ in range(_poisson(rng, per_100km * (end - start) / 100_000.0)):
        head = start + rng.random() * (end - start)
        tail = min(end, head + rng.uniform(*p.jam_km) * 1000.0)
        zones.append(Zone(head, tail, rng.uniform(*p.jam_kmh) / 3.6, "jam"))
        for _ in range(rng.randint(*p.jam_stops)):
            stops.append(Stop(rng.uniform(head, tail), rng.uniform(*p.jam_stop_s), "stop-and-go"))
    return zones, stops


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: means here are small (a few events per leg).
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


@dataclass(frozen=True)
class Motion:
    """The truck's true motion, sampled every second from the start of the scenario."""

    t_s: Floats
    s_m: Floats
    v_mps: Floats
    stops: tuple[tuple[float, float, str], ...]  # (start s, end s, cause) of every stand-still


class _SpeedCap:
    """Piecewise-constant speed cap along the route: the lowest zone wins."""

    def __init__(self, zones: tuple[Zone, ...], length_m: float) -> None:
        edges = sorted({0.0, length_m, *(z.start_m for z in zones), *(z.end_m for z in zones)})
        self.edges = np.array([e for e in edges if 0.0 <= e <= length_m])
        mids = (self.edges[:-1] + self.edges[1:]) / 2.0
        caps = np.full(len(mids), np.inf)
        for z in zones:
            inside = (mids >= z.start_m) & (mids < z.end_m)
            caps[inside] = np.minimum(caps[inside], z.speed_mps)
        self.caps = caps

    def at(self, s: float) -> float:
        """The cap at distance s."""
        i = int(np.searchsorted(self.edges, s, side="right")) - 1
        return float(self.caps[min(max(i, 0), len(self.caps) - 1)])

    def ahead(self, s: float, v: float, decel: float) -> float:
        """Highest speed at s that still lets the truck brake for every lower cap ahead."""
        reach = v * v / (2.0 * decel) + 50.0
        allowed = math.inf
        i = int(np.searchsorted(self.edges, s, side="right"))
        while i < len(self.caps) and self.edges[i] - s <= reach:
            gap = float(self.edges[i]) - s
            allowed = min(allowed, math.sqrt(float(self.caps[i]) ** 2 + 2.0 * decel * gap))
            i += 1
        return allowed


def simulate(plan: Plan, p: DriveParams) -> Motion:
    """Drive the plan; sample the motion once per second."""
    cap = _SpeedCap(plan.zones, plan.length_m)
    t, s, v = p.start_dwell_s, 0.0, 0.0
    ts, ss, vs = [0.0, t], [0.0, 0.0], [0.0, 0.0]
    stood = [(0.0, t, "departure")]
    for stop in plan.stops:
        while s < stop.at_m:
            v = _next_speed(cap, s, v, stop.at_m, p)
            s, t = min(s + v * p.step_s, stop.at_m), t + p.step_s
            ts.append(t)
            ss.append(s)
            vs.append(v if s < stop.at_m else 0.0)
        v = 0.0
        stood.append((t, t + stop.dwell_s, stop.cause))
        t += stop.dwell_s
        ts.append(t)
        ss.append(s)
        vs.append(0.0)
    grid = np.arange(0.0, math.floor(t) + 1.0)
    return Motion(grid, np.interp(grid, ts, ss), np.interp(grid, ts, vs), tuple(stood))


def _next_speed(cap: _SpeedCap, s: float, v: float, stop_m: float, p: DriveParams) -> float:
    to_stop = math.sqrt(2.0 * p.decel_mps2 * max(stop_m - s, 0.0)) + 0.3  # creep the last metres
    goal = min(cap.at(s), cap.ahead(s, v, p.decel_mps2), to_stop)
    if v < goal:
        return min(goal, v + p.accel_mps2 * p.step_s)
    return max(goal, v - p.brake_mps2 * p.step_s)
