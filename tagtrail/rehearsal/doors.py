"""A doors-only rehearsal: emulated readers and one gateway, portal events printed and scored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from edge.gateway import Gateway
from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
from firmware_sim.scenario.gateway_config import gateway_config_for
from firmware_sim.scenario.score import score_portal
from firmware_sim.scenario.types import Scenario
from protocol.messages import PortalEvent
from tagtrail.watch import PortalWatch, portal_line

SITE = "demo"


def rehearse_doors(scenario: Scenario, workdir: Path, mqtt_url: str) -> int:
    """Play the scenario through one gateway; print each portal event, then the score."""
    events: list[PortalEvent] = []

    def show(event: PortalEvent) -> None:
        events.append(event)
        print(portal_line(event), flush=True)

    with EmulatorThread(ReaderFleet(scenario, base_port=0)) as emulators:
        config = gateway_config_for(
            scenario,
            site=SITE,
            gateway="dock",
            ports=emulators.fleet.ports,
            mqtt_url=mqtt_url,
            outbox_path=workdir / "outbox.sqlite",
        )
        watch = PortalWatch(mqtt_url, SITE, show)
        watch.start()
        gateway = Gateway(config)
        stop = threading.Event()
        runner = threading.Thread(target=gateway.run, args=(stop,), name="gateway", daemon=True)
        print(f"{len(config.readers)} emulated readers, gateway -> {mqtt_url}; playing ...")
        runner.start()
        try:
            emulators.run(emulators.fleet.wait_finished(), timeout=scenario_seconds(scenario) * 3)
        finally:
            stop.set()
            runner.join(60)
            time.sleep(1.0)  # let the last acknowledged messages reach the watcher
            watch.stop()
    score = score_portal(events, scenario.truth)
    print(f"\n{len(events)} portal events. Against the scenario's ground truth: {score.summary()}")
    return 0


def scenario_seconds(scenario: Scenario) -> float:
    """Length of a scenario in seconds."""
    return (scenario.end_us - scenario.start_us) / 1e6
