"""Faults end to end: a 30 s broker outage and a SIGKILLed gateway lose no event."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.score import score_portal
from protocol.topics import Kind
from tests.e2e.test_dock_gateway import delivered_ids, portal_events, produced_ids
from tests.support.gateway import GatewayProcess, short_dock
from tests.support.mqtt import Collector, Gate, wait_until
from tests.support.services import BrokerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

OUTAGE_S = 30.0


def test_broker_outage_and_gateway_kill_lose_nothing(
    private_broker: BrokerProcess, unique_site: str, tmp_path: Path
) -> None:
    scenario = short_dock(seed=9, duration_s=120.0, trip_interval_s=15.0)
    # Held reports: the reader keeps reads while the gateway is dead, as a real reader would
    # with HoldEventsAndReportsUponReconnect, so the restarted gateway still sees them.
    options = EmulatorOptions(hold_reports=True)
    gate = Gate(private_broker.address)
    try:
        with (
            EmulatorThread(ReaderFleet(scenario, base_port=0, options=options)) as emulators,
            Collector(private_broker.address, unique_site) as collector,
        ):
            config = gateway_config_for(
                scenario,
                site=unique_site,
                gateway="gw-fault",
                ports=emulators.fleet.ports,
                mqtt_url=gate.address.url,
                outbox_path=tmp_path / "outbox.sqlite",
                audit=True,
            )
            gateway = GatewayProcess(config, tmp_path)
            gateway.start()
            try:
                _outage(private_broker, gate, collector)
                _kill_and_restart(gateway, collector)
                emulators.run(emulators.fleet.wait_finished(), timeout=600)
            finally:
                gateway.terminate()
            produced = produced_ids(config)
            assert wait_until(lambda: delivered_ids(collector) >= produced, 120)
            assert delivered_ids(collector) == produced
            assert collector.inexact_repeats() == {}
            score = score_portal(portal_events(collector), scenario.truth)
    finally:
        gate.close()
    log = gateway.log.read_text()
    assert "reader" in log  # the gateway ran and logged
    # Passes in progress at the kill die with the process, and reads the reader held while the
    # gateway restarted arrive behind the new watermark (counted as late): a few pallets' worth.
    assert score.accuracy >= 0.8, score.summary()
    assert score.wrong_door + score.wrong_direction <= score.crossings // 100, score.summary()
    assert score.false_crossings == 0, score.examples


def _outage(broker: BrokerProcess, gate: Gate, collector: Collector) -> None:
    assert wait_until(lambda: len(collector.order(Kind.PORTAL)) >= 20, 120)
    broker.stop()  # SIGKILL, mid-scenario
    before = len(collector.order(Kind.PORTAL))
    time.sleep(OUTAGE_S)
    gate.hold()  # keep the gateway off until the subscriber is back on the fresh broker
    subscribed = collector.subscribed
    broker.start()
    assert wait_until(lambda: collector.subscribed > subscribed)
    gate.release()
    assert wait_until(lambda: len(collector.order(Kind.PORTAL)) > before + 20, 120)


def _kill_and_restart(gateway: GatewayProcess, collector: Collector) -> None:
    before = len(collector.order(Kind.PORTAL))
    gateway.kill()
    gateway.start()
    assert wait_until(lambda: len(collector.order(Kind.PORTAL)) > before + 10, 120)
