"""`tagtrail mkt` on data-logger exports: hand-computed MKT, unequal intervals, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagtrail.cli import main
from tagtrail.mkt import read_readings


def run(tmp_path: Path, text: str, *args: str) -> int:
    path = tmp_path / "logger.csv"
    path.write_text(text, encoding="utf-8")
    return main(["mkt", str(path), *args])


def test_unequal_intervals_with_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 5 °C at 0 h, 25 °C at 1 h, 5 °C at 2 h and 6 h: 5 h at 5 °C and 1 h at 25 °C by the
    # trapezoidal rule, MKT 12.8788226991 °C (hand-computed, see the domain tests).
    text = (
        "timestamp,temperature_c\n"
        "2026-01-01T00:00:00Z,5.0\n"
        "2026-01-01T01:00:00Z,25.0\n"
        "2026-01-01T02:00:00Z,5.0\n"
        "2026-01-01T06:00:00Z,5.0\n"
    )
    assert run(tmp_path, text, "--json", "--low", "2", "--high", "8") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mkt_c"] == pytest.approx(12.8788226991488, abs=1e-9)
    assert (result["min_c"], result["max_c"], result["readings"], result["skipped"]) == (
        5,
        25,
        4,
        0,
    )
    assert result["hours"] == 6
    # Above 8 °C between the crossings at 0.15 h and 1.85 h: 1.7 h.
    assert result["above_h"] == pytest.approx(1.7)
    assert result["below_h"] == 0
    assert result["out_of_range_h"] == pytest.approx(1.7)


def test_bad_rows_are_reported_with_line_numbers_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "2026-01-01T00:00:00+00:00;20,0\n"
        "2026-01-01T00:30:00+00:00;oops\n"
        "\n"
        "not a time;21,0\n"
        "2026-01-01T01:00:00+00:00;30,0\n"
        "2026-01-01T01:30:00+00:00;9999\n"
        "2026-01-01T02:00:00+00:00\n"
    )
    assert run(tmp_path, text, "--high", "25") == 0
    out, err = capsys.readouterr()
    assert [line.split(": skipped")[0].rsplit(":", 1)[1] for line in err.splitlines()] == [
        "2",
        "4",
        "6",
        "7",
    ]
    assert "readings      2 (4 rows skipped)" in out
    # 20 °C and 30 °C, half an hour each by the trapezoidal rule: 26.2598869160 °C.
    assert "MKT           26.26 °C" in out
    assert "above 25 °C: 0.50 h" in out


def test_readings_are_put_in_time_order() -> None:
    found = read_readings(["2026-01-01T02:00:00,7", "2026-01-01T01:00:00,6", "time,temp"])
    assert [t.hour for t in found.times] == [1, 2]
    assert found.temps == [6.0, 7.0]
    assert found.problems == [(3, "Invalid isoformat string: 'time'")]  # not first: not a header


def test_a_file_without_readings_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "timestamp,temperature\n") == 2
    assert "no readings" in capsys.readouterr().err
    assert main(["mkt", str(tmp_path / "missing.csv")]) == 2
