"""Reader-side LLRP encoding: message framing, TLV parameters, status and event messages."""

from __future__ import annotations

import struct
from collections.abc import Iterable

from firmware_sim.llrp.constants import (
    CUSTOM_HEADER_TAIL,
    HEADER,
    HEADER_LEN,
    LLRP_VERSION,
    TLV_HEADER,
    ConnectionStatus,
    Msg,
    Par,
    Status,
)

_U8 = struct.Struct("!B")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_STATUS_HEAD = struct.Struct("!HH")
_ROSPEC_EVENT = struct.Struct("!BII")


def message(msg_type: int, msg_id: int, body: bytes = b"") -> bytes:
    """One whole LLRP message: the 10-byte header, then the body."""
    return HEADER.pack((LLRP_VERSION << 10) | msg_type, HEADER_LEN + len(body), msg_id) + body


def custom_message(vendor: int, subtype: int, msg_id: int, body: bytes = b"") -> bytes:
    """A CUSTOM_MESSAGE: header, vendor identifier and subtype, then the body."""
    tail = CUSTOM_HEADER_TAIL.pack(vendor, subtype)
    return message(Msg.CUSTOM_MESSAGE, msg_id, tail + body)


def tlv(par_type: int, *parts: bytes) -> bytes:
    """A TLV parameter whose body is the concatenation of parts."""
    body = b"".join(parts)
    return TLV_HEADER.pack(par_type, TLV_HEADER.size + len(body)) + body


def u8(value: int) -> bytes:
    """Unsigned 8-bit field."""
    return _U8.pack(value)


def u16(value: int) -> bytes:
    """Unsigned 16-bit big-endian field."""
    return _U16.pack(value)


def u32(value: int) -> bytes:
    """Unsigned 32-bit big-endian field."""
    return _U32.pack(value)


def flag(value: bool, bit: int = 7) -> int:
    """A one-bit flag placed at `bit` of its byte or word."""
    return (1 << bit) if value else 0


def utf8v(text: str) -> bytes:
    """UTF-8 string as LLRP writes it: 16-bit byte count, then the bytes."""
    data = text.encode()
    return u16(len(data)) + data


def llrp_status(code: int = Status.SUCCESS, description: str = "") -> bytes:
    """The LLRPStatus parameter: code and a human-readable description."""
    data = description.encode()
    return tlv(Par.LLRP_STATUS, _STATUS_HEAD.pack(code, len(data)), data)


def response(msg_type: int, msg_id: int, code: int = Status.SUCCESS, text: str = "") -> bytes:
    """A response message that carries only an LLRPStatus."""
    return message(msg_type, msg_id, llrp_status(code, text))


def error_message(msg_id: int, code: int, text: str) -> bytes:
    """ERROR_MESSAGE: what a reader sends for a message it cannot handle at all."""
    return response(Msg.ERROR_MESSAGE, msg_id, code, text)


def utc_timestamp(us: int) -> bytes:
    """UTCTimestamp parameter (microseconds since the Unix epoch)."""
    return tlv(Par.UTC_TIMESTAMP, _U64.pack(us))


def event_notification(msg_id: int, now_us: int, events: Iterable[bytes]) -> bytes:
    """READER_EVENT_NOTIFICATION carrying a timestamp and the given event parameters."""
    data = tlv(Par.READER_EVENT_NOTIFICATION_DATA, utc_timestamp(now_us), *events)
    return message(Msg.READER_EVENT_NOTIFICATION, msg_id, data)


def connection_attempt(msg_id: int, now_us: int, status: int = ConnectionStatus.SUCCESS) -> bytes:
    """The READER_EVENT_NOTIFICATION a reader sends as soon as a client connects."""
    return event_notification(msg_id, now_us, [tlv(Par.CONNECTION_ATTEMPT_EVENT, u16(status))])


def connection_close(msg_id: int, now_us: int) -> bytes:
    """The READER_EVENT_NOTIFICATION a reader sends before it closes the connection itself."""
    return event_notification(msg_id, now_us, [tlv(Par.CONNECTION_CLOSE_EVENT)])


def rospec_event(msg_id: int, now_us: int, event_type: int, rospec_id: int) -> bytes:
    """READER_EVENT_NOTIFICATION with a ROSpecEvent (0 start, 1 end, 2 preemption)."""
    event = tlv(Par.ROSPEC_EVENT, _ROSPEC_EVENT.pack(event_type, rospec_id, 0))
    return event_notification(msg_id, now_us, [event])


def keepalive(msg_id: int) -> bytes:
    """KEEPALIVE message (the client answers KEEPALIVE_ACK)."""
    return message(Msg.KEEPALIVE, msg_id)
