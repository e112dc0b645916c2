"""Day truth: the business rules on small hand-made days, and the documents' JSON shape."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_sim.scenario.day_json import DocumentError, from_data, to_data
from firmware_sim.scenario.day_plan import (
    Appointment,
    Asn,
    AsnPallet,
    CaseLine,
    DayPlan,
    Shipment,
    ShipmentLine,
    ShipmentPallet,
    StockEntry,
    Window,
)
from firmware_sim.scenario.day_truth import (
    DayTruth,
    Direction,
    PhysicalDay,
    ReceiptLine,
    TripRecord,
    evaluate,
    gtin_of,
    sscc_of,
)
from firmware_sim.scenario.types import Crossing
from protocol.epc import encode_sgtin96, encode_sscc96

PREFIX = "0614141"
IN_DOOR, OUT_DOOR = "dock1", "dock2"
Pallet = tuple[str, list[str]]  # SSCC tag, case tags


def case(item: int, serial: int) -> str:
    """A case tag of one of a few items."""
    return encode_sgtin96(PREFIX, f"1{item:05d}", serial, filter_value=2)


def pallet(n: int) -> str:
    """A pallet tag."""
    return encode_sscc96(PREFIX, f"{n:010d}")


def plan(
    asns: Sequence[Asn] = (),
    shipments: Sequence[Shipment] = (),
    opening: Sequence[str] = (),
    tolerance_pct: float = 10.0,
) -> DayPlan:
    """A plan holding just the documents the rules read."""
    return DayPlan(
        site="T",
        start_us=0,
        end_us=10,
        quiet_s=20.0,
        over_tolerance_pct=tolerance_pct,
        items=(),
        partners=(),
        locations=(),
        gateways=(),
        read_points=(),
        purchase_orders=(),
        asns=tuple(asns),
        shipments=tuple(shipments),
        opening_stock=tuple(StockEntry(e, gtin_of(e), "storage") for e in opening),
    )


def asn(pallets: Sequence[Pallet], number: str = "ASN-1") -> Asn:
    """An ASN announcing pallets with their cases."""
    return Asn(
        number,
        "PO-1",
        "SUP-01",
        None,
        tuple(
            AsnPallet(sscc_of(p), p, tuple(CaseLine(c, gtin_of(c)) for c in cases))
            for p, cases in pallets
        ),
    )


def shipment(pallets: Sequence[Pallet], number: str = "SO-1") -> Shipment:
    """A shipment expecting cases packed on pallets."""
    return Shipment(
        number,
        "CUS-01",
        OUT_DOOR,
        Window(0, 10),
        tuple(ShipmentPallet(sscc_of(p), p) for p, _ in pallets),
        tuple(ShipmentLine(c, gtin_of(c), sscc_of(p)) for p, cases in pallets for c in cases),
    )


def trip(
    pallets: Sequence[Pallet], document: str, *, inbound: bool = True
) -> tuple[TripRecord, list[Crossing]]:
    """What physically travelled, each tag crossing the trip's door."""
    door = IN_DOOR if inbound else OUT_DOOR
    direction: Direction = "in" if inbound else "out"
    record = TripRecord(document, door, direction, tuple((p, *cases) for p, cases in pallets))
    crossings = [
        Crossing(tag, door, direction, 1000 * i)
        for i, tag in enumerate(t for p in record.pallets for t in p)
    ]
    return record, crossings


def day_of(
    docs: DayPlan,
    trips: Sequence[tuple[TripRecord, list[Crossing]]],
    dead: AbstractSet[str] = frozenset(),
) -> DayTruth:
    """Evaluate trips against documents."""
    physical = PhysicalDay(
        tuple(t for t, _ in trips), frozenset(dead), tuple(c for _, cs in trips for c in cs)
    )
    return evaluate(docs, physical)


def statuses(truth: DayTruth) -> dict[str, tuple[str, str]]:
    """Status and disposition of every receipt line by tag."""
    return {ln.epc: (ln.status, ln.disposition) for r in truth.receipts for ln in r.lines}


def location(truth: DayTruth) -> dict[str, str | None]:
    """Final location of every case."""
    return {s.epc: s.location for s in truth.stock}


def test_a_pallet_with_any_live_tag_is_received_with_its_packing_list() -> None:
    a_cases = [case(1, i) for i in range(3)]
    b_cases = [case(1, 10 + i) for i in range(3)]
    pallets = [(pallet(1), a_cases), (pallet(2), b_cases)]
    # Pallet 1: only its SSCC answers. Pallet 2: nothing on it answers at all.
    dead = set(a_cases) | {pallet(2), *b_cases}
    truth = day_of(plan([asn(pallets)]), [trip(pallets, "ASN-1")], dead)
    got = statuses(truth)
    assert {got[c] for c in a_cases} == {("matched", "storage")}
    assert got[pallet(1)] == ("matched", "storage")
    assert {got[c] for c in b_cases} == {("short", "backorder")}
    assert got[pallet(2)] == ("short", "backorder")
    where = location(truth)
    assert {where[c] for c in a_cases} == {"storage"}
    assert {where[c] for c in b_cases} == {None}


def test_a_pallet_left_off_the_truck_is_short() -> None:
    pallets = [(pallet(1), [case(1, 1)]), (pallet(2), [case(1, 2)])]
    truth = day_of(plan([asn(pallets)]), [trip(pallets[:1], "ASN-1")])
    got = statuses(truth)
    assert got[case(1, 2)] == ("short", "backorder")
    assert got[pallet(2)] == ("short", "backorder")
    assert truth.counts() == {"matched": 1, "short": 1, "sscc_matched": 1, "sscc_short": 1}


@settings(deadline=None, max_examples=60)  # encodes up to 72 tags per example
@given(expected=st.integers(1, 60), over=st.integers(1, 12), pct=st.sampled_from([0.0, 10.0, 25.0]))
def test_over_cases_within_tolerance_are_stored_beyond_it_quarantined(
    expected: int, over: int, pct: float
) -> None:
    announced = [case(1, i) for i in range(expected)]
    extra = [case(1, 1000 + i) for i in range(over)]
    documented = [(pallet(1), announced)]
    delivered = [(pallet(1), announced + extra)]
    truth = day_of(plan([asn(documented)], tolerance_pct=pct), [trip(delivered, "ASN-1")])
    where = "storage" if over * 100 <= expected * pct else "quarantine"
    got = statuses(truth)
    assert {got[c] for c in extra} == {("over", where)}
    assert {location(truth)[c] for c in extra} == {where}
    assert {got[c] for c in announced} == {("matched", "storage")}


def test_unannounced_pallets_are_over_or_unexpected_by_their_items() -> None:
    announced = [(pallet(1), [case(1, i) for i in range(20)])]
    mixed = (pallet(2), [case(1, 100), case(2, 1)])  # one announced item, one not
    foreign = (pallet(3), [case(3, 1), case(3, 2)])
    truth = day_of(
        plan([asn(announced)], tolerance_pct=50.0), [trip([*announced, mixed, foreign], "ASN-1")]
    )
    got = statuses(truth)
    assert got[case(1, 100)] == ("over", "storage")
    assert got[case(2, 1)] == ("unexpected", "quarantine")
    assert got[pallet(2)] == ("over", "quarantine")  # it holds a quarantined case
    assert got[pallet(3)] == ("unexpected", "quarantine")
    assert {got[c] for c in foreign[1]} == {("unexpected", "quarantine")}


def test_a_cloned_tag_is_a_duplicate_and_the_original_stays() -> None:
    original = case(1, 7)
    announced = [(pallet(1), [case(1, 1)])]
    delivered = [(pallet(1), [case(1, 1), original])]
    truth = day_of(plan([asn(announced)], opening=[original]), [trip(delivered, "ASN-1")])
    assert statuses(truth)[original] == ("duplicate", "none")
    assert location(truth)[original] == "storage"
    assert [s.epc for s in truth.stock].count(original) == 1


def test_shipment_lines_by_reads_and_by_pallet_for_dead_tags() -> None:
    live_ok, dead_ok, dead_left, live_left = (case(1, i) for i in range(4))
    extra, wrong = case(1, 50), case(2, 50)
    gone, staged = pallet(10), pallet(11)
    picked = [(gone, [live_ok, dead_ok, live_left]), (staged, [dead_left])]
    loaded = [(gone, [live_ok, dead_ok, extra, wrong])]  # live_left and the staged pallet stay
    truth = day_of(
        plan(
            shipments=[shipment(picked)],
            opening=[live_ok, dead_ok, dead_left, live_left, extra, wrong],
        ),
        [trip(loaded, "SO-1", inbound=False)],
        {dead_ok, dead_left},
    )
    (check,) = truth.shipments
    got = {ln.epc: ln.status for ln in check.lines}
    assert got == {
        live_ok: "verified",
        dead_ok: "verified",
        live_left: "missing",
        dead_left: "missing",
        extra: "extra",
        wrong: "wrong_item",
    }
    where = location(truth)
    assert {e for e, loc in where.items() if loc == "transit:SO-1"} == {
        live_ok,
        dead_ok,
        extra,
        wrong,
    }
    assert where[live_left] == where[dead_left] == "storage"
    assert (check.first_crossing_us, check.last_crossing_us) == (0, 4000)


def test_balances_count_cases_per_item_and_place() -> None:
    pallets = [(pallet(1), [case(1, 1), case(1, 2), case(2, 1)])]
    truth = day_of(plan([asn(pallets)], opening=[case(1, 9)]), [trip(pallets, "ASN-1")])
    assert {(b.gtin, b.location, b.qty) for b in truth.balances} == {
        (gtin_of(case(1, 1)), "storage", 3),
        (gtin_of(case(2, 1)), "storage", 1),
    }


texts = st.text("0123456789ABCDEF", min_size=1, max_size=24)
windows = st.builds(Window, st.integers(0, 2**62), st.integers(0, 2**62))
asns = st.builds(
    Asn,
    number=texts,
    po=texts,
    supplier=texts,
    appointment=st.none() | st.builds(Appointment, texts, windows),
    pallets=st.lists(
        st.builds(AsnPallet, texts, texts, st.lists(st.builds(CaseLine, texts, texts)).map(tuple)),
        max_size=3,
    ).map(tuple),
)
lines = st.builds(
    ReceiptLine,
    kind=st.sampled_from(["epc", "sscc"]),
    epc=texts,
    sscc=texts,
    gtin=st.none() | texts,
    status=st.sampled_from(["matched", "short", "over", "unexpected", "duplicate"]),
    disposition=st.sampled_from(["storage", "quarantine", "backorder", "none"]),
)


@settings(deadline=None)
@given(document=asns | lines)
def test_documents_round_trip_through_plain_data(document: Asn | ReceiptLine) -> None:
    assert from_data(type(document), to_data(document)) == document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unknown fields"),
        ({"status": "lost"}, "not one of"),
        ({"epc": 5}, "expected str"),
    ],
)
def test_misshapen_documents_are_refused(change: dict[str, object], message: str) -> None:
    data = to_data(ReceiptLine("epc", "A1", "B2", None, "matched", "storage"))
    with pytest.raises(DocumentError, match=message):
        from_data(ReceiptLine, {**data, **change})
    del data["gtin"]
    with pytest.raises(DocumentError, match="missing fields"):
        from_data(ReceiptLine, data)
