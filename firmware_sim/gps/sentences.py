"""NMEA 0183 (4.10) sentences as a u-blox style receiver sends them: RMC, VTG, GGA per epoch."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass

KNOT_MPS = 1852.0 / 3600.0
TALKER = "GN"  # a multi-constellation receiver


@dataclass(frozen=True, slots=True)
class Solution:
    """What the receiver computed for one epoch (None fields are sent empty)."""

    lat: float
    lon: float
    speed_mps: float
    course_deg: float | None
    satellites: int
    hdop: float
    altitude_m: float
    geoid_sep_m: float = 39.5  # northern Germany


def checksum(body: str) -> int:
    """XOR of the characters between '$' and '*'."""
    return functools.reduce(operator.xor, body.encode("ascii"), 0)


def sentence(body: str) -> bytes:
    """A whole sentence with its checksum and CR LF."""
    return f"${body}*{checksum(body):02X}\r\n".encode("ascii")


def _dm(value: float, width: int) -> str:
    # Round the minutes first, so that 59.999999' becomes the next degree, not 60.00000'.
    total = round(abs(value) * 60.0 * 100_000)
    whole, rest = divmod(total, 60 * 100_000)
    return f"{whole:0{width}d}{rest // 100_000:02d}.{rest % 100_000:05d}"


def _lat(value: float) -> str:
    return f"{_dm(value, 2)},{'N' if value >= 0 else 'S'}"


def _lon(value: float) -> str:
    return f"{_dm(value, 3)},{'E' if value >= 0 else 'W'}"


def _time(when: dt.datetime) -> str:
    return when.strftime("%H%M%S.") + f"{when.microsecond // 10_000:02d}"


def rmc(when: dt.datetime, fix: Solution | None) -> bytes:
    """Recommended minimum data; status V and empty fields without a fix."""
    date = when.strftime("%d%m%y")
    if fix is None:
        return sentence(f"{TALKER}RMC,{_time(when)},V,,,,,,,{date},,,N,V")
    course = "" if fix.course_deg is None else f"{fix.course_deg:.2f}"
    speed = f"{fix.speed_mps / KNOT_MPS:.3f}"
    where = f"{_lat(fix.lat)},{_lon(fix.lon)}"
    return sentence(f"{TALKER}RMC,{_time(when)},A,{where},{speed},{course},{date},,,A,V")


def vtg(fix: Solution | None) -> bytes:
    """Course and speed over ground; mode N without a fix."""
    if fix is None:
        return sentence(f"{TALKER}VTG,,T,,M,,N,,K,N")
    course = "" if fix.course_deg is None else f"{fix.course_deg:.2f}"
    knots, kmh = fix.speed_mps / KNOT_MPS, fix.speed_mps * 3.6
    return sentence(f"{TALKER}VTG,{course},T,,M,{knots:.3f},N,{kmh:.3f},K,A")


def gga(when: dt.datetime, fix: Solution | None) -> bytes:
    """Fix data; quality 0 and no position without a fix."""
    if fix is None:
        return sentence(f"{TALKER}GGA,{_time(when)},,,,,0,00,99.99,,,,,,")
    where = f"{_lat(fix.lat)},{_lon(fix.lon)}"
    height = f"{fix.altitude_m:.1f},M,{fix.geoid_sep_m:.1f},M"
    return sentence(
        f"{TALKER}GGA,{_time(when)},{where},1,{fix.satellites:02d},{fix.hdop:.2f},{height},,"
    )


def epoch(when: dt.datetime, fix: Solution | None) -> list[bytes]:
    """One epoch's sentences in the order a u-blox receiver sends them."""
    return [rmc(when, fix), vtg(fix), gga(when, fix)]
