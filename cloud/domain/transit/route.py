"""Progress along a planned route: remaining distance and how far off the route a fix is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from cloud.domain.transit.geo import Floats, LocalFrame, line_length_m

MIN_VERTICES = 2


class RouteError(ValueError):
    """A route polyline that cannot be used."""


class Route:
    """A planned route (lon/lat polyline) in a local metric frame around its middle.

    Planar lengths are scaled to the route's geodesic length, so that remaining distances stay
    true over routes long enough for the projection to stretch them.
    """

    def __init__(self, coords: Sequence[tuple[float, float]]) -> None:
        if len(coords) < MIN_VERTICES:
            raise RouteError("a route needs at least two positions")
        self.coords = tuple((float(x), float(y)) for x, y in coords)
        lon, lat = self.coords[len(self.coords) // 2]
        self._frame = LocalFrame(lat, lon)
        self._line = self._frame.line(self.coords)
        if self._line.length == 0:
            raise RouteError("a route must have a length")
        self.length_m = line_length_m(self.coords)
        self._scale = self.length_m / self._line.length

    @property
    def end(self) -> tuple[float, float]:
        """Where the route ends, lon/lat."""
        return self.coords[-1]

    def locate(self, lats: Floats, lons: Floats) -> tuple[Floats, Floats]:
        """Per position: remaining distance along the route from its nearest point, and the
        distance to the route, metres."""
        x, y = self._frame.xy(lons, lats)
        points = shapely.points(x, y)
        along = shapely.line_locate_point(self._line, points)
        remaining = np.maximum(self._line.length - along, 0.0) * self._scale
        return remaining, shapely.distance(self._line, points)
