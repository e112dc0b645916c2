"""The jitted kernels behind the same API as the reference: state, growth and draining."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edge.kernels import jit
from edge.kernels.events import (
    EVENT_DTYPE,
    REPORT_DTYPE,
    Events,
    canonical,
    copied,
    in_time_order,
    joined,
)
from edge.kernels.params import KernelParams
from edge.kernels.state import (
    Cols,
    Rules,
    State,
    blank_tags,
    grow_buffer,
    grow_pools,
    grow_tags,
    new_state,
    state_nbytes,
)


class Kernel:
    """Dedup, presence and portal decisions over numpy batches, with numba."""

    def __init__(
        self,
        params: KernelParams,
        zone_door: npt.ArrayLike,
        zone_side: npt.ArrayLike,
        *,
        tags: int = 1024,
        visits: int = 256,
    ) -> None:
        self.p = params
        self.rules = Rules(
            pi=params.int_array(),
            pf=params.float_array(),
            lut=params.weights(),
            zone_door=np.ascontiguousarray(zone_door, dtype=np.int16),
            zone_side=np.ascontiguousarray(zone_side, dtype=np.int8),
        )
        self.s: State = new_state(params.zone_slots, tags, visits)
        self._events: list[Events] = []
        self._reports: list[Events] = []

    @property
    def counters(self) -> list[int]:
        """Counters in COUNTER_NAMES order."""
        return [int(c) for c in self.s.cnt]

    @property
    def nbytes(self) -> int:
        """Bytes of kernel state."""
        return state_nbytes(self.s)

    def process(
        self,
        t_us: npt.ArrayLike,
        zone: npt.ArrayLike,
        tag: npt.ArrayLike,
        rssi: npt.ArrayLike,
        count: npt.ArrayLike,
    ) -> None:
        """Take a batch of reads (time order; zone >= 0; tag >= 0)."""
        cols = Cols(
            t=np.ascontiguousarray(t_us, dtype=np.int64),
            zone=np.ascontiguousarray(zone, dtype=np.int16),
            tag=np.ascontiguousarray(tag, dtype=np.int32),
            rssi=np.ascontiguousarray(rssi, dtype=np.float32),
            n=np.ascontiguousarray(count, dtype=np.int16),
        )
        if len(cols.t) == 0:
            return
        self.s = grow_tags(self.s, int(cols.tag.max()) + 1)
        start = 0
        while start < len(cols.t):
            start = jit.process_reads(cols, start, self.s, self.rules)
            self._make_room()

    def open_pass_floor(self) -> int | None:
        """First read of the oldest open pass that may still become a crossing, or None.

        Passes already too long (parked) cannot, so they do not hold the floor back.
        """
        visits = self.s.visits
        open_ = visits[visits["tag"] >= 0]
        longest = self.p.max_pass_us
        door_last = self.s.tags["door_last"][open_["tag"]]
        live = (door_last - open_["first"] <= longest) & (open_["first"] - open_["run"] <= longest)
        firsts = open_["first"][live]
        return int(firsts.min()) if len(firsts) else None

    def advance(self, now_us: int) -> None:
        """Promise no read before now_us will come: decide what that makes final."""
        while not jit.advance(self.s, self.rules, int(now_us)):
            self._make_room()
        self._drain()

    def flush(self) -> None:
        """Decide everything pending: close the open cycle and every pass."""
        if self.s.st[jit.S_STARTED]:
            while not jit.close_cycle(self.s, self.rules):
                self._make_room()
        self._drain()
        open_visits = len(self.s.visits) - int(self.s.st[jit.S_N_FREE])
        self.s = self.s._replace(ev=grow_buffer(self.s.ev, open_visits))
        jit.close_all_visits(self.s, self.rules)
        self._drain()

    def take_events(self) -> Events:
        """Events decided since the last call, by time (ties in the order decided)."""
        self._drain()
        out = joined(self._events, EVENT_DTYPE)
        self._events.clear()
        return in_time_order(out)

    def take_reports(self) -> Events:
        """Dedup report lines since the last call, sorted."""
        self._drain()
        out = joined(self._reports, REPORT_DTYPE)
        self._reports.clear()
        return canonical(out)

    def idle_tags(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Tags whose state is blank but for old times (absent, no pass): index, last read."""
        tags = self.s.tags
        idle = (tags["apos"] < 0) & (tags["visit"] < 0) & (tags["last"] != jit.NEVER)
        index = np.flatnonzero(idle)
        return index, tags["last"][index]

    def forget(self, index: npt.ArrayLike) -> None:
        """Reset idle tags to blank so their indexes can be reused."""
        index = np.asarray(index, dtype=np.int64)
        self.s.tags[index] = blank_tags(len(index), self.p.zone_slots)

    def _make_room(self) -> None:
        """Drain the output buffers and grow the pass pools if the kernel ran out."""
        self._drain()
        self.s = grow_pools(self.s)

    def _drain(self) -> None:
        n_ev, n_rep = int(self.s.st[jit.S_N_EVENTS]), int(self.s.st[jit.S_N_REPORTS])
        if n_ev:
            self._events.append(copied(self.s.ev[:n_ev]))
            self.s.st[jit.S_N_EVENTS] = 0
        if n_rep:
            self._reports.append(copied(self.s.rep[:n_rep]))
            self.s.st[jit.S_N_REPORTS] = 0
