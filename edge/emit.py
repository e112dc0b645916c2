"""Pipeline decisions become wire events with stable IDs, ready for the outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from edge.kernels.pipeline import Decision, PortalDecision, PresenceDecision
from protocol.codec import row_json
from protocol.ids import make_event_id
from protocol.messages import PortalEvent, PresenceEvent
from protocol.topics import Kind

logger = logging.getLogger(__name__)

OutboxEvent = tuple[Kind, str, str]  # (kind, event id, row json)

# The kernel reports "no signal" below the wire range; the wire carries None instead.
_MIN_RSSI = -128.0
_MAX_RSSI = 20.0


def _ms(us: int) -> int:
    return us // 1000


def _rssi(value: float | None) -> float | None:
    if value is None or not _MIN_RSSI <= value <= _MAX_RSSI:
        return None
    return round(value, 1)


class Emitter:
    """Turns pipeline decisions into protocol events for one gateway."""

    def __init__(self, gateway: str) -> None:
        self._gateway = gateway
        self.rejected = 0  # decisions that could not become valid wire events

    def portal(self, d: PortalDecision) -> PortalEvent:
        """Wire event of one decided portal crossing; its ID hashes gateway and content."""
        time_ms = _ms(d.time_us)
        return PortalEvent(
            id=make_event_id(self._gateway, Kind.PORTAL, d.epc, d.door, d.direction, time_ms),
            epc=d.epc,
            door=d.door,
            direction=d.direction,
            time_ms=time_ms,
            first_ms=_ms(d.first_us),
            last_ms=_ms(d.last_us),
            reads=max(d.reads, 1),
            peak_rssi=_rssi(d.peak_rssi) or _MIN_RSSI,
        )

    def presence(self, d: PresenceDecision) -> PresenceEvent:
        """Wire event of one presence transition."""
        time_ms = _ms(d.time_us)
        return PresenceEvent(
            id=make_event_id(self._gateway, Kind.PRESENCE, d.epc, d.zone, d.state, time_ms),
            epc=d.epc,
            state=d.state,
            zone=d.zone,
            time_ms=time_ms,
            rssi=_rssi(d.rssi),
            prev_zone=d.prev_zone,
        )

    def outbox_rows(self, decisions: Sequence[Decision]) -> list[OutboxEvent]:
        """Outbox rows (kind, id, row JSON) in decision order."""
        rows: list[OutboxEvent] = []
        for d in decisions:
            try:
                event = self.portal(d) if isinstance(d, PortalDecision) else self.presence(d)
            except ValidationError as exc:
                # Readers filter bad EPCs, so this means a clock far off or a bug: say which.
                self.rejected += 1
                logger.warning("decision %r is not a valid wire event: %s", d, exc)
                continue
            kind = Kind.PORTAL if isinstance(event, PortalEvent) else Kind.PRESENCE
            rows.append((kind, event.id, row_json(event)))
        return rows
