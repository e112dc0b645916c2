"""LLRP message framing with validation, so one bad byte stream cannot wedge a connection."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!HII")
HEADER_LEN = HEADER.size
SUPPORTED_VERSIONS = frozenset({1, 2})  # LLRP 1.0.1 and 1.1
MAX_MESSAGE_LEN = 4 << 20


class FramingError(ValueError):
    """The byte stream is not LLRP: framing is lost and the connection must be reset."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete LLRP message."""

    msg_type: int
    version: int
    msg_id: int
    data: bytes


class Framer:
    """Splits a TCP byte stream into LLRP messages, validating every header."""

    def __init__(self, max_len: int = MAX_MESSAGE_LEN) -> None:
        self._buf = bytearray()
        self._max_len = max_len

    @property
    def pending(self) -> int:
        """Bytes of an incomplete message held back."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the complete messages, or raise FramingError."""
        self._buf += data
        frames: list[Frame] = []
        pos = 0
        while len(self._buf) - pos >= HEADER_LEN:
            try:
                frame_len = self._check_header(pos)
            except FramingError:
                self._buf.clear()  # the stream is unusable; the connection will be reset
                raise
            if len(self._buf) - pos < frame_len:
                break
            frames.append(self._frame(pos, frame_len))
            pos += frame_len
        del self._buf[:pos]
        return frames

    def _check_header(self, pos: int) -> int:
        type_ver, length, _ = HEADER.unpack_from(self._buf, pos)
        version = (type_ver >> 10) & 0x7
        if type_ver >> 13:
            raise FramingError(f"bad LLRP header (reserved bits set) {self._hex(pos)}")
        if version not in SUPPORTED_VERSIONS:
            raise FramingError(f"bad LLRP version {version} in header {self._hex(pos)}")
        if not HEADER_LEN <= length <= self._max_len:
            raise FramingError(f"bad LLRP message length {length} in header {self._hex(pos)}")
        return int(length)

    def _frame(self, pos: int, length: int) -> Frame:
        type_ver, _, msg_id = HEADER.unpack_from(self._buf, pos)
        data = bytes(self._buf[pos : pos + length])
        return Frame(
            msg_type=type_ver & 0x3FF, version=(type_ver >> 10) & 0x7, msg_id=msg_id, data=data
        )

    def _hex(self, pos: int) -> str:
        return bytes(self._buf[pos : pos + HEADER_LEN]).hex()
