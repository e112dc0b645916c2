"""Logs of real receivers (../shared/testdata/nmea): every fix found, bad lines counted.

Two independent references: a plain count of the fix sentences in each file (a regular
expression and an XOR here, no pynmea2), and gpsd's own decoding of the same logs (.chk).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import re
from pathlib import Path

import pytest

from edge.gps.config import GpsConfig
from edge.gps.epochs import EpochAssembler, RawFix
from edge.gps.nmea import NmeaDecoder
from edge.gps.pipeline import GpsPipeline

FIX_SENTENCE = re.compile(rb"\$(([A-Z]{2})(RMC|GGA),([^*\r\n$]*))\*([0-9A-F]{2})")
NOW_MS = int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)

GPSD_LOGS = [
    "bu353s4.log",
    "garmin17n.log",
    "haicom-305N.log",
    "quectel-l76k-nmea.log",
    "ublox-neo-m9n-nmea.log",
    "ublox-zed-f9p-nmea.log",
]
PYNMEAGPS_LOGS = [
    "feyman_nmea.log",
    "pygpsdata-maritime.log",
    "pygpsdata-mixed.log",
    "pygpsdata-nmea2.log",
    "pygpsdata-nmea4.log",
    "pygpsdata-nmeabadck.log",
    "pygpsdata-nmeabadck2.log",
    "pygpsdata-nmeastartup.log",
    "trimble_nmea.log",
    "unicore_nmea.log",
]


def all_logs(testdata: Path) -> list[Path]:
    return [testdata / "nmea" / "gpsd" / n for n in GPSD_LOGS] + [
        testdata / "nmea" / "pynmeagps" / n for n in PYNMEAGPS_LOGS
    ]


def raw_fixes(data: bytes) -> tuple[list[RawFix], NmeaDecoder]:
    decoder, epochs = NmeaDecoder(), EpochAssembler()
    raws: list[RawFix] = []
    for sentence in decoder.feed(data) + decoder.flush():
        raws += epochs.push(sentence)
    return raws + epochs.close(), decoder


def plain_fix_times(data: bytes) -> set[bytes]:
    """UTC times of intact RMC (status A) and GGA (quality > 0) sentences with a position."""
    times = set()
    for match in FIX_SENTENCE.finditer(data):
        body, _talker, kind, fields, check = match.groups()
        if functools.reduce(operator.xor, body, 0) != int(check, 16):
            continue
        f = fields.split(b",")
        if kind == b"RMC" and f[1] == b"A" and f[2] and (len(f) < 12 or f[11] != b"N"):
            times.add(f[0])
        if kind == b"GGA" and f[0] and f[1] and f[5] not in (b"", b"0"):
            times.add(f[0])
    return times


def gpsd_fixes(chk: Path) -> dict[int, tuple[float, float]]:
    """gpsd's timed 2D/3D fixes: time (ms) -> (lat, lon)."""
    fixes = {}
    for text in chk.read_text().splitlines():
        if not text.startswith("{"):
            continue
        report = json.loads(text)
        if report.get("class") == "TPV" and report.get("mode", 0) >= 2 and "time" in report:
            when = dt.datetime.fromisoformat(report["time"].replace("Z", "+00:00"))
            fixes[int(when.timestamp() * 1000)] = (report["lat"], report["lon"])
    return fixes


def test_every_log_decodes_without_an_exception(testdata: Path) -> None:
    for log in all_logs(testdata):
        pipeline = GpsPipeline(GpsConfig(name="rx", port=str(log)), "gw")
        pipeline.feed(log.read_bytes(), NOW_MS)
        pipeline.finish(NOW_MS)
        assert pipeline.decoder.bad_lines <= pipeline.decoder.lines_total


@pytest.mark.parametrize("name", GPSD_LOGS + PYNMEAGPS_LOGS)
def test_fix_count_matches_a_plain_sentence_count(testdata: Path, name: str) -> None:
    log = next(p for p in all_logs(testdata) if p.name == name)
    raws, _ = raw_fixes(log.read_bytes())
    valid = [r for r in raws if r.valid and r.lat is not None]
    assert len(valid) == len(plain_fix_times(log.read_bytes()))


@pytest.mark.parametrize("name", GPSD_LOGS)
def test_fixes_agree_with_gpsd(testdata: Path, name: str) -> None:
    log = testdata / "nmea" / "gpsd" / name
    raws, decoder = raw_fixes(log.read_bytes())
    ours = {r.time_ms: (r.lat, r.lon) for r in raws if r.valid and r.time_ms is not None}
    theirs = gpsd_fixes(log.with_name(name + ".chk"))
    assert decoder.bad_lines == 0
    assert set(theirs) <= set(ours)
    # gpsd holds back the time of the odd epoch (the first fix of the Haicom, the trailing
    # GGA-only epoch of the Quectel); we date it from the RMC date in force.
    assert len(ours) - len(theirs) <= 1
    for time_ms, (lat, lon) in theirs.items():
        assert ours[time_ms][0] == pytest.approx(lat, abs=1e-8)
        assert ours[time_ms][1] == pytest.approx(lon, abs=1e-8)


@pytest.mark.parametrize(
    ("name", "bad_checksums", "fixes"),
    [("pygpsdata-nmeabadck.log", 2, 1), ("pygpsdata-nmeabadck2.log", 1, 1)],
)
def test_bad_checksums_are_counted_and_the_good_lines_kept(
    testdata: Path, name: str, bad_checksums: int, fixes: int
) -> None:
    raws, decoder = raw_fixes((testdata / "nmea" / "pynmeagps" / name).read_bytes())
    assert decoder.counts["bad_checksum"] == bad_checksums
    assert decoder.bad_lines == bad_checksums
    assert len([r for r in raws if r.valid]) == fixes


def test_binary_mixed_in_is_garbage_and_the_nmea_still_found(testdata: Path) -> None:
    data = (testdata / "nmea" / "pynmeagps" / "pygpsdata-mixed.log").read_bytes()
    raws, decoder = raw_fixes(data)
    assert decoder.counts["garbage"] > 0
    assert decoder.counts["used"] == 2  # the two GGA sentences between the UBX frames
    assert len(raws) == len(plain_fix_times(data)) == 2


def test_start_up_chatter_gives_no_fix(testdata: Path) -> None:
    data = (testdata / "nmea" / "pynmeagps" / "pygpsdata-nmeastartup.log").read_bytes()
    pipeline = GpsPipeline(GpsConfig(name="rx", port="-"), "gw")
    assert pipeline.feed(data, NOW_MS) + pipeline.finish(NOW_MS) == []
    assert pipeline.decoder.bad_lines == 0
    assert pipeline.rejected == {"no_fix": 1}


def test_rmc_and_gga_that_disagree_are_rejected(testdata: Path) -> None:
    # nmea4.log: RMC says 102°W, GGA of the same epoch 2°W (checksums intact).
    data = (testdata / "nmea" / "pynmeagps" / "pygpsdata-nmea4.log").read_bytes()
    pipeline = GpsPipeline(GpsConfig(name="rx", port="-"), "gw")
    assert pipeline.feed(data, NOW_MS) + pipeline.finish(NOW_MS) == []
    assert pipeline.rejected == {"inconsistent": 1}


@pytest.mark.parametrize("name", GPSD_LOGS)
def test_a_gateway_keeps_every_fix_of_a_real_receiver(testdata: Path, name: str) -> None:
    log = testdata / "nmea" / "gpsd" / name
    pipeline = GpsPipeline(GpsConfig(name="rx", port=str(log)), "gw")
    reported = pipeline.feed(log.read_bytes(), NOW_MS) + pipeline.finish(NOW_MS)
    raws, _ = raw_fixes(log.read_bytes())
    timed = [r for r in raws if r.valid and r.time_ms is not None]
    assert pipeline.filter.accepted == len(timed)  # no jump, zero or duplicate in these logs
    assert set(pipeline.rejected) <= {"no_fix"}
    assert reported[0].time_ms == timed[0].time_ms  # the first fix, and the last, are reported
    assert reported[-1].time_ms == timed[-1].time_ms
    assert [f.time_ms for f in reported] == sorted({f.time_ms for f in reported})
