"""Event sources beside the RFID pipeline: serial sensors and GPS receivers.

A source owns its device (thread, reconnects) and hands the gateway wire events ready for the
outbox; the gateway drains every source on each step, so all of them share one durable outbox.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from protocol.messages import SourceHealth
from protocol.topics import Kind

if TYPE_CHECKING:
    from edge.config import GatewayConfig

OutboxEvent = tuple[Kind, str, str]  # (kind, event id, row JSON)


class EventSource(Protocol):
    """What the gateway needs of a sensor or GPS source."""

    name: str

    def start(self) -> None:
        """Open the device and start reading (returns at once)."""

    def stop(self) -> None:
        """Stop reading and close the device; pending aggregates are decided."""

    def drain(self, now_us: int) -> list[OutboxEvent]:
        """Events decided since the last call, in time order."""

    def health(self) -> SourceHealth:
        """Counters for the gateway health report."""


# The drivers, imported only by gateways that have such devices.
SENSOR_SOURCE = "edge.sensors.source:SensorSource"
GPS_SOURCE = "edge.gps.source:GpsSource"


def build_sources(config: GatewayConfig) -> list[EventSource]:
    """The sources a gateway config asks for: factory(device config, gateway id) each."""
    sources: list[EventSource] = []
    if config.sensors:
        make = _factory(SENSOR_SOURCE)
        sources += [make(sensor, config.gateway) for sensor in config.sensors]
    if config.gps is not None:
        sources.append(_factory(GPS_SOURCE)(config.gps, config.gateway))
    return sources


def _factory(path: str) -> Callable[[Any, str], EventSource]:
    module, name = path.split(":")
    factory: Callable[[Any, str], EventSource] = getattr(importlib.import_module(module), name)
    return factory
