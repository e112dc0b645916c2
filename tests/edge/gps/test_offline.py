"""A vehicle gateway out of reach for two hours of driving delivers its whole track afterwards.

An emulated receiver plays the Hamburg-Hannover drive at 100x on a pty; a gateway with only a
GPS receiver reads it and publishes through a TCP gate to a broker of its own. The broker is
killed for two hours of emulated driving, then comes back. Every fix the gateway committed
(its outbox audit) must arrive, in time order, byte-identical on repeats, and they must be
the fixes the same bytes give from a log: the track follows the truth from dock to dock.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import TypeVar

import pytest
from pyproj import Geod

from edge.config import GatewayConfig
from edge.gateway import Gateway, GatewayThread
from edge.gps.pipeline import GpsPipeline
from edge.gps.source import GpsSource
from edge.outbox import Outbox
from firmware_sim.gps.faults import LINE_FAULTS
from firmware_sim.gps.receiver import PtyReceiver
from firmware_sim.gps.scenario import GpsScenario, build_gps
from protocol.codec import fields_of
from protocol.messages import GatewayHealth, PositionFix
from protocol.topics import Kind
from tests.support.mqtt import Collector, Gate, wait_until
from tests.support.services import BrokerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.broker]

GEOD = Geod(ellps="WGS84")
SPEED = 100.0
OUTAGE_S = 2 * 3600.0  # emulated
JITTER_BOUND_M = 15.0
M = TypeVar("M", PositionFix, GatewayHealth)


def gateway_config(site: str, link: Path, mqtt_url: str, tmp: Path) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "site": site,
            "gateway": "truck-11",
            "mqtt": {"url": mqtt_url, "reconnect_max_s": 2.0},
            "outbox": {"path": str(tmp / "outbox.sqlite"), "audit": True},
            "gps": {
                "name": "truck-11",
                "port": str(link),
                "reconnect_min_s": 0.1,
                "reconnect_max_s": 1.0,
                "idle_close_s": 2.0,
            },
            "health_interval_s": 5.0,
        }
    )


def offline_track(scenario: GpsScenario, config: GatewayConfig) -> tuple[list[PositionFix], int]:
    """The fixes the same bytes give from a log, and the number of receiver epochs."""
    assert config.gps is not None
    pipeline = GpsPipeline(config.gps, config.gateway)
    now_ms = time.time_ns() // 1_000_000
    fixes = pipeline.feed(scenario.nmea(), now_ms) + pipeline.finish(now_ms)
    return fixes, pipeline.epochs_total


def _rows(collector: Collector, kind: Kind, model: type[M]) -> list[M]:
    """The events of one kind the collector received, first copies, in arrival order."""
    fields = fields_of(kind)
    return [
        model.model_validate(dict(zip(fields, json.loads(collector.rows[eid][0]), strict=True)))
        for eid in collector.order(kind)
    ]


def delivered(collector: Collector) -> list[PositionFix]:
    return _rows(collector, Kind.POSITION, PositionFix)


def gps_source(gateway: Gateway) -> GpsSource:
    [source] = gateway.sources
    assert isinstance(source, GpsSource)
    return source


def test_two_hours_offline_lose_no_fix(
    private_broker: BrokerProcess, unique_site: str, tmp_path: Path
) -> None:
    scenario = build_gps("hamburg-hannover", 11)
    assert scenario.duration_s > OUTAGE_S + 600
    receiver = PtyReceiver(scenario, tmp_path / "gps0", speed=SPEED, patience_s=5.0)
    gate = Gate(private_broker.address)
    config = gateway_config(unique_site, receiver.link, gate.address.url, tmp_path)
    expected, epochs = offline_track(scenario, config)
    try:
        receiver.plug()
        with Collector(private_broker.address, unique_site) as collector:
            with GatewayThread(config) as gateway:
                source = gps_source(gateway)
                assert wait_until(lambda: source.health().connected)
                receiver.start()
                outage = _outage(private_broker, gate, collector, receiver)
                assert receiver.wait_finished(scenario.duration_s / SPEED + 120)
                assert wait_until(lambda: source.stats()["epochs"] == epochs)
                assert wait_until(lambda: gateway.outbox.depth == 0)
                health = source.health()
            with Outbox(config.outbox) as outbox:
                produced = outbox.audit_ids(Kind.POSITION)
            assert wait_until(lambda: set(collector.order(Kind.POSITION)) >= produced)
            fixes = delivered(collector)
            repeats = collector.inexact_repeats()
            reports = _rows(collector, Kind.HEALTH, GatewayHealth)
    finally:
        gate.close()
        receiver.stop()

    # Nothing lost, nothing made up, nothing reordered.
    assert {f.id for f in fixes} == produced
    assert repeats == {}
    assert [f.id for f in fixes] == [f.id for f in _sorted(fixes)]
    assert [f.id for f in fixes] == [f.id for f in expected]
    assert receiver.counters.bytes_dropped == 0

    # Two hours of the drive happened while the broker was away, and they are all there.
    start, end = outage
    during = [f for f in fixes if start <= f.time_ms <= end]
    assert end - start >= OUTAGE_S * 1000
    assert len(during) > 100
    _covers_the_drive(scenario, fixes)

    # The receiver's faults were counted, and reported in the gateway's health.
    assert health.bad_lines == sum(len(scenario.truth.faults[k]) for k in LINE_FAULTS)
    gps = [s for r in reports for s in r.sources]
    assert gps
    assert all(s.kind == "gps" and s.name == "truck-11" for s in gps)


def _outage(
    broker: BrokerProcess, gate: Gate, collector: Collector, receiver: PtyReceiver
) -> tuple[int, int]:
    """Kill the broker for two hours of emulated driving; return that span in fix time (ms)."""
    assert wait_until(lambda: len(collector.order(Kind.POSITION)) >= 3)
    broker.stop()
    down = receiver.emulated_s()
    assert wait_until(lambda: receiver.emulated_s() >= down + OUTAGE_S, OUTAGE_S / SPEED + 120)
    up = receiver.emulated_s()
    gate.hold()  # keep the gateway off until the subscriber is back on the fresh broker
    subscribed = collector.subscribed
    broker.start()
    assert wait_until(lambda: collector.subscribed > subscribed)
    gate.release()
    first = int(receiver.scenario.truth.time_ms[0])
    return first + int(down * 1000), first + int(up * 1000)


def _sorted(fixes: list[PositionFix]) -> list[PositionFix]:
    return sorted(fixes, key=lambda f: f.time_ms)


def _covers_the_drive(scenario: GpsScenario, fixes: list[PositionFix]) -> None:
    truth = scenario.truth
    for fix in fixes:
        lat, lon = truth.position(fix.time_ms)
        assert GEOD.inv(fix.lon, fix.lat, lon, lat)[2] < JITTER_BOUND_M
    first_fix_ms = int(truth.time_ms[truth.fix.argmax()])
    assert fixes[0].time_ms == first_fix_ms
    assert fixes[-1].time_ms == int(truth.time_ms[-1])
    for a, b in itertools.pairwise(fixes):
        blind = any(a.time_ms < end and start < b.time_ms for start, end, _ in truth.gaps)
        assert blind or b.time_ms - a.time_ms <= 35_000  # report_every_s, bar a tunnel
    along = float(GEOD.line_length([f.lon for f in fixes], [f.lat for f in fixes]))
    assert along == pytest.approx(truth.length_m, rel=0.03)
