"""Receiving rules on hand-built and random deliveries (pure: no database)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.domain import receiving as rcv
from cloud.enums import ReceiptLineStatus as Status
from cloud.ledger.types import MoveReason

T0 = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
PLACES = rcv.Places(dock=10, storage=11, quarantine=12, unknown_supplier=13)
SUPPLIER = 20


def epc(n: int) -> str:
    return f"3034{n:020X}"


def sscc_tag(n: int) -> str:
    return f"3114{n:020X}"


def pallet(n: int, cases: list[tuple[int, int]]) -> rcv.AnnouncedPallet:
    return rcv.AnnouncedPallet(f"SSCC{n:014d}", tuple(rcv.Case(epc(e), item) for e, item in cases))


def arrive(e: int, item: int | None, seconds: float = 0.0) -> rcv.Arrival:
    return rcv.Arrival(epc(e), T0 + timedelta(seconds=seconds), item_id=item, event_id=f"ev{e}")


def arrive_pallet(n: int, seconds: float = 0.0) -> rcv.Arrival:
    at = T0 + timedelta(seconds=seconds)
    return rcv.Arrival(sscc_tag(n), at, sscc=f"SSCC{n:014d}")


def reconcile(
    ann: rcv.Announcement | None,
    arrivals: list[rcv.Arrival],
    on_hand: frozenset[str] = frozenset(),
    tol: float = 10.0,
) -> rcv.Receipt:
    return rcv.reconcile(
        ann, arrivals, on_hand, PLACES, session_key="rs1",
        posted_at=T0 + timedelta(minutes=5), tolerance_pct=tol,
    )  # fmt: skip


def by_epc(receipt: rcv.Receipt) -> dict[str, rcv.Line]:
    return {line.epc: line for line in receipt.lines if line.epc and line.sscc is None}


def test_every_classification_on_one_truck() -> None:
    ann = rcv.Announcement(
        asn_id=1,
        supplier_location_id=SUPPLIER,
        pallets=(
            pallet(1, [(1, 100), (2, 100), (3, 100)]),  # arrives; case 3's tag is dead
            pallet(2, [(4, 101), (5, 101)]),  # does not arrive: short
        ),
    )
    arrivals = [
        arrive_pallet(1), arrive(1, 100), arrive(2, 100),
        arrive(6, 100, 30),  # an extra case of an announced item: over (1 of 5 = 20 % > 10 %)
        arrive(7, 999, 60),  # an item nobody announced: unexpected
        arrive(8, 100, 90),  # a copy of a tag already on our shelves: duplicate
    ]  # fmt: skip
    receipt = reconcile(ann, arrivals, on_hand=frozenset({epc(8)}))
    lines = by_epc(receipt)
    assert (lines[epc(1)].status, lines[epc(1)].evidence) == (Status.MATCHED, "read")
    assert (lines[epc(3)].status, lines[epc(3)].evidence) == (Status.MATCHED, "pallet")
    assert (lines[epc(4)].status, lines[epc(4)].disposition) == (Status.SHORT, rcv.BACKORDER)
    assert (lines[epc(6)].status, lines[epc(6)].disposition) == (Status.OVER, rcv.QUARANTINE)
    assert (lines[epc(7)].status, lines[epc(7)].disposition) == (Status.UNEXPECTED, rcv.QUARANTINE)
    assert (lines[epc(8)].status, lines[epc(8)].disposition) == (Status.DUPLICATE, rcv.NONE)
    pallets = {line.sscc: line.status for line in receipt.lines if line.sscc}
    assert pallets == {"SSCC00000000000001": Status.MATCHED, "SSCC00000000000002": Status.SHORT}
    moved = Counter(m.epc for m in receipt.moves)
    assert moved == {epc(1): 2, epc(2): 2, epc(3): 2, epc(6): 2, epc(7): 2}
    assert receipt.received == Counter({100: 4, 999: 1})


def test_over_within_tolerance_goes_to_storage() -> None:
    cases = [(i, 100) for i in range(1, 11)]
    ann = rcv.Announcement(1, SUPPLIER, pallets=(pallet(1, cases),))
    arrivals = [arrive(i, 100) for i in range(1, 12)]  # 11 of 10: 10 % over
    line = by_epc(reconcile(ann, arrivals, tol=10.0))[epc(11)]
    assert (line.status, line.disposition) == (Status.OVER, rcv.STORAGE)


def test_unannounced_pallet_takes_the_cases_that_crossed_with_it() -> None:
    ann = rcv.Announcement(1, SUPPLIER, pallets=(pallet(1, [(1, 100)]),))
    arrivals = [
        arrive_pallet(1), arrive(1, 100),
        arrive_pallet(2, 60), arrive(2, 100, 60.5),  # extra pallet of an announced item: over
        arrive_pallet(3, 120), arrive(3, 555, 121),  # pallet of an unannounced item
    ]  # fmt: skip
    pallets = {line.sscc: line.status for line in reconcile(ann, arrivals).lines if line.sscc}
    assert pallets["SSCC00000000000002"] is Status.OVER
    assert pallets["SSCC00000000000003"] is Status.UNEXPECTED


def test_no_asn_everything_unexpected_from_an_unknown_supplier() -> None:
    receipt = reconcile(None, [arrive(1, 100), arrive(2, 101)])
    assert {line.status for line in receipt.lines} == {Status.UNEXPECTED}
    firsts = [m for m in receipt.moves if m.reason is MoveReason.RECEIPT]
    assert {m.from_location_id for m in firsts} == {PLACES.unknown_supplier}
    assert receipt.asn_id is None


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[rcv.Announcement, list[rcv.Arrival], set[int], set[int]]:
    n_pallets = draw(st.integers(1, 6))
    pallets, serial = [], 0
    for p in range(n_pallets):
        size = draw(st.integers(1, 8))
        pallets.append(pallet(p, [(serial + i, 100 + p % 3) for i in range(size)]))
        serial += size
    came = set(draw(st.sets(st.integers(0, n_pallets - 1))))
    dead = draw(st.sets(st.integers(0, serial - 1)))
    arrivals = [arrive_pallet(p, p * 30) for p in came]
    for p in came:
        arrivals += [
            arrive(int(c.epc[4:], 16), c.item_id, p * 30)
            for c in pallets[p].cases
            if int(c.epc[4:], 16) not in dead
        ]
    extra = draw(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1)), max_size=6))
    for k, (item_shift, _) in enumerate(extra):
        arrivals.append(arrive(10_000 + k, 100 + item_shift, 500 + k))
    ann = rcv.Announcement(1, SUPPLIER, tuple(pallets))
    return ann, arrivals, came, dead


@given(deliveries(), st.floats(0, 100))
def test_random_deliveries_follow_the_rules(
    case: tuple[rcv.Announcement, list[rcv.Arrival], set[int], set[int]], tol: float
) -> None:
    ann, arrivals, came, _dead = case
    receipt = reconcile(ann, arrivals, tol=tol)
    lines = by_epc(receipt)
    announced_items = set(ann.items())
    for p, announced in enumerate(ann.pallets):
        for c in announced.cases:
            want = Status.MATCHED if p in came else Status.SHORT
            assert lines[c.epc].status is want
    for a in arrivals:
        if a.sscc is None and a.epc not in {c.epc for p in ann.pallets for c in p.cases}:
            want = Status.OVER if a.item_id in announced_items else Status.UNEXPECTED
            assert lines[a.epc].status is want
    stocked = [line for line in lines.values() if line.disposition in {rcv.STORAGE, rcv.QUARANTINE}]
    assert len(receipt.moves) == 2 * len(stocked)
    assert all(m.qty == 1 and m.epc for m in receipt.moves)
    assert sum(receipt.received.values()) == len(stocked)
