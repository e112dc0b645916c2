"""Goods receipt: reconcile the tags that came in through a door with the ASN that announced them.

Rules (GS1 practice: a received pallet's contents are trusted from the ASN's packing list):
- An announced pallet is received if its SSCC tag or any of its case tags crossed in. Its cases
  are then matched, read or not (evidence "read" or "pallet"); a pallet not received is short.
- A delivered EPC that is already on hand inside is a duplicate (a cloned tag): no stock move.
- A delivered case not announced is over if its item is on the ASN, else unexpected.
- Over stock goes to storage while the item's over quantity is within the tolerance of its
  announced quantity, else to quarantine with all that item's over stock; unexpected goods go
  to quarantine; short lines stay open as backorder.
- An unannounced pallet (SSCC) takes the cases that crossed with it (within a few seconds) as
  its contents: over if any is of an announced item, else unexpected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cloud.enums import ReceiptLineStatus as Status
from cloud.ledger.types import MoveReason, MoveSpec

STORAGE, QUARANTINE, BACKORDER, NONE = "storage", "quarantine", "backorder", "none"


@dataclass(frozen=True, slots=True)
class Case:
    """An announced or delivered unit with its own EPC."""

    epc: str
    item_id: int


@dataclass(frozen=True, slots=True)
class AnnouncedPallet:
    """A pallet on an ASN: its SSCC-18 and the case EPCs its packing list gives."""

    sscc: str
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Announcement:
    """What an ASN announced."""

    asn_id: int
    supplier_location_id: int
    pallets: tuple[AnnouncedPallet, ...] = ()
    loose: tuple[Case, ...] = ()  # EPC lines on no pallet

    def items(self) -> Counter[int]:
        """Announced quantity per item."""
        cases = [c for p in self.pallets for c in p.cases] + list(self.loose)
        return Counter(c.item_id for c in cases)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A tag that crossed the door inwards during the session."""

    epc: str
    at: datetime
    item_id: int | None = None  # None for a pallet's SSCC tag or an unknown EPC
    sscc: str | None = None  # SSCC-18 if this is a pallet tag
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Places:
    """Where received goods go."""

    dock: int
    storage: int
    quarantine: int
    unknown_supplier: int  # source of goods no ASN announced


@dataclass(frozen=True, slots=True)
class Line:
    """One receipt line: an EPC (qty 1) or a pallet (sscc), with status and disposition."""

    status: Status
    disposition: str
    item_id: int | None = None
    epc: str | None = None
    sscc: str | None = None
    expected_qty: int = 0
    received_qty: int = 0
    evidence: str = "none"  # read, pallet (inferred from its pallet) or none


@dataclass(frozen=True)
class Receipt:
    """The reconciled receipt of one session: lines and the moves that post it."""

    asn_id: int | None
    lines: tuple[Line, ...]
    moves: tuple[MoveSpec, ...]
    received: Counter[int] = field(default_factory=Counter)  # per item, into our stock


def reconcile(
    announcement: Announcement | None,
    arrivals: Sequence[Arrival],
    on_hand: frozenset[str],
    places: Places,
    *,
    session_key: str,
    posted_at: datetime,
    tolerance_pct: float,
    pallet_window: timedelta = timedelta(seconds=3),
) -> Receipt:
    """Classify every announced and delivered unit and produce the receipt's moves."""
    ann = announcement or Announcement(asn_id=0, supplier_location_id=places.unknown_supplier)
    by_epc = {a.epc: a for a in arrivals}
    lines = _announced_lines(ann, by_epc, on_hand)
    announced = {c.epc for p in ann.pallets for c in p.cases} | {c.epc for c in ann.loose}
    extra = [a for a in arrivals if a.epc not in announced and a.sscc is None]
    lines += _extra_lines(extra, ann.items(), on_hand)
    lines = _dispose_over(lines, ann.items(), tolerance_pct)
    lines += _pallet_lines(ann, arrivals, extra, pallet_window)
    posting = _Posting(ann.supplier_location_id, places, session_key, posted_at)
    moves = _moves(lines, by_epc, posting)
    received = Counter(m.item_id for m in moves if m.reason is MoveReason.RECEIPT)
    return Receipt(announcement.asn_id if announcement else None, tuple(lines), moves, received)


def _announced_lines(
    ann: Announcement, by_epc: Mapping[str, Arrival], on_hand: frozenset[str]
) -> list[Line]:
    ssccs_in = {a.sscc for a in by_epc.values() if a.sscc}
    lines: list[Line] = []
    for pallet in ann.pallets:
        came = pallet.sscc in ssccs_in or any(c.epc in by_epc for c in pallet.cases)
        lines += [_case_line(c, came, by_epc, on_hand) for c in pallet.cases]
    lines += [_case_line(c, c.epc in by_epc, by_epc, on_hand) for c in ann.loose]
    return lines


def _case_line(
    case: Case, came: bool, by_epc: Mapping[str, Arrival], on_hand: frozenset[str]
) -> Line:
    evidence = "read" if case.epc in by_epc else ("pallet" if came else "none")
    if case.epc in by_epc and case.epc in on_hand:
        return Line(Status.DUPLICATE, NONE, case.item_id, case.epc, None, 1, 1, evidence)
    if came:
        return Line(Status.MATCHED, STORAGE, case.item_id, case.epc, None, 1, 1, evidence)
    return Line(Status.SHORT, BACKORDER, case.item_id, case.epc, None, 1, 0, evidence)


def _extra_lines(
    extra: Iterable[Arrival], items: Counter[int], on_hand: frozenset[str]
) -> list[Line]:
    lines = []
    for a in extra:
        if a.epc in on_hand:
            lines.append(Line(Status.DUPLICATE, NONE, a.item_id, a.epc, None, 0, 1, "read"))
        elif a.item_id is not None and a.item_id in items:
            lines.append(Line(Status.OVER, STORAGE, a.item_id, a.epc, None, 0, 1, "read"))
        else:
            lines.append(Line(Status.UNEXPECTED, QUARANTINE, a.item_id, a.epc, None, 0, 1, "read"))
    return lines


def _dispose_over(lines: list[Line], items: Counter[int], tolerance_pct: float) -> list[Line]:
    over = Counter(line.item_id for line in lines if line.status is Status.OVER)
    beyond = {
        item for item, n in over.items() if item is None or n > items[item] * tolerance_pct / 100
    }
    return [
        _with(line, QUARANTINE) if line.status is Status.OVER and line.item_id in beyond else line
        for line in lines
    ]


def _with(line: Line, disposition: str) -> Line:
    return Line(
        line.status, disposition, line.item_id, line.epc, line.sscc,
        line.expected_qty, line.received_qty, line.evidence,
    )  # fmt: skip


def _pallet_lines(
    ann: Announcement, arrivals: Sequence[Arrival], extra: Sequence[Arrival], window: timedelta
) -> list[Line]:
    came = {a.sscc: a for a in arrivals if a.sscc}
    case_epcs = {a.epc for a in arrivals}
    lines = []
    for pallet in ann.pallets:
        received = pallet.sscc in came or any(c.epc in case_epcs for c in pallet.cases)
        status = Status.MATCHED if received else Status.SHORT
        lines.append(Line(status, NONE, None, None, pallet.sscc, 1, int(received), "read"))
    announced = {p.sscc for p in ann.pallets}
    items = ann.items()
    for sscc, tag in came.items():
        if sscc not in announced:
            with_it = [a for a in extra if abs(a.at - tag.at) <= window]
            over = any(a.item_id in items for a in with_it)
            status = Status.OVER if over else Status.UNEXPECTED
            lines.append(Line(status, NONE, None, tag.epc, sscc, 0, 1, "read"))
    return lines


@dataclass(frozen=True, slots=True)
class _Posting:
    """How one session's lines become moves: supplier → dock at arrival, dock → target at post."""

    supplier: int
    places: Places
    key: str  # the session: source id of every move it posts
    posted_at: datetime

    def legs(self, line: Line, arrival: Arrival | None) -> list[MoveSpec]:
        """The two moves of one received EPC line (none for lines that bring no stock)."""
        target = {STORAGE: self.places.storage, QUARANTINE: self.places.quarantine}
        if line.disposition not in target or line.epc is None or line.item_id is None:
            return []
        at = arrival.at if arrival else self.posted_at
        reason = MoveReason.PUTAWAY if line.disposition == STORAGE else MoveReason.QUARANTINE
        return [
            self._leg(line, self.supplier, self.places.dock, MoveReason.RECEIPT, at=at,
                      kind="rcv-dock", event=arrival.event_id if arrival else None),
            self._leg(line, self.places.dock, target[line.disposition], reason,
                      at=max(at, self.posted_at), kind="rcv-put"),
        ]  # fmt: skip

    def _leg(
        self,
        line: Line,
        src: int,
        dst: int,
        reason: MoveReason,
        *,
        at: datetime,
        kind: str,
        event: str | None = None,
    ) -> MoveSpec:
        assert line.item_id is not None
        return MoveSpec(
            item_id=line.item_id, qty=1, from_location_id=src, to_location_id=dst,
            reason=reason, source_type=kind, source_id=self.key, at=at, epc=line.epc,
            event_id=event,
        )  # fmt: skip


def _moves(
    lines: Sequence[Line], by_epc: Mapping[str, Arrival], posting: _Posting
) -> tuple[MoveSpec, ...]:
    return tuple(m for line in lines for m in posting.legs(line, by_epc.get(line.epc or "")))
