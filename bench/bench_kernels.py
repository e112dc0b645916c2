"""Edge kernels: reads/s of the numba kernel beside the pure-Python reference, and memory.

Both engines take the same pre-interned read streams in large batches, with a watermark after
each batch as the gateway's pipeline thread would: a synthetic busy dock (pallets of tagged
cases crossing a row of doors, neighbour-door cross-reads, parked stock read in storage
zones), and the simulated dock of firmware_sim (physics, cross-reads along the dock, parked
and lane loads), tiled with fresh tags to the wanted length.
Numba compile time is excluded: the kernel is warmed up on a prefix of the stream first.
Memory: the kernel state and the EPC table with 100,000 distinct tags in view.

Run: .venv/bin/python -m bench.bench_kernels [--reads N] [--reference-reads N]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import psutil

from edge.kernels.events import COUNTER_NAMES
from edge.kernels.kernel import Kernel
from edge.kernels.layout import EpcTable, Layout
from edge.kernels.params import KernelParams
from edge.kernels.reference import ReferenceKernel

N_DOORS = 8
N_STORAGE = 8  # zones without a door
TAGS_PER_PALLET = 40
TAG_SPACE = 100_000  # tag indexes are reused once a tag is long gone (as after eviction)
PALLET_EVERY_US = 2_000_000
N_PARKED = 300
BATCH = 1_000_000


@dataclass(frozen=True)
class Stream:
    """A pre-interned read stream in time order, with the zone layout it needs."""

    t: npt.NDArray[np.int64]
    zone: npt.NDArray[np.int16]
    tag: npt.NDArray[np.int32]
    rssi: npt.NDArray[np.float32]
    count: npt.NDArray[np.int16]
    zone_door: npt.NDArray[np.int16]
    zone_side: npt.NDArray[np.int8]

    def part(self, start: int, stop: int) -> tuple[npt.NDArray[np.generic], ...]:
        """Columns of reads start:stop."""
        return tuple(c[start:stop] for c in (self.t, self.zone, self.tag, self.rssi, self.count))


def dock_stream(n_reads: int, seed: int = 1) -> Stream:
    """Pallets crossing doors (about 60 reads per tag, a few cross-reads next door) plus
    parked stock in storage zones, about 2,000 reads/s in all."""
    rng = np.random.default_rng(seed)
    parts = []
    total, pallet = 0, 0
    while total < n_reads:
        cols = _pallet(rng, pallet)
        parts.append(cols)
        total += len(cols[0])
        pallet += 1
    t, zone, tag, rssi = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.argsort(t, kind="stable")[:n_reads]
    zone_door = np.array([d for d in range(N_DOORS) for _ in (0, 1)] + [-1] * N_STORAGE)
    zone_side = np.array([0, 1] * N_DOORS + [-1] * N_STORAGE)
    return Stream(
        t=t[order],
        zone=zone[order].astype(np.int16),
        tag=tag[order].astype(np.int32),
        rssi=rssi[order].astype(np.float32),
        count=np.ones(len(order), np.int16),
        zone_door=zone_door.astype(np.int16),
        zone_side=zone_side.astype(np.int8),
    )


def _pallet(rng: np.random.Generator, p: int) -> tuple[npt.NDArray[np.generic], ...]:
    start = 1_700_000_000_000_000 + p * PALLET_EVERY_US
    door, inward = int(rng.integers(N_DOORS)), bool(rng.random() < 0.5)
    tags = (p * TAGS_PER_PALLET + np.arange(TAGS_PER_PALLET)) % TAG_SPACE
    n = rng.poisson(60, TAGS_PER_PALLET)
    tag = np.repeat(tags, n)
    dt = rng.uniform(0.0, 3.0, len(tag))  # seconds into the 3 s pass; crossing at 1.5 s
    first_side = 0 if inward else 1
    side = np.where(dt + rng.normal(0, 0.3, len(tag)) < 1.5, first_side, 1 - first_side)
    peak_at = np.where(side == first_side, 1.0, 2.0)
    rssi = -45.0 - 12.0 * np.abs(dt - peak_at) + rng.normal(0, 3, len(tag))
    zone = 2 * door + side
    cross = rng.random(len(tag)) < 0.1  # neighbour-door cross-reads, 20 dB down
    zone = np.where(cross, 2 * ((door + 1) % N_DOORS) + side, zone)
    rssi = np.where(cross, rssi - 20.0, rssi)
    parked = rng.integers(0, N_PARKED, 1800)  # parked stock in storage, read ~3 times/s
    seen = start + rng.integers(0, PALLET_EVERY_US, len(parked))
    t = np.concatenate([start + (dt * 1e6).astype(np.int64), seen])
    zone = np.concatenate([zone, 2 * N_DOORS + parked % N_STORAGE])
    tag = np.concatenate([tag, TAG_SPACE + parked])
    rssi = np.concatenate([rssi, rng.normal(-70, 3, len(parked))])
    return t, zone, tag, rssi


def run(engine: Kernel | ReferenceKernel, stream: Stream, start: int, stop: int) -> float:
    """Seconds to process reads start:stop in batches, advancing the watermark per batch."""
    began = time.perf_counter()
    for lo in range(start, stop, BATCH):
        hi = min(stop, lo + BATCH)
        engine.process(*stream.part(lo, hi))
        engine.advance(int(stream.t[hi - 1]))
        engine.take_events()
    return time.perf_counter() - began


def physics_stream(n_reads: int, seed: int = 1) -> Stream | None:
    """The simulated dock (firmware_sim "dock": physics, cross-reads, parked and lane loads)
    on true time, tiled with fresh tags until n_reads; None if it cannot be built."""
    try:
        from firmware_sim.scenario import registry
        from firmware_sim.scenario.gateway_config import gateway_config_for

        scenario = registry.build("dock", seed)
    except Exception as exc:  # the bench goes on without this stream, saying why
        print(f"(dock scenario unavailable: {exc})")
        return None
    layout = Layout.from_config(gateway_config_for(scenario, site="bench", gateway="bench"))
    reads = scenario.reads
    true = np.asarray(scenario.meta["true_time_us"], dtype=np.int64)
    span = scenario.end_us - scenario.start_us + 10_000_000
    reps = -(-n_reads // len(reads))

    def tile(col: npt.NDArray[np.generic], step: int) -> npt.NDArray[np.generic]:
        return np.concatenate([col + k * step for k in range(reps)])[:n_reads]

    return Stream(
        t=tile(true, span).astype(np.int64),
        zone=np.tile(layout.zone_of[reads["reader"], reads["antenna"]], reps)[:n_reads],
        tag=tile(reads["tag"].astype(np.int32), len(scenario.epcs)).astype(np.int32),
        rssi=np.tile(reads["rssi"], reps)[:n_reads],
        count=np.ones(n_reads, np.int16),
        zone_door=layout.zone_door,
        zone_side=layout.zone_side,
    )


def throughput(name: str, stream: Stream, n_reference: int) -> None:
    """Print reads/s of both engines on the same stream."""
    n_reads = len(stream.t)
    params = KernelParams()
    kernel = Kernel(params, stream.zone_door, stream.zone_side, tags=int(stream.tag.max()) + 1)
    warm = n_reads // 20
    run(kernel, stream, 0, warm)  # compiles (or loads the cache) and warms up
    seconds = run(kernel, stream, warm, n_reads)
    jit_rate = (n_reads - warm) / seconds
    reference = ReferenceKernel(params, stream.zone_door, stream.zone_side)
    ref_seconds = run(reference, stream, 0, n_reference)
    ref_rate = n_reference / ref_seconds
    counts = dict(zip(COUNTER_NAMES, kernel.counters, strict=True))
    print(f"\n{name}: {n_reads:,} reads, {counts['portal_events']:,} crossings decided")
    print(f"  {'engine':<36}{'reads':>12}{'seconds':>9}{'reads/s':>14}")
    print(f"  {'reference, pure Python (baseline)':<36}{n_reference:>12,}"
          f"{ref_seconds:>9.2f}{ref_rate:>14,.0f}")  # fmt: skip
    print(f"  {'numba kernel, one core':<36}{n_reads - warm:>12,}{seconds:>9.2f}{jit_rate:>14,.0f}")
    print(f"  speed-up {jit_rate / ref_rate:,.0f}x")


def memory(n_tags: int = 100_000) -> None:
    """Print resident memory of kernel state and EPC table with n_tags distinct tags in view."""
    zone_door = np.array([0, 0] + [-1] * N_STORAGE, dtype=np.int16)
    zone_side = np.array([0, 1] + [-1] * N_STORAGE, dtype=np.int8)
    warm = Kernel(KernelParams(), zone_door, zone_side)  # load the compiled code first
    warm.process([1], [2], [0], [-60.0], [1])
    warm.advance(10**7)
    epcs = [f"3034{i:020X}" for i in range(n_tags)]
    gc.collect()
    process = psutil.Process()
    rss0 = process.memory_info().rss
    table = EpcTable(max_tags=1_000_000)
    tags = table.intern_many(epcs)
    rss1 = process.memory_info().rss
    kernel = Kernel(KernelParams(), zone_door, zone_side)
    t = 1_700_000_000_000_000 + np.arange(n_tags, dtype=np.int64) * 5  # all within 0.5 s ...
    zone = (2 + tags % N_STORAGE).astype(np.int16)  # ... in storage zones, 1 % at a door
    zone[::100] = tags[::100] % 2
    for _ in range(3):  # ... three times, cycles closing in between: all present
        kernel.process(t, zone, tags, np.full(n_tags, -60.0, np.float32), np.ones(n_tags))
        t = t + 1_000_000
    kernel.advance(int(t[-1]) - 1_000_000)
    kernel.take_events()
    rss2 = process.memory_info().rss
    table_bytes = _table_bytes(n_tags)
    present = dict(zip(COUNTER_NAMES, kernel.counters, strict=True))["presence_events"]
    per_tag = kernel.nbytes / n_tags
    print(f"memory with {n_tags:,} distinct tags in view ({present:,} arrived):")
    print(f"  kernel state arrays       {kernel.nbytes / 1e6:6.1f} MB  ({per_tag:.0f} B/tag)")
    print(f"  kernel resident delta     {(rss2 - rss1) / 1e6:6.1f} MB")
    print(f"  EPC table resident delta  {(rss1 - rss0) / 1e6:6.1f} MB")
    table_per_tag = table_bytes / n_tags
    print(f"  EPC table, traced         {table_bytes / 1e6:6.1f} MB  ({table_per_tag:.0f} B/tag)")


def _table_bytes(n_tags: int) -> int:
    """Bytes an EPC table holding n_tags EPCs takes, its EPC strings included (tracemalloc)."""
    tracemalloc.start()
    table = EpcTable(max_tags=1_000_000)
    table.intern_many([f"3035{i:020X}" for i in range(n_tags)])
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del table
    return size


def main() -> None:
    """Memory figures, then throughput on the synthetic and the simulated dock streams."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=20_000_000)
    parser.add_argument("--reference-reads", type=int, default=300_000)
    args = parser.parse_args()
    memory()
    throughput("synthetic dock stream", dock_stream(args.reads), args.reference_reads)
    physics = physics_stream(args.reads)
    if physics is not None:
        throughput("simulated dock (firmware_sim)", physics, args.reference_reads)


if __name__ == "__main__":
    main()
