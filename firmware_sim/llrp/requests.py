"""Decoding of the client requests a reader receives: ROSpecs, AccessSpecs, config changes."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from firmware_sim.llrp.constants import (
    CUSTOM_HEADER_TAIL,
    Par,
    ReportTrigger,
    Status,
    StopTrigger,
    TagObservation,
)
from firmware_sim.llrp.decode import DecodeError, Param, iter_params

_ROSPEC_HEAD = struct.Struct("!IBB")
_TRIGGER = struct.Struct("!BI")
_TAG_OBSERVATION = struct.Struct("!BBHHHI")
_REPORT_SPEC_HEAD = struct.Struct("!BH")
_ACCESS_SPEC_HEAD = struct.Struct("!IHBBI")
_GET_CONFIG = struct.Struct("!BHHH")
_EVENT_STATE = struct.Struct("!HB")
_U8 = struct.Struct("!B")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_ANTENNA_PROPERTIES = struct.Struct("!BHh")
_OBSERVATION_KINDS = frozenset(int(k) for k in TagObservation)
_REPORT_TRIGGERS = frozenset(int(k) for k in ReportTrigger)


@dataclass(frozen=True, slots=True)
class ContentSelector:
    """TagReportContentSelector: which optional fields each TagReportData carries."""

    rospec_id: bool = False
    spec_index: bool = False
    inventory_spec_id: bool = False
    antenna_id: bool = False
    channel_index: bool = False
    peak_rssi: bool = False
    first_seen: bool = False
    last_seen: bool = False
    seen_count: bool = False
    access_spec_id: bool = False
    crc: bool = False
    pc_bits: bool = False

    @classmethod
    def from_flags(cls, flags: int, memory_flags: int = 0) -> ContentSelector:
        """Decode the 16-bit selector word and the C1G2EPCMemorySelector byte."""
        values = {name: bool(flags >> (15 - i) & 1) for i, name in enumerate(_FLAG_ORDER)}
        return cls(**values, crc=bool(memory_flags & 0x80), pc_bits=bool(memory_flags & 0x40))

    @property
    def flags(self) -> int:
        """The 16-bit selector word."""
        return sum(1 << (15 - i) for i, name in enumerate(_FLAG_ORDER) if getattr(self, name))

    @property
    def memory_flags(self) -> int:
        """The C1G2EPCMemorySelector byte."""
        return (0x80 if self.crc else 0) | (0x40 if self.pc_bits else 0)


_FLAG_ORDER = tuple(f.name for f in fields(ContentSelector))[:10]


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """ROReportSpec: when to send a report and what each tag report holds."""

    trigger: int
    n: int
    selector: ContentSelector


# What a reader reports before any client configured it (as the Impinj capture shows).
DEFAULT_REPORT_SPEC = ReportSpec(
    ReportTrigger.N_TAGS_OR_END_OF_ROSPEC,
    1,
    ContentSelector(antenna_id=True, peak_rssi=True, first_seen=True),
)


@dataclass(frozen=True, slots=True)
class TagObservationSpec:
    """TagObservationTrigger of an AISpec: end it after N tags or a timeout."""

    trigger: int
    n_tags: int
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class AISpec:
    """One antenna inventory spec: its antennas (0 = all) and its stop trigger."""

    antennas: tuple[int, ...]
    stop_trigger: int = StopTrigger.NULL
    duration_ms: int = 0
    observation: TagObservationSpec | None = None
    inventory_spec_ids: tuple[int, ...] = (1,)


@dataclass(frozen=True, slots=True)
class ROSpec:
    """A decoded ROSpec; raw is its parameter bytes, echoed back by GET_ROSPECS."""

    rospec_id: int
    priority: int
    current_state: int
    start_trigger: int
    stop_trigger: int
    stop_duration_ms: int
    ai_specs: tuple[AISpec, ...]
    report_spec: ReportSpec | None
    raw: bytes

    @property
    def antennas(self) -> frozenset[int] | None:
        """Antennas this ROSpec inventories; None means all of them."""
        ids = {a for spec in self.ai_specs for a in spec.antennas}
        return None if not ids or 0 in ids else frozenset(ids)


@dataclass(frozen=True, slots=True)
class AccessSpec:
    """A decoded AccessSpec (kept and listed; the emulator performs no tag memory access)."""

    access_spec_id: int
    antenna_id: int
    protocol_id: int
    enabled: bool
    rospec_id: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    """What a SET_READER_CONFIG asks for; None means the parameter was absent."""

    reset: bool = False
    keepalive_ms: int | None = None
    report_spec: ReportSpec | None = None
    hold_events: bool | None = None
    events: dict[int, bool] = field(default_factory=dict)
    antennas: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigRequest:
    """GET_READER_CONFIG fields."""

    requested: int
    antenna_id: int


def unpack(fmt: struct.Struct, data: bytes, what: str, offset: int = 0) -> tuple[int, ...]:
    """struct unpack that reports a short field as an LLRP field error."""
    if len(data) < offset + fmt.size:
        raise DecodeError(f"{what}: {len(data)} bytes is too short", Status.M_FIELD_ERROR)
    values: tuple[int, ...] = fmt.unpack_from(data, offset)
    return values


def decode_id(body: bytes, what: str) -> int:
    """The single 32-bit ID field of ROSpec and AccessSpec commands."""
    return unpack(_U32, body, what)[0]


def decode_requested_data(body: bytes) -> int:
    """GET_READER_CAPABILITIES RequestedData."""
    return unpack(_U8, body, "GET_READER_CAPABILITIES")[0]


def decode_get_config(body: bytes) -> ConfigRequest:
    """GET_READER_CONFIG fields."""
    requested, antenna, _gpi, _gpo = unpack(_GET_CONFIG, body, "GET_READER_CONFIG")
    return ConfigRequest(requested, antenna)


def decode_custom(body: bytes) -> tuple[int, int, bytes]:
    """Vendor, subtype and payload of a CUSTOM_MESSAGE body."""
    vendor, subtype = unpack(CUSTOM_HEADER_TAIL, body, "CUSTOM_MESSAGE")
    return vendor, subtype, body[CUSTOM_HEADER_TAIL.size :]


def single(params: Iterable[Param], ptype: int, what: str) -> Param:
    """The one parameter of a type that a message must carry."""
    found = [p for p in params if p.type == ptype]
    if not found:
        raise DecodeError(f"{what}: missing parameter {ptype}", Status.M_MISSING_PARAMETER)
    if len(found) > 1:
        raise DecodeError(f"{what}: parameter {ptype} repeated", Status.M_DUPLICATE_PARAMETER)
    return found[0]


def decode_add_rospec(body: bytes) -> ROSpec:
    """The ROSpec of an ADD_ROSPEC message."""
    return decode_rospec(single(iter_params(body), Par.ROSPEC, "ADD_ROSPEC"))


def decode_rospec(param: Param) -> ROSpec:
    """A ROSpec parameter."""
    rospec_id, priority, state = unpack(_ROSPEC_HEAD, param.body, "ROSpec")
    subs = list(iter_params(param.body[_ROSPEC_HEAD.size :]))
    start, stop, duration = _boundary(single(subs, Par.RO_BOUNDARY_SPEC, "ROSpec"))
    ai_specs = tuple(_aispec(p) for p in subs if p.type == Par.AISPEC)
    if not ai_specs:
        raise DecodeError("ROSpec has no AISpec to run", Status.P_MISSING_PARAMETER)
    report = [_report_spec(p) for p in subs if p.type == Par.RO_REPORT_SPEC]
    return ROSpec(
        rospec_id,
        priority,
        state,
        start,
        stop,
        duration,
        ai_specs,
        report[0] if report else None,
        param.raw,
    )


def _boundary(param: Param) -> tuple[int, int, int]:
    subs = list(iter_params(param.body))
    start = unpack(_U8, single(subs, Par.ROSPEC_START_TRIGGER, "ROBoundarySpec").body, "start")
    stop_param = single(subs, Par.ROSPEC_STOP_TRIGGER, "ROBoundarySpec")
    stop, duration = unpack(_TRIGGER, stop_param.body, "ROSpecStopTrigger")
    return start[0], stop, duration


def _aispec(param: Param) -> AISpec:
    (count,) = unpack(_U16, param.body, "AISpec")
    ants = struct.Struct(f"!{count}H")
    antennas = unpack(ants, param.body, "AISpec antennas", 2)
    subs = list(iter_params(param.body[2 + ants.size :]))
    trigger = single(subs, Par.AISPEC_STOP_TRIGGER, "AISpec")
    stop, duration = unpack(_TRIGGER, trigger.body, "AISpecStopTrigger")
    inner = list(iter_params(trigger.body[_TRIGGER.size :]))
    observation = [_observation(p) for p in inner if p.type == Par.TAG_OBSERVATION_TRIGGER]
    ips = tuple(
        unpack(_U16, p.body, "InventoryParameterSpec")[0]
        for p in subs
        if p.type == Par.INVENTORY_PARAMETER_SPEC
    )
    return AISpec(antennas, stop, duration, observation[0] if observation else None, ips or (1,))


def _observation(param: Param) -> TagObservationSpec:
    kind, _, n_tags, _attempts, _t, timeout = unpack(_TAG_OBSERVATION, param.body, "TagObs")
    if kind not in _OBSERVATION_KINDS:
        raise DecodeError(f"unknown TagObservationTrigger type {kind}", Status.P_FIELD_ERROR)
    return TagObservationSpec(kind, n_tags, timeout)


def _report_spec(param: Param) -> ReportSpec:
    trigger, n = unpack(_REPORT_SPEC_HEAD, param.body, "ROReportSpec")
    if trigger not in _REPORT_TRIGGERS:
        raise DecodeError(f"unknown ROReportTrigger {trigger}", Status.P_FIELD_ERROR)
    subs = list(iter_params(param.body[_REPORT_SPEC_HEAD.size :]))
    selector = single(subs, Par.TAG_REPORT_CONTENT_SELECTOR, "ROReportSpec")
    (flags,) = unpack(_U16, selector.body, "TagReportContentSelector")
    memory = [
        unpack(_U8, p.body, "C1G2EPCMemorySelector")[0]
        for p in iter_params(selector.body[2:])
        if p.type == Par.C1G2_EPC_MEMORY_SELECTOR
    ]
    return ReportSpec(trigger, n, ContentSelector.from_flags(flags, memory[0] if memory else 0))


def decode_add_accessspec(body: bytes) -> AccessSpec:
    """The AccessSpec of an ADD_ACCESSSPEC message."""
    param = single(iter_params(body), Par.ACCESS_SPEC, "ADD_ACCESSSPEC")
    spec_id, antenna, protocol, state, rospec_id = unpack(_ACCESS_SPEC_HEAD, param.body, "AS")
    return AccessSpec(spec_id, antenna, protocol, bool(state & 0x80), rospec_id, param.raw)


def decode_set_config(body: bytes) -> ConfigUpdate:
    """The changes a SET_READER_CONFIG asks for."""
    (flags,) = unpack(_U8, body, "SET_READER_CONFIG")
    params = list(iter_params(body[1:]))
    keepalive = [_keepalive(p) for p in params if p.type == Par.KEEPALIVE_SPEC]
    reports = [_report_spec(p) for p in params if p.type == Par.RO_REPORT_SPEC]
    hold = [
        bool(unpack(_U8, p.body, "EventsAndReports")[0] & 0x80)
        for p in params
        if p.type == Par.EVENTS_AND_REPORTS
    ]
    return ConfigUpdate(
        reset=bool(flags & 0x80),
        keepalive_ms=keepalive[0] if keepalive else None,
        report_spec=reports[0] if reports else None,
        hold_events=hold[0] if hold else None,
        events=_events(params),
        antennas=_antenna_ids(params),
    )


def _keepalive(param: Param) -> int:
    kind, interval = unpack(_TRIGGER, param.body, "KeepaliveSpec")
    return interval if kind == 1 else 0


def _events(params: list[Param]) -> dict[int, bool]:
    events: dict[int, bool] = {}
    for spec in (p for p in params if p.type == Par.READER_EVENT_NOTIFICATION_SPEC):
        for state in iter_params(spec.body):
            if state.type == Par.EVENT_NOTIFICATION_STATE:
                kind, on = unpack(_EVENT_STATE, state.body, "EventNotificationState")
                events[kind] = bool(on & 0x80)
    return events


def _antenna_ids(params: list[Param]) -> tuple[int, ...]:
    ids: list[int] = []
    for p in params:
        if p.type == Par.ANTENNA_CONFIGURATION:
            ids.append(unpack(_U16, p.body, "AntennaConfiguration")[0])
        elif p.type == Par.ANTENNA_PROPERTIES:
            ids.append(unpack(_ANTENNA_PROPERTIES, p.body, "AntennaProperties")[1])
    return tuple(ids)
