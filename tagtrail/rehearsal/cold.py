"""Condition data beside the dock day: a cold room whose compressor fails, and a reefer probe.

Both probes are emulated on pseudo-terminals (firmware_sim/sensors) and played `speed` times
faster than real time. The cold room's probe is read by a climate gateway at the site; the
reefer's probe rides on a truck and is read by that truck's gateway (see fleet.py), which only
needs `reefer_sensor()`. The gateways stamp readings with the wall clock, so a rule's delay in
scenario time is divided by the speed.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from edge.config import GatewayConfig
from edge.gateway import GatewayThread
from edge.sensors.config import SensorConfig
from firmware_sim.sensors.events import NO_FAULTS, FaultPlan
from firmware_sim.sensors.player import SensorPlayer
from firmware_sim.sensors.scenario import ProbeRun, ProbeSpec, ScenarioConfig, build_scenario
from firmware_sim.sensors.truth import Excursion, excursions
from tagtrail.rehearsal.calls import items, post

logger = logging.getLogger(__name__)

H = 3600.0
COLD_PROBE, REEFER_PROBE = "cold-1", "reefer-1"
LOW_C, HIGH_C, DEADBAND_C = 2.0, 8.0, 0.5
ROOM_RULE = "cold-room-2-8"
HEALTH_S = 2.0


@dataclass(frozen=True)
class ColdPlan:
    """What the condition part plays: for how long, how fast, and when the compressor fails."""

    seed: int = 7
    speed: float = 100.0  # scenario seconds per wall second
    duration_s: float = 6 * H
    failure_at_s: float = 0.25 * H
    repair_after_s: float = 5.25 * H  # long enough to warm the room past 8 °C on any seed
    delay_s: float = 30 * 60.0  # scenario time beyond a limit before a rule alerts
    sample_s: float = 1.0  # the gateways' aggregation interval (wall seconds)
    line_faults: bool = True  # garbled, truncated and out-of-range lines (the gateway warns)
    # Inside the site's storage: the site's first storage location by code stays where goods
    # received at the doors are put away.
    room: str = "storage/cold-room"
    parent: str | None = "storage"
    gateway: str = "dc-climate"

    @property
    def wall_s(self) -> float:
        """How long the scenario plays, wall seconds."""
        return self.duration_s / self.speed

    @property
    def wall_delay_s(self) -> float:
        """A rule's delay on the wall clock the samples carry."""
        return self.delay_s / self.speed


def probes(plan: ColdPlan) -> ScenarioConfig:
    """The cold room (failing compressor) and a healthy reefer; no unplugs or stuck values."""
    faults = FaultPlan(unplugs=(), stucks=()) if plan.line_faults else NO_FAULTS
    room = ProbeSpec(
        COLD_PROBE, "coldroom", failure_at_s=plan.failure_at_s,
        repair_after_s=plan.repair_after_s, faults=faults,
    )  # fmt: skip
    reefer = ProbeSpec(REEFER_PROBE, "reefer", mode="polled", checksum=True, faults=faults)
    return ScenarioConfig("rehearsal", (room, reefer), duration_s=plan.duration_s)


def rule(name: str, scope: dict[str, str], delay_s: float, description: str) -> dict[str, Any]:
    """A 2-8 °C rule with a delay on both limits and a dead-band for clearing."""
    limit = {"delay": delay_s, "deadband": DEADBAND_C}
    return {
        "name": name, "description": description, "applies_to": scope,
        "high": {"limit": HIGH_C, **limit}, "low": {"limit": LOW_C, **limit},
    }  # fmt: skip


def sensor_config(run: ProbeRun, link: Path, plan: ColdPlan) -> SensorConfig:
    """How a gateway reads one probe (polled probes: once per scenario output interval)."""
    polled = {"mode": "polled", "poll_interval_s": max(run.spec.interval_s / plan.speed, 0.1)}
    return SensorConfig.model_validate(
        {
            "name": run.spec.name, "port": str(link.resolve()), "interval_s": plan.sample_s,
            "checksum": "cs2" if run.spec.checksum else "auto",
            **(polled if run.spec.mode == "polled" else {}),
        }
    )  # fmt: skip


def gateway_config(
    site: str, code: str, mqtt_url: str, workdir: Path, **parts: Any
) -> GatewayConfig:
    """A gateway of the rehearsal: its own client id per site, an audited outbox."""
    return GatewayConfig.model_validate(
        {
            "site": site, "gateway": code,
            "mqtt": {"url": mqtt_url, "client_id": f"tagtrail-{site}-{code}"},
            "outbox": {"path": str(workdir / f"outbox-{code}.sqlite"), "audit": True},
            "health_interval_s": HEALTH_S, **parts,
        }
    )  # fmt: skip


def now_iso() -> str:
    """The wall clock as ISO 8601, a second back (so bindings cover the first sample)."""
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()


class ColdChain:
    """The condition part of a rehearsal: cloud set-up, probe player, climate gateway."""

    def __init__(
        self, api: httpx.Client, plan: ColdPlan, *, site: str, mqtt_url: str, workdir: Path
    ) -> None:
        self.api, self.plan, self.site = api, plan, site
        self.mqtt_url, self.workdir = mqtt_url, workdir
        self.scenario = build_scenario(probes(plan), plan.seed)
        self.player = SensorPlayer(self.scenario, workdir / "probes", speed=plan.speed)
        self._stack = ExitStack()

    def __enter__(self) -> ColdChain:
        with ExitStack() as stack:
            self._set_up_cloud()
            self.player.start()
            stack.callback(self.player.stop)
            config = gateway_config(
                self.site, self.plan.gateway, self.mqtt_url, self.workdir,
                sensors=[self._sensor(COLD_PROBE)],
            )  # fmt: skip
            stack.enter_context(GatewayThread(config))
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _sensor(self, probe: str) -> SensorConfig:
        return sensor_config(self.scenario.probe(probe), self.player.paths[probe], self.plan)

    def reefer_sensor(self) -> SensorConfig:
        """The reefer probe's config, for the gateway of the truck that carries it."""
        return self._sensor(REEFER_PROBE)

    def _set_up_cloud(self) -> None:
        room = {"code": self.plan.room, "name": "Cold room 2-8 °C", "type": "storage",
                "site": self.site, "parent": self.plan.parent}  # fmt: skip
        post(self.api, "/api/locations", room)
        post(self.api, "/api/gateways", {"site": self.site, "code": self.plan.gateway})
        self.bind(COLD_PROBE, self.plan.gateway, {"location": self.plan.room})
        description = "cold room: 2-8 °C, alert after the delay"
        scope = {"location": self.plan.room}
        post(self.api, "/api/alert-rules", rule(ROOM_RULE, scope, self.plan.wall_delay_s,
                                                description))  # fmt: skip

    def bind(self, probe: str, gateway: str, target: dict[str, str]) -> None:
        """Register a probe of a gateway and bind it to a location or vehicle from now on."""
        body = {"site": self.site, "gateway": gateway, "code": probe}
        sensor = post(self.api, "/api/sensors", body)
        post(self.api, f"/api/sensors/{sensor['id']}/bindings", target | {"valid_from": now_iso()})

    def bind_reefer(self, vehicle: str, gateway: str) -> None:
        """Bind the reefer probe to the vehicle it rides on, with its own 2-8 °C rule."""
        self.bind(REEFER_PROBE, gateway, {"vehicle": vehicle})
        description = f"reefer of {vehicle}: 2-8 °C, alert after the delay"
        scope = {"vehicle": vehicle}
        post(self.api, "/api/alert-rules",
             rule(f"reefer-{vehicle}", scope, self.plan.wall_delay_s, description))  # fmt: skip

    def truth(self, probe: str = COLD_PROBE) -> list[Excursion]:
        """The probe's true excursions beyond 2-8 °C, in scenario time."""
        return excursions(self.scenario.probe(probe))

    def wait_played(self, timeout: float) -> bool:
        """Block until every planned line has been played."""
        return self.player.wait_finished(timeout)

    def expected_alerts(self) -> int:
        """Alerts the truth calls for: cold-room excursions that outlast the rule's delay."""
        return sum(1 for e in self.truth() if e.end_s - e.start_s > self.plan.delay_s)

    def wait_alerts(self, timeout: float) -> bool:
        """Block until the cloud has raised as many cold-room alerts as the truth calls for."""
        deadline = time.monotonic() + timeout
        while len(self.alerts()) < self.expected_alerts():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        return True

    def alerts(self) -> list[dict[str, Any]]:
        """Condition alerts the cloud raised for the cold room, oldest first."""
        mine = [a for a in items(self.api, "/api/alerts") if a["kind"].startswith("condition.")]
        return sorted((a for a in mine if a["subject"].startswith(ROOM_RULE)), key=_id)


def _id(alert: dict[str, Any]) -> int:
    return int(alert["id"])
