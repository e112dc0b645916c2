"""The stateful wrapper the gateway's pipeline thread calls: reads in, decided events out.

push() takes one reader report at a time: it interns EPCs, maps (reader, antenna) to zones,
de-skews reader times onto the gateway clock and queues the reads. advance(now_us) feeds the
kernel every queued read older than now_us - lateness (merged across readers in time order),
then decides what that watermark makes final. Decisions come back as small frozen dataclasses
in time order; times are gateway-clock µs. No I/O happens here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from edge.config import GatewayConfig
from edge.kernels import events as ev
from edge.kernels.deskew import ClockDeskew
from edge.kernels.kernel import Kernel
from edge.kernels.layout import EpcTable, Layout
from edge.kernels.params import RSSI_MAX, RSSI_MIN, params_from_config
from edge.kernels.reference import ReferenceKernel
from edge.readers.batch import ReadBatch
from protocol.messages import Direction, PresenceState

log = logging.getLogger(__name__)

STATES = {
    ev.ARRIVED: PresenceState.ARRIVED,
    ev.MOVED: PresenceState.MOVED,
    ev.DEPARTED: PresenceState.DEPARTED,
    ev.PARKED: PresenceState.PARKED,
}
PIPELINE_COUNTERS = ("reads_in", "unmapped", "dropped_table_full", "events_out")


@dataclass(frozen=True, slots=True)
class PortalDecision:
    """A tag crossed a door."""

    epc: str
    door: str
    direction: Direction
    time_us: int  # estimated crossing time
    first_us: int  # first and last read of the pass at that door
    last_us: int
    reads: int  # TagSeenCount sum of the pass at that door
    peak_rssi: float


@dataclass(frozen=True, slots=True)
class PresenceDecision:
    """A tag arrived at, moved to, departed from or was found parked at a zone."""

    epc: str
    state: PresenceState
    zone: str
    time_us: int
    rssi: float | None  # smoothed RSSI at the zone
    prev_zone: str | None = None


Decision = PortalDecision | PresenceDecision


class Pipeline:
    """Dedup, presence and portal decisions for one gateway."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        engine: Literal["jit", "reference"] = "jit",
        epcs: EpcTable | None = None,
    ) -> None:
        self.layout = Layout.from_config(config)
        self.params = params_from_config(config.portal, config.presence)
        self.epcs = epcs or EpcTable(config.presence.max_tags)
        self.epcs.on_full = self._evict
        self.deskew = ClockDeskew(
            len(self.layout.reader_names),
            round(config.deskew.window_s * 1e6),
            enabled=config.deskew.enabled,
        )
        self.lateness_us = config.deskew.lateness_ms * 1000
        make = Kernel if engine == "jit" else ReferenceKernel
        self.kernel: Kernel | ReferenceKernel = make(
            self.params, self.layout.zone_door, self.layout.zone_side
        )
        self._pending: list[tuple[npt.NDArray[np.generic], ...]] = []
        self._counts = dict.fromkeys(PIPELINE_COUNTERS, 0)
        self._reports: list[ev.Events] = []
        self._watermark: int | None = None

    @property
    def counters(self) -> dict[str, int]:
        """Pipeline and kernel counters by name."""
        kernel = dict(zip(ev.COUNTER_NAMES, self.kernel.counters, strict=True))
        return {**self._counts, **kernel, "tags": len(self.epcs), "evicted": self.epcs.evicted}

    def push_batch(self, batch: ReadBatch) -> None:
        """Queue one reader report as the reader drivers deliver it."""
        self.push(
            batch.t_us, batch.antenna, batch.epcs, batch.rssi, batch.count,
            reader=batch.reader, recv_us=batch.recv_us,
        )  # fmt: skip

    def push(
        self,
        t_us: npt.ArrayLike,
        antenna: npt.ArrayLike,
        tags: Sequence[str | bytes] | npt.NDArray[np.integer],
        rssi: npt.ArrayLike,
        count: npt.ArrayLike | None = None,
        *,
        reader: int | str,
        recv_us: int,
    ) -> None:
        """Queue one report: reader times, antenna ports, EPCs (or interned tag indexes)."""
        r = self.layout.reader_index(reader)
        t = np.asarray(t_us, dtype=np.int64)
        tag = self._tag_index(tags)
        zone = self.layout.zones_for(r, antenna)
        n = np.ones(len(t), np.int16) if count is None else np.asarray(count, dtype=np.int64)
        self._counts["reads_in"] += len(t)
        self._counts["unmapped"] += int((zone < 0).sum())
        self._counts["dropped_table_full"] += int((tag < 0).sum())
        t = self.deskew.correct(r, t, recv_us)
        keep = (zone >= 0) & (tag >= 0)
        level = np.nan_to_num(np.asarray(rssi, dtype=np.float32), nan=RSSI_MIN)
        self._pending.append(
            (
                t[keep],
                zone[keep],
                tag[keep],
                np.clip(level, RSSI_MIN, RSSI_MAX)[keep],
                np.clip(n, 1, np.iinfo(np.int16).max).astype(np.int16)[keep],
            )
        )

    def advance(self, now_us: int) -> list[Decision]:
        """Decide what is final once reads up to now_us - lateness have all arrived."""
        watermark = now_us - self.lateness_us
        self._watermark = watermark
        self._feed(watermark)
        self.kernel.advance(watermark)
        return self._decisions()

    def decided_until_us(self) -> int | None:
        """Gateway time before which every crossing is decided: no later event will be older.

        None before the first advance. Reads still queued (newer than the watermark) and passes
        still open hold it back, since the crossings they become can be no earlier.
        """
        if self._watermark is None:
            return None
        floors = [self._watermark]
        floors += [int(p[0].min()) for p in self._pending if len(p[0])]
        floor = self.kernel.open_pass_floor()
        if floor is not None:
            floors.append(floor)
        return min(floors)

    def flush(self) -> list[Decision]:
        """At shutdown: feed every queued read and decide the open cycle and all passes."""
        self._feed(None)
        self.kernel.flush()
        return self._decisions()

    def reports(self) -> ev.Events:
        """Dedup cycle report lines (REPORT_DTYPE, tag and zone indexes) since the last call."""
        self._reports.append(self.kernel.take_reports())
        out = np.concatenate(self._reports)
        self._reports.clear()
        return out

    def offset_us(self, reader: int | str, now_us: int) -> int | None:
        """The de-skew offset of a reader's clock (gateway minus reader), if known."""
        return self.deskew.offset(self.layout.reader_index(reader), now_us)

    def _tag_index(
        self, tags: Sequence[str | bytes] | npt.NDArray[np.integer]
    ) -> npt.NDArray[np.int32]:
        if isinstance(tags, np.ndarray) and tags.dtype.kind in "iu":
            return tags.astype(np.int32)  # already interned in self.epcs
        return self.epcs.intern_many(list(tags))

    def _feed(self, watermark: int | None) -> None:
        if not self._pending:
            return
        t, zone, tag, rssi, n = (np.concatenate(col) for col in zip(*self._pending, strict=True))
        ready = np.ones(len(t), bool) if watermark is None else t < watermark
        self._pending = [] if ready.all() else [tuple(c[~ready] for c in (t, zone, tag, rssi, n))]
        order = np.flatnonzero(ready)
        order = order[np.lexsort((tag[order], zone[order], t[order]))]
        self.kernel.process(t[order], zone[order], tag[order], rssi[order], n[order])

    def _decisions(self) -> list[Decision]:
        self._reports.append(self.kernel.take_reports())
        out = [self._decision(row) for row in self.kernel.take_events()]
        self._counts["events_out"] += len(out)
        return out

    def _decision(self, row: np.void) -> Decision:
        kind, epc = int(row["kind"]), self.epcs.epc(int(row["tag"]))
        if kind == ev.PORTAL:
            return PortalDecision(
                epc=epc,
                door=self.layout.door_names[int(row["place"])],
                direction=Direction.IN if row["direction"] == ev.IN else Direction.OUT,
                time_us=int(row["t_us"]),
                first_us=int(row["first_us"]),
                last_us=int(row["last_us"]),
                reads=int(row["reads"]),
                peak_rssi=float(row["rssi"]),
            )
        prev = int(row["prev"])
        return PresenceDecision(
            epc=epc,
            state=STATES[kind],
            zone=self.layout.zone_names[int(row["place"])],
            time_us=int(row["t_us"]),
            rssi=float(row["rssi"]),
            prev_zone=self.layout.zone_names[prev] if prev >= 0 else None,
        )

    def _evict(self, need: int, keep: npt.NDArray[np.int32]) -> None:
        """Forget the longest-gone idle tags (not queued, not in this report) to admit new ones."""
        index, last = self.kernel.idle_tags()
        queued = [p[2] for p in self._pending]
        busy = np.isin(index, np.concatenate([keep, *queued]))
        index, last = index[~busy], last[~busy]
        chosen = index[np.argsort(last, kind="stable")[: max(need, self.epcs.max_tags // 4)]]
        self.kernel.forget(chosen)
        self.epcs.forget(chosen.tolist())
        log.info("tag table full: forgot %s long-gone tags", len(chosen))
        if len(chosen) < need:
            log.warning("tag table full of tags in view: dropping reads of %s new EPCs", need)
