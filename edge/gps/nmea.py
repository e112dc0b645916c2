"""NMEA 0183 from a byte stream: line framing, checksums, typed RMC, GGA and VTG sentences.

pynmea2 splits sentences and knows the field layout; the values are converted here, strictly,
because pynmea2 hands back the raw text of a field it cannot convert. Every line fragment is
counted: good sentences we use, good sentences we do not need ("other"), and bad ones by
reason (garbage, partial, bad checksum, malformed). Nothing a receiver sends raises.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import operator
import re
from collections import Counter
from dataclasses import dataclass

import pynmea2

logger = logging.getLogger(__name__)

KNOT_MPS = 1852.0 / 3600.0
MAX_LINE_BYTES = 4096  # far beyond any sentence (82 characters): a longer "line" is noise
BAD_REASONS = ("garbage", "partial", "bad_checksum", "malformed")

_FRAME = re.compile(r"^\$([^*]+)\*(..)$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
_HEX2 = re.compile(r"^[0-9A-Fa-f]{2}$")
_TIME = re.compile(r"^(\d{2})(\d{2})(\d{2}(?:\.\d{1,6})?)$")
_DATE = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_COORD = re.compile(r"^(\d{1,3})(\d{2}(?:\.\d+)?)$")


class FieldError(ValueError):
    """A field of a sentence we use that does not hold what NMEA 0183 says it holds."""


@dataclass(frozen=True, slots=True)
class Rmc:
    """Recommended minimum data: UTC time and date, validity, position, speed, course."""

    tod_ms: int | None
    date: dt.date | None
    valid: bool
    lat: float | None
    lon: float | None
    speed_mps: float | None
    course_deg: float | None


@dataclass(frozen=True, slots=True)
class Gga:
    """Fix data: UTC time of day, fix quality, position, satellites, HDOP."""

    tod_ms: int | None
    quality: int
    lat: float | None
    lon: float | None
    satellites: int | None
    hdop: float | None


@dataclass(frozen=True, slots=True)
class Vtg:
    """Course and speed over ground (no time of its own: it belongs to the current epoch)."""

    valid: bool
    speed_mps: float | None
    course_deg: float | None


Sentence = Rmc | Gga | Vtg


class NmeaDecoder:
    """Bytes in, typed sentences out; partial lines wait in a bounded buffer between chunks."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._buffer = b""

    @property
    def lines_total(self) -> int:
        """Sentences and line fragments looked at (comments and blank lines excluded)."""
        return self.counts["used"] + self.counts["other"] + self.bad_lines

    @property
    def bad_lines(self) -> int:
        """Fragments rejected: garbage, partial, bad checksum or malformed."""
        return sum(self.counts[reason] for reason in BAD_REASONS)

    def feed(self, data: bytes) -> list[Sentence]:
        """Decode every complete line in data (plus what was buffered before)."""
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        if len(self._buffer) > MAX_LINE_BYTES:
            self._bad("garbage", self._buffer[:40])
            self._buffer = b""
        return [s for line in lines for s in self.line(line)]

    def flush(self) -> list[Sentence]:
        """Decode the unterminated rest (end of a file); a cut sentence counts as partial."""
        rest, self._buffer = self._buffer, b""
        return self.line(rest)

    def reset(self) -> None:
        """Forget the unterminated rest (the device went away mid-line): it is partial."""
        if self._buffer.strip():
            self._bad("partial", self._buffer[:40])
        self._buffer = b""

    def line(self, raw: bytes) -> list[Sentence]:
        """Decode one line; a line may hold garbage, cut sentences and whole ones."""
        text = raw.strip()
        if not text:
            return []
        if text.startswith(b"#"):
            self.counts["comment"] += 1  # gpsd-style log annotations, not receiver output
            return []
        head, *fragments = text.split(b"$")
        if head.strip():
            self._bad("garbage", head[:40])
        found = (self._sentence(b"$" + fragment) for fragment in fragments)
        return [s for s in found if s is not None]

    def _sentence(self, raw: bytes) -> Sentence | None:
        text = raw.strip().decode("latin-1")
        if not _PRINTABLE.match(text):
            self._bad("garbage", raw[:40])
            return None
        match = _FRAME.match(text)
        if match is None:  # no "*hh" at the end: the sentence was cut short
            self._bad("partial", raw[:40])
            return None
        body, given = match.groups()
        if not _HEX2.match(given) or _checksum(body) != int(given, 16):
            self._bad("bad_checksum", raw)
            return None
        return self._typed(text)

    def _typed(self, text: str) -> Sentence | None:
        try:
            message = pynmea2.parse(text)
        except pynmea2.ParseError:
            self.counts["other"] += 1  # valid framing and checksum, a type pynmea2 lacks
            return None
        try:
            sentence = _convert(message)
        except FieldError as exc:
            self._bad("malformed", text.encode(), str(exc))
            return None
        self.counts["used" if sentence is not None else "other"] += 1
        return sentence

    def _bad(self, reason: str, sample: bytes, detail: str = "") -> None:
        self.counts[reason] += 1
        logger.debug("%s NMEA input %r %s", reason, sample, detail)


def _checksum(body: str) -> int:
    return functools.reduce(operator.xor, body.encode("latin-1"), 0)


def _convert(message: pynmea2.NMEASentence) -> Sentence | None:
    if isinstance(message, pynmea2.RMC):
        return _rmc(message)
    if isinstance(message, pynmea2.GGA):
        return _gga(message)
    if isinstance(message, pynmea2.VTG):
        return _vtg(message)
    return None


def _rmc(m: pynmea2.RMC) -> Rmc:
    status = _raw(m, "status")
    if status not in ("A", "V"):
        raise FieldError(f"RMC status {status!r}")
    speed_kn = _float(_raw(m, "spd_over_grnd"), "speed", 0.0)
    return Rmc(
        tod_ms=_tod_ms(_raw(m, "timestamp")),
        date=_date(_raw(m, "datestamp")),
        valid=status == "A" and _raw(m, "mode_indicator") != "N",
        lat=_coord(_raw(m, "lat"), _raw(m, "lat_dir"), "NS", 90.0),
        lon=_coord(_raw(m, "lon"), _raw(m, "lon_dir"), "EW", 180.0),
        speed_mps=None if speed_kn is None else speed_kn * KNOT_MPS,
        course_deg=_course(_raw(m, "true_course")),
    )


def _gga(m: pynmea2.GGA) -> Gga:
    quality = _int(_raw(m, "gps_qual"), "quality")
    return Gga(
        tod_ms=_tod_ms(_raw(m, "timestamp")),
        quality=0 if quality is None else quality,
        lat=_coord(_raw(m, "lat"), _raw(m, "lat_dir"), "NS", 90.0),
        lon=_coord(_raw(m, "lon"), _raw(m, "lon_dir"), "EW", 180.0),
        satellites=_int(_raw(m, "num_sats"), "satellites"),
        hdop=_float(_raw(m, "horizontal_dil"), "hdop", 0.0),
    )


def _vtg(m: pynmea2.VTG) -> Vtg:
    speed_kmh = _float(_raw(m, "spd_over_grnd_kmph"), "speed", 0.0)
    speed_kn = _float(_raw(m, "spd_over_grnd_kts"), "speed", 0.0)
    if speed_kmh is not None:
        speed: float | None = speed_kmh / 3.6
    else:
        speed = None if speed_kn is None else speed_kn * KNOT_MPS
    return Vtg(
        valid=_raw(m, "faa_mode") != "N",
        speed_mps=speed,
        course_deg=_course(_raw(m, "true_track")),
    )


def _raw(message: pynmea2.NMEASentence, name: str) -> str:
    """The text of a field as received (pynmea2's own conversions swallow errors)."""
    index: int = type(message).name_to_idx[name]
    data: list[str] = message.data
    return data[index].strip() if index < len(data) else ""


def _tod_ms(text: str) -> int | None:
    if not text:
        return None  # receivers start up without a time
    match = _TIME.match(text)
    if match is None:
        raise FieldError(f"time {text!r}")
    hours, minutes, seconds = int(match[1]), int(match[2]), float(match[3])
    if hours > 23 or minutes > 59 or seconds >= 61:
        raise FieldError(f"time {text!r}")
    return (hours * 3600 + minutes * 60) * 1000 + round(seconds * 1000)


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    match = _DATE.match(text)
    if match is None:
        raise FieldError(f"date {text!r}")
    year = int(match[3])
    try:  # two-digit years: 80-99 are the 1980s and 1990s (GPS began in 1980)
        return dt.date(year + (1900 if year >= 80 else 2000), int(match[2]), int(match[1]))
    except ValueError:
        raise FieldError(f"date {text!r}") from None


def _coord(text: str, hemisphere: str, sides: str, limit: float) -> float | None:
    if not text:
        return None
    match = _COORD.match(text)
    if match is None or hemisphere not in sides:
        raise FieldError(f"coordinate {text!r} {hemisphere!r}")
    minutes = float(match[2])
    value = int(match[1]) + minutes / 60.0
    if minutes >= 60.0 or value > limit:
        raise FieldError(f"coordinate {text!r} out of range")
    return -value if hemisphere == sides[1] else value


def _float(text: str, what: str, low: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FieldError(f"{what} {text!r}") from None
    if not math.isfinite(value) or value < low:
        raise FieldError(f"{what} {text!r} out of range")
    return value


def _int(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise FieldError(f"{what} {text!r}")
    return int(text)


def _course(text: str) -> float | None:
    value = _float(text, "course", 0.0)
    if value is not None and value > 360.0:
        raise FieldError(f"course {text!r} out of range")
    return value
