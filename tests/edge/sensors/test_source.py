"""The serial driver against emulated probes over real pseudo-terminals."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

import pytest

from edge.sensors.config import SensorConfig
from edge.sensors.lines import GARBLED, RANGE, TRUNCATED
from edge.sensors.source import SensorSource
from firmware_sim.sensors.player import SensorPlayer
from firmware_sim.sensors.scenario import ProbeSpec
from protocol.messages import SourceHealth
from protocol.topics import Kind
from tests.edge.sensors.support import (
    SPEED,
    check_against_deliveries,
    drain_until,
    faults,
    samples_of,
    scenario,
)
from tests.support.mqtt import wait_until

RATES = {"garbled": 0.04, "truncated": 0.04, "spike": 0.04}


def sensor(path: Path, **kw: object) -> SensorConfig:
    """A driver config for an emulated probe: 1 s intervals, quick reconnects."""
    base: dict[str, object] = {
        "name": path.name,
        "port": str(path),
        "interval_s": 1.0,
        "reconnect_min_s": 0.1,
        "reconnect_max_s": 0.5,
    }
    return SensorConfig.model_validate({**base, **kw})


def play_and_read(
    player: SensorPlayer, source: SensorSource, name: str
) -> tuple[list[tuple[Kind, str, str]], SourceHealth]:
    """Run the driver through the whole scenario, then stop it and take every sample.

    Returns the outbox rows and the driver's health just before it was stopped.
    """
    rows: list[tuple[Kind, str, str]] = []
    source.start()
    try:
        assert drain_until(player.finished.is_set, source, rows)
        delivered = sum(d.fate == "delivered" for d in player.deliveries(name))
        assert drain_until(lambda: source.stats().lines >= delivered, source, rows)
        health = source.health()
    finally:
        source.stop()
    rows += source.drain(time.time_ns() // 1000)
    return rows, health


def test_readings_aggregate_to_the_truth_and_bad_lines_are_counted(tmp_path: Path) -> None:
    plan = faults(**RATES, stucks=((60.0, 60.0),))
    spec = ProbeSpec("cold-1", "coldroom", interval_s=2.0, faults=plan)
    run = scenario(spec)
    with SensorPlayer(run, tmp_path, speed=SPEED, wait_for_listeners=True) as player:
        source = SensorSource(sensor(player.paths["cold-1"], stuck_after=20), "gw-t")
        rows, health = play_and_read(player, source, "cold-1")
        deliveries = player.deliveries("cold-1")
    samples = samples_of(rows)
    check_against_deliveries(samples, deliveries)
    sent = Counter(d.line.kind for d in deliveries if d.fate == "delivered")
    stats = source.stats()
    expected = {GARBLED: sent["garbled"], TRUNCATED: sent["truncated"], RANGE: sent["spike"]}
    assert stats.bad == {k: v for k, v in expected.items() if v}
    assert sent["garbled"]
    assert sent["truncated"]
    assert sent["spike"]  # the scenario had each
    assert sum(s.bad for s in samples) == sum(stats.bad.values())
    assert stats.stuck_episodes == 1
    assert stats.stuck_readings >= sent["stuck"]
    assert (stats.dropped, stats.late, stats.reconnects) == (0, 0, 0)
    assert health.kind == "sensor"
    assert health.connected
    assert health.lines_total == sum(sent.values())
    assert health.bad_lines == sum(stats.bad.values())


def test_an_unplugged_probe_is_reopened_and_reading_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plan = faults(**RATES, unplugs=((80.0, 40.0),))
    run = scenario(ProbeSpec("dock-1", "dock", interval_s=2.0, low=None, high=None, faults=plan))
    with SensorPlayer(run, tmp_path, speed=SPEED, wait_for_listeners=True) as player:
        source = SensorSource(sensor(player.paths["dock-1"]), "gw-t")
        with caplog.at_level(logging.WARNING, logger="edge.sensors.link"):
            rows, health = play_and_read(player, source, "dock-1")
        deliveries = player.deliveries("dock-1")
    samples = samples_of(rows)
    check_against_deliveries(samples, deliveries)  # nothing read before or after was lost
    fates = Counter(d.fate for d in deliveries)
    assert fates["unplugged"] >= 15
    assert fates["lost"] == 0
    replugged = max(d.wall_us for d in deliveries if d.fate == "unplugged") // 1000
    assert sum(s.count for s in samples if s.start_ms > replugged) >= 20  # it came back
    stats = source.stats()
    assert stats.reconnects >= 1
    assert stats.dropped == 0
    assert health.connected
    assert health.reconnects >= 1
    assert any("lost" in r.getMessage() for r in caplog.records)


def test_polled_probe_with_checksums(tmp_path: Path) -> None:
    spec = ProbeSpec("reefer-1", "reefer", mode="polled", checksum=True, faults=faults(**RATES))
    run = scenario(spec, duration_s=160.0)
    with SensorPlayer(run, tmp_path, speed=SPEED, wait_for_listeners=True) as player:
        config = sensor(
            player.paths["reefer-1"], mode="polled", poll_interval_s=0.1, checksum="cs2"
        )
        source = SensorSource(config, "gw-t")
        rows, _ = play_and_read(player, source, "reefer-1")
        deliveries = player.deliveries("reefer-1")
    assert all(d.polled for d in deliveries)
    assert sum(d.fate == "delivered" for d in deliveries) >= 40  # about one per poll
    check_against_deliveries(samples_of(rows), deliveries)


def test_a_silent_port_is_reopened(tmp_path: Path) -> None:
    # A polled probe nobody polls says nothing: to a continuous driver the port looks dead.
    run = scenario(ProbeSpec("p", "coldroom", mode="polled", faults=faults()))
    with SensorPlayer(run, tmp_path, speed=SPEED) as player:
        source = SensorSource(sensor(player.paths["p"], silence_s=0.3), "gw-t")
        source.start()
        try:
            assert wait_until(lambda: source.stats().reconnects >= 2)
        finally:
            source.stop()
    assert "silent" in (source.health().last_error or "")
    assert not source.health().connected


def test_a_full_reading_queue_drops_logs_and_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = scenario(ProbeSpec("p", "coldroom", interval_s=2.0, faults=faults()))
    with SensorPlayer(run, tmp_path, speed=SPEED, wait_for_listeners=True) as player:
        source = SensorSource(sensor(player.paths["p"], queue_max=10), "gw-t")
        with caplog.at_level(logging.WARNING, logger="edge.sensors.source"):
            source.start()  # and nobody drains
            try:
                assert wait_until(lambda: source.stats().dropped >= 5)
            finally:
                source.stop()
    rows = source.drain(time.time_ns() // 1000)
    stats = source.stats()
    samples = samples_of(rows)
    assert sum(s.count + s.bad for s in samples) == stats.lines - stats.dropped
    assert any("queue full" in r.getMessage() for r in caplog.records)
