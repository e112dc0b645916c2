"""Geodesy for transit: fixes, geodesic distances, geodesic circles and a local metric frame.

Geometry is kept in WGS84 longitude/latitude (x = lon, y = lat) wherever only topology matters
(point in polygon, segment crossings); distances come from the WGS84 ellipsoid (pyproj.Geod),
and a local azimuthal equidistant projection gives metres where a planar metric is needed.
Longitudes are not unwrapped: tracks and geofences across the antimeridian are not supported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Polygon

WGS84 = Geod(ellps="WGS84")
CIRCLE_VERTICES = 72  # chord error of a 1 km circle: 1 m

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Fix:
    """One position of a vehicle: event time (epoch seconds), degrees, ground speed if known."""

    t: float
    lat: float
    lon: float
    speed: float | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance between two points, metres."""
    return float(WGS84.inv(lon1, lat1, lon2, lat2)[2])


def distances_m(lats: Floats, lons: Floats) -> Floats:
    """Geodesic distance between consecutive points, metres (one fewer than points)."""
    if len(lats) < 2:
        return np.zeros(0)
    _, _, dist = WGS84.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.asarray(dist, dtype=np.float64)


def circle(lat: float, lon: float, radius_m: float, vertices: int = CIRCLE_VERTICES) -> Polygon:
    """The geodesic circle as a lon/lat polygon whose vertices lie exactly radius_m away."""
    azimuths = np.linspace(0.0, 360.0, vertices, endpoint=False)
    lons, lats, _ = WGS84.fwd(
        np.full(vertices, lon), np.full(vertices, lat), azimuths, np.full(vertices, radius_m)
    )
    return Polygon(zip(lons, lats, strict=True))


def line_length_m(coords: Sequence[tuple[float, float]]) -> float:
    """Geodesic length of a lon/lat polyline, metres."""
    lons, lats = zip(*coords, strict=True)
    return float(WGS84.line_length(lons, lats))


class LocalFrame:
    """Azimuthal equidistant metres around an origin: exact distances from the origin, and
    within a few hundred kilometres planar distances off by well under one percent."""

    def __init__(self, lat: float, lon: float) -> None:
        crs = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs"
        self._forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def xy(self, lons: Floats, lats: Floats) -> tuple[Floats, Floats]:
        """Project degrees to local metres."""
        x, y = self._forward.transform(lons, lats)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def line(self, coords: Sequence[tuple[float, float]]) -> LineString:
        """A lon/lat polyline in local metres."""
        lons, lats = (np.asarray(c, dtype=np.float64) for c in zip(*coords, strict=True))
        x, y = self.xy(lons, lats)
        return shapely.linestrings(np.column_stack([x, y]))
