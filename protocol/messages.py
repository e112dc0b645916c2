"""Versioned wire messages: frozen, typed models for everything a gateway publishes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.ids import EVENT_ID_PATTERN

# Bounds that reject impossible values at the boundary (a reader clock in 1970, RSSI of +90 dBm).
MIN_TIME_MS = 946_684_800_000  # 2000-01-01
MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01

EventId = Annotated[str, StringConstraints(pattern=EVENT_ID_PATTERN)]
EpcHex = Annotated[str, StringConstraints(pattern=r"^(?:[0-9A-F]{4}){1,31}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
TimeMs = Annotated[int, Field(ge=MIN_TIME_MS, le=MAX_TIME_MS, description="UTC epoch milliseconds")]
Rssi = Annotated[float, Field(ge=-128.0, le=20.0, description="received signal strength, dBm")]
Count = Annotated[int, Field(ge=0)]


def ms_to_datetime(ms: int) -> datetime:
    """Convert wire epoch milliseconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class WireModel(BaseModel):
    """Base of every wire model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Direction(StrEnum):
    """Which way a tag crossed a portal."""

    IN = "in"
    OUT = "out"


class PresenceState(StrEnum):
    """Per-tag presence transitions at a zone."""

    ARRIVED = "arrived"
    MOVED = "moved"
    DEPARTED = "departed"
    PARKED = "parked"


class PortalEvent(WireModel):
    """One tag crossed one door in one direction."""

    id: EventId = Field(description="stable event ID made at the edge")
    epc: EpcHex = Field(description="EPC as upper-case hex")
    door: Name = Field(description="door (portal) the tag crossed")
    direction: Direction = Field(description="in = outside to inside")
    time_ms: TimeMs = Field(description="estimated crossing time (de-skewed)")
    first_ms: TimeMs = Field(description="first read of this pass")
    last_ms: TimeMs = Field(description="last read of this pass")
    reads: Annotated[int, Field(ge=1)] = Field(description="raw reads that made up the pass")
    peak_rssi: Rssi = Field(description="strongest read of the pass")

    @model_validator(mode="after")
    def _ordered(self) -> PortalEvent:
        if not self.first_ms <= self.last_ms:
            raise ValueError("first_ms must not be after last_ms")
        return self


class PresenceEvent(WireModel):
    """A tag arrived at, moved to, departed from, or was found parked at a zone."""

    id: EventId = Field(description="stable event ID made at the edge")
    epc: EpcHex = Field(description="EPC as upper-case hex")
    state: PresenceState = Field(description="the transition")
    zone: Name = Field(description="zone the transition refers to")
    time_ms: TimeMs = Field(description="when the transition happened (de-skewed)")
    rssi: Rssi | None = Field(default=None, description="smoothed RSSI at the zone, if known")
    prev_zone: Name | None = Field(default=None, description="zone the tag moved from")


class ReaderHealth(WireModel):
    """Counters of one reader connection."""

    name: Name = Field(description="reader name from the gateway config")
    connected: bool = Field(description="whether the reader session is up")
    reads_total: Count = Field(description="tag reads received since start")
    reads_per_s: Annotated[float, Field(ge=0)] = Field(description="recent read rate")
    bad_messages: Count = Field(description="malformed or undecodable messages")
    bad_reads: Count = Field(default=0, description="tag reads dropped for a malformed EPC")
    reconnects: Count = Field(description="reconnect attempts since start")
    last_error: str | None = Field(default=None, max_length=500, description="last error text")


class SourceHealth(WireModel):
    """Counters of one non-RFID source of a gateway: a serial sensor or a GPS receiver."""

    name: Name = Field(description="source name from the gateway config")
    kind: Literal["sensor", "gps"] = Field(description="what the source is")
    connected: bool = Field(description="whether the device is open and talking")
    lines_total: Count = Field(description="lines (sentences) read since start")
    bad_lines: Count = Field(description="garbled, truncated or out-of-range lines")
    reconnects: Count = Field(description="reopen attempts since start")
    last_error: str | None = Field(default=None, max_length=500, description="last error text")


class GatewayHealth(WireModel):
    """Periodic health report of a gateway."""

    id: EventId = Field(description="stable event ID made at the edge")
    time_ms: TimeMs = Field(description="when the report was made")
    uptime_s: Annotated[float, Field(ge=0)] = Field(description="seconds since gateway start")
    version: str = Field(max_length=64, description="gateway software version")
    readers: tuple[ReaderHealth, ...] = Field(default=(), description="per-reader counters")
    events_produced: Count = Field(description="events written to the outbox since start")
    outbox_depth: Count = Field(description="events waiting for a broker acknowledgement")
    outbox_dropped: Count = Field(description="events dropped because the outbox was full")
    reads_dropped: Count = Field(default=0, description="reads dropped by a full input queue")
    tags_tracked: Count = Field(default=0, description="distinct tags the pipeline holds state for")
    decided_until_ms: TimeMs | None = Field(
        default=None,
        description="every crossing before this time has been decided (event-time watermark)",
    )
    sources: tuple[SourceHealth, ...] = Field(default=(), description="sensors and GPS")


class Availability(WireModel):
    """Retained birth / last-will payload on a gateway's status topic."""

    schema_version: int = Field(alias="schema", description="wire schema version")
    state: Literal["online", "offline"] = Field(description="gateway availability")
    time_ms: TimeMs = Field(description="when the state was set")
    version: str = Field(default="", max_length=64, description="gateway software version")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


Celsius = Annotated[float, Field(ge=-90.0, le=150.0, description="temperature, °C")]
Percent = Annotated[float, Field(ge=0.0, le=100.0, description="relative humidity, %")]


class ConditionSample(WireModel):
    """One sensor's readings over one interval, aggregated at the edge."""

    id: EventId = Field(description="stable event ID made at the edge")
    sensor: Name = Field(description="sensor name from the gateway config")
    start_ms: TimeMs = Field(description="start of the interval")
    time_ms: TimeMs = Field(description="end of the interval")
    count: Annotated[int, Field(ge=1)] = Field(description="valid readings in the interval")
    temp_min: Celsius | None = Field(default=None, description="lowest temperature")
    temp_max: Celsius | None = Field(default=None, description="highest temperature")
    temp_mean: Celsius | None = Field(default=None, description="mean temperature")
    rh_min: Percent | None = Field(default=None, description="lowest relative humidity")
    rh_max: Percent | None = Field(default=None, description="highest relative humidity")
    rh_mean: Percent | None = Field(default=None, description="mean relative humidity")
    bad: Count = Field(default=0, description="readings rejected in the interval")

    @model_validator(mode="after")
    def _ordered(self) -> ConditionSample:
        if self.start_ms > self.time_ms:
            raise ValueError("start_ms must not be after time_ms")
        return self


class PositionFix(WireModel):
    """A filtered GPS fix of a vehicle gateway."""

    id: EventId = Field(description="stable event ID made at the edge")
    device: Name = Field(description="GPS receiver name from the gateway config")
    time_ms: TimeMs = Field(description="fix time (UTC from the receiver)")
    lat: Annotated[float, Field(ge=-90.0, le=90.0)] = Field(description="latitude, degrees")
    lon: Annotated[float, Field(ge=-180.0, le=180.0)] = Field(description="longitude, degrees")
    speed_mps: Annotated[float, Field(ge=0.0, le=100.0)] | None = Field(
        default=None, description="ground speed, m/s"
    )
    heading_deg: Annotated[float, Field(ge=0.0, le=360.0)] | None = Field(
        default=None, description="course over ground, degrees true"
    )
    hdop: Annotated[float, Field(ge=0.0, le=100.0)] | None = Field(
        default=None, description="horizontal dilution of precision"
    )
    satellites: Annotated[int, Field(ge=0, le=99)] | None = Field(
        default=None, description="satellites used"
    )
