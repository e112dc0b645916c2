"""Replay of real Impinj reader logs written by CrossMgrImpinj, as scenarios.

A log is CSV: a column-name line, a reader-settings line, then one read per line
`reader IP, EPC hex, time of day HHMMSS.ffffff, count, PeakRSSI dBm`. Lines from 127.0.0.1 are
the passings CrossMgr computed (quadratic fit of RSSI over time), used here as reference crossing
times. The date comes from the file name (`...-YYYY-MM-DD-HH-MM-SS.txt`); times of day are taken
in `tz` (UTC unless told). Malformed lines are counted, logged and skipped.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.registry import register
from firmware_sim.scenario.types import (
    READ_DTYPE,
    AntennaPlacement,
    Crossing,
    GroundTruth,
    ReaderSpec,
    Reads,
    Scenario,
)

logger = logging.getLogger(__name__)

PASSING_READER = "127.0.0.1"
ZONE = "finish"
CROSSMGR_DIR = Path("rfid") / "crossmgr"
CROSSMGR_LOGS = (
    "EliteMen-Impinj-2018-04-08-12-31-32.txt",
    "EliteMen-Impinj-2018-04-08-12-45-13.txt",
)
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2}){2,62}$")
DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Passing:
    """A passing CrossMgr computed: the tag's best (peak-fit) time."""

    epc: str
    time_us: int
    count: int
    rssi: float


@dataclass(frozen=True)
class ImpinjLog:
    """A parsed log: reads (tag indexes epcs, reader indexes readers) and CrossMgr's passings."""

    path: Path
    settings: tuple[str, ...]
    readers: tuple[str, ...]
    epcs: tuple[str, ...]
    reads: Reads  # in file order; antenna is always 1
    counts: npt.NDArray[np.int16]  # the count column of each read
    passings: tuple[Passing, ...]
    malformed: tuple[tuple[int, str], ...]  # (line number, reason)


@dataclass
class _Parser:
    """Accumulates a log line by line."""

    day_us: int
    readers: dict[str, int]
    epcs: dict[str, int]
    rows: list[tuple[int, int, int, float]]
    counts: list[int]
    passings: list[Passing]
    malformed: list[tuple[int, str]]
    last_tod_us: int = -1
    rollover_us: int = 0

    def line(self, number: int, row: list[str]) -> None:
        """Take one data line, or record why it is malformed."""
        try:
            reader, epc, t_us, count, rssi = self._fields(row)
        except ValueError as exc:
            self.malformed.append((number, str(exc)))
            return
        if reader == PASSING_READER:
            self.passings.append(Passing(epc, t_us, count, rssi))
            return
        r = self.readers.setdefault(reader, len(self.readers))
        tag = self.epcs.setdefault(epc, len(self.epcs))
        self.rows.append((t_us, r, tag, rssi))
        self.counts.append(count)

    def _fields(self, row: list[str]) -> tuple[str, str, int, int, float]:
        if len(row) != 5:
            raise ValueError(f"expected 5 fields, got {len(row)}")
        reader, epc, tod, count, rssi = (f.strip() for f in row)
        if not reader:
            raise ValueError("empty reader")
        if not _HEX.match(epc):
            raise ValueError(f"bad EPC {epc[:40]!r}")
        return reader, epc.upper(), self._time_us(tod), int(count), float(rssi)

    def _time_us(self, tod: str) -> int:
        if not re.fullmatch(r"\d{6}(\.\d{1,6})?", tod):
            raise ValueError(f"bad time of day {tod[:20]!r}")
        hh, mm, ss = int(tod[:2]), int(tod[2:4]), float(tod[4:])
        if hh > 23 or mm > 59 or ss >= 61:
            raise ValueError(f"bad time of day {tod!r}")
        tod_us = round((hh * 3600 + mm * 60 + ss) * 1e6)
        # Past midnight the time of day starts again; passings may be a little out of order.
        if self.last_tod_us - tod_us > DAY_US // 2:
            self.rollover_us += DAY_US
        self.last_tod_us = tod_us
        return self.day_us + self.rollover_us + tod_us


def log_date(path: Path) -> date:
    """The date in a CrossMgr log file name."""
    found = _DATE_IN_NAME.search(path.name)
    if not found:
        raise ValueError(f"{path.name}: no YYYY-MM-DD-HH-MM-SS date in the file name")
    return date(int(found[1]), int(found[2]), int(found[3]))


def parse_impinj_log(path: Path, *, tz: tzinfo = UTC) -> ImpinjLog:
    """Parse a CrossMgrImpinj log; malformed lines are counted and skipped, never fatal."""
    midnight = datetime.combine(log_date(path), time(0), tzinfo=tz)
    parser = _Parser(round(midnight.timestamp() * 1e6), {}, {}, [], [], [], [])
    settings: tuple[str, ...] = ()
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if number == 1 or not row:
                continue
            if number == 2 and len(row) > 5 and not row[1].strip():
                settings = tuple(f.strip() for f in row)
                continue
            parser.line(number, row)
    if parser.malformed:
        logger.warning("%s: skipped %s malformed lines", path.name, len(parser.malformed))
    return _finish(path, settings, parser)


def _finish(path: Path, settings: tuple[str, ...], parser: _Parser) -> ImpinjLog:
    reads: Reads = np.zeros(len(parser.rows), dtype=READ_DTYPE)
    if parser.rows:
        t, reader, tag, rssi = zip(*parser.rows, strict=True)
        reads["t_us"], reads["reader"], reads["tag"], reads["rssi"] = t, reader, tag, rssi
    reads["antenna"] = 1
    return ImpinjLog(
        path=path,
        settings=settings,
        readers=tuple(parser.readers),
        epcs=tuple(parser.epcs),
        reads=reads,
        counts=np.asarray(parser.counts, dtype=np.int16),
        passings=tuple(parser.passings),
        malformed=tuple(parser.malformed),
    )


@dataclass(frozen=True, slots=True)
class ParkedRule:
    """What makes a tag parked: read through the whole log at a flat, weak RSSI."""

    bin_s: float = 10.0
    min_coverage: float = 0.9  # share of time bins in which the tag was read
    max_spread_db: float = 6.0  # 90th minus 10th percentile RSSI
    max_median_dbm: float = -60.0


def find_parked(log: ImpinjLog, rule: ParkedRule | None = None) -> frozenset[str]:
    """EPCs read in nearly every time bin of the log at a flat, weak RSSI."""
    rule = rule or ParkedRule()
    reads = log.reads
    if len(reads) == 0:
        return frozenset()
    t0 = int(reads["t_us"].min())
    bins = (reads["t_us"] - t0) // round(rule.bin_s * 1e6)
    n_bins = int(bins.max()) + 1
    parked = set()
    for tag in np.unique(reads["tag"]).tolist():
        mine = reads["tag"] == tag
        coverage = len(np.unique(bins[mine])) / n_bins
        p10, p50, p90 = np.percentile(reads["rssi"][mine], [10, 50, 90])
        flat = p90 - p10 <= rule.max_spread_db and p50 <= rule.max_median_dbm
        if coverage >= rule.min_coverage and flat:
            parked.add(log.epcs[tag])
    return frozenset(parked)


def impinj_log_scenario(path: Path, *, tz: tzinfo = UTC, seed: int = 0) -> Scenario:
    """A scenario replaying a real log: its reads, and CrossMgr's passings of unparked tags."""
    log = parse_impinj_log(path, tz=tz)
    parked = find_parked(log)
    epcs = list(log.epcs) + sorted({p.epc for p in log.passings} - set(log.epcs))
    real = sorted((p for p in log.passings if p.epc not in parked), key=lambda p: p.time_us)
    crossings = tuple(Crossing(p.epc, ZONE, "in", p.time_us) for p in real)
    read_epcs = set(log.epcs)
    order = np.argsort(log.reads["t_us"], kind="stable")
    t = log.reads["t_us"]
    return Scenario(
        name=f"impinj-log:{path.name}",
        seed=seed,
        readers=tuple(ReaderSpec(name=ip, antennas=(1,)) for ip in log.readers),
        layout=tuple(AntennaPlacement(reader=ip, antenna=1, zone=ZONE) for ip in log.readers),
        epcs=tuple(epcs),
        reads=log.reads[order],
        truth=GroundTruth(
            crossings=crossings,
            parked=parked,
            unreadable=frozenset(c.epc for c in crossings if c.epc not in read_epcs),
        ),
        start_us=int(t.min()) if len(t) else 0,
        end_us=int(t.max()) + 1 if len(t) else 0,
        meta={
            "source": str(path),
            "settings": log.settings,
            "malformed_lines": len(log.malformed),
            "malformed": log.malformed[:20],
            "passings": len(log.passings),
            "passings_of_parked_tags": len(log.passings) - len(real),
        },
    )


def crossmgr_testdata() -> Path:
    """Where the CrossMgr captures live: $TAGTRAIL_TESTDATA or ../shared/testdata."""
    root = os.environ.get("TAGTRAIL_TESTDATA")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "testdata"
    return base / CROSSMGR_DIR


@register("crossmgr")
def crossmgr_scenario(seed: int) -> Scenario:
    """Replay of a real CrossMgr Impinj log; the seed picks the file."""
    path = crossmgr_testdata() / CROSSMGR_LOGS[seed % len(CROSSMGR_LOGS)]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: real capture not found (set TAGTRAIL_TESTDATA)")
    return impinj_log_scenario(path, seed=seed)


@dataclass(frozen=True, slots=True)
class RansacFit:
    """One peak-time fit CrossMgr tried on a trace."""

    algorithm: str
    best_time_s: float  # time of day, seconds since midnight
    rssi: float
    selected: bool


@dataclass(frozen=True)
class RansacTrace:
    """The reads of one tag's pass where CrossMgr's RSSI-peak fit failed, and its fits."""

    reader: str
    epc: str
    t_s: npt.NDArray[np.float64]  # time of day of each read, seconds since midnight
    rssi: npt.NDArray[np.float64]  # dBm
    fits: tuple[RansacFit, ...]


def load_ransac_fails(path: Path) -> tuple[tuple[RansacTrace, ...], int]:
    """Traces of ransac-fails.txt (one per reader and EPC) and the count of malformed lines.

    Each line is the running state after one read (LastTime, its PeakRSSI in -dB x 10,
    TagSeenCount); lines naming an algorithm are fits. Repeated states are read once.
    """
    reads: dict[tuple[str, str], dict[int, tuple[float, float]]] = {}
    fits: dict[tuple[str, str], list[RansacFit]] = {}
    bad = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if not row or row[0] == "Reader":
                continue
            try:
                key, seen, t_s, rssi, algorithm = _ransac_fields(row)
            except (ValueError, IndexError):
                bad += 1
                continue
            if algorithm:
                fit = RansacFit(algorithm, t_s, rssi, "Sel" in row[11:])
                fits.setdefault(key, []).append(fit)
            else:
                reads.setdefault(key, {}).setdefault(seen, (t_s, rssi))
    traces = tuple(_trace(key, reads.get(key, {}), fits.get(key, [])) for key in reads | fits)
    return traces, bad


def _ransac_fields(row: list[str]) -> tuple[tuple[str, str], int, float, float, str]:
    if len(row) < 11 or not _HEX.match(row[1].strip()):
        raise ValueError("not a ransac-fails line")
    tod = row[3].strip()
    if not re.fullmatch(r"\d{6}(\.\d+)?", tod):
        raise ValueError(f"bad time {tod!r}")
    t_s = int(tod[:2]) * 3600 + int(tod[2:4]) * 60 + float(tod[4:])
    return (row[0].strip(), row[1].strip().upper()), int(row[8]), t_s, -float(row[5]) / 10, row[10]


def _trace(
    key: tuple[str, str], reads: dict[int, tuple[float, float]], fits: list[RansacFit]
) -> RansacTrace:
    ordered = [reads[k] for k in sorted(reads)]
    return RansacTrace(
        reader=key[0],
        epc=key[1],
        t_s=np.array([r[0] for r in ordered]),
        rssi=np.array([r[1] for r in ordered]),
        fits=tuple(fits),
    )
