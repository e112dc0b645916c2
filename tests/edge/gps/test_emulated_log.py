"""The gateway's GPS pipeline on emulated drives, held to the emulator's exported truth."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from pyproj import Geod

from edge.gps.config import GpsConfig
from edge.gps.pipeline import GpsPipeline
from firmware_sim.gps.scenario import GpsScenario, GpsTruth, build_gps
from protocol.messages import PositionFix

GEOD = Geod(ellps="WGS84")
NOW_MS = int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
CONFIG = GpsConfig(name="truck-7", port="-")
JITTER_BOUND_M = 15.0  # the receiver errs by about 2 m per axis, correlated over seconds
ROUTES = [("hamburg-hannover", 1), ("duisburg-dortmund", 2), ("hamburg-port-shuttle", 3)]


def run(scenario: GpsScenario) -> tuple[list[PositionFix], GpsPipeline]:
    pipeline = GpsPipeline(CONFIG, "vehicle-7")
    data = scenario.nmea()
    fixes: list[PositionFix] = []
    for at in range(0, len(data), 4096):  # as a serial port delivers it: in arbitrary pieces
        fixes += pipeline.feed(data[at : at + 4096], NOW_MS)
    return fixes + pipeline.finish(NOW_MS), pipeline


def apart(fix: PositionFix, lat: float, lon: float) -> float:
    return float(GEOD.inv(fix.lon, fix.lat, lon, lat)[2])


@pytest.fixture(scope="module", params=ROUTES, ids=[r for r, _ in ROUTES])
def drive(request: pytest.FixtureRequest) -> tuple[GpsScenario, list[PositionFix], GpsPipeline]:
    name, seed = request.param
    scenario = build_gps(name, seed)
    fixes, pipeline = run(scenario)
    return scenario, fixes, pipeline


def test_every_fault_is_counted_where_it_belongs(
    drive: tuple[GpsScenario, list[PositionFix], GpsPipeline],
) -> None:
    scenario, _, pipeline = drive
    truth, counts = scenario.truth, pipeline.decoder.counts
    injected = {kind: len(times) for kind, times in truth.faults.items()}
    for reason in ("bad_checksum", "partial", "garbage"):
        assert counts[reason] == injected[reason]
    assert counts["malformed"] == 0
    no_fix = int((~truth.fix).sum())
    assert pipeline.rejected == {
        k: v
        for k, v in {
            "no_fix": no_fix,
            "jump": injected["spike"],
            "zero": injected["zero"],
            "duplicate": injected["duplicate"],
        }.items()
        if v
    }
    assert pipeline.filter.accepted == int(truth.fix.sum()) - injected["spike"] - injected["zero"]


def test_reported_fixes_follow_the_true_trajectory(
    drive: tuple[GpsScenario, list[PositionFix], GpsPipeline],
) -> None:
    scenario, fixes, _ = drive
    truth = scenario.truth
    for fix in fixes:
        assert apart(fix, *truth.position(fix.time_ms)) < JITTER_BOUND_M
        assert truth.fix[truth.index(fix.time_ms)]
        assert fix.device == "truck-7"
    assert [f.time_ms for f in fixes] == sorted({f.time_ms for f in fixes})
    first_fix = int(truth.time_ms[truth.fix.argmax()])
    assert fixes[0].time_ms == first_fix
    assert fixes[-1].time_ms == int(truth.time_ms[-1])  # the end of the track is reported


def test_the_reporting_policy_leaves_no_unexplained_gap(
    drive: tuple[GpsScenario, list[PositionFix], GpsPipeline],
) -> None:
    scenario, fixes, _ = drive
    truth = scenario.truth
    for a, b in itertools.pairwise(fixes):
        if _fixes_missing(truth, a.time_ms, b.time_ms):
            continue  # a tunnel, or a fault the filters threw out: nothing to report from
        assert b.time_ms - a.time_ms <= CONFIG.report_every_s * 1000
        # At most one second of driving beyond the distance rule, plus the jitter of both.
        step = CONFIG.report_every_m + 25.0 + 2 * JITTER_BOUND_M
        assert apart(a, b.lat, b.lon) <= step


def _fixes_missing(truth: GpsTruth, a_ms: int, b_ms: int) -> bool:
    between = slice(truth.index(a_ms) + 1, truth.index(b_ms))
    faults = {t for times in truth.faults.values() for t in times}
    missing = not truth.fix[between].all()
    return missing or any(a_ms < t < b_ms for t in faults)


def test_turns_and_stops_are_visible_in_the_track(
    drive: tuple[GpsScenario, list[PositionFix], GpsPipeline],
) -> None:
    scenario, fixes, _ = drive
    truth = scenario.truth
    distance = float(
        GEOD.line_length([f.lon for f in fixes], [f.lat for f in fixes])  # along the reports
    )
    assert distance == pytest.approx(truth.length_m, rel=0.03)
    standing = [f for f in fixes if f.speed_mps is not None and f.speed_mps < 0.5]
    assert standing  # the departure and arrival docks at least


def test_arrivals_estimated_from_the_track_match_the_truth(
    drive: tuple[GpsScenario, list[PositionFix], GpsPipeline],
) -> None:
    scenario, fixes, _ = drive
    truth = scenario.truth
    stops = [a for a in truth.arrivals if a.departure_ms - a.arrival_ms > 30_000]
    assert truth.destination in stops
    for stop in stops[1:]:  # the origin: the track starts there
        lat, lon = truth.position(stop.arrival_ms)
        near = [f for f in fixes if f.time_ms >= truth.arrivals[1].arrival_ms]
        seen = next(f for f in near if apart(f, lat, lon) < 30.0)
        # Reports come every report_every_s while standing; the last metres take seconds.
        assert abs(seen.time_ms - stop.arrival_ms) <= (CONFIG.report_every_s + 15) * 1000
