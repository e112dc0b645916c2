"""The transit domain on the GPS emulator's seeded trips, scored against their exported truth.

The fixes are what the vehicle gateway reports (its own GPS pipeline over the emulated NMEA:
position noise, tunnels without fix, a report every 30 s or 200 m or sharp turn); the truth
is the emulator's trajectory every second.
"""

from __future__ import annotations

import pytest

from cloud.domain.transit.trip import AlarmKind, Plan, TransitRules, TripTracker, clock_alarms
from tests.cloud.transit import world
from tests.cloud.transit.world import DWELL_S, Drive

TOLERANCE_S = 15.0
TRIPS = [
    ("hamburg-hannover", 1),
    ("hamburg-hannover", 2),
    ("duisburg-dortmund", 1),
    ("hamburg-port-shuttle", 3),
]


def plan(d: Drive, **extra: object) -> Plan:
    values: dict[str, object] = {
        "start_t": d.truth.time_ms[0] / 1000,
        "origin": frozenset({1}),
        "destination": frozenset({2}),
        "route": world.planned_route(d),
    }
    return Plan(**(values | extra))  # type: ignore[arg-type]


@pytest.mark.parametrize(("route", "seed"), TRIPS)
def test_departure_and_arrival_at_the_true_crossings(route: str, seed: int) -> None:
    d = world.drive(route, seed)
    tracker = TripTracker(plan(d), TransitRules())
    step = tracker.feed(d.domain_fixes(), world.fences(d))
    left = world.crossings(d.truth, world.origin_area(d))[-1]
    reached = world.crossings(d.truth, world.destination_area(d))[0]
    assert (left[0], reached[0]) == ("exit", "enter")
    assert tracker.state.departed_t == pytest.approx(left[1], abs=TOLERANCE_S)
    assert tracker.state.arrived_t == pytest.approx(reached[1], abs=TOLERANCE_S)
    found = [(e.fence_id, e.kind.value) for e in step.events]
    assert found == [(1, "exit"), (2, "enter")]
    assert all(e.confirmed_at - e.at == DWELL_S for e in step.events)


@pytest.mark.parametrize("seed", range(1, 7))
def test_eta_at_mid_route_within_ten_percent(seed: int) -> None:
    """The dispatcher's plan knows the roads' classes and limits and the rest stop; it does
    not know the lights, jams or the driver's pace, which the trip learns as it goes."""
    d = world.drive("hamburg-hannover", seed)
    fixes = d.domain_fixes()
    mid = world.at_distance(fixes, world.planned_route(d), 0.5)
    tracker = TripTracker(plan(d), TransitRules())
    index = world.fences(d)
    for k in range(0, mid + 1, 20):  # as the gateway's messages come in
        step = tracker.feed(fixes[k : min(k + 20, mid + 1)], index)
    assert step.eta is not None
    now = fixes[mid].t
    true_remaining = d.truth.destination.arrival_ms / 1000 - now
    assert step.eta.arrive_t - now == pytest.approx(true_remaining, rel=0.10)


def test_late_truck_raises_exactly_one_late_alarm() -> None:
    d = world.drive("hamburg-hannover", 1)
    fixes = d.domain_fixes()
    due = fixes[0].t + 3600.0  # the drive takes 2 h 45 min
    tracker = TripTracker(plan(d, due_t=due), TransitRules())
    index = world.fences(d)
    alarms = []
    for k in range(0, len(fixes), 20):
        alarms += tracker.feed(fixes[k : k + 20], index).alarms
        alarms += clock_alarms(tracker, fixes[min(k + 19, len(fixes) - 1)].t + 10.0)
    assert [a.kind for a in alarms] == [AlarmKind.LATE]
    assert tracker.state.arrived_t is not None


def test_on_time_truck_raises_no_alarm() -> None:
    d = world.drive("hamburg-hannover", 1)
    fixes = d.domain_fixes()
    due = d.truth.destination.arrival_ms / 1000 + 600.0
    tracker = TripTracker(plan(d, due_t=due), TransitRules())
    index = world.fences(d)
    alarms = []
    for k in range(0, len(fixes), 20):
        alarms += tracker.feed(fixes[k : k + 20], index).alarms
    assert alarms == []  # its 15-minute rest is shorter than the 30 minutes a stop may last
    assert tracker.state.arrived_t is not None


@pytest.mark.parametrize("seed", [1, 7, 8])
def test_on_time_truck_is_not_called_late_from_its_first_minutes(seed: int) -> None:
    """Fixes as a gateway online sends them, two at a time: the slow start in the yard is no
    pace for the whole route."""
    d = world.drive("hamburg-hannover", seed)
    fixes = d.domain_fixes()
    arrival = d.truth.destination.arrival_ms / 1000
    due = arrival + 0.1 * (arrival - fixes[0].t)  # a realistic margin: 10 % of the drive
    tracker = TripTracker(plan(d, due_t=due), TransitRules())
    index = world.fences(d)
    alarms = []
    for k in range(0, len(fixes), 2):
        alarms += tracker.feed(fixes[k : k + 2], index).alarms
    assert [a.kind for a in alarms] == []
    assert tracker.state.arrived_t is not None


def test_two_hours_without_fixes_still_yield_the_true_events() -> None:
    """The receiver is off from 20 minutes after departure for two hours: the clock alarms
    offline while it is silent; the events on either side keep their true times."""
    d = world.drive("hamburg-hannover", 2)
    fixes = d.domain_fixes()
    off = fixes[0].t + 1200.0
    before = [f for f in fixes if f.t < off]
    after = [f for f in fixes if f.t >= off + 7200.0]
    index = world.fences(d)
    tracker = TripTracker(plan(d), TransitRules())
    tracker.feed(before, index)
    silent = clock_alarms(tracker, off + 1800.0)
    assert [a.kind for a in silent] == [AlarmKind.OFFLINE]
    step = tracker.feed(after, index)
    reached = world.crossings(d.truth, world.destination_area(d))[0]
    assert tracker.state.arrived_t == pytest.approx(reached[1], abs=TOLERANCE_S)
    assert [a.kind for a in step.alarms] == []  # no stop made of the hole
    left = world.crossings(d.truth, world.origin_area(d))[-1]
    assert tracker.state.departed_t == pytest.approx(left[1], abs=TOLERANCE_S)
