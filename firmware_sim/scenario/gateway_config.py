"""Write the gateway config that matches a scenario's readers and antenna layout."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from edge.config import GatewayConfig, MqttConfig, OutboxConfig, ReaderConfig, ZoneConfig
from firmware_sim.scenario.types import Scenario


def gateway_config_for(
    scenario: Scenario,
    *,
    site: str,
    gateway: str,
    reader_host: str = "127.0.0.1",
    base_port: int = 5084,
    mqtt_url: str = "mqtt://127.0.0.1:1883",
    outbox_path: Path = Path("var/outbox.sqlite"),
    ports: Mapping[str, int] | None = None,
    audit: bool = False,
    only: Collection[str] | None = None,
) -> GatewayConfig:
    """Gateway config whose reader i listens on base_port + i (or ports[name]), with zones.

    only: the names of the readers this gateway serves (default: all of them).
    """
    readers = tuple(
        ReaderConfig(
            name=spec.name,
            host=reader_host,
            port=ports[spec.name] if ports else base_port + i,
            antennas={p.antenna: p.zone for p in scenario.layout if p.reader == spec.name},
        )
        for i, spec in enumerate(scenario.readers)
        if only is None or spec.name in only
    )
    served = {r.name for r in readers}
    zones: dict[str, ZoneConfig] = {}
    for p in scenario.layout:
        if p.reader not in served:
            continue
        zones.setdefault(p.zone, ZoneConfig(name=p.zone, door=p.door, side=p.side))
    return GatewayConfig(
        site=site,
        gateway=gateway,
        mqtt=MqttConfig(url=mqtt_url),
        outbox=OutboxConfig(path=outbox_path, audit=audit),
        readers=readers,
        zones=tuple(zones.values()),
    )
