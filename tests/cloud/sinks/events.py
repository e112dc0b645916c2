"""Wire events for sink and dashboard tests, at recent times (servers keep a bounded history)."""

from __future__ import annotations

import time

from protocol.ids import make_event_id
from protocol.messages import (
    ConditionSample,
    Direction,
    GatewayHealth,
    PortalEvent,
    PositionFix,
    ReaderHealth,
)
from protocol.topics import GatewayTopic, Kind

SITE, GATEWAY = "dc1", "gw1"


def recent_ms(minutes_ago: float = 30.0) -> int:
    """Wire milliseconds a while back, whole seconds (a fixed grid for time buckets)."""
    return (int(time.time() - minutes_ago * 60) // 60) * 60_000


def topic(kind: Kind, site: str = SITE, gateway: str = GATEWAY) -> GatewayTopic:
    """Where events of a kind come from."""
    return GatewayTopic(site, gateway, kind)


def condition(
    sensor: str, at_ms: int, temp: float | None, rh: float | None = None
) -> ConditionSample:
    """A one-minute interval around one temperature (min/max one degree either side)."""
    return ConditionSample(
        id=make_event_id(GATEWAY, Kind.CONDITION, sensor, at_ms), sensor=sensor,
        start_ms=at_ms - 60_000, time_ms=at_ms, count=12,
        temp_min=None if temp is None else temp - 1.0,
        temp_max=None if temp is None else temp + 1.0,
        temp_mean=temp, rh_min=rh, rh_max=rh, rh_mean=rh, bad=1,
    )  # fmt: skip


def fix(device: str, at_ms: int, lat: float, lon: float, speed: float) -> PositionFix:
    """A GPS fix heading east."""
    return PositionFix(
        id=make_event_id(GATEWAY, Kind.POSITION, device, at_ms), device=device, time_ms=at_ms,
        lat=lat, lon=lon, speed_mps=speed, heading_deg=90.0, hdop=0.9, satellites=9,
    )  # fmt: skip


def crossing(epc_serial: int, door: str, direction: str, at_ms: int) -> PortalEvent:
    """One tag through one door."""
    epc = f"3034{epc_serial:020X}"
    return PortalEvent(
        id=make_event_id(GATEWAY, Kind.PORTAL, epc, door, direction, at_ms), epc=epc, door=door,
        direction=Direction(direction), time_ms=at_ms, first_ms=at_ms - 400,
        last_ms=at_ms + 400, reads=17, peak_rssi=-51.5,
    )  # fmt: skip


def report(at_ms: int, depth: int, rates: dict[str, float]) -> GatewayHealth:
    """A health report with one reader per rate."""
    readers = tuple(
        ReaderHealth(
            name=name,
            connected=True,
            reads_total=1000,
            reads_per_s=rate,
            bad_messages=0,
            reconnects=2,
        )
        for name, rate in rates.items()
    )
    return GatewayHealth(
        id=make_event_id(GATEWAY, Kind.HEALTH, at_ms), time_ms=at_ms, uptime_s=3600.0,
        version="test", readers=readers, events_produced=500, outbox_depth=depth,
        outbox_dropped=0, decided_until_ms=at_ms,
    )  # fmt: skip
