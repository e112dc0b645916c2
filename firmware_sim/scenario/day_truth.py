"""Ground truth of the day by the business rules: receipts per ASN, shipment checks, final stock.

Applied to what physically happened (which pallets each truck or trailer carried, which tags
crossed which door, which tags are dead), independently of how the deviations were staged.

Inbound, per ASN and its truck: a pallet is received if its SSCC tag or any of its case tags is
alive and crossed IN at the truck's door; the ASN's packing list is trusted for a received
pallet, dead case tags included. Case lines: announced on a received pallet -> matched, on a
pallet not received -> short; delivered (on a received pallet) but not announced: its GTIN on the
ASN -> over, else unexpected; an EPC already in opening stock (a cloned tag) -> duplicate first.
Pallet lines: announced and received -> matched, announced only -> short, received only -> over
if any of its cases' GTINs is on the ASN, else unexpected.
Dispositions: matched -> storage; over -> storage while the over cases of that GTIN are within
over_tolerance_pct of its announced cases, else all of them quarantine; unexpected ->
quarantine; short -> backorder; duplicate -> none (the original stays where it is). A pallet
line follows its cases: an over pallet goes to quarantine if any of its cases does.
Outbound, per shipment and its trailer: an expected case is verified if its tag is alive and it
left on the trailer, or its tag is dead and its planned pallet's SSCC tag left on the trailer;
else missing. A case that left but was not expected is extra if its GTIN is on the shipment,
else wrong_item. Everything that left is in transit:<shipment>; pallets are containers only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from firmware_sim.scenario.day_json import JsonDoc
from firmware_sim.scenario.day_plan import Asn, DayPlan, Shipment, transit_location
from firmware_sim.scenario.types import Crossing
from protocol import epc as epc_codec

LineStatus = Literal["matched", "short", "over", "unexpected", "duplicate"]
Disposition = Literal["storage", "quarantine", "backorder", "none"]
CheckStatus = Literal["verified", "missing", "extra", "wrong_item"]
Direction = Literal["in", "out"]


@dataclass(frozen=True)
class TripRecord:
    """What physically travelled with one truck or trailer: pallets as SSCC tag then cases."""

    document: str  # ASN or shipment number
    door: str
    direction: Direction
    pallets: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PhysicalDay:
    """The physical facts the business truth is derived from."""

    trips: tuple[TripRecord, ...]
    dead: frozenset[str]  # tags that never answer
    crossings: tuple[Crossing, ...]


@dataclass(frozen=True)
class ReceiptLine:
    """One case or pallet of a receipt and what happens to it."""

    kind: Literal["epc", "sscc"]
    epc: str  # the case's or the pallet's tag
    sscc: str  # the pallet (announced one for announced cases, physical one otherwise)
    gtin: str | None  # case lines only
    status: LineStatus
    disposition: Disposition


@dataclass(frozen=True)
class Receipt:
    """The true outcome of receiving one ASN's truck."""

    asn: str
    po: str
    supplier: str
    door: str
    first_crossing_us: int
    last_crossing_us: int
    lines: tuple[ReceiptLine, ...]


@dataclass(frozen=True)
class CheckLine:
    """One case of a shipment check: expected, or loaded without being expected."""

    epc: str
    gtin: str
    sscc: str  # planned pallet of an expected case, else the pallet it left on
    status: CheckStatus


@dataclass(frozen=True)
class ShipmentCheck:
    """The true outcome of verifying one shipment against its trailer."""

    shipment: str
    customer: str
    door: str
    first_crossing_us: int
    last_crossing_us: int
    lines: tuple[CheckLine, ...]


@dataclass(frozen=True)
class StockLine:
    """Where one case is at the end of the day (None: never arrived)."""

    epc: str
    gtin: str
    location: str | None


@dataclass(frozen=True)
class Balance:
    """Cases of one GTIN at one location at the end of the day."""

    gtin: str
    location: str
    qty: int


@dataclass(frozen=True)
class DayTruth(JsonDoc):
    """Receipts, shipment checks and final stock as the business rules decide them."""

    receipts: tuple[Receipt, ...]
    shipments: tuple[ShipmentCheck, ...]
    stock: tuple[StockLine, ...]
    balances: tuple[Balance, ...]

    def counts(self) -> dict[str, int]:
        """Lines per outcome: receipt case lines, pallet lines (sscc_*) and shipment lines."""
        out: Counter[str] = Counter()
        for r in self.receipts:
            out.update(ln.status if ln.kind == "epc" else f"sscc_{ln.status}" for ln in r.lines)
        for s in self.shipments:
            out.update(ln.status for ln in s.lines)
        return dict(sorted(out.items()))


@lru_cache(maxsize=65536)
def gtin_of(tag: str) -> str:
    """GTIN-14 of a case tag."""
    gtin = epc_codec.gtin_of(tag)
    if gtin is None:
        raise ValueError(f"{tag} is not an SGTIN-96 case tag")
    return gtin


@lru_cache(maxsize=65536)
def sscc_of(tag: str) -> str:
    """SSCC-18 of a pallet tag."""
    sscc = epc_codec.sscc_of(tag)
    if sscc is None:
        raise ValueError(f"{tag} is not an SSCC-96 pallet tag")
    return sscc


class _Facts:
    """Lookups over the physical day."""

    def __init__(self, physical: PhysicalDay) -> None:
        self.dead = physical.dead
        self.crossing = {c.epc: c for c in physical.crossings}
        self.trip = {t.document: t for t in physical.trips}

    def crossed(self, tag: str, trip: TripRecord) -> bool:
        """Whether a tag physically crossed the trip's door in the trip's direction."""
        c = self.crossing.get(tag)
        return c is not None and c.door == trip.door and c.direction == trip.direction

    def span(self, trip: TripRecord) -> tuple[int, int]:
        """First and last crossing time of the trip's tags."""
        times = [self.crossing[t].time_us for p in trip.pallets for t in p if t in self.crossing]
        return (min(times), max(times)) if times else (0, 0)


def evaluate(plan: DayPlan, physical: PhysicalDay) -> DayTruth:
    """Apply the business rules to the physical day."""
    facts = _Facts(physical)
    opening = {e.epc for e in plan.opening_stock}
    location: dict[str, str | None] = {e.epc: e.location for e in plan.opening_stock}
    gtins = {e.epc: e.gtin for e in plan.opening_stock}
    receipts = tuple(
        _receive(asn, facts.trip[asn.number], facts, opening, plan.over_tolerance_pct)
        for asn in plan.asns
    )
    for receipt in receipts:
        _book_receipt(receipt, location, gtins)
    checks = tuple(_check(s, facts.trip[s.number], facts) for s in plan.shipments)
    for check, trip in zip(checks, (facts.trip[s.number] for s in plan.shipments), strict=True):
        for tag in _left(trip, facts):
            location[tag] = transit_location(check.shipment)
            gtins.setdefault(tag, gtin_of(tag))
    stock = tuple(StockLine(e, gtins[e], location[e]) for e in sorted(location))
    return DayTruth(receipts, checks, stock, _balances(stock))


def _received(trip: TripRecord, facts: _Facts) -> list[tuple[str, ...]]:
    return [
        pallet
        for pallet in trip.pallets
        if any(t not in facts.dead and facts.crossed(t, trip) for t in pallet)
    ]


def _receive(
    asn: Asn, trip: TripRecord, facts: _Facts, opening: set[str], tolerance_pct: float
) -> Receipt:
    received = _received(trip, facts)
    got = {sscc_of(p[0]) for p in received}
    expected = set(asn.epcs)
    on_asn = set(asn.quantities())
    cases: list[tuple[str, str, str, LineStatus]] = []  # epc, sscc, gtin, status
    for pallet in asn.pallets:
        arrived = pallet.sscc in got
        for c in pallet.cases:
            status: LineStatus = "short" if not arrived else _delivered(c.epc, opening)
            cases.append((c.epc, pallet.sscc, c.gtin, status))
    for p in received:
        for tag in p[1:]:
            if tag not in expected:
                g = gtin_of(tag)
                status = _delivered(tag, opening, over=g in on_asn)
                cases.append((tag, sscc_of(p[0]), g, status))
    case_lines = _dispose(cases, asn.quantities(), tolerance_pct)
    first, last = facts.span(trip)
    return Receipt(
        asn.number,
        asn.po,
        asn.supplier,
        trip.door,
        first,
        last,
        case_lines + _pallet_lines(asn, received, on_asn, case_lines),
    )


def _delivered(tag: str, opening: set[str], *, over: bool | None = None) -> LineStatus:
    # over=None: the case was announced.
    if tag in opening:
        return "duplicate"
    if over is None:
        return "matched"
    return "over" if over else "unexpected"


def _dispose(
    cases: list[tuple[str, str, str, LineStatus]], expected: dict[str, int], tolerance_pct: float
) -> tuple[ReceiptLine, ...]:
    over = Counter(g for _, _, g, s in cases if s == "over")
    tolerated = {g for g, n in over.items() if n * 100.0 <= expected.get(g, 0) * tolerance_pct}
    fixed: dict[LineStatus, Disposition] = {
        "matched": "storage",
        "short": "backorder",
        "unexpected": "quarantine",
        "duplicate": "none",
    }
    return tuple(
        ReceiptLine(
            "epc",
            tag,
            sscc,
            g,
            status,
            fixed.get(status, "storage" if g in tolerated else "quarantine"),
        )
        for tag, sscc, g, status in cases
    )


def _pallet_lines(
    asn: Asn,
    received: list[tuple[str, ...]],
    on_asn: set[str],
    case_lines: tuple[ReceiptLine, ...],
) -> tuple[ReceiptLine, ...]:
    got = {sscc_of(p[0]): p for p in received}
    announced = {p.sscc for p in asn.pallets}
    lines = [
        ReceiptLine(
            "sscc",
            p.epc,
            p.sscc,
            None,
            "matched" if p.sscc in got else "short",
            "storage" if p.sscc in got else "backorder",
        )
        for p in asn.pallets
    ]
    quarantined = {ln.sscc for ln in case_lines if ln.disposition == "quarantine"}
    for sscc, pallet in got.items():
        if sscc not in announced:
            over = any(gtin_of(t) in on_asn for t in pallet[1:])
            where: Disposition = "quarantine" if sscc in quarantined or not over else "storage"
            lines.append(
                ReceiptLine("sscc", pallet[0], sscc, None, "over" if over else "unexpected", where)
            )
    return tuple(lines)


def _book_receipt(receipt: Receipt, location: dict[str, str | None], gtins: dict[str, str]) -> None:
    # Duplicates leave the original alone; shorts are nowhere unless already somewhere.
    for line in receipt.lines:
        if line.kind != "epc" or line.gtin is None:
            continue
        gtins.setdefault(line.epc, line.gtin)
        if line.disposition in ("storage", "quarantine"):
            location[line.epc] = line.disposition
        elif line.status == "short":
            location.setdefault(line.epc, None)


def _left(trip: TripRecord, facts: _Facts) -> list[str]:
    # Case tags that physically left on the trailer (dead or alive).
    return [t for p in trip.pallets for t in p[1:] if facts.crossed(t, trip)]


def _check(shipment: Shipment, trip: TripRecord, facts: _Facts) -> ShipmentCheck:
    left = _left(trip, facts)
    gone = set(left)
    pallets_gone = {sscc_of(p[0]) for p in trip.pallets if facts.crossed(p[0], trip)}
    on_order = set(shipment.quantities())
    lines = [
        CheckLine(
            ln.epc,
            ln.gtin,
            ln.sscc,
            "verified" if _verified(ln.epc, ln.sscc, gone, pallets_gone, facts) else "missing",
        )
        for ln in shipment.lines
    ]
    expected = {ln.epc for ln in shipment.lines}
    pallet_of = {t: sscc_of(p[0]) for p in trip.pallets for t in p[1:]}
    for tag in left:
        if tag not in expected:
            g = gtin_of(tag)
            lines.append(
                CheckLine(tag, g, pallet_of[tag], "extra" if g in on_order else "wrong_item")
            )
    first, last = facts.span(trip)
    return ShipmentCheck(shipment.number, shipment.customer, trip.door, first, last, tuple(lines))


def _verified(tag: str, sscc: str, gone: set[str], pallets_gone: set[str], facts: _Facts) -> bool:
    if tag in facts.dead:
        return sscc in pallets_gone
    return tag in gone


def _balances(stock: Iterable[StockLine]) -> tuple[Balance, ...]:
    counts = Counter((s.gtin, s.location) for s in stock if s.location is not None)
    return tuple(Balance(g, loc, n) for (g, loc), n in sorted(counts.items()) if loc is not None)
