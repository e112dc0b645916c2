"""A gateway with only serial sensors delivers ConditionSamples over a real broker, and loses
none across a broker outage."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import cast

import pytest

from edge.config import GatewayConfig, MqttConfig, OutboxConfig
from edge.gateway import Gateway, GatewayThread
from edge.outbox import Outbox
from edge.sensors.config import SensorConfig
from edge.sensors.source import SensorSource
from firmware_sim.sensors.player import SensorPlayer
from firmware_sim.sensors.scenario import ProbeSpec, SensorScenario
from protocol.codec import fields_of
from protocol.messages import ConditionSample, GatewayHealth
from protocol.topics import Kind
from tests.edge.sensors.support import SPEED, check_against_deliveries, faults, scenario
from tests.support.mqtt import Collector, Gate, wait_until
from tests.support.services import BrokerAddress, BrokerProcess

pytestmark = [pytest.mark.broker]

OUTAGE_S = 8.0
RATES = {"garbled": 0.02, "truncated": 0.02, "spike": 0.01}


def two_probes(duration_s: float) -> SensorScenario:
    """A cold room probe talking by itself and a reefer probe answering polls with CS2."""
    cold = ProbeSpec("cold-1", "coldroom", interval_s=2.0, faults=faults(**RATES))
    reefer = ProbeSpec(
        "reefer-1", "reefer", interval_s=2.0, mode="polled", checksum=True, faults=faults(**RATES)
    )
    return scenario(cold, reefer, duration_s=duration_s)


def config_for(player: SensorPlayer, site: str, broker: BrokerAddress, tmp: Path) -> GatewayConfig:
    """A gateway with no readers, just the player's probes, and an audited outbox."""
    fast = {"interval_s": 1.0, "reconnect_min_s": 0.1, "reconnect_max_s": 0.5}
    sensors = (
        SensorConfig(name="cold-1", port=str(player.paths["cold-1"]), **fast),
        SensorConfig(
            name="reefer-1",
            port=str(player.paths["reefer-1"]),
            mode="polled",
            poll_interval_s=0.1,
            checksum="cs2",
            **fast,
        ),
    )
    return GatewayConfig(
        site=site,
        gateway="gw-sensors",
        mqtt=MqttConfig(url=broker.url, reconnect_min_s=0.2, reconnect_max_s=1.0),
        outbox=OutboxConfig(path=tmp / "outbox.sqlite", audit=True),
        sensors=sensors,
        health_interval_s=1.0,
    )


def received_samples(collector: Collector) -> list[ConditionSample]:
    """The condition samples a subscriber received (first copy of each)."""
    fields = fields_of(Kind.CONDITION)
    return [
        ConditionSample.model_validate(
            dict(zip(fields, json.loads(collector.rows[eid][0]), strict=True))
        )
        for eid in collector.order(Kind.CONDITION)
    ]


def health_report(collector: Collector, event_id: str) -> GatewayHealth:
    """One received gateway health report."""
    row = json.loads(collector.rows[event_id][0])
    return GatewayHealth.model_validate(dict(zip(fields_of(Kind.HEALTH), row, strict=True)))


def produced_ids(config: GatewayConfig) -> set[str]:
    """Every condition sample ID the gateway committed to its outbox."""
    with Outbox(config.outbox) as outbox:
        return outbox.audit_ids(Kind.CONDITION)


def read_everything(gateway: Gateway, player: SensorPlayer) -> None:
    """Wait until the scenario played out and every delivered line reached the driver."""
    assert player.wait_finished(120)
    for source in gateway.sources:
        sensor = cast(SensorSource, source)
        sent = sum(d.fate == "delivered" for d in player.deliveries(sensor.name))
        assert wait_until(lambda s=sensor, n=sent: s.stats().lines >= n)  # type: ignore[misc]


def check_delivery(collector: Collector, config: GatewayConfig, player: SensorPlayer) -> None:
    """Everything produced arrived, exactly, and matches what the probes sent."""
    produced = produced_ids(config)
    assert wait_until(lambda: set(collector.order(Kind.CONDITION)) >= produced)
    assert set(collector.order(Kind.CONDITION)) == produced
    assert collector.inexact_repeats() == {}
    samples = received_samples(collector)
    for name in ("cold-1", "reefer-1"):
        mine = [s for s in samples if s.sensor == name]
        check_against_deliveries(mine, player.deliveries(name))


def test_gateway_delivers_condition_samples(
    mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    run = two_probes(duration_s=160.0)
    with (
        SensorPlayer(run, tmp_path / "dev", speed=SPEED) as player,
        Collector(mqtt_broker, unique_site) as collector,
    ):
        config = config_for(player, unique_site, mqtt_broker, tmp_path)
        with GatewayThread(config) as gateway:
            read_everything(gateway, player)
            assert wait_until(lambda: len(collector.order(Kind.HEALTH)) >= 2)
        check_delivery(collector, config, player)
        last = health_report(collector, collector.order(Kind.HEALTH)[-1])
    assert {s.name for s in last.sources} == {"cold-1", "reefer-1"}
    assert all(s.kind == "sensor" for s in last.sources)
    assert sum(s.bad_lines for s in last.sources) > 0


@pytest.mark.fault
def test_no_sample_is_lost_across_a_broker_outage(
    private_broker: BrokerProcess, unique_site: str, tmp_path: Path
) -> None:
    run = two_probes(duration_s=500.0)
    gate = Gate(private_broker.address)
    try:
        with (
            SensorPlayer(run, tmp_path / "dev", speed=SPEED) as player,
            Collector(private_broker.address, unique_site) as collector,
        ):
            config = config_for(player, unique_site, gate.address, tmp_path)
            with GatewayThread(config) as gateway:
                down_ms = _outage(private_broker, gate, collector)
                read_everything(gateway, player)
            check_delivery(collector, config, player)
            samples = received_samples(collector)
    finally:
        gate.close()
    # Samples were decided while the broker was down, and they came through afterwards.
    assert sum(down_ms[0] < s.time_ms < down_ms[1] for s in samples) >= 10


def _outage(broker: BrokerProcess, gate: Gate, collector: Collector) -> tuple[int, int]:
    assert wait_until(lambda: len(collector.order(Kind.CONDITION)) >= 4)
    start_ms = time.time_ns() // 1_000_000
    broker.stop()  # SIGKILL
    time.sleep(OUTAGE_S)
    gate.hold()  # keep the gateway off until the subscriber is back on the fresh broker
    subscribed = collector.subscribed
    broker.start()
    end_ms = time.time_ns() // 1_000_000
    assert wait_until(lambda: collector.subscribed > subscribed)
    gate.release()
    return start_ms, end_ms
