"""RO_ACCESS_REPORT encoding throughput: the emulator's vectorised encoder beside the plain
per-parameter reference encoder, measured in the same run; then, with --playback, the CPU an
emulator process spends serving many readers at a target read rate.

Run: .venv/bin/python -m bench.bench_llrp_encode [--reads N] [--playback] [--readers 20]
     [--rate 1500] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Callable

import numpy as np
from sllurp.llrp import LLRPMessage
from sllurp.llrp_proto import LLRPROSpec

from firmware_sim.llrp import EmulatorOptions, ReaderFleet
from firmware_sim.llrp.report import EpcTable, ReportEncoder, ReportFormat, encode_reference
from firmware_sim.llrp.requests import ContentSelector
from firmware_sim.scenario.types import READ_DTYPE, GroundTruth, ReaderSpec, Reads, Scenario

START_US = 1_709_535_600_000_000
# What the gateway asks for (edge/readers/llrp.py) plus sllurp's ROSpecID default.
SELECTOR = ContentSelector(
    rospec_id=True,
    antenna_id=True,
    peak_rssi=True,
    first_seen=True,
    last_seen=True,
    seen_count=True,
)


def make_epcs(count: int, seed: int = 3) -> list[str]:
    """EPCs: mostly 96-bit, one in fifty 128-bit (EPCData instead of EPC-96)."""
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 1 << 32, (count, 4), dtype=np.uint64)
    return [
        "".join(f"{int(w):08X}" for w in row[: 4 if i % 50 == 49 else 3])
        for i, row in enumerate(words)
    ]


def make_reads(count: int, n_tags: int, readers: int, rate: float, seed: int = 5) -> Reads:
    """Time-ordered reads spread over readers at `rate` reads/s per reader."""
    rng = np.random.default_rng(seed)
    reads = np.zeros(count, READ_DTYPE)
    span_us = int(count / (rate * readers) * 1e6)
    reads["t_us"] = START_US + np.sort(rng.integers(0, max(span_us, 1), count))
    reads["reader"] = rng.integers(0, readers, count)
    reads["antenna"] = rng.integers(1, 5, count)
    reads["tag"] = rng.integers(0, n_tags, count)
    reads["rssi"] = rng.normal(-60, 8, count)
    return reads


def rate_of(fn: Callable[[], int]) -> float:
    """Reads per second of fn, which returns how many reads it encoded."""
    start = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - start)


def encode_rates(n_reads: int, per_report: int, per_call: int) -> tuple[float, float]:
    """(reference, fast) reads/s encoding n_reads, per_call reads at a time, per_report each."""
    epcs = make_epcs(3000)
    reads = make_reads(n_reads, len(epcs), 1, 1500)
    fmt = ReportFormat(SELECTOR)
    table = EpcTable(epcs)
    encoder = ReportEncoder(table, fmt)
    ref_reads = reads[: max(n_reads // 10, per_call)]  # the baseline is slow; time a slice

    def reference() -> int:
        for i in range(0, len(ref_reads), per_call):
            encode_reference(epcs, fmt, ref_reads[i : i + per_call], per_report, 1)
        return len(ref_reads)

    def fast() -> int:
        for i in range(0, len(reads), per_call):
            encoder.messages(reads[i : i + per_call], per_report, 1)
        return len(reads)

    check = reads[: 4 * per_call]
    same = encoder.messages(check, per_report, 1)[0] == encode_reference(
        epcs, fmt, check, per_report, 1
    )
    assert same, "fast and reference encoders disagree"
    return rate_of(reference), rate_of(fast)


def add_rospec_bytes() -> bytes:
    """ADD_ROSPEC + ENABLE_ROSPEC as sllurp would send them (200 tags or 200 ms per report)."""
    rospec = LLRPROSpec(
        None,
        1,
        antennas=(1, 2, 3, 4),
        report_every_n_tags=200,
        report_timeout_ms=200,
        tag_content_selector={"EnableFirstSeenTimestamp": True},
    )
    add = LLRPMessage(msgdict={"ADD_ROSPEC": {"ID": 1, "ROSpecID": 1, "ROSpec": rospec}})
    enable = LLRPMessage(msgdict={"ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 1}})
    return bytes(add.msgbytes) + bytes(enable.msgbytes)


async def _drain_client(port: int, counter: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(add_rospec_bytes())
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(1 << 16):
            counter[0] += len(data)
    writer.close()


async def playback(readers: int, rate: float, seconds: float) -> tuple[float, int, int]:
    """(emulator CPU share of one core, reads due, reads sent) over `seconds` of real time."""
    epcs = make_epcs(3000)
    n = int(readers * rate * seconds)
    reads = make_reads(n, len(epcs), readers, rate)
    specs = tuple(ReaderSpec(f"r{i}", (1, 2, 3, 4)) for i in range(readers))
    end = int(reads["t_us"][-1]) + 1
    scenario = Scenario("bench", 0, specs, (), tuple(epcs), reads, GroundTruth(()), START_US, end)
    fleet = ReaderFleet(scenario, base_port=0, options=EmulatorOptions())
    counter = [0]
    async with fleet:
        clients = [asyncio.create_task(_drain_client(p, counter)) for p in fleet.ports.values()]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await fleet.wait_finished(timeout=seconds * 3 + 30)
        await asyncio.sleep(0.2)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        counters = fleet.counters().values()
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
    return cpu / wall, sum(c.reads_due for c in counters), sum(c.reads_sent for c in counters)


def main() -> None:
    """Print encode rates (reference and fast) and, optionally, playback CPU use."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=300_000)
    parser.add_argument("--playback", action="store_true")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1500.0, help="reads/s per reader")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    need = args.readers * args.rate
    print(f"target load: {args.readers} readers x {args.rate:,.0f} reads/s = {need:,.0f} reads/s")
    # Batches as the emulator makes them: a 10 ms tick of one reader at 1,500 reads/s is 15
    # reads; sllurp's report_every_n_tags=200 makes 200-read reports.
    print(
        f"{'tags/report':>12} {'reads/call':>11} {'reference reads/s':>18}"
        f" {'fast reads/s':>14} {'speed-up':>9}"
    )
    for per_report, per_call in ((1, 1), (1, 15), (15, 15), (200, 200), (1000, 1000)):
        ref, fast = encode_rates(args.reads, per_report, per_call)
        print(f"{per_report:>12} {per_call:>11} {ref:>18,.0f} {fast:>14,.0f} {fast / ref:>8.1f}x")
    if args.playback:
        share, due, sent = asyncio.run(playback(args.readers, args.rate, args.seconds))
        print(
            f"playback: {args.readers} readers at {args.rate:,.0f} reads/s for {args.seconds}s:"
            f" {sent:,}/{due:,} reads sent, emulator process CPU {share:.0%} of one core"
        )


if __name__ == "__main__":
    main()
