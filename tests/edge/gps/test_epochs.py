"""Receiver epochs: sentences of one UTC time merge into one raw fix, dated by RMC."""

from __future__ import annotations

import datetime as dt

from edge.gps.epochs import EpochAssembler, RawFix
from edge.gps.nmea import Gga, Rmc, Sentence, Vtg

DAY = dt.date(2025, 3, 4)
MIDNIGHT_MS = int(dt.datetime(2025, 3, 4, tzinfo=dt.UTC).timestamp() * 1000)
HOUR_MS = 3_600_000


def rmc(tod_ms: int | None, date: dt.date | None = DAY, *, valid: bool = True) -> Rmc:
    return Rmc(tod_ms, date, valid, 53.5, 10.0, 12.0, 90.0)


def gga(tod_ms: int | None, quality: int = 1, lat: float = 53.5) -> Gga:
    return Gga(tod_ms, quality, lat, 10.0, 9, 0.9)


def assemble(sentences: list[Sentence]) -> list[RawFix]:
    epochs = EpochAssembler()
    out = [fix for s in sentences for fix in epochs.push(s)]
    return out + epochs.close()


def test_one_epoch_merges_rmc_vtg_and_gga() -> None:
    [fix] = assemble([rmc(1000), Vtg(True, 11.0, 91.0), gga(1000)])
    assert fix.time_ms == MIDNIGHT_MS + 1000
    assert fix.valid
    assert (fix.speed_mps, fix.course_deg) == (12.0, 90.0)  # RMC's own speed and course first
    assert (fix.hdop, fix.satellites) == (0.9, 9)
    assert fix.second == (53.5, 10.0)


def test_a_new_time_closes_the_epoch() -> None:
    fixes = assemble([gga(1000), rmc(1000), gga(2000), rmc(2000)])
    assert [f.time_ms for f in fixes] == [MIDNIGHT_MS + 1000, MIDNIGHT_MS + 2000]


def test_vtg_fills_in_when_rmc_lacks_speed_and_course() -> None:
    bare = Rmc(1000, DAY, True, 53.5, 10.0, None, None)
    [fix] = assemble([bare, Vtg(True, 11.0, 91.0)])
    assert (fix.speed_mps, fix.course_deg) == (11.0, 91.0)


def test_an_invalid_vtg_or_one_without_an_epoch_adds_nothing() -> None:
    bare = Rmc(1000, DAY, True, 53.5, 10.0, None, None)
    [fix] = assemble([Vtg(True, 5.0, 10.0), bare, Vtg(False, 11.0, 91.0)])
    assert fix.speed_mps is None
    assert fix.course_deg is None


def test_gga_only_epochs_take_the_date_of_the_last_rmc() -> None:
    fixes = assemble([rmc(1000), gga(2000), gga(3000)])
    assert [f.time_ms for f in fixes] == [MIDNIGHT_MS + t for t in (1000, 2000, 3000)]


def test_gga_only_epochs_after_midnight_are_the_next_day() -> None:
    late = 24 * HOUR_MS - 1000
    fixes = assemble([rmc(late), gga(0), gga(1000)])
    next_day = MIDNIGHT_MS + 24 * HOUR_MS
    assert [f.time_ms for f in fixes] == [MIDNIGHT_MS + late, next_day, next_day + 1000]


def test_without_any_date_there_is_no_time() -> None:
    [fix] = assemble([gga(1000)])
    assert fix.valid
    assert fix.time_ms is None


def test_either_sentence_can_say_there_is_no_fix() -> None:
    no_rmc, no_gga = assemble([rmc(1000, valid=False), gga(1000), rmc(2000), gga(2000, 0)])
    assert not no_rmc.valid
    assert not no_gga.valid


def test_untimed_start_up_sentences_form_one_epoch() -> None:
    [fix] = assemble([rmc(None, None, valid=False), gga(None, 0)])
    assert fix.time_ms is None
    assert not fix.valid


def test_a_repeated_sentence_in_an_epoch_does_not_replace_the_first() -> None:
    [fix] = assemble([gga(1000), gga(1000, lat=54.0)])
    assert fix.lat == 53.5
