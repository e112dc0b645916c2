"""Time-series sinks: copies of condition samples and positions for dashboards (optional).

The SQL store is the record; a sink gets each newly applied event after its transaction
committed and must not block (queue, batch, retry on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from protocol.messages import WireModel
from protocol.topics import Kind


class Sink(Protocol):
    """Where copies of applied events go."""

    name: str

    def write(self, kind: Kind, events: Sequence[WireModel]) -> None:
        """Take events of one kind (never blocks; drops are counted and logged)."""
