"""Reading lines of HMP-style serial probes: parse, check and reject, never raise.

The line protocol is documented in `firmware_sim.sensors` (the emulated probes speak it):
``RH= 45.1 %RH T=   4.3 'C`` with an optional trailing CS2 checksum (two hex digits, the sum
modulo 256 of every byte before them). Fields come in any order, each at most once; a
temperature in 'F is converted to °C.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NamedTuple

from edge.sensors.config import SensorConfig

MAX_LINE: Final = 256  # longer runs without a line end are garbage, not a reading

_NUM = rb"([-+]?\d+(?:\.\d+)?)"
_FIELD = rb"(RH|T)=[ \t]*" + _NUM + rb"[ \t]*(%RH|'C|'F)"
_LINE = re.compile(
    rb"[ \t]*" + _FIELD + rb"(?:[ \t]+" + _FIELD + rb")?(?:[ \t]+([0-9A-Fa-f]{2}))?[ \t]*"
)
# The probes' default shape (RH, then T in 'C, blanks not tabs, upper-case CS2), matched first:
# nearly every line takes this path. It accepts a subset of _LINE with the same checks, so a
# line it does not take gets the same verdict from the general path, which also says why.
_DEFAULT = re.compile(rb"RH= *" + _NUM + rb" *%RH +T= *" + _NUM + rb" *'C(?: ([0-9A-F]{2}))?")
_UNITS: Final = {b"RH": (b"%RH",), b"T": (b"'C", b"'F")}
_ALPHABET: Final = b"RHTCF=%'+-.0123456789ABCDEFabcdef \t"  # every byte a valid line can have

# Why a line was rejected; the driver counts each reason.
GARBLED: Final = "garbled"
CHECKSUM: Final = "checksum"
RANGE: Final = "range"
FIELDS: Final = "fields"
TRUNCATED: Final = "truncated"
OVERLONG: Final = "overlong"
REASONS: Final = (GARBLED, CHECKSUM, RANGE, FIELDS, TRUNCATED, OVERLONG)


class Reading(NamedTuple):
    """One valid reading: temperature in °C and relative humidity in %, either may be absent."""

    temp: float | None
    rh: float | None


# Builds a Reading without the generated __new__ (twice as fast on the hot path).
_reading = tuple.__new__


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that is not a valid reading, and why."""

    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class LineRules:
    """What a valid line must carry and the probe's measuring range."""

    need_temp: bool = True
    need_rh: bool = True
    require_checksum: bool = False
    temp_min: float = -40.0
    temp_max: float = 60.0

    @classmethod
    def of(cls, config: SensorConfig) -> LineRules:
        """The rules a sensor's config sets."""
        return cls(
            need_temp="t" in config.quantities,
            need_rh="rh" in config.quantities,
            require_checksum=config.checksum == "cs2",
            temp_min=config.temp_min,
            temp_max=config.temp_max,
        )


def cs2(data: bytes) -> int:
    """Vaisala-style CS2 checksum: the sum of the bytes modulo 256."""
    return sum(data) & 0xFF


def parse_line(line: bytes, rules: LineRules) -> Reading | Rejected:
    """Parse one line (without its line end) into a Reading, or say why it is no reading."""
    m = _DEFAULT.fullmatch(line)
    if m is not None:
        rh_text, temp_text, check = m.groups()
        temp, rh = float(temp_text), float(rh_text)
        if (
            (check is None and not rules.require_checksum)
            or (check is not None and int(check, 16) == sum(line[: m.start(3)]) & 0xFF)
        ) and (rules.temp_min <= temp <= rules.temp_max and 0.0 <= rh <= 100.0):
            return _reading(Reading, (temp, rh))
    return parse_general(line, rules)


def parse_general(line: bytes, rules: LineRules) -> Reading | Rejected:
    """Any accepted shape, and the reason for every rejection."""
    if len(line) > MAX_LINE:
        return Rejected(OVERLONG, f"{len(line)} bytes without a line end")
    m = _LINE.fullmatch(line)
    if m is None:
        # Only protocol characters but no complete line: cut short (a probe reset, a lost
        # tail); anything else is line noise.
        reason = TRUNCATED if not line.translate(None, _ALPHABET) else GARBLED
        return Rejected(reason, _show(line))
    if m.group(7) is not None and int(m.group(7), 16) != cs2(line[: m.start(7)]):
        return Rejected(CHECKSUM, _show(line))
    if m.group(7) is None and rules.require_checksum:
        return Rejected(CHECKSUM, "no checksum: " + _show(line))
    fields = _fields(m)
    if fields is None:
        return Rejected(FIELDS, _show(line))
    return _checked(fields, rules, line)


def _fields(m: re.Match[bytes]) -> dict[bytes, float] | None:
    """Field name -> value (°C for T); None if a field repeats or has the wrong unit."""
    out: dict[bytes, float] = {}
    for at in (1, 4):
        name, number, unit = m.group(at, at + 1, at + 2)
        if name is None:
            continue
        if name in out or unit not in _UNITS[name]:
            return None
        value = float(number)
        out[name] = (value - 32.0) / 1.8 if unit == b"'F" else value
    return out


def _checked(fields: dict[bytes, float], rules: LineRules, line: bytes) -> Reading | Rejected:
    temp, rh = fields.get(b"T"), fields.get(b"RH")
    if (rules.need_temp and temp is None) or (rules.need_rh and rh is None):
        return Rejected(FIELDS, "missing field: " + _show(line))
    if temp is not None and not rules.temp_min <= temp <= rules.temp_max:
        return Rejected(RANGE, f"temperature {temp:g} 'C outside the probe's range")
    if rh is not None and not 0.0 <= rh <= 100.0:
        return Rejected(RANGE, f"humidity {rh:g} %RH outside 0-100")
    return Reading(temp, rh)


def _show(line: bytes) -> str:
    """A bounded, printable rendering of a line for logs and health."""
    return repr(line[:80])[2:-1] + ("..." if len(line) > 80 else "")


class LineSplitter:
    """Bytes from the port → complete lines (CR, LF or CRLF ends).

    A run of more than max_line bytes without a line end comes out in max_line + 1 byte
    pieces, which parse_line rejects as overlong, so garbage never grows the buffer.
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the lines they complete (blank lines are skipped)."""
        parts = (self._buf + data).replace(b"\r", b"\n").split(b"\n")
        self._buf = parts.pop()
        lines = [p for p in parts if p]
        cut = self.max_line + 1
        while len(self._buf) > self.max_line:
            lines.append(self._buf[:cut])
            self._buf = self._buf[cut:]
        return lines

    def reset(self) -> bytes:
        """Forget (and return) a partial line, e.g. when the device went away mid-line."""
        partial, self._buf = self._buf, b""
        return partial
