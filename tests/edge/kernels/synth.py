"""Synthetic read streams for kernel tests: random ones, and small physical stories."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.kernels.kernel import Kernel
from edge.kernels.params import KernelParams
from edge.kernels.reference import ReferenceKernel

T0 = 1_700_000_000_000_000  # µs, an ordinary epoch time
# Zones 0..3: door 0 outside / inside, door 1 outside / inside; zones 4, 5: no door.
ZONE_DOOR = np.array([0, 0, 1, 1, -1, -1], dtype=np.int16)
ZONE_SIDE = np.array([0, 1, 0, 1, -1, -1], dtype=np.int8)
OUT0, IN0, OUT1, IN1, SHELF, BENCH = range(6)

# Short times so that small streams reach every rule.
FAST = KernelParams(
    cycle_us=100_000,
    depart_us=300_000,
    hold_us=200_000,
    parked_us=1_000_000,
    quiet_us=150_000,
    max_pass_us=600_000,
    zone_slots=2,
    min_reads=2,
    min_peak_rssi=-80.0,
    report=2,
)


@dataclass
class Reads:
    """Columns of a read stream (time order)."""

    t: npt.NDArray[np.int64]
    zone: npt.NDArray[np.int16]
    tag: npt.NDArray[np.int32]
    rssi: npt.NDArray[np.float32]
    count: npt.NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.t)

    def part(self, lo: int, hi: int) -> tuple[npt.NDArray[np.generic], ...]:
        """The columns of reads lo:hi."""
        return tuple(c[lo:hi] for c in (self.t, self.zone, self.tag, self.rssi, self.count))

    @staticmethod
    def concat(*streams: Reads) -> Reads:
        """Several streams merged in time order."""
        cols = [np.concatenate([getattr(s, f) for s in streams]) for f in Reads.FIELDS]
        order = np.argsort(cols[0], kind="stable")
        return Reads(*(c[order] for c in cols))

    FIELDS = ("t", "zone", "tag", "rssi", "count")


def random_stream(seed: int, n: int, n_tags: int) -> Reads:
    """Random tags and zones, mostly dense reads with now and then a long gap."""
    rng = np.random.default_rng(seed)
    gaps = np.where(rng.random(n) < 0.05, rng.integers(0, 900_000, n), rng.integers(0, 30_000, n))
    t = T0 + rng.integers(0, 1_000_000) + np.cumsum(gaps)
    rssi = np.where(rng.random(n) < 0.5, rng.integers(-90, -30, n), rng.uniform(-95, -25, n))
    return Reads(
        t=t.astype(np.int64),
        zone=rng.integers(0, len(ZONE_DOOR), n).astype(np.int16),
        tag=rng.integers(0, n_tags, n).astype(np.int32),
        rssi=rssi.astype(np.float32),
        count=rng.integers(1, 4, n).astype(np.int16),
    )


def crossing(
    tag: int, door: int, inward: bool, t_cross: int, *, seed: int = 0, peak: float = -45.0
) -> Reads:
    """A tag carried through a door at walking pace: read every 20 ms for 3 s by the side it
    is on, RSSI peaking 0.7 s before (first side) and after (second side) the crossing."""
    rng = np.random.default_rng(seed)
    t = t_cross + np.arange(-1_500_000, 1_500_000, 20_000)
    before = t < t_cross
    first, second = (0, 1) if inward else (1, 0)
    side = np.where(before, first, second)
    peak_at = np.where(before, t_cross - 700_000, t_cross + 700_000)
    rssi = peak - 10.0 * np.abs(t - peak_at) / 1e6 + rng.normal(0, 2, len(t))
    keep = rng.random(len(t)) > 0.05  # 5 % missed reads
    return _reads(t[keep], (2 * door + side)[keep], tag, rssi[keep])


def steady(
    tag: int, zone: int, start: int, stop: int, rssi: float, every_us: int = 50_000
) -> Reads:
    """A tag read at one zone at a flat RSSI from start to stop."""
    t = np.arange(start, stop, every_us)
    return _reads(t, np.full(len(t), zone), tag, np.full(len(t), rssi))


def _reads(t: npt.ArrayLike, zone: npt.ArrayLike, tag: int, rssi: npt.ArrayLike) -> Reads:
    t = np.asarray(t, dtype=np.int64)
    return Reads(
        t=t,
        zone=np.asarray(zone, dtype=np.int16),
        tag=np.full(len(t), tag, dtype=np.int32),
        rssi=np.round(np.asarray(rssi, dtype=np.float64)).astype(np.float32),
        count=np.ones(len(t), dtype=np.int16),
    )


def engines(params: KernelParams) -> tuple[Kernel, ReferenceKernel]:
    """A jitted kernel and the reference on the test layout."""
    return Kernel(params, ZONE_DOOR, ZONE_SIDE), ReferenceKernel(params, ZONE_DOOR, ZONE_SIDE)


def run(
    engine: Kernel | ReferenceKernel,
    reads: Reads,
    cuts: list[int],
    watermarks: list[int],
    end: int | None = None,
) -> None:
    """Feed reads split at cuts, advancing to each watermark after its batch; then advance
    to end (if given) and flush."""
    bounds = [0, *cuts, len(reads)]
    for lo, hi, mark in zip(bounds[:-1], bounds[1:], [*watermarks, None], strict=True):
        engine.process(*reads.part(lo, hi))
        if mark is not None:
            engine.advance(mark)
    if end is not None:
        engine.advance(end)
    engine.flush()
