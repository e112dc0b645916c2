"""Gateway configuration: one YAML file validated by pydantic; errors name the key and its line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edge.gps.config import GpsConfig
from edge.sensors.config import SensorConfig
from protocol.topics import TopicError, check_segment

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]


class StrictModel(BaseModel):
    """Config base: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttConfig(StrictModel):
    """How the gateway reaches its MQTT broker."""

    url: str = Field("mqtt://127.0.0.1:1883", description="broker URL, mqtt://host:port")
    client_id: str | None = Field(None, description="MQTT client id; default tagtrail-<gateway>")
    username: str | None = Field(None, description="broker user name, if the broker wants one")
    password: str | None = Field(None, description="broker password, if the broker wants one")
    protocol: Literal["auto", "5", "3.1.1"] = Field(
        "auto", description="MQTT version; auto tries 5 and falls back to 3.1.1"
    )
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive interval, seconds")
    batch_max_events: int = Field(500, ge=1, le=10_000, description="events per MQTT message")
    max_inflight: int = Field(16, ge=1, le=1000, description="unacknowledged messages at once")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reconnect delay, seconds")
    reconnect_max_s: float = Field(30.0, gt=0, description="reconnect delay cap, seconds")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"mqtt", "tcp"} or not parts.hostname:
            raise ValueError("must look like mqtt://host:port")
        return value

    @property
    def host(self) -> str:
        """Broker host name."""
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """Broker TCP port."""
        return urlsplit(self.url).port or 1883


class OutboxConfig(StrictModel):
    """The durable store events wait in until the broker acknowledges them."""

    path: Path = Field(Path("var/outbox.sqlite"), description="SQLite file of the outbox")
    max_events: int = Field(1_000_000, ge=100, description="bound on events waiting for delivery")
    when_full: Literal["drop_oldest", "drop_newest"] = Field(
        "drop_oldest", description="which events to drop (and log) when the outbox is full"
    )
    synchronous: Literal["normal", "full"] = Field(
        "normal",
        description="SQLite sync level: normal survives a process kill, full also power loss",
    )
    audit: bool = Field(False, description="also keep the ID of every event ever produced")


class ReaderConfig(StrictModel):
    """One fixed LLRP reader and what each of its antennas watches."""

    name: Name = Field(description="reader name, unique within the gateway")
    host: str = Field(description="reader host name or IP address")
    port: int = Field(5084, ge=1, le=65535, description="LLRP TCP port")
    antennas: dict[int, Name] = Field(description="antenna port (1-based) -> zone name")
    keepalive_s: float = Field(10.0, gt=0, description="reader keepalive period, seconds")
    keepalive_misses: int = Field(3, ge=1, description="missed keepalives before reconnecting")
    report_every_n_tags: int = Field(200, ge=1, description="tag reports per RO_ACCESS_REPORT")
    report_timeout_ms: int = Field(
        200, ge=0, description="send a partial report after this long (bounds event latency)"
    )
    tx_power_dbm: float | None = Field(None, description="transmit power; None = reader max")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reconnect delay, seconds")
    reconnect_max_s: float = Field(30.0, gt=0, description="reconnect delay cap, seconds")

    @field_validator("antennas")
    @classmethod
    def _antennas(cls, value: dict[int, str]) -> dict[int, str]:
        if not value:
            raise ValueError("map at least one antenna to a zone")
        bad = [a for a in value if not 1 <= a <= 64]
        if bad:
            raise ValueError(f"antenna ports must be 1-64, got {bad}")
        return value


class ZoneConfig(StrictModel):
    """A read zone; zones with a door and side form that door's portal."""

    name: Name = Field(description="zone name, unique within the gateway")
    door: Name | None = Field(None, description="door this zone belongs to, if a portal zone")
    side: Literal["outside", "inside"] | None = Field(
        None, description="side of the door; a tag crossing outside -> inside goes IN"
    )

    @model_validator(mode="after")
    def _door_side(self) -> ZoneConfig:
        if (self.door is None) != (self.side is None):
            raise ValueError("give both door and side, or neither")
        return self


class PortalConfig(StrictModel):
    """How reads at door zones become portal crossings."""

    quiet_ms: int = Field(
        1500, ge=50, description="silence at all doors that ends a pass; at most depart_ms"
    )
    max_pass_ms: int = Field(
        30_000,
        ge=1000,
        description="a pass this long, or after this long of door reads, is a parked tag",
    )
    min_peak_rssi: float = Field(
        -80.0, description="a pass whose outside or inside peak is weaker is a stray, dBm"
    )
    cross_read_margin_db: float = Field(
        3.0, ge=0, description="a neighbour door must be this much weaker to lose the tag"
    )
    min_reads: int = Field(2, ge=1, description="fewer reads in a pass are ignored")
    peak_db: float = Field(
        3.0,
        ge=0.5,
        le=20.0,
        description="a read's weight in peak timing and door evidence doubles every peak_db dB",
    )


class PresenceConfig(StrictModel):
    """How reads become dedup cycles and presence transitions (EdgeX mobility style)."""

    cycle_ms: int = Field(
        1000, ge=10, le=600_000, description="event cycle of dedup reports and presence decisions"
    )
    depart_ms: int = Field(
        5000, ge=100, description="silence after which a tag departed; at least 2 cycles"
    )
    moved_hysteresis_db: float = Field(6.0, ge=0, description="RSSI lead needed to move zones")
    moved_hold_ms: int = Field(
        2000, ge=0, description="how long the lead must hold before the tag moved"
    )
    parked_after_ms: int = Field(60_000, ge=1000, description="presence that makes a tag parked")
    smoothing: float = Field(0.3, gt=0, le=1, description="RSSI exponential smoothing factor")
    absent_rssi: float = Field(
        -100.0, description="RSSI a zone counts as in a cycle it did not read the tag, dBm"
    )
    zone_slots: int = Field(4, ge=1, le=16, description="zones remembered per tag at once")
    max_tags: int = Field(
        1_000_000, ge=1000, description="tags held in view; long-gone tags are forgotten beyond it"
    )
    report: Literal["none", "changes", "current"] = Field(
        "none",
        description="dedup report per cycle: none, additions + deletions, or all current reads",
    )

    @model_validator(mode="after")
    def _cycles(self) -> PresenceConfig:
        if self.depart_ms < 2 * self.cycle_ms:
            raise ValueError("depart_ms must be at least two cycle_ms")
        return self


class DeskewConfig(StrictModel):
    """Reader clock de-skew against the gateway clock, and how late reads may arrive."""

    enabled: bool = Field(True, description="correct reader timestamps to the gateway clock")
    window_s: float = Field(60.0, gt=0, description="window of the offset estimate, seconds")
    lateness_ms: int = Field(
        500, ge=0, description="reads may reach the gateway this late; decisions wait for them"
    )


class GatewayConfig(StrictModel):
    """A whole gateway: identity, broker, outbox, readers, zones and the event rules."""

    site: str = Field(description="site id (topic segment)")
    gateway: str = Field(description="gateway id, unique within the site (topic segment)")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="broker connection")
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="durable outbox")
    readers: tuple[ReaderConfig, ...] = Field((), description="fixed LLRP readers")
    zones: tuple[ZoneConfig, ...] = Field((), description="read zones and portal doors")
    portal: PortalConfig = Field(default_factory=PortalConfig, description="portal rules")
    presence: PresenceConfig = Field(default_factory=PresenceConfig, description="presence rules")
    deskew: DeskewConfig = Field(default_factory=DeskewConfig, description="clock de-skew")
    sensors: tuple[SensorConfig, ...] = Field((), description="serial condition sensors")
    gps: GpsConfig | None = Field(None, description="GPS receiver (vehicle gateways)")
    health_interval_s: float = Field(10.0, gt=0, description="gateway health report period")
    read_queue_max: int = Field(1000, ge=1, description="bound on queued read batches")

    @field_validator("site", "gateway")
    @classmethod
    def _segment(cls, value: str) -> str:
        try:
            return check_segment("id", value)
        except TopicError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _references(self) -> GatewayConfig:
        _unique("readers", [r.name for r in self.readers])
        _unique("sensors", [s.name for s in self.sensors])
        _unique("zones", [z.name for z in self.zones])
        zones = {z.name for z in self.zones}
        for i, reader in enumerate(self.readers):
            for antenna, zone in reader.antennas.items():
                if zone not in zones:
                    where = ("readers", i, "antennas", antenna)
                    raise ConfigReferenceError(where, f"unknown zone {zone}")
        _check_doors(self.zones)
        return self


class ConfigReferenceError(ValueError):
    """A reference between parts of the config that does not hold, with where it is."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def _unique(section: str, names: list[str]) -> None:
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigReferenceError((section, i, "name"), f"duplicate name {name}")


def _check_doors(zones: tuple[ZoneConfig, ...]) -> None:
    sides: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for i, zone in enumerate(zones):
        if zone.door and zone.side:
            sides.setdefault(zone.door, set()).add(zone.side)
            first.setdefault(zone.door, i)
    for door, found in sides.items():
        if found != {"outside", "inside"}:
            missing = ({"outside", "inside"} - found).pop()
            raise ConfigReferenceError(
                ("zones", first[door], "door"), f"door {door} has no {missing} zone"
            )


class ConfigError(ValueError):
    """An invalid config file; the message names each bad key and its line."""


def load_config(path: Path) -> GatewayConfig:
    """Load and validate a gateway config file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> GatewayConfig:
    """Parse YAML text into a GatewayConfig, mapping validation errors to lines."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    lines = _line_index(node)
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, lines, source)) from None


def _describe(exc: ValidationError, lines: Mapping[tuple[str, ...], int], source: str) -> str:
    messages = []
    for err in exc.errors():
        problem = err.get("ctx", {}).get("error")
        if isinstance(problem, ConfigReferenceError):  # knows where in the file it is
            loc, message = tuple(str(p) for p in problem.path), str(problem)
        else:
            loc, message = tuple(str(p) for p in err["loc"]), err["msg"]
        key = ".".join(loc) or "(top level)"
        messages.append(f"{source}:{_nearest_line(loc, lines)}: {key}: {message}")
    return "\n".join(messages)


def _nearest_line(loc: tuple[str, ...], lines: Mapping[tuple[str, ...], int]) -> int:
    # A missing key has no line of its own: report the line of the closest existing parent.
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _line_index(node: yaml.Node | None) -> dict[tuple[str, ...], int]:
    index: dict[tuple[str, ...], int] = {}
    if node is not None:
        _walk(node, (), index)
    return index


def _walk(node: yaml.Node, path: tuple[str, ...], index: dict[tuple[str, ...], int]) -> None:
    index.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            index[child] = key.start_mark.line + 1
            _walk(value, child, index)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, str(i)), index)


def dump_config(config: GatewayConfig) -> str:
    """Render a config as YAML (used by emulators to write a matching gateway config)."""
    data: Any = config.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False)
