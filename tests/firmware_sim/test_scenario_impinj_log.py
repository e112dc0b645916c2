"""Replay of the real CrossMgr Impinj logs: counts checked against the raw files."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from firmware_sim.scenario import registry
from firmware_sim.scenario.impinj_log import (
    CROSSMGR_LOGS,
    find_parked,
    impinj_log_scenario,
    load_ransac_fails,
    parse_impinj_log,
)

PARKED_EPC = "35000000019010061A8F0000"  # named by the testdata README


def _raw(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    # Reads and passings straight from the file: skip the column names and the settings line.
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[2:]
    passings = [r for r in rows if r[0] == "127.0.0.1"]
    return [r for r in rows if r[0] != "127.0.0.1"], passings


@pytest.fixture(params=CROSSMGR_LOGS)
def log_path(request: pytest.FixtureRequest, testdata: Path) -> Path:
    """Each real log."""
    path: Path = testdata / "rfid" / "crossmgr" / request.param
    return path


def test_counts_match_the_raw_file(log_path: Path) -> None:
    raw_reads, raw_passings = _raw(log_path)
    scenario = impinj_log_scenario(log_path)
    assert len(scenario.reads) == len(raw_reads)
    assert scenario.meta["passings"] == len(raw_passings)
    assert scenario.meta["malformed_lines"] == 0
    assert set(scenario.epcs) == {r[1] for r in raw_reads} | {r[1] for r in raw_passings}
    assert [s.name for s in scenario.readers] == sorted({r[0] for r in raw_reads})
    assert {p.zone for p in scenario.layout} == {"finish"}


def test_reads_carry_file_date_and_time(log_path: Path) -> None:
    raw_reads, _ = _raw(log_path)
    scenario = impinj_log_scenario(log_path)
    first = raw_reads[0]
    when = datetime.strptime("2018-04-08 " + first[2], "%Y-%m-%d %H%M%S.%f").replace(tzinfo=UTC)
    assert int(scenario.reads["t_us"].min()) == round(when.timestamp() * 1e6)
    assert np.all(np.diff(scenario.reads["t_us"]) >= 0)
    assert scenario.reads["rssi"].min() == min(float(r[4]) for r in raw_reads)
    assert scenario.epcs[int(scenario.reads["tag"][0])] == first[1]


def test_parked_tag_is_found_by_analysis_and_never_crosses(log_path: Path) -> None:
    raw_reads, raw_passings = _raw(log_path)
    scenario = impinj_log_scenario(log_path)
    assert scenario.truth.parked == {PARKED_EPC}
    parked_reads = [r for r in raw_reads if r[1] == PARKED_EPC]
    assert len(parked_reads) > 1000
    assert all(c.epc != PARKED_EPC for c in scenario.truth.crossings)
    real = [p for p in raw_passings if p[1] != PARKED_EPC]
    assert len(scenario.truth.crossings) == len(real)
    assert scenario.meta["passings_of_parked_tags"] == len(raw_passings) - len(real)


def test_first_log_matches_the_readme(testdata: Path) -> None:
    path = testdata / "rfid" / "crossmgr" / CROSSMGR_LOGS[0]
    log = parse_impinj_log(path)
    parked = log.epcs.index(PARKED_EPC)
    assert 1600 <= int(np.sum(log.reads["tag"] == parked)) <= 1700
    assert not [p for p in log.passings if p.epc == PARKED_EPC]
    assert log.settings[5] == "dense reader MaxMiller"


def test_crossings_follow_the_passing_lines(log_path: Path) -> None:
    scenario = impinj_log_scenario(log_path)
    times = [c.time_us for c in scenario.truth.crossings]
    assert times == sorted(times)
    assert {c.direction for c in scenario.truth.crossings} == {"in"}
    assert {c.door for c in scenario.truth.crossings} == {"finish"}
    index = {e: i for i, e in enumerate(scenario.epcs)}
    for c in scenario.truth.crossings:
        mine = scenario.reads["t_us"][scenario.reads["tag"] == index[c.epc]]
        assert mine.min() - 5_000_000 <= c.time_us <= mine.max() + 5_000_000


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path, testdata: Path) -> None:
    real = (testdata / "rfid" / "crossmgr" / CROSSMGR_LOGS[0]).read_text().splitlines()
    bad = [
        "10.16.21.147,NOTHEX,123132.5,0,-50",
        "10.16.21.147,738AD3FF13CFD7C9F62F029D,12x132.5,0,-50",
        "10.16.21.147,738AD3FF13CFD7C9F62F029D,123132.5,0",
        "10.16.21.147,738AD3FF13CFD7C9F62F029D,123132.5,0,loud",
        "\x00\x01garbage",
        "10.16.21.147,738AD3FF13CFD7C9F62F029D,256132.5,0,-50",
    ]
    path = tmp_path / "Broken-Impinj-2018-04-08-12-31-32.txt"
    path.write_text("\n".join(real[:10] + bad + real[10:20]) + "\n")
    scenario = impinj_log_scenario(path)
    assert scenario.meta["malformed_lines"] == len(bad)
    assert len(scenario.reads) == 18


def test_midnight_rollover(tmp_path: Path) -> None:
    path = tmp_path / "Night-Impinj-2018-04-08-23-59-59.txt"
    path.write_text(
        "Reader, EPC, Time, Sequence/Count, PeakRSSI\n"
        "10.0.0.1,738AD3FF13CFD7C9F62F029D,235959.900000,0,-50\n"
        "10.0.0.1,738AD3FF13CFD7C9F62F029D,000000.100000,0,-50\n"
    )
    t = parse_impinj_log(path).reads["t_us"]
    assert int(t[1] - t[0]) == 200_000


def test_registered_replay(testdata: Path) -> None:
    scenario = registry.build("crossmgr", 0)
    assert scenario.name.endswith(CROSSMGR_LOGS[0])
    assert find_parked(parse_impinj_log(testdata / "rfid" / "crossmgr" / CROSSMGR_LOGS[1]))


def test_ransac_fails(testdata: Path) -> None:
    path = testdata / "rfid" / "crossmgr" / "ransac-fails.txt"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    distinct = {int(r[8]) for r in rows if not r[10]}
    traces, bad = load_ransac_fails(path)
    assert bad == 0
    (trace,) = traces
    assert trace.epc == rows[0][1]
    assert len(trace.t_s) == len(distinct) == 186
    assert np.all(np.diff(trace.t_s) >= 0)
    assert trace.rssi[0] == -float(rows[0][5]) / 10
    assert [f.selected for f in trace.fits] == [False, True]
