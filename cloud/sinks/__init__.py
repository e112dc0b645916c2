"""Time-series sinks: copies of condition samples and positions for dashboards (optional).

The SQL store is the record; a sink gets each newly applied event after its transaction
committed and must not block (queue, batch, retry on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from protocol.messages import WireModel
from protocol.topics import GatewayTopic

if TYPE_CHECKING:
    from cloud.settings import CloudSettings


class Sink(Protocol):
    """Where copies of applied events go."""

    name: str

    def write(self, where: GatewayTopic, events: Sequence[WireModel]) -> None:
        """Take events of one topic: site, gateway and kind (never blocks; drops are counted
        and logged)."""


def sinks_from(settings: CloudSettings) -> list[Sink]:
    """The sinks the settings switch on (none by default: history stays in the SQL store)."""
    if not settings.influx_enabled:
        return []
    from cloud.sinks.influx import InfluxConfig, InfluxSink

    return [InfluxSink(InfluxConfig.from_settings(settings))]
