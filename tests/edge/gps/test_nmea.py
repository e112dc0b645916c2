"""NMEA decoding: framing, checksums, strict fields, counters; never an exception."""

from __future__ import annotations

import datetime as dt
import functools
import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.gps.nmea import KNOT_MPS, Gga, NmeaDecoder, Rmc, Vtg
from firmware_sim.gps.sentences import Solution, gga, rmc, vtg

EXAMPLES = settings(max_examples=200, deadline=None)


def line(body: str) -> bytes:
    """A sentence with its checksum computed here, independently of the code under test."""
    check = functools.reduce(operator.xor, body.encode(), 0)
    return f"${body}*{check:02X}\r\n".encode()


def decode(data: bytes) -> tuple[list[Rmc | Gga | Vtg], NmeaDecoder]:
    decoder = NmeaDecoder()
    return decoder.feed(data) + decoder.flush(), decoder


def test_rmc_fields_are_converted() -> None:
    body = "GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A"
    [sentence], decoder = decode(line(body))
    assert isinstance(sentence, Rmc)
    assert sentence.tod_ms == (3 * 3600 + 7 * 60 + 19) * 1000
    assert sentence.date == dt.date(2014, 12, 31)
    assert sentence.valid
    assert sentence.lat == pytest.approx(-(37 + 47.0873 / 60))
    assert sentence.lon == pytest.approx(175 + 18.8938 / 60)
    assert sentence.speed_mps == pytest.approx(0.69 * KNOT_MPS)
    assert sentence.course_deg == 181.39
    assert decoder.counts["used"] == 1
    assert decoder.bad_lines == 0


def test_gga_and_vtg_fields_are_converted() -> None:
    data = line("GNGGA,103607.50,5327.03942,N,00214.42462,W,1,06,5.88,56.0,M,48.5,M,,")
    data += line("GNVTG,12.5,T,,M,0.046,N,0.085,K,A")
    (fix, course), _ = decode(data)
    assert isinstance(fix, Gga)
    assert fix.tod_ms == (10 * 3600 + 36 * 60 + 7) * 1000 + 500
    assert (fix.quality, fix.satellites, fix.hdop) == (1, 6, 5.88)
    assert fix.lat == pytest.approx(53 + 27.03942 / 60)
    assert fix.lon == pytest.approx(-(2 + 14.42462 / 60))
    assert isinstance(course, Vtg)
    assert course.valid
    assert course.speed_mps == pytest.approx(0.085 / 3.6)  # km/h is the finer field
    assert course.course_deg == 12.5


def test_receiver_start_up_without_time_or_fix_is_not_an_error() -> None:
    data = line("GNRMC,,V,,,,,,,,,,N,V") + line("GNGGA,,,,,,0,00,99.99,,,,,,")
    (first, second), decoder = decode(data)
    assert isinstance(first, Rmc)
    assert not first.valid
    assert first.tod_ms is None
    assert isinstance(second, Gga)
    assert second.quality == 0
    assert second.lat is None
    assert decoder.bad_lines == 0


def test_mode_n_makes_an_active_rmc_invalid() -> None:
    [sentence], _ = decode(line("GNRMC,120000.00,A,5000.0,N,00800.0,E,0.0,,010125,,,N,V"))
    assert isinstance(sentence, Rmc)
    assert not sentence.valid


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*00\r\n",
            "bad_checksum",
        ),
        (b"$GNVTG,,T,,M,0.145,N,0.269,K,A*3)\r\n", "bad_checksum"),
        (b"$GPRMC,030719.000,A,3747.08\r\n", "partial"),
        (b"$GPGGA,0307\r\n", "partial"),
        (b"\xb5b\x01\x07\\\x00xSK\x02\xe5\r\n", "garbage"),
        (b"noise on the line\r\n", "garbage"),
        (line("GPRMC,030719.000,X,3747.0873,S,17518.8938,E,,,311214,,,A"), "malformed"),
        (line("GPRMC,030719.000,A,3747.0873,S,17518.8938,E,XXXXX,,311214,,,A"), "malformed"),
        (line("GPRMC,030719.000,A,3797.0873,S,17518.8938,E,,,311214,,,A"), "malformed"),
        (line("GPRMC,250719.000,A,3747.0873,S,17518.8938,E,,,311214,,,A"), "malformed"),
        (line("GPRMC,030719.000,A,3747.0873,S,17518.8938,E,,,311314,,,A"), "malformed"),
        (line("GPGGA,030719.000,3747.0873,Q,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,"), "malformed"),
        (line("GPVTG,400.0,T,,M,0.0,N,0.0,K,A"), "malformed"),
    ],
)
def test_bad_input_is_counted_by_reason(data: bytes, reason: str) -> None:
    sentences, decoder = decode(data)
    assert sentences == []
    assert decoder.counts[reason] == 1
    assert decoder.bad_lines == 1 == decoder.lines_total


def test_a_cut_sentence_running_into_the_next_loses_only_itself() -> None:
    whole = line("GNGGA,103607.00,5327.03942,N,00214.42462,W,1,06,5.88,56.0,M,48.5,M,,")
    sentences, decoder = decode(b"$GNRMC,103607.00,A,53" + whole)
    assert [type(s) for s in sentences] == [Gga]
    assert decoder.counts["partial"] == 1
    assert decoder.counts["used"] == 1


def test_garbage_before_a_sentence_on_the_same_line() -> None:
    whole = line("GNGGA,103607.00,5327.03942,N,00214.42462,W,1,06,5.88,56.0,M,48.5,M,,")
    sentences, decoder = decode(b"\xf9\x87\x01" + whole)
    assert [type(s) for s in sentences] == [Gga]
    assert decoder.counts["garbage"] == 1


def test_other_sentences_and_comments_are_neither_used_nor_bad() -> None:
    data = b"# Name: a receiver\r\n" + line("GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5")
    data += line("PUBX,00,081350.00,4717.113210,N,00833.915187,E") + line("GNGGAH,1,2")
    sentences, decoder = decode(data)
    assert sentences == []
    assert decoder.counts["comment"] == 1
    assert decoder.counts["other"] == 3
    assert decoder.bad_lines == 0


def test_an_endless_line_is_dropped_as_garbage() -> None:
    decoder = NmeaDecoder()
    assert decoder.feed(b"x" * 5000) == []
    assert decoder.counts["garbage"] == 1
    assert decoder.feed(line("GNVTG,,T,,M,0.046,N,0.085,K,A")) != []


def test_reset_counts_an_unterminated_line_as_partial() -> None:
    decoder = NmeaDecoder()
    decoder.feed(b"$GNRMC,1036")
    decoder.reset()
    assert decoder.counts["partial"] == 1
    assert decoder.flush() == []


@EXAMPLES
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=20))
def test_any_bytes_in_any_chunks_decode_alike_and_never_raise(data: bytes, cuts: list[int]) -> None:
    whole, whole_decoder = decode(data)
    decoder = NmeaDecoder()
    pieces: list[Rmc | Gga | Vtg] = []
    at = 0
    for cut in cuts:
        pieces += decoder.feed(data[at : at + cut])
        at += cut
    pieces += decoder.feed(data[at:]) + decoder.flush()
    assert pieces == whole
    assert decoder.counts == whole_decoder.counts
    assert decoder.bad_lines <= decoder.lines_total


@EXAMPLES
@given(st.text(alphabet="$*,.0123456789ABCDEFGNPRMCVTAS\r\n", max_size=300))
def test_nmea_like_noise_is_counted_not_raised(text: str) -> None:
    sentences, decoder = decode(text.encode())
    assert decoder.lines_total >= len(sentences)
    for sentence in sentences:
        assert isinstance(sentence, Rmc | Gga | Vtg)


solutions = st.builds(
    Solution,
    lat=st.floats(-89.99, 89.99),
    lon=st.floats(-179.99, 179.99),
    speed_mps=st.floats(0.0, 90.0),
    course_deg=st.none() | st.floats(0.0, 359.99),
    satellites=st.integers(0, 40),
    hdop=st.floats(0.5, 50.0),
    altitude_m=st.floats(-100.0, 3000.0),
)
times = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2079, 12, 31),
    timezones=st.just(dt.UTC),
)


@EXAMPLES
@given(times, solutions)
def test_what_the_emulator_sends_the_gateway_reads_back(when: dt.datetime, fix: Solution) -> None:
    (r, v, g), decoder = decode(rmc(when, fix) + vtg(fix) + gga(when, fix))
    assert decoder.bad_lines == 0
    assert isinstance(r, Rmc)
    assert isinstance(v, Vtg)
    assert isinstance(g, Gga)
    assert r.date == when.date()
    assert r.valid
    assert g.quality == 1
    assert r.tod_ms == g.tod_ms == _tod_ms(when) // 10 * 10
    for got in (r, g):
        assert got.lat == pytest.approx(fix.lat, abs=1e-6)
        assert got.lon == pytest.approx(fix.lon, abs=1e-6)
    assert r.speed_mps == pytest.approx(fix.speed_mps, abs=1e-3)
    assert v.speed_mps == pytest.approx(fix.speed_mps, abs=1e-3)
    if fix.course_deg is None:
        assert r.course_deg is None
        assert v.course_deg is None
    else:
        assert r.course_deg == pytest.approx(fix.course_deg, abs=0.006)


@EXAMPLES
@given(times, solutions, st.data())
def test_a_changed_character_never_yields_a_changed_fix(
    when: dt.datetime, fix: Solution, data: st.DataObject
) -> None:
    sent = rmc(when, fix)
    at = data.draw(st.integers(1, len(sent) - 3))
    new = data.draw(st.sampled_from(b"0123456789,.ANSEWV").filter(lambda b: b != sent[at]))
    damaged = sent[:at] + bytes([new]) + sent[at + 1 :]
    sentences, decoder = decode(damaged)
    assert sentences == []  # one changed character always changes the checksum
    assert decoder.bad_lines == decoder.lines_total == 1


def _tod_ms(when: dt.datetime) -> int:
    return ((when.hour * 60 + when.minute) * 60 + when.second) * 1000 + when.microsecond // 1000
