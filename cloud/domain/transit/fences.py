"""Geofences and where a path between two fixes lies inside them.

A vehicle reports sparse fixes, so a fence is judged along the straight segment between two
consecutive fixes, not only at the fixes: the segment's pieces inside the fence give the
crossing fractions, hence interpolated crossing times, and a fence passed through between two
fixes is seen. Candidates come from an STRtree over every fence (one bulk query per batch);
`BruteForce` scans every fence instead and exists to check and benchmark the index against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from cloud.domain.transit.geo import Fix, circle

EPS = 1e-9  # fractions this close to a segment's end count as at the end
Positions = npt.NDArray[np.intp]
Span = tuple[float, float]


class FenceError(ValueError):
    """A geofence shape that cannot be used."""


@dataclass(frozen=True, slots=True)
class Fence:
    """A geofence: its lon/lat area, how long to stay in or out before it counts, its site."""

    id: int
    shape: Polygon
    dwell_s: float
    site_id: int | None = None
    code: str = ""


def circle_shape(lat: float, lon: float, radius_m: float) -> Polygon:
    """The area of a circular fence."""
    if not radius_m > 0:
        raise FenceError(f"radius must be positive, got {radius_m}")
    return circle(lat, lon, radius_m)


def polygon_shape(rings: Sequence[Sequence[Sequence[float]]]) -> Polygon:
    """The area of a polygon fence from GeoJSON rings ([lon, lat] pairs, exterior first)."""
    if not rings or len(rings[0]) < 4:
        raise FenceError("a polygon needs an exterior ring of at least 4 positions")
    exterior, *holes = ([(float(p[0]), float(p[1])) for p in ring] for ring in rings)
    shape = Polygon(exterior, holes)
    if not shape.is_valid:
        raise FenceError(f"invalid polygon: {shapely.is_valid_reason(shape)}")
    if shape.area == 0:
        raise FenceError("the polygon has no area")
    return shape


def paths(prev: Fix | None, fixes: Sequence[Fix]) -> npt.NDArray[np.object_]:
    """The path to each fix: the segment from the fix before it, or a point for the first fix
    and for a vehicle that did not move."""
    chain = ([prev] if prev else []) + list(fixes)
    lons = np.fromiter((f.lon for f in chain), np.float64, len(chain))
    lats = np.fromiter((f.lat for f in chain), np.float64, len(chain))
    at = np.arange(len(fixes)) + (1 if prev else 0)  # each fix's place in the chain
    out: npt.NDArray[np.object_] = shapely.points(lons[at], lats[at])
    rows = np.nonzero(at >= 1)[0]
    rows = rows[(lons[at[rows]] != lons[at[rows] - 1]) | (lats[at[rows]] != lats[at[rows] - 1])]
    if rows.size:
        ends = at[rows]
        coords = np.empty((rows.size, 2, 2))
        coords[:, 0, 0], coords[:, 0, 1] = lons[ends - 1], lats[ends - 1]
        coords[:, 1, 0], coords[:, 1, 1] = lons[ends], lats[ends]
        out[rows] = shapely.linestrings(coords)
    return out


def inside_spans(shape: BaseGeometry, path: BaseGeometry) -> list[Span]:
    """Fractions of a path (a segment from its start, or a point) that lie inside a shape,
    in order; touching the boundary at a single point is no time inside."""
    if isinstance(path, Point):
        return [(0.0, 1.0)] if shape.covers(path) else []
    if shape.covers(path):
        return [(0.0, 1.0)]
    pieces = shapely.get_parts(shapely.intersection(shape, path))
    spans = sorted(_span(path, p) for p in pieces if isinstance(p, LineString) and p.length > 0)
    return _merged(spans)


def _span(segment: BaseGeometry, piece: LineString) -> Span:
    ends = shapely.line_locate_point(
        segment, shapely.points(shapely.get_coordinates(piece)[[0, -1]]), normalized=True
    )
    return float(min(ends)), float(max(ends))


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in spans:
        if out and a <= out[-1][1] + EPS:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def changes(spans: Sequence[Span]) -> list[tuple[float, bool]]:
    """Inside or not from a path's start, then every change along it, by fraction."""
    steps = [(0.0, bool(spans) and spans[0][0] <= EPS)]
    for a, b in spans:
        if a > EPS:
            steps.append((a, True))
        if b < 1.0 - EPS:
            steps.append((b, False))
    return steps


class Index(Protocol):
    """Finds the fences a batch of paths touches."""

    fences: tuple[Fence, ...]

    def touched(self, paths: npt.NDArray[np.object_]) -> list[Positions]:
        """Per path, the positions (in `fences`) of every fence it touches."""
        ...

    def position(self, fence_id: int) -> int | None:
        """Where a fence id sits in `fences`, or None if it is not there (any more)."""
        ...

    def of_site(self, site_id: int) -> frozenset[int]:
        """Ids of the fences of a site."""
        ...


class _Fences:
    def __init__(self, fences: Sequence[Fence]) -> None:
        self.fences = tuple(fences)
        self.shapes = np.array([f.shape for f in self.fences], dtype=object)
        shapely.prepare(self.shapes)  # fast repeated predicates against the same fence
        self._positions = {f.id: i for i, f in enumerate(self.fences)}
        sites: dict[int, set[int]] = {}
        for f in self.fences:
            if f.site_id is not None:
                sites.setdefault(f.site_id, set()).add(f.id)
        self._sites = {site: frozenset(ids) for site, ids in sites.items()}

    def position(self, fence_id: int) -> int | None:
        """Where a fence id sits in `fences`, or None."""
        return self._positions.get(fence_id)

    def of_site(self, site_id: int) -> frozenset[int]:
        """Ids of the fences of a site (looked up, not scanned: a trip asks per batch)."""
        return self._sites.get(site_id, frozenset())


class FenceIndex(_Fences):
    """Every fence in an STRtree: one bulk query finds the fences a batch of paths touches."""

    def __init__(self, fences: Sequence[Fence]) -> None:
        super().__init__(fences)
        self._tree = STRtree(self.shapes)

    def touched(self, paths: npt.NDArray[np.object_]) -> list[Positions]:
        """Per path, the positions of every fence it touches."""
        if not self.fences:
            return [np.empty(0, np.intp)] * len(paths)
        pairs = self._tree.query(paths, predicate="intersects")
        order = np.lexsort((pairs[1], pairs[0]))
        path_of, fence = pairs[0][order], pairs[1][order]
        bounds = np.searchsorted(path_of, np.arange(len(paths) + 1))
        return [fence[bounds[i] : bounds[i + 1]] for i in range(len(paths))]


class BruteForce(_Fences):
    """Every path against every fence: the baseline the index is checked against."""

    def touched(self, paths: npt.NDArray[np.object_]) -> list[Positions]:
        """Per path, the positions of every fence it touches."""
        return [np.nonzero(shapely.intersects(self.shapes, p))[0] for p in paths]
