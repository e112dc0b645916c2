"""The `tagtrail mkt` command: mean kinetic temperature of a data-logger export (CSV)."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

EXIT_NO_DATA = 2
PLAUSIBLE_C = (-100.0, 200.0)  # outside this a reading is a logger fault, not a temperature


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the mkt subcommand."""
    parser = commands.add_parser(
        "mkt",
        help="mean kinetic temperature, min, max and time out of range of a logger CSV",
        description=(
            "Read a data-logger export: one reading per row, an ISO 8601 timestamp then the "
            "temperature in °C (comma, semicolon or tab separated; a header row is optional; "
            "a decimal comma is accepted when the separator is not a comma; timestamps "
            "without a zone are taken as UTC). Rows that cannot be read are reported with "
            "their line numbers on stderr and skipped. MKT uses ΔH/R = 10,000 K with readings "
            "weighted by time (trapezoidal rule), so unequal intervals count correctly."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv", help="the export; - for stdin")
    parser.add_argument("--low", type=float, default=2.0, help="lower limit, °C (default 2)")
    parser.add_argument("--high", type=float, default=8.0, help="upper limit, °C (default 8)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_mkt, default_log_level="WARNING")


@dataclass
class Readings:
    """Readings read from a file, in time order, and the rows that could not be read."""

    times: list[datetime] = field(default_factory=list)
    temps: list[float] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _delimiter(lines: list[str]) -> str:
    """Semicolon or tab if the first line has one (exports with decimal commas use them)."""
    first = next((line for line in lines if line.strip()), "")
    return next((d for d in (";", "\t") if d in first), ",")


def _reading(row: list[str], delimiter: str) -> tuple[datetime, float]:
    cells = [c.strip() for c in row if c.strip()]
    if len(cells) < 2:
        raise ValueError("expected a timestamp and a temperature")
    at = datetime.fromisoformat(cells[0].replace("Z", "+00:00"))
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    text = cells[1].replace(",", ".") if delimiter != "," else cells[1]
    value = float(text)
    if not math.isfinite(value) or not PLAUSIBLE_C[0] <= value <= PLAUSIBLE_C[1]:
        raise ValueError(f"temperature {cells[1]!r} is not plausible")
    return at, value


def read_readings(lines: Iterable[str]) -> Readings:
    """Parse CSV lines; a first line that is not a reading is a header, not a problem."""
    text = list(lines)
    delimiter = _delimiter(text)
    pairs: list[tuple[datetime, float]] = []
    found, first = Readings(), True
    for number, row in enumerate(csv.reader(text, delimiter=delimiter), start=1):
        if not any(cell.strip() for cell in row):
            continue
        try:
            pairs.append(_reading(row, delimiter))
        except ValueError as exc:
            if not first:
                found.problems.append((number, str(exc)))
        first = False
    pairs.sort(key=lambda pair: pair[0])
    found.times = [at for at, _ in pairs]
    found.temps = [value for _, value in pairs]
    return found


def run_mkt(args: argparse.Namespace) -> int:
    """Print MKT, min, max and time out of range; exit 2 if the file has no readings."""
    from cloud.domain.conditions.mkt import summarize

    source = sys.stdin if str(args.file) == "-" else None
    try:
        lines = source.readlines() if source else args.file.read_text("utf-8-sig").splitlines()
    except OSError as exc:
        print(f"tagtrail mkt: error: {exc}", file=sys.stderr)
        return EXIT_NO_DATA
    found = read_readings(lines)
    for number, reason in found.problems:
        print(f"tagtrail mkt: {args.file}:{number}: skipped: {reason}", file=sys.stderr)
    if not found.times:
        print(f"tagtrail mkt: error: no readings in {args.file}", file=sys.stderr)
        return EXIT_NO_DATA
    start = found.times[0]
    seconds = [(t - start).total_seconds() for t in found.times]
    summary = summarize(seconds, found.temps, args.low, args.high)
    result = {
        "readings": summary.readings,
        "skipped": len(found.problems),
        "start": start.isoformat(),
        "end": found.times[-1].isoformat(),
        "hours": summary.span_s / 3600,
        "mkt_c": summary.mkt_c,
        "min_c": summary.min_c,
        "max_c": summary.max_c,
        "low_c": args.low,
        "high_c": args.high,
        "above_h": summary.above_s / 3600,
        "below_h": summary.below_s / 3600,
        "out_of_range_h": summary.out_of_range_s / 3600,
    }
    print(json.dumps(result) if args.json else _text(result))
    return 0


def _text(r: dict[str, object]) -> str:
    return "\n".join(
        [
            f"readings      {r['readings']} ({r['skipped']} rows skipped)",
            f"period        {r['start']} .. {r['end']} ({r['hours']:.2f} h)",
            f"MKT           {r['mkt_c']:.2f} °C",
            f"min / max     {r['min_c']:.2f} / {r['max_c']:.2f} °C",
            f"out of range  {r['out_of_range_h']:.2f} h (above {r['high_c']:g} °C: "
            f"{r['above_h']:.2f} h, below {r['low_c']:g} °C: {r['below_h']:.2f} h)",
        ]
    )
