"""A dock day rehearsed end to end: emulated readers → gateways → broker → cloud → ledger."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloud.settings import CloudSettings
from edge.config import GatewayConfig
from edge.gateway import GatewayThread
from firmware_sim.llrp.fleet import EmulatorThread, ReaderFleet
from firmware_sim.llrp.options import EmulatorOptions
from firmware_sim.scenario.day import DayScenario
from firmware_sim.scenario.gateway_config import gateway_config_for
from tagtrail.rehearsal.cloud_thread import CloudThread
from tagtrail.rehearsal.plan import load_plan
from tagtrail.rehearsal.score import DayScore, score_day

logger = logging.getLogger(__name__)

HEALTH_S = 2.0  # gateways report often so that quiet doors close promptly
SETTLE_S = 0.5  # margin between loading the plan and playback start


@dataclass(frozen=True)
class Wiring:
    """Where the rehearsal's parts meet: broker, database, API port, working directory."""

    mqtt_url: str
    db_url: str
    http_port: int
    workdir: Path
    mqtt_group: str = "tagtrail"
    mqtt_client_id: str | None = None  # default: one per site, so rehearsals never share a session


def cloud_settings(day: DayScenario, wiring: Wiring) -> CloudSettings:
    """Cloud settings for a rehearsal of this day."""
    return CloudSettings(
        environment="development",
        db_url=wiring.db_url,
        mqtt_url=wiring.mqtt_url,
        mqtt_group=wiring.mqtt_group,
        mqtt_client_id=wiring.mqtt_client_id or f"tagtrail-rehearsal-{day.plan.site}",
        http_port=wiring.http_port,
        receiving_quiet_s=day.plan.quiet_s,
        shipping_quiet_s=day.plan.quiet_s,
        over_receipt_tolerance_pct=day.plan.over_tolerance_pct,
        shipment_auto_confirm="always",  # the trucks leave: ship what was loaded, flag the rest
        ingest_tick_s=0.5,
        ingest_sites=[day.plan.site],
    )


@contextmanager
def rehearse(day: DayScenario, wiring: Wiring) -> Iterator[Rehearsal]:
    """Run cloud, emulators and gateways for the day; stop them all at the end."""
    with ExitStack() as stack:
        cloud = stack.enter_context(CloudThread(cloud_settings(day, wiring)))
        api = stack.enter_context(httpx.Client(base_url=cloud.url, timeout=30.0))
        start_wall_us = time.time_ns() // 1000 + int((SETTLE_S + 5.0) * 1e6)
        load_plan(api, day.plan, start_wall_us - day.plan.start_us, day.physical.dead)
        time.sleep(max(0.0, start_wall_us / 1e6 - time.time()))
        options = EmulatorOptions(clock_start="now")
        emulators = stack.enter_context(
            EmulatorThread(ReaderFleet(day.scenario, base_port=0, options=options))
        )
        for gateway in day.plan.gateways:
            stack.enter_context(
                GatewayThread(_gateway_config(day, wiring, emulators, gateway.code))
            )
        yield Rehearsal(day, api, emulators)


def _gateway_config(
    day: DayScenario, wiring: Wiring, emulators: EmulatorThread, code: str
) -> GatewayConfig:
    config = gateway_config_for(
        day.scenario, site=day.plan.site, gateway=code, ports=emulators.fleet.ports,
        mqtt_url=wiring.mqtt_url, outbox_path=wiring.workdir / f"outbox-{code}.sqlite",
        only=day.plan.readers_of(code),
    )  # fmt: skip
    return config.model_copy(update={"health_interval_s": HEALTH_S})


@dataclass
class Rehearsal:
    """A running rehearsal: wait for it, then score it."""

    day: DayScenario
    api: httpx.Client
    emulators: EmulatorThread

    def wait_played(self, timeout: float) -> None:
        """Block until every reader has played its reads."""
        self.emulators.run(self.emulators.fleet.wait_finished(), timeout=timeout)

    def wait_settled(self, timeout: float) -> bool:
        """Block until the cloud has closed every receiving session and loading."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._settled():
                return True
            time.sleep(1.0)
        return False

    def _settled(self) -> bool:
        sessions = self.api.get("/api/receiving-sessions", params={"status": "open", "limit": 1})
        shipments = self.api.get("/api/shipments", params={"limit": 500}).json()["items"]
        open_sessions = sessions.json()["total"]
        pending = [s for s in shipments if s["status"] in {"planned", "loading"}]
        return open_sessions == 0 and not pending

    def score(self) -> DayScore:
        """Compare the cloud's receipts, verifications and stock with the truth."""
        return score_day(self.api, self.day.truth)
