"""The gateway's GPS source against an emulated receiver on a real pty."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pyproj import Geod

from edge.gps.config import GpsConfig
from edge.gps.pipeline import GpsPipeline
from edge.gps.source import GpsSource
from firmware_sim.gps.faults import LINE_FAULTS
from firmware_sim.gps.receiver import PtyReceiver
from firmware_sim.gps.scenario import GpsScenario, build_gps
from protocol.codec import fields_of
from protocol.messages import PositionFix
from protocol.topics import Kind
from tests.support.mqtt import wait_until as support_wait_until

GEOD = Geod(ellps="WGS84")
JITTER_BOUND_M = 15.0
DEADLINE_S = 120.0


def wait_until(condition: Callable[[], bool]) -> bool:
    """tests.support.mqtt.wait_until with this module's longer deadline (playback at 100x)."""
    return support_wait_until(condition, DEADLINE_S)


def config_for(link: Path) -> GpsConfig:
    # A long idle_close_s: a stalled test machine must not split an epoch in two.
    return GpsConfig(
        name="truck-3", port=str(link), reconnect_min_s=0.05, reconnect_max_s=0.3, idle_close_s=2.0
    )


class Sink:
    """Drains a source as the gateway does and keeps what it got."""

    def __init__(self, source: GpsSource) -> None:
        self.source = source
        self.fixes: list[PositionFix] = []

    def drain(self) -> list[PositionFix]:
        fields = fields_of(Kind.POSITION)
        for kind, event_id, row in self.source.drain(time.time_ns() // 1000):
            assert kind is Kind.POSITION
            fix = PositionFix.model_validate_json(_as_object(fields, row))
            assert fix.id == event_id
            self.fixes.append(fix)
        return self.fixes


def _as_object(fields: tuple[str, ...], row: str) -> str:
    return json.dumps(dict(zip(fields, json.loads(row), strict=True)))


@contextmanager
def running(
    scenario: GpsScenario, tmp_path: Path, speed: float
) -> Iterator[tuple[PtyReceiver, GpsSource, Sink]]:
    # Patience: a stalled test machine makes the playback late, never loses a byte.
    receiver = PtyReceiver(scenario, tmp_path / "gps0", speed=speed, patience_s=5.0)
    receiver.plug()
    source = GpsSource(config_for(receiver.link), "vehicle-3")
    source.start()
    try:
        assert wait_until(lambda: source.health().connected)
        receiver.start()
        yield receiver, source, Sink(source)
    finally:
        source.stop()
        receiver.stop()


def test_fixes_follow_the_drive_and_match_the_log_pipeline(tmp_path: Path) -> None:
    scenario = build_gps("hamburg-port-shuttle", 4)
    # The same bytes from a log: the live source must report exactly these fixes.
    offline = GpsPipeline(config_for(Path("-")), "vehicle-3")
    now_ms = time.time_ns() // 1_000_000
    expected = offline.feed(scenario.nmea(), now_ms) + offline.finish(now_ms)
    with running(scenario, tmp_path, speed=100.0) as (receiver, source, sink):
        assert receiver.wait_finished(DEADLINE_S)
        # Every epoch decided: the last one when the line has been quiet for idle_close_s.
        assert wait_until(lambda: source.stats()["epochs"] == offline.epochs_total)
    fixes = sink.drain()  # stop() reported the end of the track
    assert receiver.counters.bytes_dropped == 0
    truth = scenario.truth
    for fix in fixes:
        lat, lon = truth.position(fix.time_ms)
        assert GEOD.inv(fix.lon, fix.lat, lon, lat)[2] < JITTER_BOUND_M
    assert [f.id for f in fixes] == [f.id for f in expected]
    health = source.health()
    assert health.kind == "gps"
    assert health.name == "truck-3"
    assert health.bad_lines == sum(len(truth.faults[k]) for k in LINE_FAULTS)
    assert health.lines_total == offline.decoder.lines_total
    assert health.reconnects == 0


def test_an_unplugged_receiver_is_reopened_and_the_track_goes_on(tmp_path: Path) -> None:
    scenario = build_gps("hamburg-port-shuttle", 5)
    with running(scenario, tmp_path, speed=20.0) as (receiver, source, sink):
        assert wait_until(lambda: len(sink.drain()) >= 5)
        receiver.unplug()
        assert wait_until(lambda: not source.health().connected)
        lost_from = receiver.counters.epochs_lost
        assert wait_until(lambda: source.health().reconnects >= 2)  # tried, found no device
        receiver.plug()
        assert wait_until(lambda: source.health().connected)
        before = len(sink.drain())
        assert wait_until(lambda: len(sink.drain()) >= before + 5)
    health = source.health()
    assert receiver.counters.epochs_lost > lost_from  # time went on while it was unplugged
    assert health.reconnects >= 2
    assert health.last_error is not None
    assert "gps0" in health.last_error
    sent = set(receiver.sent_ms)
    truth = scenario.truth
    times = [f.time_ms for f in sink.fixes]
    assert times == sorted(set(times))
    for fix in sink.fixes:
        assert fix.time_ms in sent  # nothing invented for the time it was away
        lat, lon = truth.position(fix.time_ms)
        assert GEOD.inv(fix.lon, fix.lat, lon, lat)[2] < JITTER_BOUND_M


def test_a_missing_device_is_retried_without_end(tmp_path: Path) -> None:
    source = GpsSource(config_for(tmp_path / "nothing-here"), "vehicle-3")
    source.start()
    try:
        assert wait_until(lambda: source.health().reconnects >= 3)
        health = source.health()
        assert not health.connected
        assert health.last_error is not None
        assert "nothing-here" in health.last_error
    finally:
        source.stop()
    assert source.drain(0) == []


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_the_receiver_needs_a_positive_speed(speed: float, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed"):
        PtyReceiver(build_gps("hamburg-port-shuttle", 1), tmp_path / "gps0", speed=speed)
