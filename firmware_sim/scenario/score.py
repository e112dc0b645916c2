"""Score portal events against a scenario's ground truth (accuracy of a rehearsal run)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from firmware_sim.scenario.types import Crossing, GroundTruth


class PortalLike(Protocol):
    """What scoring needs of a portal event."""

    @property
    def epc(self) -> str:
        """EPC hex."""

    @property
    def door(self) -> str:
        """Door name."""

    @property
    def direction(self) -> str:
        """'in' or 'out'."""

    @property
    def time_ms(self) -> int:
        """Crossing time on the gateway clock."""


@dataclass(frozen=True)
class PortalScore:
    """How the reported crossings compare with what physically happened."""

    crossings: int  # true crossings by readable tags
    correct: int  # reported with the right door and direction
    wrong_door: int
    wrong_direction: int
    missed: int  # true crossing, nothing reported
    false_crossings: int  # reported for a parked or cross-read-only tag
    extra: int  # reported beyond the true crossings of a tag (repeats, ghosts)
    time_offset_ms: float  # median gateway-minus-scenario clock offset
    time_error_p50_ms: float  # |error| after removing the offset
    time_error_p95_ms: float
    examples: tuple[str, ...] = field(default=())

    @property
    def accuracy(self) -> float:
        """Share of true crossings reported with the right door and direction."""
        return self.correct / self.crossings if self.crossings else 1.0

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.correct}/{self.crossings} crossings right ({self.accuracy:.2%}); "
            f"wrong door {self.wrong_door}, wrong direction {self.wrong_direction}, "
            f"missed {self.missed}, false {self.false_crossings}, extra {self.extra}; "
            f"time error p50 {self.time_error_p50_ms:.0f} ms, p95 {self.time_error_p95_ms:.0f} ms"
        )


def score_portal(events: Iterable[PortalLike], truth: GroundTruth) -> PortalScore:
    """Match reported crossings to true ones per EPC, in time order."""
    readable = [c for c in truth.crossings if c.epc not in truth.unreadable]
    expected = _by_epc(readable)
    reported = _by_epc_events(events)
    tally = _Tally()
    for epc, crossings in expected.items():
        tally.match(crossings, reported.pop(epc, []))
    never_crossed = truth.parked | truth.cross_read_only
    for epc, extra in reported.items():
        if epc in never_crossed:
            tally.false_crossings += len(extra)
            tally.examples.append(f"{epc} reported crossing {extra[0].door} but never crossed")
        else:
            tally.extra += len(extra)
    return tally.result(len(readable))


def _by_epc(crossings: Iterable[Crossing]) -> dict[str, list[Crossing]]:
    out: dict[str, list[Crossing]] = {}
    for c in sorted(crossings, key=lambda c: c.time_us):
        out.setdefault(c.epc, []).append(c)
    return out


def _by_epc_events(events: Iterable[PortalLike]) -> dict[str, list[PortalLike]]:
    out: dict[str, list[PortalLike]] = {}
    for e in sorted(events, key=lambda e: e.time_ms):
        out.setdefault(e.epc, []).append(e)
    return out


class _Tally:
    def __init__(self) -> None:
        self.correct = self.wrong_door = self.wrong_direction = self.missed = 0
        self.false_crossings = self.extra = 0
        self.offsets: list[float] = []
        self.examples: list[str] = []

    def match(self, crossings: list[Crossing], events: list[PortalLike]) -> None:
        # Pair in time order; a tag crosses rarely, so order pairs them well enough.
        for crossing, event in zip(crossings, events, strict=False):
            self._pair(crossing, event)
        self.missed += max(len(crossings) - len(events), 0)
        self.extra += max(len(events) - len(crossings), 0)

    def _pair(self, crossing: Crossing, event: PortalLike) -> None:
        self.offsets.append(event.time_ms - crossing.time_us / 1000)
        if event.door != crossing.door:
            self.wrong_door += 1
            self.examples.append(f"{crossing.epc}: {event.door} reported, {crossing.door} true")
        elif str(event.direction) != crossing.direction:
            self.wrong_direction += 1
            self.examples.append(f"{crossing.epc}: {event.direction} reported at {event.door}")
        else:
            self.correct += 1

    def result(self, crossings: int) -> PortalScore:
        offset = statistics.median(self.offsets) if self.offsets else 0.0
        errors = sorted(abs(o - offset) for o in self.offsets) or [0.0]
        return PortalScore(
            crossings=crossings,
            correct=self.correct,
            wrong_door=self.wrong_door,
            wrong_direction=self.wrong_direction,
            missed=self.missed,
            false_crossings=self.false_crossings,
            extra=self.extra,
            time_offset_ms=offset,
            time_error_p50_ms=errors[len(errors) // 2],
            time_error_p95_ms=errors[min(len(errors) - 1, int(len(errors) * 0.95))],
            examples=tuple(self.examples[:10]),
        )
