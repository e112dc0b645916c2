"""GET_READER_CONFIG_RESPONSE and GET_ROSPECS / GET_ACCESSSPECS answers built from reader state."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from firmware_sim.llrp.capabilities import ReaderModel
from firmware_sim.llrp.constants import Par, RequestedConfig, Status
from firmware_sim.llrp.encode import flag, llrp_status, tlv, u8, u16, u32
from firmware_sim.llrp.requests import ConfigRequest, ReportSpec
from firmware_sim.llrp.state import ReaderState, Settings

_ANTENNA_PROPERTIES = struct.Struct("!BHh")
_TRIGGER = struct.Struct("!BI")
_EVENT_STATE = struct.Struct("!HB")
_ROSPEC_STATE_OFFSET = 4 + 4 + 1  # TLV header, ROSpecID, Priority
_ACCESS_STATE_OFFSET = 4 + 4 + 2 + 1  # TLV header, AccessSpecID, AntennaID, ProtocolID


def report_spec_param(spec: ReportSpec) -> bytes:
    """ROReportSpec parameter with its TagReportContentSelector."""
    memory = tlv(Par.C1G2_EPC_MEMORY_SELECTOR, u8(spec.selector.memory_flags))
    selector = tlv(Par.TAG_REPORT_CONTENT_SELECTOR, u16(spec.selector.flags), memory)
    return tlv(Par.RO_REPORT_SPEC, u8(spec.trigger), u16(spec.n), selector)


def config_body(state: ReaderState, request: ConfigRequest) -> bytes:
    """Body of GET_READER_CONFIG_RESPONSE for RequestedData and AntennaID (0 = all)."""
    model, settings = state.model, state.settings
    if request.antenna_id > model.antennas:
        return llrp_status(Status.A_OUT_OF_RANGE, f"no antenna {request.antenna_id}")
    antennas = [request.antenna_id] if request.antenna_id else range(1, model.antennas + 1)
    parts: dict[RequestedConfig, Callable[[], bytes]] = {
        RequestedConfig.IDENTIFICATION: lambda: _identification(model),
        RequestedConfig.ANTENNA_PROPERTIES: lambda: b"".join(map(_antenna_properties, antennas)),
        RequestedConfig.ANTENNA_CONFIGURATION: lambda: b"".join(map(_antenna_config, antennas)),
        RequestedConfig.READER_EVENT_NOTIFICATION_SPEC: lambda: _events(settings),
        RequestedConfig.RO_REPORT_SPEC: lambda: report_spec_param(settings.report_spec),
        RequestedConfig.ACCESS_REPORT_SPEC: lambda: tlv(Par.ACCESS_REPORT_SPEC, u8(1)),
        RequestedConfig.LLRP_CONFIGURATION_STATE_VALUE: lambda: _state_value(settings),
        RequestedConfig.KEEPALIVE_SPEC: lambda: _keepalive(settings),
        RequestedConfig.GPI_PORT_CURRENT_STATE: lambda: _gpis(model),
        RequestedConfig.GPO_WRITE_DATA: lambda: _gpos(model),
        RequestedConfig.EVENTS_AND_REPORTS: lambda: _events_and_reports(settings),
    }
    if request.requested == RequestedConfig.ALL:
        return llrp_status() + b"".join(build() for build in parts.values())
    if request.requested in parts:
        return llrp_status() + parts[RequestedConfig(request.requested)]()
    return llrp_status(Status.M_FIELD_ERROR, f"unknown RequestedData {request.requested}")


def _identification(model: ReaderModel) -> bytes:
    return tlv(Par.IDENTIFICATION, u8(0), u16(len(model.reader_id)), model.reader_id)


def _antenna_properties(antenna: int) -> bytes:
    return tlv(Par.ANTENNA_PROPERTIES, _ANTENNA_PROPERTIES.pack(flag(True), antenna, 0))


def _antenna_config(antenna: int) -> bytes:
    receiver = tlv(Par.RF_RECEIVER, u16(1))
    transmitter = tlv(Par.RF_TRANSMITTER, u16(1), u16(0), u16(81))
    rf_control = tlv(Par.C1G2_RF_CONTROL, u16(1000), u16(0))
    singulation = tlv(Par.C1G2_SINGULATION_CONTROL, u8(1 << 6), u16(32), u32(0))
    inventory = tlv(Par.C1G2_INVENTORY_COMMAND, u8(0), rf_control, singulation)
    return tlv(Par.ANTENNA_CONFIGURATION, u16(antenna), receiver, transmitter, inventory)


def _events(settings: Settings) -> bytes:
    states = b"".join(
        tlv(Par.EVENT_NOTIFICATION_STATE, _EVENT_STATE.pack(kind, flag(on)))
        for kind, on in sorted(settings.events.items())
    )
    return tlv(Par.READER_EVENT_NOTIFICATION_SPEC, states)


def _state_value(settings: Settings) -> bytes:
    # Clients compare this value to notice that someone changed the reader's configuration.
    digest = zlib.crc32(repr(settings).encode())
    return tlv(Par.LLRP_CONFIGURATION_STATE_VALUE, u32(digest))


def _keepalive(settings: Settings) -> bytes:
    kind = 1 if settings.keepalive_ms else 0
    return tlv(Par.KEEPALIVE_SPEC, _TRIGGER.pack(kind, settings.keepalive_ms))


def _gpis(model: ReaderModel) -> bytes:
    return b"".join(
        tlv(Par.GPI_PORT_CURRENT_STATE, u16(port), u8(0), u8(0))
        for port in range(1, model.gpis + 1)
    )


def _gpos(model: ReaderModel) -> bytes:
    return b"".join(tlv(Par.GPO_WRITE_DATA, u16(port), u8(0)) for port in range(1, model.gpos + 1))


def _events_and_reports(settings: Settings) -> bytes:
    return tlv(Par.EVENTS_AND_REPORTS, u8(flag(settings.hold_events)))


def rospecs_body(state: ReaderState) -> bytes:
    """Body of GET_ROSPECS_RESPONSE: every ROSpec as added, with its current state."""
    specs = [
        _patched(e.spec.raw, _ROSPEC_STATE_OFFSET, int(e.state)) for e in state.rospecs.values()
    ]
    return llrp_status() + b"".join(specs)


def accessspecs_body(state: ReaderState) -> bytes:
    """Body of GET_ACCESSSPECS_RESPONSE: every AccessSpec as added, with its current state."""
    specs = [
        _patched(e.spec.raw, _ACCESS_STATE_OFFSET, flag(e.enabled))
        for e in state.accessspecs.values()
    ]
    return llrp_status() + b"".join(specs)


def _patched(raw: bytes, offset: int, value: int) -> bytes:
    data = bytearray(raw)
    data[offset] = value
    return bytes(data)
