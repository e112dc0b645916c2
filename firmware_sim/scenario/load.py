"""Load scenarios for soak tests and benchmarks: many readers at a set read rate.

Not physics (the dock scenario is that): reads are drawn cheaply so that tens of thousands per
second over many readers, or a hundred thousand tags in view, are quick to generate.

- "portal" mode: each reader watches one door (antennas 1-2 outside, 3-4 inside); pallets of
  tags pass through at random, each tag read `reads_per_pass` times as RSSI rises and falls.
- "inventory" mode: a fixed population (e.g. a stock room) sits in view of the readers and is
  read round-robin, so every tag stays present: the memory case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.types import (
    READ_DTYPE,
    AntennaPlacement,
    Crossing,
    GroundTruth,
    ReaderSpec,
    Scenario,
)

Direction = Literal["in", "out"]
Side = Literal["outside", "inside"]

START_US = 1_709_535_600_000_000  # 2024-03-04T07:00:00Z
PASS_US = 4_000_000  # a pallet takes 4 s through the read field


@dataclass(frozen=True)
class LoadConfig:
    """Size and rate of a load scenario."""

    mode: Literal["portal", "inventory"] = "portal"
    readers: int = 20
    reads_per_s: float = 1500.0  # per reader
    duration_s: float = 60.0
    tags_per_pallet: int = 30
    reads_per_pass: int = 24  # per tag (portal mode)
    population: int = 100_000  # distinct tags (inventory mode; portal mode reuses EPCs modulo)


def build_load(config: LoadConfig, seed: int) -> Scenario:
    """Generate a load scenario."""
    rng = np.random.default_rng(seed)
    specs = tuple(ReaderSpec(f"load{r + 1:02d}", (1, 2, 3, 4)) for r in range(config.readers))
    layout = tuple(_placements(specs))
    if config.mode == "portal":
        reads, crossings = _portal_reads(rng, config)
    else:
        reads, crossings = _inventory_reads(rng, config), []
    epcs = _epcs(config.population)
    truth = GroundTruth(
        crossings=tuple(
            Crossing(epcs[tag], specs[door].name.replace("load", "door"), direction, t)
            for tag, door, direction, t in crossings
        )
    )
    end = START_US + round(config.duration_s * 1e6) + PASS_US
    return Scenario("load", seed, specs, layout, epcs, reads, truth, START_US, end)


def _placements(specs: tuple[ReaderSpec, ...]) -> list[AntennaPlacement]:
    out = []
    for spec in specs:
        door = spec.name.replace("load", "door")
        for antenna in spec.antennas:
            side: Side = "outside" if antenna <= 2 else "inside"
            zone = f"{door}-{'out' if side == 'outside' else 'in'}"
            out.append(AntennaPlacement(spec.name, antenna, zone, door, side))
    return out


def _epcs(n: int) -> tuple[str, ...]:
    # SGTIN-96 header and filter, then a counter: distinct, valid-looking, cheap to make.
    return tuple(f"3034{i:020X}" for i in range(n))


def _portal_reads(
    rng: np.random.Generator, c: LoadConfig
) -> tuple[npt.NDArray[np.void], list[tuple[int, int, Direction, int]]]:
    per_pass = c.tags_per_pallet * c.reads_per_pass
    passes_per_reader = max(1, round(c.reads_per_s * c.duration_s / per_pass))
    n_pass = passes_per_reader * c.readers
    reader = np.repeat(np.arange(c.readers), passes_per_reader)
    start = START_US + rng.integers(0, round(c.duration_s * 1e6), n_pass)
    inward = rng.random(n_pass) < 0.5
    first_tag = (np.arange(n_pass) * c.tags_per_pallet) % max(c.population - c.tags_per_pallet, 1)
    reads = np.zeros(n_pass * per_pass, READ_DTYPE)
    p = np.repeat(np.arange(n_pass), per_pass)
    j = np.tile(np.repeat(np.arange(c.tags_per_pallet), c.reads_per_pass), n_pass)
    u = rng.random(len(reads))  # position along the pass, 0 = start side
    outside = (u < 0.5) == inward[p]
    reads["t_us"] = start[p] + (u * PASS_US).astype(np.int64)
    reads["reader"] = reader[p]
    reads["antenna"] = np.where(outside, 1, 3) + rng.integers(0, 2, len(reads))
    reads["tag"] = first_tag[p] + j
    reads["rssi"] = -42.0 - 40.0 * np.abs(u - 0.5) + rng.normal(0.0, 2.0, len(reads))
    crossings: list[tuple[int, int, Direction, int]] = [
        (
            int(first_tag[i] + k),
            int(reader[i]),
            "in" if inward[i] else "out",
            int(start[i] + PASS_US // 2),
        )
        for i in range(n_pass)
        for k in range(c.tags_per_pallet)
    ]
    return reads[np.argsort(reads["t_us"], kind="stable")], crossings


def _inventory_reads(rng: np.random.Generator, c: LoadConfig) -> npt.NDArray[np.void]:
    n = round(c.reads_per_s * c.readers * c.duration_s)
    reads = np.zeros(n, READ_DTYPE)
    order = np.arange(n)
    reads["t_us"] = START_US + (order * (c.duration_s * 1e6 / n)).astype(np.int64)
    reads["tag"] = order % c.population  # round-robin: every tag read every population/rate s
    reads["reader"] = reads["tag"] % c.readers
    reads["antenna"] = 3 + rng.integers(0, 2, n)  # the inside zone: a stock room
    reads["rssi"] = -65.0 + rng.normal(0.0, 1.5, n)
    return reads
