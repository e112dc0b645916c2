"""Geofence enter and exit events in event time, with a dwell delay against GPS jitter.

Per fence a vehicle has a raw state (inside or not, from the path between its fixes) and a
confirmed state. A raw change becomes a confirmed enter or exit once the raw state has held
for the fence's dwell time; the event is dated at the boundary crossing (interpolated along
the segment between the two fixes around it) and is confirmed dwell seconds later. A visit
shorter than the dwell, in or out, is jitter and yields nothing. The first fix sets the
starting state without events: how long the vehicle had been there is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from cloud.domain.transit.fences import Fence, Index, Positions, changes, inside_spans
from cloud.domain.transit.geo import Fix


class Crossing(StrEnum):
    """Which way a fence boundary was crossed."""

    ENTER = "enter"
    EXIT = "exit"


@dataclass(frozen=True, slots=True)
class FenceEvent:
    """A confirmed crossing: dated at the boundary, certain dwell seconds later."""

    fence_id: int
    kind: Crossing
    at: float
    confirmed_at: float


@dataclass(slots=True)
class Dwell:
    """Raw and confirmed state of one vehicle at one fence; since = last raw change."""

    raw: bool
    confirmed: bool
    since: float

    def settle(self, t: float, dwell_s: float) -> float | None:
        """Confirm the raw state if it has held for dwell_s by t; return when it began."""
        if self.raw != self.confirmed and t - self.since >= dwell_s:
            self.confirmed = self.raw
            return self.since
        return None


class FenceTracker:
    """The fence states of one vehicle; only fences it is (or may be) inside are kept."""

    def __init__(self, dwell: dict[int, Dwell] | None = None) -> None:
        self.dwell: dict[int, Dwell] = dict(dwell or {})

    def inside(self) -> frozenset[int]:
        """Fences the vehicle is confirmed inside."""
        return frozenset(fid for fid, d in self.dwell.items() if d.confirmed)

    def near_any(self) -> bool:
        """Whether the vehicle is inside some fence, confirmed or not yet."""
        return any(d.raw or d.confirmed for d in self.dwell.values())

    def begin(self, fix: Fix, path: BaseGeometry, touched: Positions, index: Index) -> None:
        """Starting state at the first fix, without events."""
        for pos in touched:
            fence = index.fences[pos]
            if inside_spans(fence.shape, path):
                self.dwell[fence.id] = Dwell(True, True, fix.t)

    def step(
        self, a: Fix, b: Fix, path: BaseGeometry, touched: Positions, index: Index
    ) -> list[FenceEvent]:
        """Events confirmed along the path from fix a to fix b."""
        hit = {int(p) for p in touched}
        candidates = set(hit)
        for fid in self.dwell:
            pos = index.position(fid)
            if pos is not None:
                candidates.add(pos)
        for gone in [fid for fid in self.dwell if index.position(fid) is None]:
            del self.dwell[gone]  # a fence removed meanwhile (in place: the trip state shares it)
        events: list[FenceEvent] = []
        for pos in sorted(candidates):
            fence = index.fences[pos]
            spans = inside_spans(fence.shape, path) if pos in hit else []
            self._follow(fence, a, b, spans, events)
        return sorted(events, key=lambda e: (e.at, e.fence_id))

    def _follow(
        self, fence: Fence, a: Fix, b: Fix, spans: list[tuple[float, float]], out: list[FenceEvent]
    ) -> None:
        state = self.dwell.get(fence.id) or Dwell(False, False, a.t)
        for fraction, inside in changes(spans):
            if inside != state.raw:
                at = a.t + fraction * (b.t - a.t)
                _settle(state, fence, at, out)
                state.raw, state.since = inside, at
        _settle(state, fence, b.t, out)
        if state.raw or state.confirmed:
            self.dwell[fence.id] = state
        else:
            self.dwell.pop(fence.id, None)


def _settle(state: Dwell, fence: Fence, t: float, out: list[FenceEvent]) -> None:
    began = state.settle(t, fence.dwell_s)
    if began is not None:
        kind = Crossing.ENTER if state.confirmed else Crossing.EXIT
        out.append(FenceEvent(fence.id, kind, began, began + fence.dwell_s))
