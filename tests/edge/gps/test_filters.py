"""Position filters and the reporting policy: each rule on its own, then properties."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from edge.gps.config import GpsConfig
from edge.gps.epochs import RawFix
from edge.gps.filters import REASONS, Fix, FixFilter, distance_m, implied_speed
from edge.gps.policy import ReportPolicy, course_change

GEOD = Geod(ellps="WGS84")
T0 = 1_741_066_200_000  # 2025-03-04 05:30 UTC
NOW = T0 + 86_400_000
CONFIG = GpsConfig(name="truck", port="-")
EXAMPLES = settings(max_examples=150, deadline=None)


def raw(
    t_s: float,
    lat: float = 53.5,
    lon: float = 10.0,
    *,
    valid: bool = True,
    speed: float | None = 10.0,
    course: float | None = 90.0,
    second: tuple[float, float] | None = None,
) -> RawFix:
    return RawFix(
        time_ms=T0 + round(t_s * 1000),
        valid=valid,
        lat=lat,
        lon=lon,
        speed_mps=speed,
        course_deg=course,
        hdop=1.0,
        satellites=9,
        second=second,
    )


def moved(lat: float, lon: float, azimuth: float, metres: float) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return float(lat2), float(lon2)


def screen(raws: list[RawFix], config: GpsConfig = CONFIG) -> tuple[list[Fix], FixFilter]:
    fixes = FixFilter(config)
    accepted = [f for r in raws if (f := fixes.check(r, NOW)) is not None]
    return accepted, fixes


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (raw(1, valid=False), "no_fix"),
        (RawFix(T0 + 1000, True, None, None, None, None, None, None), "no_fix"),
        (RawFix(None, True, 53.5, 10.0, None, None, None, None), "no_time"),
        (raw(1, 0.0, 0.0), "zero"),
        (raw(1, second=(53.5, 10.01)), "inconsistent"),
        (raw(1, speed=150.0), "out_of_range"),
        (RawFix(86_400_000, True, 53.5, 10.0, None, None, None, None), "out_of_range"),
        (raw(86_400 + 11), "future"),
        (raw(0), "duplicate"),
        (raw(-5), "duplicate"),
        (raw(1, *moved(53.5, 10.0, 45.0, 500.0)), "jump"),
    ],
)
def test_each_rejection_has_its_reason(bad: RawFix, reason: str) -> None:
    accepted, fixes = screen([raw(0), bad, raw(2)])
    assert [f.time_ms for f in accepted] == [T0, T0 + 2000]
    assert fixes.rejected == {reason: 1}


def test_a_fix_within_the_future_tolerance_is_kept() -> None:
    accepted, _ = screen([raw(86_400 + 9)])
    assert len(accepted) == 1


def test_after_a_tunnel_a_long_way_is_no_jump() -> None:
    far = moved(53.5, 10.0, 180.0, 3000.0)  # 3 km in 3 minutes: 60 km/h
    accepted, fixes = screen([raw(0), raw(180, *far)])
    assert len(accepted) == 2
    assert fixes.rejected == {}


def test_a_wrong_first_fix_is_outvoted_by_the_fixes_that_agree() -> None:
    # The first fix is 5 km off; the true track then arrives, consistent with itself.
    wrong = raw(0, *moved(53.5, 10.0, 0.0, 5000.0))
    track = [raw(t, *moved(53.5, 10.0, 90.0, 10.0 * t)) for t in range(1, 10)]
    accepted, fixes = screen([wrong, *track])
    reanchor = CONFIG.jump_reanchor
    assert fixes.rejected == {"jump": reanchor - 1}
    assert fixes.reanchored == 1
    assert [f.time_ms for f in accepted] == [wrong.time_ms] + [
        r.time_ms for r in track[reanchor - 1 :]
    ]


def test_spikes_that_disagree_with_each_other_never_re_anchor() -> None:
    spikes = [raw(t, *moved(53.5, 10.0, 72.0 * t, 2000.0)) for t in range(1, 10)]
    accepted, fixes = screen([raw(0), *spikes])
    assert len(accepted) == 1
    assert fixes.rejected == {"jump": 9}


# -- properties -------------------------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.integers(-3, 40),  # seconds since the previous raw fix (a receiver may repeat itself)
        st.floats(0.0, 359.9),  # direction of travel
        st.floats(0.0, 40.0),  # speed, m/s
        st.sampled_from(["ok", "ok", "ok", "ok", "spike", "zero", "invalid", "future"]),
    ),
    max_size=60,
)


def stream(plan: list[tuple[int, float, float, str]]) -> list[RawFix]:
    t, lat, lon, out = 0, 53.5, 10.0, []
    for dt_s, azimuth, speed, kind in plan:
        t += dt_s
        lat, lon = moved(lat, lon, azimuth, speed * max(dt_s, 0))
        where = {"spike": moved(lat, lon, azimuth, 5000.0), "zero": (0.0, 0.0)}.get(kind)
        when = t + 2 * 86_400 if kind == "future" else t
        out.append(raw(when, *(where or (lat, lon)), valid=kind != "invalid", speed=speed))
    return out


@EXAMPLES
@given(steps)
def test_accepted_fixes_form_a_believable_track(plan: list[tuple[int, float, float, str]]) -> None:
    raws = stream(plan)
    accepted, fixes = screen(raws)
    assert fixes.accepted + fixes.rejected.total() == len(raws)
    assert set(fixes.rejected) <= set(REASONS)
    assert all(f.time_ms <= NOW + CONFIG.future_tolerance_s * 1000 for f in accepted)
    assert all(abs(f.lat) > 1e-6 or abs(f.lon) > 1e-6 for f in accepted)
    pairs = list(itertools.pairwise(accepted))
    assert all(a.time_ms < b.time_ms for a, b in pairs)
    too_fast = [b for a, b in pairs if implied_speed(a, b) > CONFIG.max_speed_mps]
    assert len(too_fast) <= fixes.reanchored  # only where a consistent run outvoted the anchor


accepted_fixes = st.lists(
    st.tuples(st.integers(1, 45), st.floats(0.0, 359.9), st.floats(0.0, 30.0)), max_size=80
)


def drive(plan: list[tuple[int, float, float]]) -> list[Fix]:
    t, lat, lon, out = 0, 53.5, 10.0, []
    for dt_s, course, speed in plan:
        t += dt_s
        lat, lon = moved(lat, lon, course, speed * dt_s)
        out.append(Fix(T0 + t * 1000, lat, lon, speed, course if speed > 0.5 else None))
    return out


@EXAMPLES
@given(accepted_fixes)
def test_every_report_is_due_and_nothing_due_is_held_back(
    plan: list[tuple[int, float, float]],
) -> None:
    policy = ReportPolicy(CONFIG)
    last: Fix | None = None
    for fix in drive(plan):
        reported = policy.offer(fix)
        due = last is None or _due(last, fix)
        assert reported == due
        if reported:
            last = fix


def _due(last: Fix, fix: Fix) -> bool:
    if fix.time_ms - last.time_ms >= CONFIG.report_every_s * 1000:
        return True
    if distance_m(last, fix) >= CONFIG.report_every_m:
        return True
    moving = min(last.speed_mps or 0.0, fix.speed_mps or 0.0) >= CONFIG.min_turn_speed_mps
    if not moving or last.course_deg is None or fix.course_deg is None:
        return False
    return course_change(last.course_deg, fix.course_deg) > CONFIG.heading_change_deg


def test_a_standing_vehicle_reports_on_the_clock() -> None:
    policy = ReportPolicy(CONFIG)
    standing = [Fix(T0 + t * 1000, 53.5, 10.0, 0.0, None) for t in range(0, 121)]
    reported = [f.time_ms for f in standing if policy.offer(f)]
    assert reported == [T0 + t * 1000 for t in (0, 30, 60, 90, 120)]


def test_a_turn_is_reported_but_not_a_standing_receivers_course_noise() -> None:
    policy = ReportPolicy(CONFIG)
    assert policy.offer(Fix(T0, 53.5, 10.0, 10.0, 90.0))
    assert not policy.offer(Fix(T0 + 1000, 53.5, 10.0001, 1.0, 180.0))  # too slow to count
    assert not policy.offer(Fix(T0 + 2000, 53.5, 10.0002, 10.0, 115.0))  # 25°: not sharp enough
    assert policy.offer(Fix(T0 + 3000, 53.5, 10.0003, 10.0, 135.0))  # 45°


def test_the_end_of_a_track_is_reported_once() -> None:
    policy = ReportPolicy(CONFIG)
    policy.offer(Fix(T0, 53.5, 10.0))
    policy.offer(Fix(T0 + 1000, 53.5, 10.0))
    end = policy.take_pending()
    assert end is not None
    assert end.time_ms == T0 + 1000
    assert policy.take_pending() is None


@pytest.mark.parametrize(("a", "b", "change"), [(10, 350, 20), (350, 10, 20), (0, 180, 180)])
def test_course_change_takes_the_short_way_round(a: float, b: float, change: float) -> None:
    assert math.isclose(course_change(a, b), change)
