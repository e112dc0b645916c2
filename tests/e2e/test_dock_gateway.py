"""End to end: emulated LLRP readers → sllurp → gateway pipeline → outbox → real broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.config import GatewayConfig
from edge.gateway import GatewayThread
from edge.outbox import Outbox
from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.score import score_portal
from firmware_sim.scenario.types import Scenario
from protocol.codec import fields_of
from protocol.messages import PortalEvent
from protocol.topics import Kind
from tests.support.gateway import short_dock
from tests.support.mqtt import Collector, wait_until
from tests.support.services import BrokerAddress

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


def portal_events(collector: Collector) -> list[PortalEvent]:
    """The portal events a subscriber received (first copy of each)."""
    fields = fields_of(Kind.PORTAL)
    return [
        PortalEvent.model_validate(
            dict(zip(fields, json.loads(collector.rows[eid][0]), strict=True))
        )
        for eid in collector.order(Kind.PORTAL)
    ]


def config_for(
    scenario: Scenario, fleet: ReaderFleet, broker: BrokerAddress, site: str, tmp: Path
) -> GatewayConfig:
    """A gateway config for the fleet's actual ports, with an audited outbox."""
    return gateway_config_for(
        scenario,
        site=site,
        gateway="gw-e2e",
        ports=fleet.ports,
        mqtt_url=broker.url,
        outbox_path=tmp / "outbox.sqlite",
        audit=True,
    )


def produced_ids(config: GatewayConfig) -> set[str]:
    """Every event ID the gateway committed to its outbox."""
    with Outbox(config.outbox) as outbox:
        return outbox.audit_ids()


def delivered_ids(collector: Collector) -> set[str]:
    """IDs of the outbox kinds received (health reports do not go through the outbox)."""
    return set(collector.order(Kind.PORTAL)) | set(collector.order(Kind.PRESENCE))


def test_portal_events_match_ground_truth(
    mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    scenario = short_dock(seed=3)
    with (
        EmulatorThread(ReaderFleet(scenario, base_port=0)) as emulators,
        Collector(mqtt_broker, unique_site) as collector,
    ):
        fleet = emulators.fleet
        config = config_for(scenario, fleet, mqtt_broker, unique_site, tmp_path)
        with GatewayThread(config) as gateway:
            emulators.run(fleet.wait_finished(), timeout=600)
            healths = [r for r in gateway.health().readers]
        produced = produced_ids(config)
        assert wait_until(lambda: delivered_ids(collector) >= produced)
    assert delivered_ids(collector) == produced
    assert collector.inexact_repeats() == {}
    assert all(h.bad_messages == 0 and h.reads_total > 0 for h in healths), healths
    score = score_portal(portal_events(collector), scenario.truth)
    assert score.crossings >= 100
    assert score.accuracy >= 0.99, score.summary()
    assert score.false_crossings == 0, score.examples
    assert score.time_error_p95_ms < 1000, score.summary()


def test_bad_reader_streams_do_not_disturb_other_readers(
    mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    scenario = short_dock(seed=5, duration_s=60.0)
    # Held reports: a reader connection that resets loses no reads, so accuracy still holds.
    options = EmulatorOptions(hold_reports=True)
    with (
        EmulatorThread(ReaderFleet(scenario, base_port=0, options=options)) as emulators,
        Collector(mqtt_broker, unique_site) as collector,
    ):
        fleet = emulators.fleet
        config = config_for(scenario, fleet, mqtt_broker, unique_site, tmp_path)
        names = [r.name for r in config.readers]
        with GatewayThread(config) as gateway:
            assert wait_until(lambda: all(r.health().connected for r in gateway.readers))
            assert wait_until(lambda: gateway.readers[1].health().reads_total > 0)
            emulators.run(fleet[names[0]].inject_garbage(200, seed=1))
            emulators.run(fleet[names[1]].cut_mid_message())
            assert wait_until(lambda: all(r.health().connected for r in gateway.readers))
            emulators.run(fleet.wait_finished(), timeout=600)
            healths = {h.name: h for h in gateway.health().readers}
        produced = produced_ids(config)
        assert wait_until(lambda: delivered_ids(collector) >= produced)
    assert delivered_ids(collector) == produced
    garbage, cut = healths[names[0]], healths[names[1]]
    assert garbage.bad_messages >= 1
    assert garbage.reconnects >= 1
    assert "framing lost" in (garbage.last_error or "")
    assert cut.reconnects >= 1
    assert "mid-message" in (cut.last_error or "")
    for other in names[2:]:
        assert healths[other].bad_messages == 0
        assert healths[other].reconnects == 0
    score = score_portal(portal_events(collector), scenario.truth)
    assert score.accuracy >= 0.98, score.summary()
    assert score.false_crossings == 0, score.examples
