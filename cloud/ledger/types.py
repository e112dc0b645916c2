"""What the ledger accepts and reports; pure, so that domain code can produce moves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_SOURCE_LEN = 64
MAX_SOURCE_TYPE_LEN = 32


class MoveReason(StrEnum):
    """Why stock moved."""

    RECEIPT = "receipt"
    PUTAWAY = "putaway"
    TRANSFER = "transfer"
    QUARANTINE = "quarantine"
    PICK = "pick"
    SHIPMENT = "shipment"
    DELIVERY = "delivery"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    LOSS = "loss"
    FOUND = "found"
    REVERSAL = "reversal"


class LedgerError(Exception):
    """A request the ledger cannot carry out."""


class AlreadyPostedError(LedgerError):
    """The source (or reversal) was posted before: its effect exists, nothing new was written."""

    def __init__(self, message: str, *, source_type: str, source_id: str) -> None:
        super().__init__(message)
        self.source_type = source_type
        self.source_id = source_id


class MoveNotFoundError(LedgerError):
    """No move with the given id."""


@dataclass(frozen=True, slots=True)
class MoveSpec:
    """One move to post: qty of an item (one EPC, one lot, or untracked) from one place to another.

    (source_type, source_id) names what caused the move, e.g. ("receipt_line", "42"); a source
    posts at most one move per item and stock key, which is what makes re-posting harmless.
    """

    item_id: int
    qty: int
    from_location_id: int
    to_location_id: int
    reason: MoveReason
    source_type: str
    source_id: str
    at: datetime
    epc: str | None = None
    lot: str | None = None
    event_id: str | None = None

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"invalid move {self.source_type}:{self.source_id}: {problem}")

    @property
    def stock_key(self) -> str:
        """What distinguishes stock of one item at one location: the EPC, else the lot, else ''."""
        return self.epc or self.lot or ""

    @property
    def source_key(self) -> tuple[str, str, int, str]:
        """The identity the database keeps unique across all moves."""
        return (self.source_type, self.source_id, self.item_id, self.stock_key)


def _problem(spec: MoveSpec) -> str | None:
    checks = (
        (spec.qty > 0, f"qty must be positive, got {spec.qty}"),
        (spec.from_location_id != spec.to_location_id, "from and to location are the same"),
        (spec.epc is None or spec.qty == 1, "an EPC is one unit: qty must be 1"),
        (spec.epc != "" and spec.lot != "", "epc and lot must be None or non-empty"),
        (spec.at.tzinfo is not None, "at must be timezone-aware"),
        (0 < len(spec.source_type) <= MAX_SOURCE_TYPE_LEN, "source_type must be 1-32 chars"),
        (0 < len(spec.source_id) <= MAX_SOURCE_LEN, "source_id must be 1-64 chars"),
    )
    return next((message for ok, message in checks if not ok), None)


@dataclass(frozen=True, slots=True, order=True)
class BalanceKey:
    """Where a balance is kept: item, location and stock key."""

    item_id: int
    location_id: int
    stock_key: str


def net_deltas(moves: Iterable[MoveSpec]) -> dict[BalanceKey, int]:
    """Net quantity change per balance key (zero nets included) caused by the moves."""
    deltas: defaultdict[BalanceKey, int] = defaultdict(int)
    for move in moves:
        deltas[BalanceKey(move.item_id, move.from_location_id, move.stock_key)] -= move.qty
        deltas[BalanceKey(move.item_id, move.to_location_id, move.stock_key)] += move.qty
    return dict(deltas)


@dataclass(frozen=True, slots=True)
class PostedMove:
    """A move as recorded, with its id."""

    id: int
    spec: MoveSpec
    reverses_move_id: int | None = None
