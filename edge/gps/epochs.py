"""Receiver epochs: the RMC, GGA and VTG of one UTC time merged into one raw fix.

A receiver sends a burst of sentences per epoch (1 Hz here). RMC carries the date, GGA and
RMC the time of day, VTG no time at all, so VTG belongs to the epoch that is open when it
arrives. An epoch ends when a sentence with another time arrives, or when the line goes
quiet (the caller says so), or at the end of the input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from edge.gps.nmea import Gga, Rmc, Sentence, Vtg

DAY_MS = 86_400_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class RawFix:
    """What the receiver said about one epoch, before any filtering."""

    time_ms: int | None  # UTC epoch ms; None without a time of day or a known date
    valid: bool  # RMC status A (mode not N) and GGA quality > 0, as far as they were sent
    lat: float | None
    lon: float | None
    speed_mps: float | None
    course_deg: float | None
    hdop: float | None
    satellites: int | None
    second: tuple[float, float] | None = None  # GGA's position when RMC gave one too


@dataclass(slots=True)
class _Open:
    tod_ms: int | None
    rmc: Rmc | None = None
    gga: Gga | None = None
    vtg: Vtg | None = None


class EpochAssembler:
    """Sentences in, one RawFix per epoch out; remembers the last date for RMC-less epochs."""

    def __init__(self) -> None:
        self._open: _Open | None = None
        self._date: dt.date | None = None
        self._date_tod = 0

    def push(self, sentence: Sentence) -> list[RawFix]:
        """Add a sentence; return the epoch it closed, if any."""
        if isinstance(sentence, Vtg):
            if self._open is not None and self._open.vtg is None:
                self._open.vtg = sentence
            return []  # a VTG before any timed sentence has no epoch to belong to
        closed = []
        if self._open is not None and self._open.tod_ms != sentence.tod_ms:
            closed = self.close()
        if self._open is None:
            self._open = _Open(sentence.tod_ms)
        self._add(self._open, sentence)
        return closed

    def close(self) -> list[RawFix]:
        """End the open epoch (the line went quiet or the input ended)."""
        epoch, self._open = self._open, None
        return [] if epoch is None else [self._fix(epoch)]

    @staticmethod
    def _add(epoch: _Open, sentence: Rmc | Gga) -> None:
        # The first of each type wins: a repeat in the same epoch adds nothing newer.
        if isinstance(sentence, Rmc) and epoch.rmc is None:
            epoch.rmc = sentence
        elif isinstance(sentence, Gga) and epoch.gga is None:
            epoch.gga = sentence

    def _fix(self, epoch: _Open) -> RawFix:
        rmc, gga, vtg = epoch.rmc, epoch.gga, epoch.vtg
        lat, lon, second = _position(rmc, gga)
        moving = vtg if vtg is not None and vtg.valid else None
        return RawFix(
            time_ms=self._time_ms(epoch.tod_ms, rmc),
            valid=(rmc is None or rmc.valid) and (gga is None or gga.quality > 0),
            lat=lat,
            lon=lon,
            speed_mps=_first(rmc.speed_mps if rmc else None, moving.speed_mps if moving else None),
            course_deg=_first(
                rmc.course_deg if rmc else None, moving.course_deg if moving else None
            ),
            hdop=gga.hdop if gga else None,
            satellites=gga.satellites if gga else None,
            second=second,
        )

    def _time_ms(self, tod_ms: int | None, rmc: Rmc | None) -> int | None:
        if rmc is not None and rmc.date is not None and rmc.tod_ms is not None:
            self._date, self._date_tod = rmc.date, rmc.tod_ms
        if tod_ms is None or self._date is None:
            return None
        date = self._date
        if tod_ms + DAY_MS // 2 < self._date_tod:  # past midnight since the last RMC date
            date += dt.timedelta(days=1)
        midnight = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
        return (midnight - _EPOCH) // dt.timedelta(milliseconds=1) + tod_ms


def _position(
    rmc: Rmc | None, gga: Gga | None
) -> tuple[float | None, float | None, tuple[float, float] | None]:
    if rmc is not None and rmc.lat is not None and rmc.lon is not None:
        if gga is not None and gga.lat is not None and gga.lon is not None:
            return rmc.lat, rmc.lon, (gga.lat, gga.lon)
        return rmc.lat, rmc.lon, None
    if gga is not None and gga.lat is not None and gga.lon is not None:
        return gga.lat, gga.lon, None
    return None, None, None


def _first(*values: float | None) -> float | None:
    for value in values:
        if value is not None:
            return value
    return None
