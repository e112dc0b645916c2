"""Small synthetic scenarios for protocol tests of the emulator and of LLRP clients.

These are not physics: reads are spread at random over readers, antennas and tags. Use them where
only the wire matters (every read must arrive intact); accuracy tests use real scenarios.
"""

from __future__ import annotations

import numpy as np

from firmware_sim.scenario.types import (
    READ_DTYPE,
    AntennaPlacement,
    GroundTruth,
    ReaderSpec,
    Scenario,
)

START_US = 1_709_535_600_000_000  # 2024-03-04T07:00:00Z


def synthetic_epcs(n: int, rng: np.random.Generator, long_fraction: float) -> tuple[str, ...]:
    """Distinct EPCs: 96-bit, and about long_fraction of them 128-bit."""
    epcs: list[str] = []
    while len(epcs) < n:
        words = 8 if rng.random() < long_fraction else 6
        epc = "".join(f"{int(w):04X}" for w in rng.integers(0, 1 << 16, words))
        if epc not in epcs:
            epcs.append(epc)
    return tuple(epcs)


def synthetic_scenario(
    *,
    readers: int = 2,
    antennas: tuple[int, ...] = (1, 2, 3, 4),
    tags: int = 40,
    reads: int = 2000,
    duration_s: float = 10.0,
    seed: int = 0,
    long_epc_fraction: float = 0.1,
    skew_step_us: int = 1500,
) -> Scenario:
    """A scenario of random reads; reader i's clock runs i * skew_step_us ahead of true time."""
    rng = np.random.default_rng(seed)
    span_us = int(duration_s * 1e6)
    specs = tuple(
        ReaderSpec(f"rdr{i + 1}", antennas, clock_skew_us=i * skew_step_us) for i in range(readers)
    )
    out = np.zeros(reads, READ_DTYPE)
    true_us = START_US + np.sort(rng.integers(0, span_us, reads))
    out["reader"] = rng.integers(0, readers, reads)
    out["t_us"] = true_us + out["reader"].astype(np.int64) * skew_step_us
    out["antenna"] = rng.choice(np.array(antennas, np.int16), reads)
    out["tag"] = rng.integers(0, tags, reads)
    out["rssi"] = np.clip(rng.normal(-60.0, 8.0, reads), -90.0, -20.0)
    layout = tuple(
        AntennaPlacement(spec.name, a, f"{spec.name}-ant{a}") for spec in specs for a in antennas
    )
    return Scenario(
        name="synthetic",
        seed=seed,
        readers=specs,
        layout=layout,
        epcs=synthetic_epcs(tags, rng, long_epc_fraction),
        reads=out,
        truth=GroundTruth(crossings=()),
        start_us=START_US,
        end_us=START_US + span_us,
        meta={"true_time_us": true_us},
    )
