"""Realistic outbox events with stable IDs, for outbox and transport tests."""

from __future__ import annotations

from edge.outbox import Event
from protocol.codec import row_json
from protocol.ids import make_event_id
from protocol.messages import Direction, PortalEvent, PresenceEvent, PresenceState
from protocol.topics import Kind

BASE_MS = 1_767_225_600_000  # 2026-01-01


def portal(site: str, i: int) -> Event:
    """The i-th portal crossing of a site."""
    t = BASE_MS + i * 10
    event = PortalEvent(
        id=make_event_id(site, "portal", i),
        epc=f"{0xE28011700000 + i:024X}",
        door="dock-1",
        direction=Direction.IN if i % 2 else Direction.OUT,
        time_ms=t,
        first_ms=t - 400,
        last_ms=t + 300,
        reads=3 + i % 7,
        peak_rssi=-40.0 - i % 30,
    )
    return Kind.PORTAL, event.id, row_json(event)


def presence(site: str, i: int) -> Event:
    """The i-th presence transition of a site."""
    event = PresenceEvent(
        id=make_event_id(site, "presence", i),
        epc=f"{0xE28011800000 + i:024X}",
        state=PresenceState.ARRIVED,
        zone="staging",
        time_ms=BASE_MS + i * 10,
        rssi=-61.5,
    )
    return Kind.PRESENCE, event.id, row_json(event)


def mixed(site: str, start: int, count: int) -> list[Event]:
    """count events from index start: mostly portal crossings, every third a presence."""
    return [
        presence(site, i) if i % 3 == 0 else portal(site, i) for i in range(start, start + count)
    ]
