"""Geofences (pure): geodesic circles, polygons, paths between fixes, index and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from cloud.domain.transit.crossings import Crossing, Dwell, FenceTracker
from cloud.domain.transit.fences import (
    BruteForce,
    Fence,
    FenceError,
    FenceIndex,
    changes,
    circle_shape,
    inside_spans,
    paths,
    polygon_shape,
)
from cloud.domain.transit.geo import WGS84, Fix, distance_m

lats = st.floats(-70.0, 70.0)
lons = st.floats(-170.0, 170.0)
radii = st.floats(20.0, 20_000.0)
azimuths = st.floats(0.0, 360.0, exclude_max=True)
CHORD = 1 - np.cos(np.pi / 72)  # how far inside a 72-gon's edges dip, relative to the radius


@given(lats, lons, radii)
def test_circle_vertices_lie_on_the_geodesic_radius(lat: float, lon: float, r: float) -> None:
    shape = circle_shape(lat, lon, r)
    xs, ys = shape.exterior.xy
    _, _, dist = WGS84.inv([lon] * len(xs), [lat] * len(xs), xs, ys)
    assert np.allclose(dist, r, rtol=1e-9)
    assert shape.is_valid


@given(lats, lons, radii, azimuths)
def test_circle_holds_what_is_within_its_radius(
    lat: float, lon: float, r: float, azimuth: float
) -> None:
    shape = circle_shape(lat, lon, r)
    inner = WGS84.fwd(lon, lat, azimuth, r * (1 - 2 * CHORD))[:2]
    outer = WGS84.fwd(lon, lat, azimuth, r * 1.001)[:2]
    assert shape.contains(Point(inner))
    assert not shape.contains(Point(outer))


@given(lats, lons, radii, azimuths, st.floats(1.5, 4.0), st.floats(-0.9, 0.9))
def test_crossing_of_a_segment_lies_on_the_circle(
    lat: float, lon: float, r: float, azimuth: float, reach: float, offset: float
) -> None:
    """A segment from inside to far outside crosses once, on the boundary."""
    shape = circle_shape(lat, lon, r)
    a = WGS84.fwd(lon, lat, azimuth, offset * r * 0.5)[:2]
    b = WGS84.fwd(lon, lat, azimuth + 30.0, reach * r)[:2]
    segment = LineString([a, b])
    steps = changes(inside_spans(shape, segment))
    assert steps[0] == (0.0, True)
    assert [inside for _, inside in steps[1:]] == [False]
    crossing = segment.interpolate(steps[1][0], normalized=True)
    away = distance_m(lat, lon, crossing.y, crossing.x)
    assert r * (1 - 2 * CHORD) <= away <= r * (1 + 1e-6)


def test_fence_passed_between_two_fixes_is_seen() -> None:
    """Both fixes are outside a small fence the road runs through: the segment crosses it."""
    lat, lon = 50.0, 8.0
    fence = Fence(7, circle_shape(lat, lon, 50.0), 0.0)
    index = FenceIndex([fence])
    a = Fix(0.0, *reversed(WGS84.fwd(lon, lat, 270.0, 900.0)[:2]))
    b = Fix(60.0, *reversed(WGS84.fwd(lon, lat, 90.0, 900.0)[:2]))
    assert not fence.shape.contains(Point(a.lon, a.lat))
    assert not fence.shape.contains(Point(b.lon, b.lat))
    tracker = FenceTracker()
    way = paths(None, [a, b])
    tracker.begin(a, way[0], index.touched(way[:1])[0], index)
    found = tracker.step(a, b, way[1], index.touched(way[1:])[0], index)
    assert [(e.fence_id, e.kind) for e in found] == [(7, Crossing.ENTER), (7, Crossing.EXIT)]
    assert found[0].at == pytest.approx(30.0 - 50.0 / 1800.0 * 60.0, abs=0.05)
    assert found[1].at == pytest.approx(30.0 + 50.0 / 1800.0 * 60.0, abs=0.05)


def test_paths_are_points_where_nothing_moved() -> None:
    a, b, c = Fix(0, 50.0, 8.0), Fix(30, 50.0, 8.0), Fix(60, 50.001, 8.0)
    found = paths(None, [a, b, c])
    assert [g.geom_type for g in found] == ["Point", "Point", "LineString"]
    assert [g.geom_type for g in paths(c, [a])] == ["LineString"]


def test_polygon_needs_a_valid_ring() -> None:
    square = [[8.0, 50.0], [8.01, 50.0], [8.01, 50.01], [8.0, 50.01], [8.0, 50.0]]
    assert polygon_shape([square]).area > 0
    bow_tie = [[8.0, 50.0], [8.01, 50.01], [8.01, 50.0], [8.0, 50.01], [8.0, 50.0]]
    with pytest.raises(FenceError, match="invalid polygon"):
        polygon_shape([bow_tie])
    with pytest.raises(FenceError, match="at least 4"):
        polygon_shape([square[:3]])
    with pytest.raises(FenceError, match="radius"):
        circle_shape(50.0, 8.0, 0.0)


def test_polygon_hole_is_outside() -> None:
    outer = [[8.0, 50.0], [8.02, 50.0], [8.02, 50.02], [8.0, 50.02], [8.0, 50.0]]
    hole = [[8.005, 50.005], [8.015, 50.005], [8.015, 50.015], [8.005, 50.015], [8.005, 50.005]]
    shape = polygon_shape([outer, hole])
    segment = LineString([(7.99, 50.01), (8.03, 50.01)])  # in, through the hole, out
    spans = inside_spans(shape, segment)
    assert len(spans) == 2
    assert [inside for _, inside in changes(spans)] == [False, True, False, True, False]


fence_specs = st.lists(
    st.tuples(st.floats(49.0, 51.0), st.floats(7.0, 9.0), st.floats(50.0, 30_000.0)),
    min_size=1,
    max_size=60,
)
segments = st.lists(
    st.tuples(
        st.floats(49.0, 51.0), st.floats(7.0, 9.0), st.floats(49.0, 51.0), st.floats(7.0, 9.0)
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(fence_specs, segments)
def test_index_finds_exactly_what_brute_force_finds(
    specs: list[tuple[float, float, float]], segs: list[tuple[float, float, float, float]]
) -> None:
    fences = [Fence(i, circle_shape(lat, lon, r), 0.0) for i, (lat, lon, r) in enumerate(specs)]
    ways = np.array([LineString([(b, a), (d, c)]) if (a, b) != (c, d) else Point(b, a)
                     for a, b, c, d in segs], dtype=object)  # fmt: skip
    indexed = FenceIndex(fences).touched(ways)
    brute = BruteForce(fences).touched(ways)
    assert [sorted(x.tolist()) for x in indexed] == [sorted(x.tolist()) for x in brute]
    truth = [sorted(i for i, f in enumerate(fences) if f.shape.intersects(w)) for w in ways]
    assert [sorted(x.tolist()) for x in indexed] == truth


# The dwell rule against a reference: a raw state counts once it has held for the dwell time.
# Whole seconds: the rule compares durations with the dwell, exactly at equality too.
seconds = st.integers(0, 300).map(float)
signals = st.lists(st.integers(1, 300).map(float), min_size=1, max_size=30)


def reference(durations: list[float], tail: float, dwell: float) -> list[tuple[bool, float]]:
    """Confirmed changes (new state, since) of a raw signal that starts outside and flips at
    each duration's end; the last state lasts `tail` seconds."""
    confirmed, t, out, raw = False, 0.0, [], True
    runs = [*durations, tail]
    for i, length in enumerate(runs):
        if raw != confirmed and length >= dwell:
            confirmed = raw
            out.append((raw, t))
        t += length
        raw = not raw if i < len(runs) - 1 else raw
    return out


@given(signals, seconds, seconds)
def test_dwell_confirms_exactly_the_states_that_held(
    durations: list[float], tail: float, dwell: float
) -> None:
    state, t, found = Dwell(False, False, 0.0), 0.0, []
    for length in durations:  # raw flips at t, then holds `length`
        state.raw, state.since = not state.raw, t
        t += length
        began = state.settle(t, dwell)
        if began is not None:
            found.append((state.confirmed, began))
    state.raw, state.since = not state.raw, t
    began = state.settle(t + tail, dwell)
    if began is not None:
        found.append((state.confirmed, began))
    assert found == reference(durations, tail, dwell)
    assert all(a[0] != b[0] for a, b in itertools.pairwise(found))


def test_index_of_no_fences_touches_nothing() -> None:
    empty = FenceIndex([])
    assert [len(x) for x in empty.touched(shapely.points([8.0, 9.0], [50.0, 51.0]))] == [0, 0]
    assert empty.position(3) is None
