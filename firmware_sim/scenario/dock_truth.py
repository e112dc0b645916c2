"""Dock scenario output: reads in the contract's dtype, ground truth and summary statistics."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from firmware_sim.scenario.dock_layout import INSIDE, OUTSIDE, DockLayout
from firmware_sim.scenario.motion import CROSS, LANE, PARKED, Motions, crossing_time_us
from firmware_sim.scenario.physics import FloatArray
from firmware_sim.scenario.population import Population
from firmware_sim.scenario.readgen import ReadBatch, TagProps, World
from firmware_sim.scenario.types import READ_DTYPE, Crossing, GroundTruth, Reads

IntArray = npt.NDArray[np.int64]


def assemble_reads(
    batch: ReadBatch, skew_us: IntArray, drift_ppm: FloatArray, start_us: int
) -> tuple[Reads, IntArray]:
    """Reads sorted by true time with reader-clock t_us, and their true times."""
    raw: Reads = np.concatenate(batch.parts) if batch.parts else np.zeros(0, dtype=READ_DTYPE)
    batch.parts.clear()  # copied: let the parts go before sorting
    # Stable on true time: ties keep generation order, which is itself deterministic.
    reads: Reads = raw[np.argsort(raw["t_us"], kind="stable")]
    del raw
    t_true: IntArray = reads["t_us"].copy()
    r = reads["reader"].astype(np.int64)
    drift = np.round(drift_ppm[r] * 1e-6 * (t_true - start_us)).astype(np.int64)
    reads["t_us"] += skew_us[r] + drift
    return reads, t_true


def motion_of_tags(population: Population, motions: Motions) -> IntArray:
    """Movement index of each tag (every pallet moves exactly once)."""
    of_pallet = np.empty(population.n_pallets, dtype=np.int64)
    of_pallet[motions.pallet] = np.arange(len(motions))
    by_tag: IntArray = of_pallet[population.pallet_of]
    return by_tag


def side_reads(
    reads: Reads, layout: DockLayout, door_of_tag: IntArray, n_tags: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Per tag: reads by its own door's outside and inside antennas, and by any other door."""
    side = np.full((len(layout.doors), int(layout.ant_port.max()) + 1), -1, dtype=np.int64)
    side[layout.ant_door, layout.ant_port] = layout.ant_side
    tag = reads["tag"].astype(np.int64)
    reader = reads["reader"].astype(np.int64)
    own = reader == door_of_tag[tag]
    read_side = side[reader, reads["antenna"].astype(np.int64)]
    out = np.bincount(tag[own & (read_side == OUTSIDE)], minlength=n_tags)
    ins = np.bincount(tag[own & (read_side == INSIDE)], minlength=n_tags)
    other = np.bincount(tag[~own], minlength=n_tags)
    return out, ins, other


def ground_truth(
    population: Population, motions: Motions, tags: TagProps, layout: DockLayout, reads: Reads
) -> GroundTruth:
    """Crossings of every tag on a crossing load, and the tag classes the truth names."""
    m = motion_of_tags(population, motions)
    kind = motions.kind[m]
    out, ins, other = side_reads(reads, layout, motions.door[m], population.n_tags)
    read_any = (out + ins + other) > 0
    crossing = np.flatnonzero(kind == CROSS)
    times = crossing_time_us(motions, m[crossing], tags.offset[crossing])
    order = np.lexsort((crossing, times))
    epcs = population.epcs
    crossings = tuple(
        Crossing(
            epc=epcs[i],
            door=layout.doors[motions.door[m[i]]],
            direction="in" if motions.direction[m[i]] > 0 else "out",
            time_us=int(t),
        )
        for i, t in zip(crossing[order].tolist(), times[order].tolist(), strict=True)
    )
    never_at_door = crossing[(out + ins)[crossing] == 0]
    return GroundTruth(
        crossings=crossings,
        parked=frozenset(epcs[i] for i in np.flatnonzero((kind == PARKED) & read_any)),
        cross_read_only=frozenset(epcs[i] for i in np.flatnonzero((kind == LANE) & read_any)),
        unreadable=frozenset(epcs[i] for i in never_at_door),
    )


def dock_statistics(
    population: Population, world: World, reads: Reads, batch: ReadBatch, duration_us: int
) -> dict[str, object]:
    """Counts and rates that describe a generated scenario."""
    motions, layout = world.motions, world.layout
    m = motion_of_tags(population, motions)
    out, ins, other = side_reads(reads, layout, motions.door[m], population.n_tags)
    crossing = motions.kind[m] == CROSS
    seen = crossing & ((out + ins) > 0)
    per_reader = np.bincount(reads["reader"].astype(np.int64), minlength=len(layout.doors))
    return {
        "tags": population.n_tags,
        "pallets": population.n_pallets,
        "crossing_tags": int(crossing.sum()),
        "reads": len(reads),
        "reads_per_s_per_reader": [round(float(c) / (duration_us * 1e-6), 1) for c in per_reader],
        "cross_read_tags": int((seen & (other > 0)).sum()),
        "cross_read_rate": float((seen & (other > 0)).sum() / max(int(seen.sum()), 1)),
        "cross_read_both_sides_tags": int(
            (seen & _both_sides_elsewhere(reads, layout, m, motions)).sum()
        ),
        "neighbour_stronger_tags": int((seen & _stronger_elsewhere(reads, m, motions)).sum()),
        "one_sided_tags": int((seen & ((out == 0) | (ins == 0))).sum()),
        "parked_read_tags": int(((motions.kind[m] == PARKED) & (out + ins + other > 0)).sum()),
        "lane_read_tags": int(((motions.kind[m] == LANE) & (out + ins + other > 0)).sum()),
        "never_read_crossing_tags": int((crossing & ((out + ins) == 0)).sum()),
        "read_attempts": batch.read_attempts,
        "missed_reads": batch.missed,
        "miss_rate": batch.missed / max(batch.read_attempts, 1),
    }


def _both_sides_elsewhere(
    reads: Reads, layout: DockLayout, m: IntArray, motions: Motions
) -> npt.NDArray[np.bool_]:
    # Tags read on both sides of some door they did not cross: what could fool a portal.
    n_doors = len(layout.doors)
    side = np.zeros((n_doors, int(layout.ant_port.max()) + 1), dtype=np.int64)
    side[layout.ant_door, layout.ant_port] = layout.ant_side
    tag = reads["tag"].astype(np.int64)
    reader = reads["reader"].astype(np.int64)
    other = reader != motions.door[m][tag]
    pair = tag[other] * n_doors + reader[other]
    sides = np.unique(pair * 2 + side[reader[other], reads["antenna"][other].astype(np.int64)])
    pairs, n_sides = np.unique(sides // 2, return_counts=True)
    both = np.zeros(len(m), dtype=bool)
    both[pairs[n_sides == 2] // n_doors] = True
    return both


def _stronger_elsewhere(reads: Reads, m: IntArray, motions: Motions) -> npt.NDArray[np.bool_]:
    # Tags whose strongest read came from a door they did not cross.
    tag = reads["tag"].astype(np.int64)
    own = reads["reader"] == motions.door[m][tag]
    peak_own = np.full(len(m), -np.inf)
    peak_other = np.full(len(m), -np.inf)
    np.maximum.at(peak_own, tag[own], reads["rssi"][own])
    np.maximum.at(peak_other, tag[~own], reads["rssi"][~own])
    stronger: npt.NDArray[np.bool_] = peak_other >= peak_own
    return stronger
