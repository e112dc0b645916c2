"""Sensor scenarios: deterministic, physically plausible, faults detectably invalid, truth
consistent with the series and usable for long simulated periods."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from edge.sensors.aggregate import IntervalAggregator
from edge.sensors.lines import GARBLED, RANGE, TRUNCATED, LineRules, Reading, Rejected, parse_line
from firmware_sim.sensors.climate import DAY_S, Climate, Episode
from firmware_sim.sensors.events import FaultPlan
from firmware_sim.sensors.scenario import (
    ProbeRun,
    ProbeSpec,
    ScenarioConfig,
    SensorScenario,
    build,
    build_scenario,
)
from firmware_sim.sensors.truth import excursions, ideal_samples, truth_document

H = 3600.0


@pytest.fixture(scope="module")
def site() -> SensorScenario:
    """A day at a site: cold room, dock and reefer probes."""
    return build("site", 11)


def test_a_seed_fixes_everything(site: SensorScenario) -> None:
    again = build("site", 11)
    for mine, theirs in zip(site.probes, again.probes, strict=True):
        assert mine.lines == theirs.lines
        assert np.array_equal(mine.climate.temp, theirs.climate.temp)
        assert mine.climate.episodes == theirs.climate.episodes
    other = build("site", 12)
    assert other.probes[0].lines != site.probes[0].lines


def test_cold_room_holds_its_band_between_doors_defrosts_and_the_failure(
    site: SensorScenario,
) -> None:
    run = site.probe("cold-1")
    temp, episodes = run.climate.temp, run.climate.episodes
    failure = _only(episodes, "failure")
    normal = temp[: int(failure.start_s)]
    assert np.mean((normal >= 2.0) & (normal <= 8.0)) > 0.98
    crossings = np.count_nonzero(np.diff(np.sign(normal - 4.0)))
    assert crossings > 40  # the thermostat cycles
    for defrost in (e for e in episodes if e.kind == "defrost" and e.end_s < failure.start_s):
        assert _at(run, defrost.end_s) - _at(run, defrost.start_s) > 1.0
    doors = [e for e in episodes if e.kind == "door" and e.end_s - e.start_s > 60]
    assert np.mean([_at(run, e.end_s) - _at(run, e.start_s) for e in doors]) > 0.3


def test_a_compressor_failure_ramps_into_an_excursion(site: SensorScenario) -> None:
    for name in ("cold-1", "reefer-1"):
        run = site.probe(name)
        failure = _only(run.climate.episodes, "failure")
        high = [e for e in excursions(run) if e.kind == "high" and e.end_s > failure.start_s]
        first = min(high, key=lambda e: e.start_s)
        assert failure.start_s < first.start_s < failure.start_s + 3 * H
        assert max(e.end_s - e.start_s for e in high) > H
    reefer = site.probe("reefer-1")  # never repaired: too warm until the end
    assert excursions(reefer)[-1].end_s == pytest.approx(site.duration_s, abs=1.0)
    cold = site.probe("cold-1")  # repaired: back in its band by the end of the day
    assert 2.0 <= cold.climate.temp[-1] <= 8.0


def test_dock_follows_the_outside_air(site: SensorScenario) -> None:
    run = site.probe("dock-1")
    assert _at(run, 15 * H) - _at(run, 5 * H) > 3.0
    assert float(run.climate.rh.min()) > 0.0
    assert float(run.climate.rh.max()) <= 100.0


def test_every_line_is_what_its_kind_says_under_the_documented_protocol(
    site: SensorScenario,
) -> None:
    expected = {"garbled": GARBLED, "truncated": TRUNCATED, "spike": RANGE}
    for run in site.probes:
        rules = LineRules(require_checksum=run.spec.checksum)
        kinds = Counter(line.kind for line in run.lines)
        assert min(kinds[k] for k in ("garbled", "truncated", "spike", "stuck")) > 0
        for line in run.lines:
            if line.kind == "unplugged":
                assert line.data == b""
                continue
            assert line.data.endswith(b"\r\n")
            result = parse_line(line.data[:-2], rules)
            if line.valid:
                assert result == Reading(line.temp, line.rh), line
            else:
                assert isinstance(result, Rejected), line
                assert result.reason == expected[line.kind], line


def test_faults_happen_where_the_schedule_says(site: SensorScenario) -> None:
    for run in site.probes:
        for kind in ("unplug", "stuck"):
            spans = [e for e in run.faults if e.kind == kind]
            assert spans, (run.spec.name, kind)
            line_kind = "unplugged" if kind == "unplug" else "stuck"
            inside = [
                line for line in run.lines if any(e.start_s <= line.t_s < e.end_s for e in spans)
            ]
            if kind == "unplug":
                assert all(line.kind == "unplugged" for line in inside)
            stuck = [line for line in inside if line.kind == line_kind]
            if kind == "stuck":
                assert len({(line.temp, line.rh) for line in stuck}) == len(spans)
        assert all(
            any(e.kind == "unplug" and e.start_s <= line.t_s < e.end_s for e in run.faults)
            for line in run.lines
            if line.kind == "unplugged"
        )


def test_excursions_are_the_runs_beyond_the_thresholds() -> None:
    temp = np.array([4.0, 9.0, 9.5, 4.0, 1.0, 1.5, 4.0, 8.5])
    climate = Climate(10.0, temp, np.full(len(temp), 80.0), ())
    spec = ProbeSpec("x", "coldroom", interval_s=10.0)
    run = ProbeRun(spec, climate, (), 0.0, (0, 0))
    got = [(e.kind, e.start_s, e.end_s, e.peak) for e in excursions(run)]
    assert got == [
        ("high", 10.0, 30.0, 9.5),
        ("low", 40.0, 60.0, 1.0),
        ("high", 70.0, 80.0, 8.5),
    ]


def test_truth_document_is_json_with_series_and_excursions(site: SensorScenario) -> None:
    doc = json.loads(json.dumps(truth_document(site)))
    assert [p["name"] for p in doc["probes"]] == ["cold-1", "dock-1", "reefer-1"]
    cold = doc["probes"][0]
    assert len(cold["series"]["t_ms"]) == len(cold["series"]["temp"]) == 8640
    assert cold["excursions"] == sorted(cold["excursions"], key=lambda e: e["start_ms"])
    failure = next(e for e in cold["episodes"] if e["kind"] == "failure")
    assert any(e["start_ms"] > failure["start_ms"] for e in cold["excursions"])
    assert {f["kind"] for f in cold["faults"]} == {"unplug", "stuck"}


def test_a_simulated_week_of_ideal_samples_matches_the_edge_aggregator() -> None:
    week = build("coldroom", 4, duration_s=7 * DAY_S)
    samples = ideal_samples(week, "cold-1", "gw", 300.0)
    assert len(samples) == 7 * 24 * 12
    assert len({s.id for s in samples}) == len(samples)
    run = week.probe("cold-1")
    agg = IntervalAggregator("gw", "cold-1", 300.0, week.start_ms * 1000)
    for line in run.lines:
        t_us = (week.start_ms + round(line.t_s * 1000)) * 1000
        if line.valid:
            agg.add(t_us, Reading(line.temp, line.rh))
        elif line.kind != "unplugged":
            agg.reject(t_us)
    edge = agg.close((week.start_ms + round(7 * DAY_S * 1000)) * 1000)
    assert [s.model_dump(exclude={"temp_mean", "rh_mean"}) for s in edge] == [
        s.model_dump(exclude={"temp_mean", "rh_mean"}) for s in samples
    ]
    # The first day's compressor failure shows in the samples too.
    assert max(s.temp_max or 0.0 for s in samples) > 8.0


def test_random_fault_rates_apply_without_explicit_episodes() -> None:
    spec = ProbeSpec("x", "coldroom", faults=FaultPlan(unplugs_per_day=6, stucks_per_day=6))
    run = build_scenario(ScenarioConfig("r", (spec,)), 2).probes[0]
    kinds = Counter(e.kind for e in run.faults)
    assert kinds["unplug"] >= 1
    assert kinds["stuck"] >= 1


def _only(episodes: tuple[Episode, ...], kind: str) -> Episode:
    (found,) = [e for e in episodes if e.kind == kind]
    return found


def _at(run: ProbeRun, t_s: float) -> float:
    return run.climate.at(min(t_s, len(run.climate.temp) - 1))[0]
