"""A shipment's trip (pure): milestones, dwell, ETA, alarms, state between batches, reports."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.domain.transit.eta import SpeedRules
from cloud.domain.transit.export import GPX_NS, geojson, gpx
from cloud.domain.transit.geo import Fix
from cloud.domain.transit.report import report
from cloud.domain.transit.route import PlannedStop, Route, RouteError
from cloud.domain.transit.trip import (
    AlarmKind,
    OutOfOrderError,
    Step,
    TransitRules,
    TripState,
    TripTracker,
    clock_alarms,
)
from tests.cloud.transit import synth
from tests.cloud.transit.synth import DEST_AT, DEST_R, ORIGIN_R, T0, Leg

SPEED = 20.0  # m/s, 72 km/h
# Ten minutes at the dock, straight east to the destination's dock 60 km away, a stand there.
DRIVE = [Leg(600, 0.0), Leg(DEST_AT / SPEED, SPEED), Leg(900, 0.0)]
RULES = TransitRules(speed=SpeedRules(default_speed_mps=SPEED))


def run(fixes: list[Fix], rules: TransitRules = RULES, **plan: object) -> tuple[TripTracker, Step]:
    tracker = TripTracker(synth.plan(**plan), rules)
    return tracker, tracker.feed(fixes, synth.corridor())


def test_departure_and_arrival_at_the_true_crossings() -> None:
    tracker, step = run(synth.fixes(DRIVE))
    left = synth.true_time_at(DRIVE, ORIGIN_R)
    reached = synth.true_time_at(DRIVE, DEST_AT - DEST_R)
    assert tracker.state.departed_t == pytest.approx(left, abs=0.5)
    assert tracker.state.arrived_t == pytest.approx(reached, abs=0.5)
    kinds = [(e.fence_id, e.kind.value) for e in step.events]
    assert kinds == [(1, "exit"), (2, "enter")]  # the first fix is inside the origin: no enter
    assert all(e.confirmed_at - e.at == 60.0 for e in step.events)
    assert step.eta is not None
    assert step.eta.basis == "arrived"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 200), min_size=1, max_size=12))
def test_any_batching_gives_the_same_trip(cuts: list[int]) -> None:
    """Fixes fed in any batches, with the state stored as JSON in between, give what one
    batch gives."""
    fixes = synth.fixes(DRIVE)
    whole, _ = run(fixes)
    index, tracker = synth.corridor(), TripTracker(synth.plan(), RULES)
    events = []
    start = 0
    for cut in [*sorted(set(cuts)), len(fixes)]:
        events += tracker.feed(fixes[start:cut], index).events
        stored = json.loads(json.dumps(tracker.state.to_json()))
        tracker = TripTracker(synth.plan(), RULES, TripState.from_json(stored))
        start = max(start, cut)
    assert events == run(fixes)[1].events
    assert tracker.state == whole.state


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.sampled_from([10.0, 60.0, 120.0]))
def test_sparser_fixes_give_the_same_crossing_times(every: int, dwell: float) -> None:
    """Crossings are interpolated along the segment between fixes: 5 s or a minute apart, the
    event times agree (the truck drives at a constant speed, past a 4 km wide checkpoint)."""
    cruise = [Leg(62_000 / SPEED, SPEED)]
    index = synth.corridor(dwell, extra=[synth.circle_at(3, 30_000, 2000.0, dwell, 3)])
    dense = TripTracker(synth.plan(), RULES).feed(synth.fixes(cruise, 5.0), index).events
    sparse = TripTracker(synth.plan(), RULES).feed(synth.fixes(cruise, 5.0 * every), index).events
    assert [(e.fence_id, e.kind) for e in sparse] == [(e.fence_id, e.kind) for e in dense]
    assert [e.at for e in sparse] == pytest.approx([e.at for e in dense], abs=0.05)
    passed = {(e.fence_id, e.kind.value): e.at for e in dense}
    assert passed[(3, "enter")] == pytest.approx(synth.true_time_at(cruise, 28_000), abs=0.05)
    assert passed[(3, "exit")] == pytest.approx(synth.true_time_at(cruise, 32_000), abs=0.05)
    assert ((2, "enter") in passed) == (dwell <= 50.0)  # 1 km across at 20 m/s: 50 s inside


def test_jitter_at_a_boundary_shorter_than_the_dwell_is_no_event() -> None:
    """The truck waits at the origin's edge, its fixes hopping in and out by a few metres."""
    edge = [Leg(600, 0.0), Leg(ORIGIN_R / 2.0, 2.0)]
    fixes = synth.fixes(edge)
    wobble = []
    for k in range(20):  # every 30 s, alternately 5 m outside and 5 m inside
        lat, lon = synth.position(ORIGIN_R + (5.0 if k % 2 else -5.0))
        wobble.append(Fix(fixes[-1].t + 30.0 * (k + 1), lat, lon))
    _, step = run(fixes + wobble)
    assert step.events == []


def test_repeated_or_older_fixes() -> None:
    fixes = synth.fixes(DRIVE)
    tracker, _ = run(fixes[:100])
    assert tracker.feed(fixes[99:100], synth.corridor()).fixes == 0  # the same instant again
    with pytest.raises(OutOfOrderError):
        tracker.feed(fixes[50:51], synth.corridor())


def test_fixes_before_the_start_do_not_count() -> None:
    fixes = synth.fixes(DRIVE)
    tracker, step = run(fixes, start_t=fixes[40].t)
    assert step.fixes == len(fixes) - 40
    assert tracker.state.departed_t == fixes[40].t  # already away when tracking began


def test_eta_on_plan_and_at_a_slower_pace() -> None:
    """The plan says 72 km/h: a truck at 72 km/h arrives as planned, one at 54 km/h takes a
    third longer, and the estimate sees it from its pace."""
    route = Route([synth.position(0)[::-1], synth.position(DEST_AT)[::-1]])
    for speed in (SPEED, SPEED * 0.75):
        drive = [Leg(60, 0.0), Leg(DEST_AT / speed, speed)]
        fixes = synth.fixes(drive)
        half = len(fixes) // 2
        _, step = run(fixes[:half], route=route)
        assert step.eta is not None
        remaining = synth.true_time_at(drive, DEST_AT) - fixes[half - 1].t
        assert step.eta.arrive_t - fixes[half - 1].t == pytest.approx(remaining, rel=0.02)
        assert step.eta.basis == "route"
        assert step.eta.remaining_m == pytest.approx(
            DEST_AT - speed * (fixes[half - 1].t - T0 - 60), abs=5.0
        )


def test_eta_adds_the_planned_stops_ahead() -> None:
    lat, lon = synth.position(45_000)
    stop = PlannedStop(lon, lat, 1800.0)
    ends = [synth.position(0)[::-1], synth.position(DEST_AT)[::-1]]
    plain, rested = Route(ends), Route(ends, stops=[stop])
    fixes = synth.fixes([Leg(60, 0.0), Leg(DEST_AT / SPEED, SPEED)])[:60]
    _, without = run(fixes, route=plain)
    _, with_rest = run(fixes, route=rested)
    assert without.eta is not None
    assert with_rest.eta is not None
    assert with_rest.eta.arrive_t - without.eta.arrive_t == pytest.approx(1800.0)


def test_eta_great_circle_without_route() -> None:
    fixes = synth.fixes([Leg(60, 0.0), Leg(DEST_AT / SPEED, SPEED)])[:40]
    rules = TransitRules(detour_factor=1.2, speed=SpeedRules(default_speed_mps=SPEED))
    tracker, step = run(fixes, rules)
    assert step.eta is not None
    assert step.eta.basis == "great_circle"
    gone = SPEED * (fixes[-1].t - T0 - 60)
    assert step.eta.remaining_m == pytest.approx((DEST_AT - gone) * 1.2, rel=1e-6)
    assert tracker.state.pace == pytest.approx(1.0, abs=0.02)


def test_route_speeds_per_leg() -> None:
    ends = [synth.position(0)[::-1], synth.position(30_000)[::-1], synth.position(60_000)[::-1]]
    route = Route(ends, speeds_mps=[10.0, 30.0])
    assert route.remaining_s(0.0) == pytest.approx(3000.0 + 1000.0, rel=1e-3)
    assert route.planned_s(30_000.0) == pytest.approx(3000.0, rel=1e-3)
    with pytest.raises(RouteError, match="one positive speed per leg"):
        Route(ends, speeds_mps=[10.0])
    with pytest.raises(RouteError, match="at least two"):
        Route(ends[:1])


def test_late_alarm_once_whatever_happens_after() -> None:
    fixes = synth.fixes(DRIVE)
    due = T0 + 1800.0  # the drive needs about an hour
    tracker = TripTracker(synth.plan(due_t=due), RULES)
    alarms = []
    for k in range(0, len(fixes), 7):
        alarms += tracker.feed(fixes[k : k + 7], synth.corridor()).alarms
        alarms += clock_alarms(tracker, fixes[min(k + 6, len(fixes) - 1)].t + 5.0)
    late = [a for a in alarms if a.kind is AlarmKind.LATE]
    assert len(late) == 1
    assert late[0].key == "late"
    assert "expected" in late[0].detail  # foreseen by the ETA before the due time passed
    assert late[0].at < due


def test_on_time_truck_raises_nothing() -> None:
    fixes = synth.fixes(DRIVE)
    due = synth.true_time_at(DRIVE, DEST_AT) + 600.0
    tracker, step = run(fixes, due_t=due)
    assert step.alarms == []
    assert clock_alarms(tracker, fixes[-1].t + 7200.0) == []  # arrived: the clock is quiet


def test_stop_outside_geofences_alarms_once_and_inside_never() -> None:
    rules = TransitRules(stop_alert_s=1200.0, speed=SpeedRules(default_speed_mps=SPEED))
    lay_by = [Leg(600, 0.0), Leg(20_000 / SPEED, SPEED), Leg(3000, 0.0), Leg(5000 / SPEED, SPEED)]
    _, step = run(synth.fixes(lay_by), rules)
    stops = [a for a in step.alarms if a.kind is AlarmKind.STOP]
    assert len(stops) == 1
    assert stops[0].since == pytest.approx(synth.true_time_at(lay_by, 20_000), abs=30.0)
    assert stops[0].at - stops[0].since == pytest.approx(1200.0, abs=30.0)
    rest_area = synth.circle_at(3, 20_000, 400.0, 60.0, 9)
    tracker = TripTracker(synth.plan(), rules)
    step = tracker.feed(synth.fixes(lay_by), synth.corridor(extra=[rest_area]))
    assert [a for a in step.alarms if a.kind is AlarmKind.STOP] == []


def test_off_route_for_long_enough_alarms() -> None:
    """The planned route turns north after 10 km; the truck carries on east."""
    a, b = synth.position(0)[::-1], synth.position(10_000)[::-1]
    north = (b[0], b[1] + 0.5)
    rules = TransitRules(off_route_m=500.0, off_route_s=600.0)
    _, step = run(synth.fixes(DRIVE), rules, route=Route([a, b, north]))
    off = [x for x in step.alarms if x.kind is AlarmKind.OFF_ROUTE]
    assert len(off) == 1
    wandered = synth.true_time_at(DRIVE, 10_500)  # 500 m beyond the turn
    assert off[0].since == pytest.approx(wandered, abs=31.0)
    assert off[0].at - off[0].since >= 600.0


def test_offline_by_the_clock_only_while_under_way() -> None:
    fixes = synth.fixes(DRIVE)
    tracker, _ = run(fixes[:60])
    last = fixes[59].t
    assert clock_alarms(tracker, last + 600.0) == []
    offline = clock_alarms(tracker, last + 1000.0)
    assert [(a.kind, a.since) for a in offline] == [(AlarmKind.OFFLINE, last)]
    at_dock, _ = run(fixes[:10])  # still inside the origin: not under way
    assert clock_alarms(at_dock, fixes[9].t + 5000.0) == []


def test_report_of_legs_stops_and_gaps() -> None:
    drive = [Leg(600, 0.0), Leg(12_000 / SPEED, SPEED), Leg(1200, 0.0), Leg(6000 / SPEED, SPEED)]
    fixes = synth.fixes(drive)
    holed = [f for f in fixes if not (T0 + 700 < f.t < T0 + 1100)]  # a tunnel, say
    found = report(holed, radius_m=100.0, min_stop_s=180.0, gap_s=300.0)
    assert [round(s.end_t - s.start_t) for s in found.stops] == [600, 1200]
    assert len(found.legs) == 2
    assert found.legs[1].distance_m == pytest.approx(6000.0, rel=0.01)
    assert found.legs[1].max_speed_mps == pytest.approx(SPEED, rel=0.01)
    assert [(round(g.start_t - T0), round(g.end_t - T0)) for g in found.gaps] == [(690, 1110)]
    assert found.distance_m == pytest.approx(18_000.0, rel=0.01)


def test_geojson_and_gpx_export() -> None:
    fixes = synth.fixes(DRIVE)[:5]
    stops = report(fixes, 100.0, 60.0, 900.0).stops
    doc = geojson(fixes, {"shipment": "SH-1"}, stops)
    track = doc["features"][0]
    assert track["geometry"]["type"] == "LineString"
    assert track["geometry"]["coordinates"][0] == [fixes[0].lon, fixes[0].lat]
    assert track["properties"]["shipment"] == "SH-1"
    assert track["properties"]["times"][0] == "2026-03-04T08:00:00Z"
    assert doc["features"][1]["properties"]["kind"] == "stop"
    root = ET.fromstring(gpx(fixes, "SH-1"))
    points = root.findall(f".//{{{GPX_NS}}}trkpt")
    assert len(points) == 5
    assert float(points[0].get("lat", "nan")) == pytest.approx(fixes[0].lat, abs=1e-7)
    assert points[-1].findtext(f"{{{GPX_NS}}}time") == "2026-03-04T08:02:00Z"
