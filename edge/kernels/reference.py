"""Pure-Python reference of the kernels: the readable spec that the jitted code matches exactly.

Reads must come in time order (the pipeline merges readers by time); a read older than the
watermark, the newest read taken or the open event cycle is late: counted and dropped.
Times are µs.

Dedup (ALE style): time is cut into event cycles [k*C, (k+1)*C). Each tag keeps up to
zone_slots zone slots; a slot aggregates the cycle's reads at its zone (first, last, count,
peak). When a cycle closes, each slot reports CURRENT / ADDITION / DELETION against the
previous cycle and updates its smoothed RSSI: s += alpha * (obs - s), obs being the cycle's
peak, or absent_rssi if the zone did not read the tag.

Presence, decided per tag at each cycle close E:
- DEPARTED when a present tag has not been read for depart_us (time: its last read); a read
  that comes after such silence inside one cycle also departs it first;
- ARRIVED when an absent tag was read: at the zone with the best smoothed RSSI (time: first
  read there in the cycle);
- MOVED when another zone's smoothed RSSI beats the current zone's by more than the
  hysteresis at every cycle close for hold_us (time: the first such cycle close);
- PARKED once a tag stayed parked_us in one zone (time: arrival + parked_us).

Portal: a pass (visit) is a tag's reads at any door zone until quiet_us of silence. Per door
and side it sums reads, peak RSSI and, with weights doubling every peak_db dB, the weighted
centroid of read times. When a pass ends it is decided:
- parked: longer than max_pass_us, or the tag was read at doors without a depart_us gap for
  more than max_pass_us before the pass began;
- door: the crossing evidence of a door is the weight of its weaker side (one-sided doors
  have none); the strongest door (ties: read first) wins if its evidence is margin_factor
  times every other door's (the others are cross-reads), else the pass is ambiguous;
- stray: fewer than min_reads, read on one side only, or either side's peak below
  min_peak_rssi (one faint read through the door is not a crossing);
- direction: IN if the inside centroid comes after the outside one; crossing time: midway
  between the two centroids.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from edge.kernels import events as ev
from edge.kernels.events import Events
from edge.kernels.params import NEVER, SLOT_FREE_DB, UNSET, KernelParams, rssi_index

NO_PEAK = -129.0  # below any RSSI: the peak of a side without reads


class Read(NamedTuple):
    """One read as the reference walks them."""

    t: int
    zone: int
    tag: int
    rssi: float
    seen: int  # TagSeenCount


@dataclass
class ZoneSlot:
    """One zone a tag is read at: the open cycle's aggregates and the smoothed RSSI."""

    zone: int = -1
    seen: bool = False
    prev: bool = False
    count: int = 0
    first: int = 0
    last: int = 0
    peak: float = 0.0
    smoothed: float = UNSET


@dataclass
class Side:
    """Reads of a pass at one side of one door."""

    n: int = 0
    peak: float = NO_PEAK
    sw: float = 0.0
    swt: float = 0.0


@dataclass
class DoorSlot:
    """Reads of a pass at one door."""

    door: int
    first: int
    last: int
    sides: tuple[Side, Side] = field(default_factory=lambda: (Side(), Side()))


@dataclass
class Visit:
    """A pass: a tag's reads at door zones until quiet."""

    first: int
    last: int
    run: int
    doors: list[DoorSlot] = field(default_factory=list)


@dataclass
class TagState:
    """Everything remembered about one tag."""

    slots: list[ZoneSlot]
    last: int = NEVER
    zone: int = -1
    since: int = 0
    parked: bool = False
    lead: int = -1
    lead_since: int = 0
    door_last: int = NEVER
    door_run: int = NEVER
    visit: Visit | None = None


class ReferenceKernel:
    """Dedup, presence and portal decisions, one read at a time, in plain Python."""

    def __init__(
        self,
        params: KernelParams,
        zone_door: npt.ArrayLike,
        zone_side: npt.ArrayLike,
    ) -> None:
        self.p = params
        self.zone_door = [int(d) for d in np.asarray(zone_door)]
        self.zone_side = [int(s) for s in np.asarray(zone_side)]
        self.weights = params.weights().tolist()
        self.tags: dict[int, TagState] = {}
        self.active: dict[int, None] = {}  # tags with a zone slot in use or present
        self.started = False
        self.cycle_start = 0
        self.watermark = NEVER
        self.clock = NEVER  # newest read taken
        self.counters = [0] * ev.N_COUNTERS
        self._events: list[tuple[object, ...]] = []
        self._reports: list[tuple[object, ...]] = []

    # ---- public API, same as edge.kernels.kernel.Kernel ----

    def process(
        self,
        t_us: npt.ArrayLike,
        zone: npt.ArrayLike,
        tag: npt.ArrayLike,
        rssi: npt.ArrayLike,
        count: npt.ArrayLike,
    ) -> None:
        """Take a batch of reads (time order; zone >= 0)."""
        columns = (np.asarray(a).tolist() for a in (t_us, zone, tag, rssi, count))
        for t, z, g, r, c in zip(*columns, strict=True):
            self._read(Read(t, z, g, r, c))

    def open_pass_floor(self) -> int | None:
        """First read of the oldest open pass that may still become a crossing, or None.

        Passes already too long (parked) cannot, so they do not hold the floor back.
        """
        longest = self.p.max_pass_us
        firsts = [
            t.visit.first
            for t in self.tags.values()
            if t.visit is not None
            and t.door_last - t.visit.first <= longest
            and t.visit.first - t.visit.run <= longest
        ]
        return min(firsts) if firsts else None

    def advance(self, now_us: int) -> None:
        """Promise no read before now_us will come: decide what that makes final."""
        if self.started:
            self._close_cycles_until(now_us)
        for g, tag in list(self.tags.items()):
            if tag.visit is not None and now_us - tag.visit.last >= self.p.quiet_us:
                self._close_visit(g, tag)
        self.watermark = max(self.watermark, now_us)

    def flush(self) -> None:
        """Decide everything pending: close the open cycle and every pass."""
        if self.started:
            self._close_cycle()
        for g, tag in list(self.tags.items()):
            if tag.visit is not None:
                self._close_visit(g, tag)

    def take_events(self) -> Events:
        """Events decided since the last call, by time (ties in the order decided)."""
        out = np.array(self._events, dtype=ev.EVENT_DTYPE)
        self._events.clear()
        return ev.in_time_order(out)

    def take_reports(self) -> Events:
        """Dedup report lines since the last call, sorted."""
        out = np.array(self._reports, dtype=ev.REPORT_DTYPE)
        self._reports.clear()
        return ev.canonical(out)

    def idle_tags(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Tags whose state is blank but for old times (absent, no pass): index, last read."""
        idle = sorted(g for g, t in self.tags.items() if g not in self.active and not t.visit)
        last = [self.tags[g].last for g in idle]
        return np.array(idle, dtype=np.int64), np.array(last, dtype=np.int64)

    def forget(self, index: npt.ArrayLike) -> None:
        """Reset idle tags to blank so their indexes can be reused."""
        for g in np.asarray(index).tolist():
            self.tags.pop(g, None)

    # ---- reads ----

    def _read(self, read: Read) -> None:
        t, z, g = read.t, read.zone, read.tag
        horizon = max(self.watermark, self.clock)
        if t < horizon or (self.started and t < self.cycle_start):
            self.counters[ev.C_LATE] += 1
            return
        self.clock = t
        if not self.started:
            self.started = True
            self.cycle_start = t // self.p.cycle_us * self.p.cycle_us
        self._close_cycles_until(t)
        self.counters[ev.C_READS] += 1
        tag = self.tags.get(g)
        if tag is None:
            tag = self.tags[g] = TagState([ZoneSlot() for _ in range(self.p.zone_slots)])
        if tag.zone >= 0 and t - tag.last >= self.p.depart_us:
            self._depart(g, tag)
        self._dedup(g, tag, read)
        tag.last = t
        if self.zone_door[z] >= 0:
            self._portal(g, tag, read)

    def _dedup(self, g: int, tag: TagState, read: Read) -> None:
        t, z, r, c = read.t, read.zone, read.rssi, read.seen
        slot = next((s for s in tag.slots if s.zone == z), None)
        if slot is None:
            slot = self._new_slot(tag, z)
        if slot is None:
            self.counters[ev.C_SLOT_OVERFLOW] += 1
            return
        self.active[g] = None
        if not slot.seen:
            slot.seen, slot.count, slot.first, slot.last, slot.peak = True, c, t, t, r
            return
        slot.count += c
        slot.last = t
        slot.peak = max(slot.peak, r)

    def _new_slot(self, tag: TagState, z: int) -> ZoneSlot | None:
        """A free slot, else the weakest one that is not the current zone nor read this cycle
        (those without a pending deletion first); None if every slot is needed."""
        free = [s for s in tag.slots if s.zone < 0]
        victims = [s for s in tag.slots if s.zone != tag.zone and not s.seen]
        if free:
            slot = free[0]
        elif victims:
            slot = min(victims, key=lambda s: (s.prev, s.smoothed))
        else:
            return None
        slot.zone, slot.seen, slot.prev, slot.smoothed = z, False, False, UNSET
        return slot

    # ---- event cycles and presence ----

    def _close_cycles_until(self, t: int) -> None:
        while self.cycle_start + self.p.cycle_us <= t:
            if not self.active:
                self.cycle_start = t // self.p.cycle_us * self.p.cycle_us
                return
            self._close_cycle()

    def _close_cycle(self) -> None:
        end = self.cycle_start + self.p.cycle_us
        for g in list(self.active):
            self._close_tag_cycle(g, self.tags[g], end)
        self.cycle_start = end
        self.counters[ev.C_CYCLES] += 1

    def _close_tag_cycle(self, g: int, tag: TagState, end: int) -> None:
        for slot in tag.slots:
            if slot.zone >= 0:
                self._report(g, slot, end)
                self._smooth(slot)
        if tag.zone >= 0 and end - tag.last >= self.p.depart_us:
            self._depart(g, tag)
        elif tag.zone < 0:
            self._arrive(g, tag)
        else:
            self._move_or_park(g, tag, end)
        self._release(g, tag)

    def _report(self, g: int, slot: ZoneSlot, end: int) -> None:
        mode = self.p.report
        if mode and slot.seen and (mode == 2 or not slot.prev):
            change = ev.CURRENT if slot.prev else ev.ADDITION
            row = (end, g, slot.zone, change, slot.first, slot.last, slot.count, slot.peak)
            self._add_report(*row)
        elif mode and slot.prev and not slot.seen:
            self._add_report(end, g, slot.zone, ev.DELETION, 0, 0, 0, 0.0)

    def _add_report(self, *row: object) -> None:
        self._reports.append(row)
        self.counters[ev.C_REPORTS] += 1

    def _smooth(self, slot: ZoneSlot) -> None:
        if slot.seen and slot.smoothed == UNSET:
            slot.smoothed = slot.peak
        elif slot.smoothed != UNSET:
            obs = slot.peak if slot.seen else self.p.absent_rssi
            slot.smoothed = slot.smoothed + self.p.alpha * (obs - slot.smoothed)

    def _depart(self, g: int, tag: TagState) -> None:
        smoothed = next(s.smoothed for s in tag.slots if s.zone == tag.zone)
        self._emit(tag.last, ev.DEPARTED, g, tag.zone, smoothed)
        tag.zone, tag.parked, tag.lead = -1, False, -1
        for slot in tag.slots:
            slot.smoothed = UNSET

    def _arrive(self, g: int, tag: TagState) -> None:
        best = _best((s for s in tag.slots if s.zone >= 0 and s.seen), None)
        if best is not None:
            self._emit(best.first, ev.ARRIVED, g, best.zone, best.smoothed)
            tag.zone, tag.since, tag.parked, tag.lead = best.zone, best.first, False, -1

    def _move_or_park(self, g: int, tag: TagState, end: int) -> None:
        here = next(s for s in tag.slots if s.zone == tag.zone)
        rival = _best((s for s in tag.slots if s.zone >= 0 and s is not here), here)
        if rival is not None and rival.smoothed - here.smoothed > self.p.hysteresis_db:
            if tag.lead != rival.zone:
                tag.lead, tag.lead_since = rival.zone, end
            if end - tag.lead_since >= self.p.hold_us:
                lead, was = tag.lead_since, tag.zone
                self._emit(lead, ev.MOVED, g, rival.zone, rival.smoothed, prev=was)
                tag.zone, tag.since, tag.parked, tag.lead = rival.zone, tag.lead_since, False, -1
                return
        else:
            tag.lead = -1
        if not tag.parked and end - tag.since >= self.p.parked_us:
            self._emit(tag.since + self.p.parked_us, ev.PARKED, g, tag.zone, here.smoothed)
            tag.parked = True

    def _release(self, g: int, tag: TagState) -> None:
        limit = self.p.absent_rssi + SLOT_FREE_DB
        for slot in tag.slots:
            slot.prev, slot.seen = slot.seen, False
            stale = tag.zone < 0 or slot.smoothed == UNSET or slot.smoothed <= limit
            if slot.zone >= 0 and not slot.prev and slot.zone != tag.zone and stale:
                slot.zone, slot.smoothed = -1, UNSET
        if tag.zone < 0 and all(s.zone < 0 for s in tag.slots):
            del self.active[g]

    def _emit(self, t: int, kind: int, g: int, zone: int, rssi: float, *, prev: int = -1) -> None:
        self._events.append((t, kind, g, zone, prev, ev.NO_DIRECTION, 0, 0, 0, rssi))
        self.counters[ev.C_PRESENCE] += 1

    # ---- portal ----

    def _portal(self, g: int, tag: TagState, read: Read) -> None:
        t, r, c = read.t, read.rssi, read.seen
        door, side = self.zone_door[read.zone], self.zone_side[read.zone]
        if tag.visit is not None and t - tag.visit.last >= self.p.quiet_us:
            self._close_visit(g, tag)
        if tag.visit is None:
            if t - tag.door_last >= self.p.depart_us:
                tag.door_run = t  # door reads without a depart-long gap start here
            tag.visit = Visit(first=t, last=t, run=tag.door_run)
        visit = tag.visit
        visit.last = tag.door_last = t
        slot = next((d for d in visit.doors if d.door == door), None)
        if slot is None:
            slot = DoorSlot(door, t, t)
            visit.doors.append(slot)
        slot.last = t
        s = slot.sides[side]
        w = self.weights[rssi_index(r)] * c
        s.n, s.peak = s.n + c, max(s.peak, r)
        s.sw, s.swt = s.sw + w, s.swt + w * (t - slot.first)

    def _close_visit(self, g: int, tag: TagState) -> None:
        visit = tag.visit
        assert visit is not None
        tag.visit = None
        self.counters[ev.C_PASSES] += 1
        p = self.p
        if visit.last - visit.first > p.max_pass_us or visit.first - visit.run > p.max_pass_us:
            self.counters[ev.C_PARKED] += 1
            return
        winner = self._door_winner(visit)
        if winner is not None:
            self._direction(g, visit, winner)

    def _door_winner(self, visit: Visit) -> DoorSlot | None:
        best = max(visit.doors, key=lambda d: (_evidence(d), -d.first, -d.door))
        others = [_evidence(d) for d in visit.doors if d is not best]
        if others and _evidence(best) < max(others) * self.p.margin_factor:
            self.counters[ev.C_AMBIGUOUS] += 1
            return None
        self.counters[ev.C_CROSS_READ] += len(others)
        return best

    def _direction(self, g: int, visit: Visit, slot: DoorSlot) -> None:
        out, inside = slot.sides
        n = out.n + inside.n
        peak = max(out.peak, inside.peak)
        weak = min(out.peak, inside.peak) < self.p.min_peak_rssi
        if n < self.p.min_reads or out.n == 0 or inside.n == 0 or weak:
            self.counters[ev.C_STRAY] += 1
            return
        c_out, c_in = out.swt / out.sw, inside.swt / inside.sw
        if c_out == c_in:
            self.counters[ev.C_AMBIGUOUS] += 1
            return
        direction = ev.IN if c_in > c_out else ev.OUT
        t = slot.first + math.floor((c_out + c_in) * 0.5 + 0.5)
        row = (t, ev.PORTAL, g, slot.door, -1, direction, slot.first, slot.last, n, peak)
        self._events.append(row)
        self.counters[ev.C_PORTAL] += 1


def _best(slots: Iterable[ZoneSlot], exclude: ZoneSlot | None) -> ZoneSlot | None:
    """The slot with the highest smoothed RSSI (first wins ties), ignoring unset ones."""
    best: ZoneSlot | None = None
    for slot in slots:
        usable = slot is not exclude and slot.smoothed != UNSET
        if usable and (best is None or slot.smoothed > best.smoothed):
            best = slot
    return best


def _evidence(door: DoorSlot) -> float:
    """How strongly a pass crossed a door: the weight of its weaker side."""
    return min(door.sides[0].sw, door.sides[1].sw)


def peak_time(
    t_us: npt.ArrayLike, rssi: npt.ArrayLike, count: npt.ArrayLike, params: KernelParams
) -> int:
    """When a set of reads peaked, as the portal times one side of a door: the centroid of
    the read times weighted by count and 2 ** (rssi / peak_db), from the first read."""
    t = np.asarray(t_us, dtype=np.int64)
    weights = params.weights()[[rssi_index(r) for r in np.asarray(rssi).tolist()]]
    w = weights * np.asarray(count, dtype=np.float64)
    offset = float(np.sum(w * (t - t[0])) / np.sum(w))
    return int(t[0]) + math.floor(offset + 0.5)
