"""LLRP decoding: validated message headers, parameter walking, and tag reports.

The emulator uses it for client messages; tests and tools use `decode_tag_reports` to read
RO_ACCESS_REPORT bodies (ours and real captured ones) without sllurp.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from firmware_sim.llrp.constants import (
    CUSTOM_PARAM_TAIL,
    HEADER,
    HEADER_LEN,
    LLRP_VERSION,
    MAX_CLIENT_MESSAGE,
    TLV_HEADER,
    TV_SIZES,
    Msg,
    Par,
    Status,
    Tv,
)


class FramingError(ValueError):
    """The byte stream is not LLRP: the connection cannot be resynchronised and must close."""


class DecodeError(ValueError):
    """A well-framed message whose body is malformed; code is the LLRPStatus to answer with."""

    def __init__(self, text: str, code: int = Status.M_PARAMETER_ERROR) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded 10-byte LLRP message header."""

    version: int
    msg_type: int
    length: int
    msg_id: int

    @property
    def body_len(self) -> int:
        """Bytes that follow the header."""
        return self.length - HEADER_LEN


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: its type, value bytes and (for custom parameters) vendor and subtype."""

    type: int
    body: bytes
    raw: bytes
    vendor: int = 0
    subtype: int = 0


def parse_header(data: bytes, max_len: int = MAX_CLIENT_MESSAGE) -> Header:
    """Decode and validate a message header; raise FramingError if it cannot be LLRP."""
    type_ver, length, msg_id = HEADER.unpack(data)
    if type_ver >> 13:
        raise FramingError(f"reserved header bits set (header {data.hex()})")
    if not HEADER_LEN <= length <= max_len:
        raise FramingError(f"message length {length} outside {HEADER_LEN}..{max_len}")
    return Header((type_ver >> 10) & 0x7, type_ver & 0x3FF, length, msg_id)


def iter_params(data: bytes) -> Iterator[Param]:
    """Walk the TV and TLV parameters in data; raise DecodeError on a malformed one."""
    pos, end = 0, len(data)
    while pos < end:
        param, size = _param_at(data, pos)
        yield param
        pos += size


def _param_at(data: bytes, pos: int) -> tuple[Param, int]:
    first = data[pos]
    if first & 0x80:
        return _tv_at(data, pos, first & 0x7F)
    if len(data) - pos < TLV_HEADER.size:
        raise DecodeError(f"truncated parameter header at byte {pos}")
    ptype, length = TLV_HEADER.unpack_from(data, pos)
    ptype &= 0x3FF
    if length < TLV_HEADER.size or pos + length > len(data):
        raise DecodeError(f"parameter {ptype} at byte {pos} has bad length {length}")
    raw = data[pos : pos + length]
    if ptype == Par.CUSTOM:
        return _custom(raw), length
    return Param(ptype, raw[TLV_HEADER.size :], raw), length


def _tv_at(data: bytes, pos: int, ptype: int) -> tuple[Param, int]:
    size = TV_SIZES.get(ptype)
    if size is None:
        raise DecodeError(f"unknown TV parameter type {ptype} at byte {pos}")
    if pos + 1 + size > len(data):
        raise DecodeError(f"truncated TV parameter {ptype} at byte {pos}")
    raw = data[pos : pos + 1 + size]
    return Param(ptype, raw[1:], raw), 1 + size


def _custom(raw: bytes) -> Param:
    head = TLV_HEADER.size + CUSTOM_PARAM_TAIL.size
    if len(raw) < head:
        raise DecodeError("custom parameter shorter than its vendor header")
    vendor, subtype = CUSTOM_PARAM_TAIL.unpack_from(raw, TLV_HEADER.size)
    return Param(Par.CUSTOM, raw[head:], raw, vendor, subtype)


def split_messages(stream: bytes, max_len: int = 1 << 24) -> list[tuple[Header, bytes]]:
    """Split a byte stream of whole messages into (header, body); raise on a partial one."""
    out: list[tuple[Header, bytes]] = []
    pos = 0
    while pos < len(stream):
        if len(stream) - pos < HEADER_LEN:
            raise FramingError(f"{len(stream) - pos} trailing bytes are not a whole header")
        header = parse_header(stream[pos : pos + HEADER_LEN], max_len)
        if pos + header.length > len(stream):
            raise FramingError(f"message at byte {pos} runs past the end of the stream")
        out.append((header, stream[pos + HEADER_LEN : pos + header.length]))
        pos += header.length
    return out


@dataclass(frozen=True, slots=True)
class TagReport:
    """One TagReportData; fields the report did not carry are None."""

    epc: str
    antenna: int | None = None
    peak_rssi: int | None = None
    first_seen_us: int | None = None
    last_seen_us: int | None = None
    seen_count: int | None = None
    rospec_id: int | None = None
    spec_index: int | None = None
    inventory_spec_id: int | None = None
    channel_index: int | None = None
    pc: int | None = None
    crc: int | None = None
    access_spec_id: int | None = None


# TV parameter -> (TagReport field, struct format of its value)
_TV_FIELDS: dict[int, tuple[str, str]] = {
    Tv.ANTENNA_ID: ("antenna", "!H"),
    Tv.PEAK_RSSI: ("peak_rssi", "!b"),
    Tv.FIRST_SEEN_UTC: ("first_seen_us", "!Q"),
    Tv.LAST_SEEN_UTC: ("last_seen_us", "!Q"),
    Tv.TAG_SEEN_COUNT: ("seen_count", "!H"),
    Tv.ROSPEC_ID: ("rospec_id", "!I"),
    Tv.SPEC_INDEX: ("spec_index", "!H"),
    Tv.INVENTORY_PARAMETER_SPEC_ID: ("inventory_spec_id", "!H"),
    Tv.CHANNEL_INDEX: ("channel_index", "!H"),
    Tv.C1G2_PC: ("pc", "!H"),
    Tv.C1G2_CRC: ("crc", "!H"),
    Tv.ACCESS_SPEC_ID: ("access_spec_id", "!I"),
}


def decode_tag_reports(body: bytes) -> list[TagReport]:
    """The TagReportData of one RO_ACCESS_REPORT body (header stripped)."""
    return [
        _tag_report(param.body) for param in iter_params(body) if param.type == Par.TAG_REPORT_DATA
    ]


def _tag_report(body: bytes) -> TagReport:
    fields: dict[str, int] = {}
    epc: str | None = None
    for param in iter_params(body):
        if param.type == Tv.EPC_96 and len(param.raw) == 13:
            epc = param.body.hex().upper()
        elif param.type == Par.EPC_DATA:
            epc = _epc_data(param.body)
        elif param.type in _TV_FIELDS and len(param.raw) == 1 + TV_SIZES[param.type]:
            name, fmt = _TV_FIELDS[param.type]
            fields[name] = struct.unpack(fmt, param.body)[0]
    if epc is None:
        raise DecodeError("TagReportData without an EPC")
    return TagReport(epc, **fields)


def _epc_data(body: bytes) -> str:
    if len(body) < 2:
        raise DecodeError("EPCData shorter than its bit count")
    bits = struct.unpack_from("!H", body)[0]
    data = body[2 : 2 + (bits + 7) // 8]
    if len(data) * 8 < bits:
        raise DecodeError(f"EPCData claims {bits} bits but carries {len(data)} bytes")
    return data.hex().upper()


def is_supported_version(header: Header) -> bool:
    """Whether this emulator speaks the message's protocol version (LLRP 1.0.1)."""
    return header.version == LLRP_VERSION


def is_report(header: Header) -> bool:
    """Whether a header is an RO_ACCESS_REPORT's."""
    return header.msg_type == Msg.RO_ACCESS_REPORT
