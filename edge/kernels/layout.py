"""Dense arrays the kernels index: a compiled gateway layout and the EPC interning table."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.config import GatewayConfig

log = logging.getLogger(__name__)

MAX_ANTENNA = 64
OUTSIDE = 0
INSIDE = 1
NO_SIDE = -1


@dataclass(frozen=True, eq=False)
class Layout:
    """A gateway config as dense arrays: (reader, antenna) -> zone -> door and side."""

    reader_names: tuple[str, ...]
    zone_names: tuple[str, ...]
    door_names: tuple[str, ...]
    zone_of: npt.NDArray[np.int16]  # [reader index, antenna 0..64] -> zone index or -1
    zone_door: npt.NDArray[np.int16]  # [zone] -> door index or -1
    zone_side: npt.NDArray[np.int8]  # [zone] -> OUTSIDE, INSIDE or NO_SIDE

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Layout:
        """Compile a validated gateway config."""
        zones = tuple(z.name for z in config.zones)
        doors = tuple(dict.fromkeys(z.door for z in config.zones if z.door))
        zone_index = {name: i for i, name in enumerate(zones)}
        zone_of = np.full((len(config.readers), MAX_ANTENNA + 1), -1, dtype=np.int16)
        for r, reader in enumerate(config.readers):
            for antenna, zone in reader.antennas.items():
                zone_of[r, antenna] = zone_index[zone]
        zone_door = np.array([doors.index(z.door) if z.door else -1 for z in config.zones])
        sides = {"outside": OUTSIDE, "inside": INSIDE, None: NO_SIDE}
        zone_side = np.array([sides[z.side] for z in config.zones])
        return cls(
            reader_names=tuple(r.name for r in config.readers),
            zone_names=zones,
            door_names=doors,
            zone_of=zone_of,
            zone_door=zone_door.astype(np.int16).reshape(len(zones)),
            zone_side=zone_side.astype(np.int8).reshape(len(zones)),
        )

    def reader_index(self, reader: int | str) -> int:
        """Index of a reader given by index or name."""
        if isinstance(reader, str):
            if reader not in self.reader_names:
                raise ValueError(f"no reader named {reader!r}")
            return self.reader_names.index(reader)
        if not 0 <= reader < len(self.reader_names):
            raise IndexError(f"no reader {reader}")
        return reader

    def zones_for(self, reader: int, antenna: npt.ArrayLike) -> npt.NDArray[np.int16]:
        """Zone index of each antenna port of one reader; -1 where unmapped."""
        ports = np.asarray(antenna, dtype=np.int64)
        valid = (ports >= 0) & (ports <= MAX_ANTENNA)
        zones = np.full(ports.shape, -1, dtype=np.int16)
        zones[valid] = self.zone_of[reader, ports[valid]]
        return zones


def normalise_epc(epc: str | bytes) -> str:
    """EPC as upper-case hex, from hex text or raw bytes."""
    if isinstance(epc, bytes | bytearray):
        return bytes(epc).hex().upper()
    key = epc.strip().upper()
    return epc if key == epc else key  # keep the caller's string: no second copy held


class EpcTable:
    """EPC -> dense int32 tag index, growable up to max_tags.

    When new EPCs would overflow the table, the on_full callback (the pipeline's) is asked to
    forget long-gone tags: it gets how many indexes are wanted and the indexes it must keep,
    and evicts tags with no open kernel state (departed, no pass pending), oldest last read
    first. Freed indexes are reused smallest first. An EPC that still finds no room gets -1;
    the caller drops and counts its reads.
    """

    def __init__(self, max_tags: int = 1_000_000) -> None:
        self.max_tags = max_tags
        self._index: dict[str, int] = {}
        self._epcs: list[str | None] = []
        self._free: list[int] = []
        self.on_full: Callable[[int, npt.NDArray[np.int32]], None] | None = None
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._index)

    @property
    def high_water(self) -> int:
        """One past the largest index ever handed out: the size kernel state must have."""
        return len(self._epcs)

    def epc(self, index: int) -> str:
        """EPC of a tag index."""
        epc = self._epcs[index]
        if epc is None:
            raise KeyError(f"tag index {index} is free")
        return epc

    def get(self, epc: str | bytes) -> int:
        """Index of a known EPC, or -1."""
        return self._index.get(normalise_epc(epc), -1)

    def intern(self, epc: str | bytes) -> int:
        """Index of an EPC, admitting it if new; -1 if the table is full."""
        return int(self.intern_many([epc])[0])

    def intern_many(self, epcs: Sequence[str | bytes]) -> npt.NDArray[np.int32]:
        """Indexes of many EPCs, admitting new ones; -1 where the table is full."""
        get = self._index.get
        found = [get(e, -1) if isinstance(e, str) else -1 for e in epcs]
        out = np.array(found, dtype=np.int32)
        missing = [i for i, index in enumerate(found) if index < 0]
        if not missing:
            return out
        keys = [normalise_epc(epcs[i]) for i in missing]
        new = len(set(keys) - self._index.keys())
        if len(self._index) + new > self.max_tags and self.on_full is not None:
            self.on_full(len(self._index) + new - self.max_tags, out[out >= 0])
        for i, key in zip(missing, keys, strict=True):
            out[i] = self._admit(key)
        return out

    def forget(self, indexes: Iterable[int]) -> None:
        """Free tag indexes for reuse (their kernel state must be blank)."""
        for index in indexes:
            epc = self._epcs[index]
            if epc is not None:
                del self._index[epc]
                self._epcs[index] = None
                heapq.heappush(self._free, index)
                self.evicted += 1

    def _admit(self, key: str) -> int:
        index = self._index.get(key)
        if index is not None:
            return index
        if len(self._index) >= self.max_tags:
            return -1
        index = heapq.heappop(self._free) if self._free else len(self._epcs)
        if index == len(self._epcs):
            self._epcs.append(key)
        else:
            self._epcs[index] = key
        self._index[key] = index
        return index
