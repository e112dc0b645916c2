"""A planned route: progress along it, distance from it, and the time the plan gives for it.

The polyline is projected to a local metric frame around its middle for nearest-point
queries; distances along it are geodesic. A plan may give an expected speed per leg (as a
routing engine does: slower in town than on the motorway) and planned stops (a driver's
rest) with their dwell; without speeds every leg gets the default speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from cloud.domain.transit.geo import WGS84, Floats, LocalFrame

MIN_VERTICES = 2


class RouteError(ValueError):
    """A route that cannot be used."""


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """A stop the plan makes on the way (lon/lat), and for how long."""

    lon: float
    lat: float
    dwell_s: float


class Route:
    """A planned route (lon/lat polyline) with the time its plan gives for every stretch."""

    def __init__(
        self,
        coords: Sequence[tuple[float, float]],
        speeds_mps: Sequence[float] | None = None,
        stops: Sequence[PlannedStop] = (),
        default_speed_mps: float = 60.0 / 3.6,
    ) -> None:
        if len(coords) < MIN_VERTICES:
            raise RouteError("a route needs at least two positions")
        self.coords = tuple((float(x), float(y)) for x, y in coords)
        self._cum_m = _cumulative(self.coords)
        self.length_m = float(self._cum_m[-1])
        if self.length_m == 0:
            raise RouteError("a route must have a length")
        self._cum_s = self._timetable(speeds_mps, default_speed_mps)
        lon, lat = self.coords[len(self.coords) // 2]
        self._frame = LocalFrame(lat, lon)
        self._line = self._frame.line(self.coords)
        planar = np.hypot(*np.diff(shapely.get_coordinates(self._line), axis=0).T)
        self._planar = np.concatenate([[0.0], np.cumsum(planar)]) / planar.sum()
        self.stops = tuple(stops)
        self._stop_at = self.along(
            np.array([s.lat for s in self.stops]), np.array([s.lon for s in self.stops])
        )[0]

    def _timetable(self, speeds: Sequence[float] | None, default: float) -> Floats:
        legs = np.diff(self._cum_m)
        if speeds is None:
            speeds = [default] * len(legs)
        if len(speeds) != len(legs) or min(speeds) <= 0:
            raise RouteError(f"give one positive speed per leg ({len(legs)} legs)")
        return np.concatenate([[0.0], np.cumsum(legs / np.asarray(speeds, dtype=np.float64))])

    @property
    def end(self) -> tuple[float, float]:
        """Where the route ends, lon/lat."""
        return self.coords[-1]

    def along(self, lats: Floats, lons: Floats) -> tuple[Floats, Floats]:
        """Per position: geodesic distance along the route to its nearest point, and the
        distance from the route, metres."""
        if not len(lats):
            return np.zeros(0), np.zeros(0)
        x, y = self._frame.xy(lons, lats)
        points = shapely.points(x, y)
        fraction = shapely.line_locate_point(self._line, points, normalized=True)
        return self._geodesic(fraction), shapely.distance(self._line, points)

    def _geodesic(self, fraction: Floats) -> Floats:
        """Planar fractions of the line as geodesic distances (vertex by vertex)."""
        return np.interp(fraction, self._planar, self._cum_m)

    def planned_s(self, along_m: float) -> float:
        """Driving time the plan gives from the start to a distance along the route."""
        return float(np.interp(along_m, self._cum_m, self._cum_s))

    def remaining_s(self, along_m: float) -> float:
        """Driving time the plan gives from a distance along the route to its end."""
        return float(self._cum_s[-1]) - self.planned_s(along_m)

    def stops_ahead(self, along_m: float, radius_m: float) -> list[tuple[int, float]]:
        """Planned stops not yet reached (index, dwell), and one being reached now."""
        return [
            (i, stop.dwell_s)
            for i, stop in enumerate(self.stops)
            if self._stop_at[i] > along_m - radius_m
        ]

    def near_stop(self, along_m: float, radius_m: float) -> int | None:
        """The planned stop within radius_m along the route, if any."""
        for i, at in enumerate(self._stop_at):
            if abs(at - along_m) <= radius_m:
                return i
        return None


def _cumulative(coords: Sequence[tuple[float, float]]) -> Floats:
    lons = np.array([c[0] for c in coords])
    lats = np.array([c[1] for c in coords])
    _, _, legs = WGS84.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.concatenate([[0.0], np.cumsum(np.asarray(legs, dtype=np.float64))])
