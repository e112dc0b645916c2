"""Probe line parsing on one core: the edge parser beside two naive parsers, in the same run.

The corpus is a day of the emulated `site` scenario (cold room, dock and a reefer probe with
CS2 checksums), faults included (garbled, truncated, out-of-range lines). Baselines: a regex
per field with float() (what a first driver would do), and a whitespace split that tries
float() on every token. Neither verifies checksums or field structure; the accept counts show
what they let through.

Run: .venv/bin/python -m bench.bench_sensor_parse [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence

from edge.sensors.lines import LineRules, LineSplitter, Reading, parse_line
from firmware_sim.sensors.scenario import build

RULES = LineRules()


def corpus() -> tuple[list[bytes], int]:
    """Every line (without CR LF) the site scenario's probes send in a day; how many are valid."""
    scenario = build("site", 1)
    sent = [ln for run in scenario.probes for ln in run.lines if ln.data]
    return [ln.data[:-2] for ln in sent], sum(ln.valid for ln in sent)


def naive_regex(line: bytes) -> tuple[float, float] | None:
    """Baseline: decode, one regex search per field, float() and a range check."""
    try:
        text = line.decode("ascii")
        rh = re.search(r"RH=\s*(\S+)", text)
        t = re.search(r"T=\s*(\S+)", text)
        if rh is None or t is None:
            return None
        temp, hum = float(t.group(1)), float(rh.group(1))
    except (UnicodeDecodeError, ValueError):
        return None
    return (temp, hum) if -40.0 <= temp <= 60.0 and 0.0 <= hum <= 100.0 else None


def naive_split(line: bytes) -> tuple[float, float] | None:
    """Baseline: split on blanks and keep the tokens that float() accepts (RH first, then T)."""
    numbers = []
    for token in line.split():
        try:
            numbers.append(float(token))
        except ValueError:
            continue
    if len(numbers) < 2:
        return None
    hum, temp = numbers[0], numbers[1]
    return (temp, hum) if -40.0 <= temp <= 60.0 and 0.0 <= hum <= 100.0 else None


def edge(line: bytes) -> Reading | None:
    """The gateway's parser: structure, units, CS2 when present, range."""
    result = parse_line(line, RULES)
    return result if isinstance(result, Reading) else None


def rate(fn: Callable[[bytes], object], lines: Sequence[bytes], repeat: int) -> float:
    """Best lines/s of `repeat` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for line in lines:
            fn(line)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def stream_rate(lines: Sequence[bytes], repeat: int) -> float:
    """Lines/s from raw bytes in 64-byte reads (as a serial port delivers them) to readings."""
    data = b"".join(line + b"\r\n" for line in lines)
    chunks = [data[i : i + 64] for i in range(0, len(data), 64)]
    best = float("inf")
    for _ in range(repeat):
        splitter = LineSplitter()
        start = time.perf_counter()
        for chunk in chunks:
            for line in splitter.feed(chunk):
                parse_line(line, RULES)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def main() -> None:
    """Print parse rates and accept counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    lines, valid = corpus()
    print(
        f"corpus: {len(lines):,} lines from a day of the site scenario, {valid:,} valid"
        f" ({len(lines) - valid} garbled, truncated or out of range)"
    )
    rows = [
        ("baseline  regex per field + float()", naive_regex),
        ("baseline  split + float() trial", naive_split),
        ("edge      parse_line", edge),
    ]
    speeds = [rate(fn, lines, repeat) for _, fn in rows]
    base = speeds[0]
    for (label, fn), speed in zip(rows, speeds, strict=True):
        accepted = sum(fn(line) is not None for line in lines)
        print(f"{label:38} {speed:12,.0f} lines/s  {speed / base:5.2f}x  accepts {accepted:,}")
    speed = stream_rate(lines, repeat)
    print(
        f"{'edge      bytes -> lines -> readings':38} {speed:12,.0f} lines/s  {speed / base:5.2f}x"
    )


if __name__ == "__main__":
    main()
