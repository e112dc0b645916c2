"""Outbound verification: what crossed a shipping door against the shipment's pick list.

Rules:
- A scan of an expected EPC verifies it; a case of an item on the shipment that was not picked
  for it is extra; a case of an item not on the shipment is a wrong item (both alert at once).
  Pallet (SSCC) tags are containers, not stock lines.
- At the close, an expected EPC not scanned is missing, unless its tag is known to be dead
  (never read since it came in) and the pallet it is packed on was scanned.
- Confirming ships what was actually loaded: every loaded EPC moves from where the ledger has
  it, via the shipping dock, into the shipment's transit location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cloud.ledger.types import MoveReason, MoveSpec


class Verdict(StrEnum):
    """What one scan at a shipping door means for the shipment being loaded."""

    EXPECTED = "expected"
    EXTRA = "extra"
    WRONG_ITEM = "wrong_item"
    CONTAINER = "container"
    UNKNOWN = "unknown"  # not a GS1 item we know


@dataclass(frozen=True, slots=True)
class Expected:
    """One pick-list line: an EPC, its item, and the outbound pallet it is packed on."""

    epc: str
    item_id: int
    sscc: str | None = None


@dataclass(frozen=True, slots=True)
class Loaded:
    """A tag that crossed the shipping door outwards."""

    epc: str
    at: datetime
    item_id: int | None = None
    sscc: str | None = None  # SSCC-18 if a pallet tag
    event_id: str | None = None


@dataclass(frozen=True)
class Verification:
    """The shipment's state after its door went quiet."""

    verified: tuple[Expected, ...]
    inferred: tuple[Expected, ...]  # verified through their pallet (dead tags)
    missing: tuple[Expected, ...]
    extra: tuple[Loaded, ...]
    wrong: tuple[Loaded, ...]

    @property
    def clean(self) -> bool:
        """Nothing missing, nothing that does not belong."""
        return not (self.missing or self.extra or self.wrong)


def judge(scan: Loaded, expected: Mapping[str, Expected], items: frozenset[int]) -> Verdict:
    """Classify one scan as it happens (alerts for extra and wrong items are raised at once)."""
    if scan.sscc is not None:
        return Verdict.CONTAINER
    if scan.epc in expected:
        return Verdict.EXPECTED
    if scan.item_id is None:
        return Verdict.UNKNOWN
    return Verdict.EXTRA if scan.item_id in items else Verdict.WRONG_ITEM


def verify(
    expected: Sequence[Expected], loaded: Sequence[Loaded], dead: frozenset[str]
) -> Verification:
    """Compare the pick list with what was loaded (dead = EPCs never read since arrival)."""
    by_epc = {e.epc: e for e in expected}
    items = frozenset(e.item_id for e in expected)
    scanned = {s.epc for s in loaded}
    pallets = {s.sscc for s in loaded if s.sscc}
    verdicts = [(s, judge(s, by_epc, items)) for s in loaded]
    read = tuple(e for e in expected if e.epc in scanned)
    inferred = tuple(
        e for e in expected if e.epc not in scanned and e.epc in dead and e.sscc in pallets
    )
    found = {e.epc for e in (*read, *inferred)}
    return Verification(
        verified=read,
        inferred=inferred,
        missing=tuple(e for e in expected if e.epc not in found),
        extra=tuple(s for s, v in verdicts if v is Verdict.EXTRA),
        wrong=tuple(s for s, v in verdicts if v is Verdict.WRONG_ITEM),
    )


@dataclass(frozen=True, slots=True)
class Stock:
    """Where the ledger has one EPC now."""

    item_id: int
    location_id: int


@dataclass(frozen=True, slots=True)
class Loading:
    """Where a confirmed shipment's goods go and under which source key."""

    dock: int
    transit: int
    key: str  # the shipment: source id of every move it posts
    at: datetime

    def legs(self, epc: str, stock: Stock) -> list[MoveSpec]:
        """From where the EPC is, via the dock, into transit."""
        moves = []
        if stock.location_id != self.dock:
            moves.append(self._leg(epc, stock, stock.location_id, self.dock, MoveReason.PICK))
        moves.append(self._leg(epc, stock, self.dock, self.transit, MoveReason.SHIPMENT))
        return moves

    def _leg(self, epc: str, stock: Stock, src: int, dst: int, reason: MoveReason) -> MoveSpec:
        kind = "shp-pick" if reason is MoveReason.PICK else "shp-load"
        return MoveSpec(
            item_id=stock.item_id, qty=1, from_location_id=src, to_location_id=dst,
            reason=reason, source_type=kind, source_id=self.key, at=self.at, epc=epc,
        )  # fmt: skip


def loaded_epcs(verification: Verification) -> tuple[str, ...]:
    """Every EPC that physically left on the shipment, expected or not."""
    found = (*verification.verified, *verification.inferred)
    strays = (*verification.extra, *verification.wrong)
    return tuple(dict.fromkeys([e.epc for e in found] + [s.epc for s in strays]))


def shipping_moves(
    verification: Verification, whereabouts: Mapping[str, Stock], loading: Loading
) -> tuple[MoveSpec, ...]:
    """Moves that put everything actually loaded into the shipment's transit location."""
    return tuple(
        move
        for epc in loaded_epcs(verification)
        if epc in whereabouts
        for move in loading.legs(epc, whereabouts[epc])
    )


def not_in_stock(verification: Verification, whereabouts: Mapping[str, Stock]) -> tuple[str, ...]:
    """Loaded EPCs the ledger does not know: they left without being ours on record."""
    loaded = [e.epc for e in verification.verified] + [
        s.epc for s in (*verification.extra, *verification.wrong)
    ]
    return tuple(epc for epc in loaded if epc not in whereabouts)
