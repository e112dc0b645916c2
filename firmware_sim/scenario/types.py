"""The contract between scenario models, emulators and accuracy tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

# One raw tag read as a reader reports it. t_us is the reader's own clock (skew included),
# microseconds since the Unix epoch; reader indexes Scenario.readers; tag indexes Scenario.epcs.
READ_DTYPE = np.dtype(
    [("t_us", "<i8"), ("reader", "<i2"), ("antenna", "<i2"), ("tag", "<i4"), ("rssi", "<f4")]
)
Reads = npt.NDArray[np.void]


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    """One emulated reader: its antennas and how wrong its clock is."""

    name: str
    antennas: tuple[int, ...]
    clock_skew_us: int = 0


@dataclass(frozen=True, slots=True)
class AntennaPlacement:
    """Where one reader antenna sits: the zone it watches and, for portals, door and side."""

    reader: str
    antenna: int
    zone: str
    door: str | None = None
    side: Literal["outside", "inside"] | None = None


@dataclass(frozen=True, slots=True)
class Crossing:
    """Ground truth: one EPC physically crossed one door's plane at one true time."""

    epc: str
    door: str
    direction: Literal["in", "out"]
    time_us: int


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What physically happened, exported by the scenario for accuracy measurement."""

    crossings: tuple[Crossing, ...]
    parked: frozenset[str] = frozenset()  # EPCs that sat in range and never crossed
    cross_read_only: frozenset[str] = frozenset()  # EPCs seen only by a neighbour door's antennas
    unreadable: frozenset[str] = frozenset()  # EPCs that crossed but were never read


@dataclass(frozen=True)
class Scenario:
    """A generated scenario: readers, tag population, time-sorted reads and the truth."""

    name: str
    seed: int
    readers: tuple[ReaderSpec, ...]
    layout: tuple[AntennaPlacement, ...]
    epcs: tuple[str, ...]
    reads: Reads
    truth: GroundTruth
    start_us: int
    end_us: int
    meta: dict[str, object] = field(default_factory=dict)

    def reads_of(self, reader: int) -> Reads:
        """Reads of one reader, in that reader's time order."""
        mine: Reads = self.reads[self.reads["reader"] == reader]
        order = np.argsort(mine["t_us"], kind="stable")
        ordered: Reads = mine[order]
        return ordered
