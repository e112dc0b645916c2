"""The probe line parser: documented examples, rejections, and properties over random input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.sensors.config import SensorConfig
from edge.sensors.lines import (
    CHECKSUM,
    FIELDS,
    GARBLED,
    MAX_LINE,
    OVERLONG,
    RANGE,
    TRUNCATED,
    LineRules,
    LineSplitter,
    Reading,
    Rejected,
    cs2,
    parse_general,
    parse_line,
)
from firmware_sim.sensors.wire import body, on_wire

RULES = LineRules()
STRICT = LineRules(require_checksum=True)


def _with_cs(text: bytes) -> bytes:
    text += b" "
    return text + b"%02X" % cs2(text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"RH= 45.1 %RH T=   4.3 'C", Reading(4.3, 45.1)),
        (b"RH= 23.8 %RH T= 19.4 'C", Reading(19.4, 23.8)),
        (b"T=-18.5 'C RH=100.0 %RH", Reading(-18.5, 100.0)),
        (b"  RH=0.0%RH\tT=-40.0'C  ", Reading(-40.0, 0.0)),
        (b"RH= 45.1 %RH T= 41.0 'F", Reading(5.0, 45.1)),
    ],
)
def test_documented_lines_parse(line: bytes, expected: Reading) -> None:
    assert parse_line(line, RULES) == expected


def test_checksum_is_verified_when_present_and_required_when_configured() -> None:
    good = _with_cs(b"RH= 45.1 %RH T=   4.3 'C")
    assert parse_line(good, RULES) == Reading(4.3, 45.1)
    assert parse_line(good, STRICT) == Reading(4.3, 45.1)
    wrong = good[:-2] + (b"00" if not good.endswith(b"00") else b"01")
    assert _reason(parse_line(wrong, RULES)) == CHECKSUM
    assert _reason(parse_line(b"RH= 45.1 %RH T=   4.3 'C", STRICT)) == CHECKSUM


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"RH= 45.1 %RH T= 327.6 'C", RANGE),
        (b"RH=130.0 %RH T=  4.3 'C", RANGE),
        (b"RH=-12.4 %RH T=  4.3 'C", RANGE),
        (b"RH= 45.1 %RH", FIELDS),
        (b"T= 4.3 'C T= 4.4 'C", FIELDS),
        (b"RH= 45.1 'C T= 4.3 %RH", FIELDS),
        (b"RH= 45.1 %RH T=   4.3 '", TRUNCATED),
        (b"RH= 45.1 %RH T", TRUNCATED),
        (b"RH= 45.1 %RH T=  4.3 'C 5", TRUNCATED),
        (b"RH= 45.1 %RH T=  4\xb7.3 'C", GARBLED),
        (b"RH= *** %RH T= ***.* 'C", GARBLED),
        (b"HMP155 1.23", GARBLED),
        (b"x" * (MAX_LINE + 1), OVERLONG),
    ],
)
def test_bad_lines_are_rejected_with_their_reason(line: bytes, reason: str) -> None:
    assert _reason(parse_line(line, RULES)) == reason


def test_single_quantity_probes_and_configured_range() -> None:
    config = SensorConfig(name="s", port="/dev/null", quantities=("t",), temp_max=90.0)
    rules = LineRules.of(config)
    assert parse_line(b"T= 85.0 'C", rules) == Reading(85.0, None)
    assert parse_line(b"RH= 45.1 %RH T= 85.0 'C", rules) == Reading(85.0, 45.1)
    assert _reason(parse_line(b"RH= 45.1 %RH", rules)) == FIELDS


@given(st.binary(max_size=2 * MAX_LINE))
def test_random_bytes_never_crash(line: bytes) -> None:
    assert isinstance(parse_line(line, RULES), Reading | Rejected)


@given(st.text(alphabet="RHTCF=%'+-.0123456789ABCDEF \t", max_size=60))
def test_random_protocol_characters_never_crash(text: str) -> None:
    result = parse_line(text.encode(), RULES)
    assert isinstance(result, Reading | Rejected)
    if isinstance(result, Reading):
        assert result.temp is not None
        assert -40.0 <= result.temp <= 60.0
        assert result.rh is not None
        assert 0.0 <= result.rh <= 100.0


@given(
    temp=st.floats(-40.0, 60.0),
    rh=st.floats(0.0, 100.0),
    checksum=st.booleans(),
)
def test_emulator_lines_round_trip(temp: float, rh: float, checksum: bool) -> None:
    assert parse_line(body(temp, rh, checksum), RULES) == Reading(on_wire(temp), on_wire(rh))


@st.composite
def free_form_lines(draw: st.DrawFn) -> tuple[bytes, Reading]:
    """A valid line in any of the accepted shapes, with the reading it must give."""
    temp = draw(st.decimals(-40, 60, places=2, allow_nan=False))
    rh = draw(st.decimals(0, 100, places=1, allow_nan=False))
    blank = st.sampled_from(["", " ", "  ", "\t"])
    t_field = f"T={draw(blank)}{temp}{draw(blank)}'C"
    rh_field = f"RH={draw(blank)}{rh}{draw(blank)}%RH"
    first, second = (t_field, rh_field) if draw(st.booleans()) else (rh_field, t_field)
    text = f"{draw(blank)}{first}{draw(blank)} {second}".encode()
    if draw(st.booleans()):
        text = _with_cs(text)
    return text + draw(blank).encode(), Reading(float(temp), float(rh))


@given(free_form_lines())
def test_free_form_valid_lines_round_trip(case: tuple[bytes, Reading]) -> None:
    line, expected = case
    assert parse_line(line, RULES) == expected


protocol_lines = st.one_of(
    st.text(alphabet="RHTCF=%'+-.0123456789ABCDEFabcdef \t", max_size=60).map(str.encode),
    free_form_lines().map(lambda case: case[0]),
    st.builds(
        lambda t, rh, cs, cut: body(t, rh, cs)[: cut or None],
        st.floats(-60.0, 120.0),
        st.floats(-20.0, 120.0),
        st.booleans(),
        st.integers(-5, 30),
    ),
)


@given(protocol_lines, st.sampled_from([RULES, STRICT, LineRules(temp_min=0.0, temp_max=10.0)]))
def test_the_fast_path_gives_the_general_parsers_verdict(line: bytes, rules: LineRules) -> None:
    assert parse_line(line, rules) == parse_general(line, rules)


@given(
    temp=st.floats(-40.0, 60.0),
    rh=st.floats(0.0, 100.0),
    data=st.data(),
)
def test_any_single_byte_error_in_a_checksummed_line_is_caught(
    temp: float, rh: float, data: st.DataObject
) -> None:
    line = bytearray(body(temp, rh, checksum=True))
    at = data.draw(st.integers(0, len(line) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b not in (line[at], 10, 13)))
    line[at] = new
    assert isinstance(parse_line(bytes(line), STRICT), Rejected)


@given(
    lines=st.lists(
        st.binary(min_size=1, max_size=40)
        .map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
        .filter(bool),
        max_size=20,
    ),
    ends=st.sampled_from([b"\r\n", b"\n", b"\r"]),
    cuts=st.lists(st.integers(0, 2000), max_size=10),
)
def test_splitter_gives_the_same_lines_however_bytes_arrive(
    lines: list[bytes], ends: bytes, cuts: list[int]
) -> None:
    stream = b"".join(line + ends for line in lines)
    splitter = LineSplitter()
    got: list[bytes] = []
    at = 0
    for cut in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        got += splitter.feed(stream[at:cut])
        at = cut
    assert got == lines
    assert splitter.reset() == b""


def test_splitter_cuts_runaway_garbage_into_overlong_pieces() -> None:
    splitter = LineSplitter(max_line=10)
    pieces = splitter.feed(b"y" * 25)
    assert pieces == [b"y" * 11, b"y" * 11]
    assert splitter.feed(b"\nRH= 1.0 %RH T= 2.0 'C\n") == [b"yyy", b"RH= 1.0 %RH T= 2.0 'C"]
    assert splitter.feed(b"RH= 1.0") == []
    assert splitter.reset() == b"RH= 1.0"


def _reason(result: Reading | Rejected) -> str:
    assert isinstance(result, Rejected), result
    return result.reason
