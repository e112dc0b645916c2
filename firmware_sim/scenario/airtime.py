"""Reader air time: antennas take turns running Gen2 inventory rounds whose length grows with the
number of tags answering, so dense populations share each reader's read rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.physics import FloatArray

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class AirTime:
    """Inventory round timing of a reader in dense-reader mode (Miller-4, 250 kHz link)."""

    round_overhead_us: int = 4_000  # Query, empty slots, antenna switch
    per_tag_us: int = 3_000  # one singulated reply incl. its share of collided slots
    bin_us: int = 100_000  # time resolution of the tag-count estimate


@dataclass(frozen=True)
class Schedule:
    """Round timing of one reader: cycles over its antennas, piecewise constant per time bin."""

    start_us: int
    bin_us: int
    durations: FloatArray  # (antennas, bins) round length per antenna, us
    offsets: FloatArray  # (antennas, bins) start of each antenna's round within a cycle, us
    cum_cycles: FloatArray  # (bins + 1,) cycles completed at each bin edge
    overhead_us: float

    def rounds(self, antenna: int, t_from: int, t_to: int) -> tuple[IntArray, IntArray]:
        """Start times and lengths (us) of this antenna's rounds starting in [t_from, t_to)."""
        edges = self.start_us + np.arange(len(self.cum_cycles)) * self.bin_us
        c_lo, c_hi = np.interp([t_from, t_to], edges, self.cum_cycles)
        k = np.arange(np.floor(c_lo) - 1, np.ceil(c_hi) + 1)
        cycle_start = np.interp(k, self.cum_cycles, edges)
        b = np.clip(((cycle_start - self.start_us) // self.bin_us).astype(np.int64), 0, None)
        b = np.minimum(b, self.durations.shape[1] - 1)
        start = np.round(cycle_start + self.offsets[antenna, b]).astype(np.int64)
        keep = (
            (start >= t_from)
            & (start < t_to)
            & (k >= self.cum_cycles[0])
            & (k <= self.cum_cycles[-1])
        )
        length = np.round(self.durations[antenna, b]).astype(np.int64)
        return start[keep], length[keep]


def build_schedule(occupancy: FloatArray, timing: AirTime, start_us: int, phase: float) -> Schedule:
    """Round timing from tags answering per antenna and bin; phase (0..1) desynchronises readers."""
    durations = timing.round_overhead_us + timing.per_tag_us * occupancy
    offsets = np.cumsum(durations, axis=0) - durations
    cycle = durations.sum(axis=0)
    cum = np.concatenate(([phase], phase + np.cumsum(timing.bin_us / cycle)))
    return Schedule(
        start_us=start_us,
        bin_us=timing.bin_us,
        durations=durations,
        offsets=offsets,
        cum_cycles=cum,
        overhead_us=float(timing.round_overhead_us),
    )
