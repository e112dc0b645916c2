"""Wire events as InfluxDB line protocol: the time-series schema dashboards query.

| measurement | tags | fields |
| --- | --- | --- |
| condition | site, gateway, sensor | temp_min/max/mean (°C), rh_min/max/mean (%), count, bad |
| position | site, gateway, device | lat, lon, speed (m/s), heading (°), hdop, satellites |
| portal | site, gateway, door, direction | count (1), reads, peak_rssi |
| gateway | site, gateway | outbox_depth, outbox_dropped, events_produced, reads_dropped, ... |
| reader | site, gateway, reader | reads_per_s, reads_total, connected (0/1), reconnects, ... |

Timestamps are nanoseconds. A portal event's timestamp carries a sub-millisecond offset taken
from its event ID: two tags through one door in the same millisecond stay two points, and a
repeat of one event overwrites its own point instead of adding another.
Fields keep one type each (InfluxDB refuses a float where an integer was written before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from protocol.messages import ConditionSample, GatewayHealth, PortalEvent, PositionFix, WireModel
from protocol.topics import GatewayTopic, Kind

NS_PER_MS = 1_000_000

# Measurement -> (tag keys, field keys): what the dashboards may query.
SCHEMA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "condition": (
        ("site", "gateway", "sensor"),
        ("temp_min", "temp_max", "temp_mean", "rh_min", "rh_max", "rh_mean", "count", "bad"),
    ),
    "position": (
        ("site", "gateway", "device"),
        ("lat", "lon", "speed", "heading", "hdop", "satellites"),
    ),
    "portal": (("site", "gateway", "door", "direction"), ("count", "reads", "peak_rssi")),
    "gateway": (
        ("site", "gateway"),
        (
            "uptime_s",
            "events_produced",
            "outbox_depth",
            "outbox_dropped",
            "reads_dropped",
            "tags_tracked",
        ),
    ),
    "reader": (
        ("site", "gateway", "reader"),
        ("reads_per_s", "reads_total", "connected", "reconnects", "bad_messages", "bad_reads"),
    ),
}


_ESCAPE_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_ESCAPE_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
FieldValue = float | int | None


def line(measurement: str, tags: dict[str, str], fields: dict[str, FieldValue], ns: int) -> str:
    """One line of line protocol ('' without fields); tags sorted, as InfluxDB prefers."""
    values = ",".join(
        f"{k.translate(_ESCAPE_KEY)}={_value(v)}" for k, v in fields.items() if v is not None
    )
    if not values:
        return ""
    keys = "".join(
        f",{k.translate(_ESCAPE_KEY)}={v.translate(_ESCAPE_KEY)}" for k, v in sorted(tags.items())
    )
    return f"{measurement.translate(_ESCAPE_MEASUREMENT)}{keys} {values} {ns}"


def _value(value: float | int) -> str:
    if isinstance(value, bool):  # a bool is an int to Python; written 0/1 like the others
        return f"{int(value)}i"
    if isinstance(value, int):
        return f"{value}i"
    return repr(float(value))


def _tags(where: GatewayTopic, **more: str) -> dict[str, str]:
    return {"site": where.site, "gateway": where.gateway, **more}


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def condition_lines(where: GatewayTopic, event: ConditionSample) -> Iterator[str]:
    """One point per aggregated interval, at its end."""
    names = ("temp_min", "temp_max", "temp_mean", "rh_min", "rh_max", "rh_mean")
    fields: dict[str, FieldValue] = {n: _float(getattr(event, n)) for n in names}
    fields |= {"count": event.count, "bad": event.bad}
    yield line("condition", _tags(where, sensor=event.sensor), fields, event.time_ms * NS_PER_MS)


def position_lines(where: GatewayTopic, event: PositionFix) -> Iterator[str]:
    """One point per fix."""
    fields: dict[str, FieldValue] = {
        "lat": float(event.lat),
        "lon": float(event.lon),
        "speed": _float(event.speed_mps),
        "heading": _float(event.heading_deg),
        "hdop": _float(event.hdop),
        "satellites": event.satellites,
    }
    yield line("position", _tags(where, device=event.device), fields, event.time_ms * NS_PER_MS)


def portal_lines(where: GatewayTopic, event: PortalEvent) -> Iterator[str]:
    """One point per crossing (the dashboard counts them per door and window)."""
    ns = event.time_ms * NS_PER_MS + int(event.id[:8], 16) % NS_PER_MS
    tags = _tags(where, door=event.door, direction=event.direction.value)
    fields: dict[str, FieldValue] = {
        "count": 1,
        "reads": event.reads,
        "peak_rssi": float(event.peak_rssi),
    }
    yield line("portal", tags, fields, ns)


def health_lines(where: GatewayTopic, event: GatewayHealth) -> Iterator[str]:
    """The gateway's counters, and one point per reader."""
    ns = event.time_ms * NS_PER_MS
    gateway: dict[str, FieldValue] = {
        "uptime_s": float(event.uptime_s),
        "events_produced": event.events_produced,
        "outbox_depth": event.outbox_depth,
        "outbox_dropped": event.outbox_dropped,
        "reads_dropped": event.reads_dropped,
        "tags_tracked": event.tags_tracked,
    }
    yield line("gateway", _tags(where), gateway, ns)
    for reader in event.readers:
        fields: dict[str, FieldValue] = {
            "reads_per_s": float(reader.reads_per_s),
            "reads_total": reader.reads_total,
            "connected": int(reader.connected),  # 0/1: graphs and sums need a number
            "reconnects": reader.reconnects,
            "bad_messages": reader.bad_messages,
            "bad_reads": reader.bad_reads,
        }
        yield line("reader", _tags(where, reader=reader.name), fields, ns)


_BY_KIND: dict[Kind, tuple[type[WireModel], Callable[[GatewayTopic, Any], Iterator[str]]]] = {
    Kind.CONDITION: (ConditionSample, condition_lines),
    Kind.POSITION: (PositionFix, position_lines),
    Kind.PORTAL: (PortalEvent, portal_lines),
    Kind.HEALTH: (GatewayHealth, health_lines),
}

KINDS = frozenset(_BY_KIND)  # presence transitions and the rest stay in the SQL store only


def to_lines(where: GatewayTopic, events: Sequence[WireModel]) -> list[str]:
    """Line protocol of the events of one topic (empty for kinds without a measurement)."""
    mapping = _BY_KIND.get(where.kind)
    if mapping is None:
        return []
    model, convert = mapping
    return [text for e in events if isinstance(e, model) for text in convert(where, e) if text]
