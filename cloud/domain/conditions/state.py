"""State of one rule on one sensor: small mutable records, saved as JSON between batches.

Times are epoch milliseconds; -1 means "none" (cheaper than None in the hot path).
"""

from __future__ import annotations

from typing import Any, ClassVar

NONE = -1


class Record:
    """A mutable record with slots that converts to and from a JSON-able dict."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    _nested: ClassVar[dict[str, type[Record]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-able dict (nested records too; absent ones omitted)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, Record):
                out[name] = value.to_dict()
            elif isinstance(value, list):
                out[name] = [list(piece) for piece in value]
            elif value is not None:
                out[name] = value
        return out

    def load(self, data: dict[str, Any]) -> None:
        """Take the values of a dict made by to_dict (unknown keys ignored)."""
        for name in self.__slots__:
            if name not in data:
                continue
            nested = self._nested.get(name)
            value = data[name]
            if nested is not None:
                record = nested()
                record.load(value)
                value = record
            elif isinstance(value, list):
                value = [list(piece) for piece in value]
            setattr(self, name, value)


class LevelState(Record):
    """A threshold (or rate) check: the current run beyond the limit and the alarm, if any."""

    __slots__ = (
        "alarm_at",
        "alarmed",
        "escalated",
        "last_out_end",
        "out",
        "peak",
        "run_out",
        "run_start",
        "was_out",
    )

    def __init__(self) -> None:
        self.run_start: float = NONE  # estimated start of the current run beyond the limit
        self.run_out: float = 0.0  # time beyond the limit in the current run, ms
        self.was_out: bool = False  # the previous sample ended beyond the limit
        self.alarmed: bool = False
        self.alarm_at: float = NONE
        self.out: float = 0.0  # time beyond the limit during the alarmed excursion
        self.peak: float = 0.0  # sign-adjusted extreme of the run or excursion
        self.last_out_end: float = NONE
        self.escalated: bool = False

    def reset_run(self) -> None:
        """Forget the current run (back in range before it alarmed)."""
        self.run_start, self.run_out = NONE, 0.0


class BudgetState(Record):
    """A cumulative budget: time beyond the level so far (pieces kept for a rolling window)."""

    __slots__ = ("fired", "fired_at", "first_out", "peak", "pieces", "used", "was_out")

    def __init__(self) -> None:
        self.used: float = 0.0
        self.first_out: float = NONE
        self.was_out: bool = False
        self.fired: bool = False
        self.fired_at: float = NONE
        self.peak: float = 0.0
        self.pieces: list[list[float]] | None = None  # [start, end] beyond the level (window)


class OfflineState(Record):
    """Missing data: when the metric was last seen, and the alarm, if any."""

    __slots__ = ("alarm_at", "alarmed", "escalated")

    def __init__(self) -> None:
        self.alarmed: bool = False
        self.alarm_at: float = NONE
        self.escalated: bool = False


class SensorRuleState(Record):
    """Everything the engine keeps for one rule on one sensor."""

    __slots__ = (
        "budget",
        "high",
        "last_end",
        "last_seen",
        "late",
        "low",
        "offline",
        "rate",
        "rate_ref_t",
        "rate_ref_v",
        "subject",
    )
    _nested: ClassVar[dict[str, type[Record]]] = {
        "high": LevelState,
        "low": LevelState,
        "budget": BudgetState,
        "rate": LevelState,
        "offline": OfflineState,
    }

    def __init__(self, subject: str = "") -> None:
        self.subject = subject  # what the sensor was bound to when this state began
        self.last_end: float = NONE  # end of the last sample evaluated
        self.last_seen: float = NONE  # end of the last sample with a value of the metric
        self.high: LevelState | None = None
        self.low: LevelState | None = None
        self.budget: BudgetState | None = None
        self.rate: LevelState | None = None
        self.offline: OfflineState | None = None
        self.rate_ref_t: float = NONE
        self.rate_ref_v: float = 0.0
        self.late: int = 0  # samples that came after later ones (not evaluated)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SensorRuleState:
        """Rebuild a state saved with to_dict."""
        state = cls()
        state.load(data)
        return state
