"""Outbound verification rules (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from cloud.domain import shipping as shp
from cloud.ledger.types import MoveReason

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def epc(n: int) -> str:
    return f"3034{n:020X}"


def loaded(n: int, item: int | None) -> shp.Loaded:
    return shp.Loaded(epc(n), T0, item, None, f"ev{n}")


def pallet_tag(sscc: str) -> shp.Loaded:
    return shp.Loaded("3114" + sscc[-20:].rjust(20, "0"), T0, None, sscc, None)


EXPECTED = [
    shp.Expected(epc(1), 100, "P1"),
    shp.Expected(epc(2), 100, "P1"),
    shp.Expected(epc(3), 101, "P2"),
]


def test_judge_each_scan_as_it_happens() -> None:
    expected = {e.epc: e for e in EXPECTED}
    items = frozenset({100, 101})
    assert shp.judge(loaded(1, 100), expected, items) is shp.Verdict.EXPECTED
    assert shp.judge(loaded(9, 100), expected, items) is shp.Verdict.EXTRA
    assert shp.judge(loaded(9, 555), expected, items) is shp.Verdict.WRONG_ITEM
    assert shp.judge(loaded(9, None), expected, items) is shp.Verdict.UNKNOWN
    assert shp.judge(pallet_tag("P1"), expected, items) is shp.Verdict.CONTAINER


def test_dead_tag_is_verified_through_its_pallet_only() -> None:
    # EPC 2's tag is dead and its pallet P1 left; EPC 3 is missing (P2 never crossed).
    v = shp.verify(EXPECTED, [loaded(1, 100), pallet_tag("P1")], dead=frozenset({epc(2), epc(3)}))
    assert [e.epc for e in v.verified] == [epc(1)]
    assert [e.epc for e in v.inferred] == [epc(2)]
    assert [e.epc for e in v.missing] == [epc(3)]
    assert not v.clean


def test_live_tag_not_read_is_missing_even_if_its_pallet_left() -> None:
    v = shp.verify(EXPECTED, [loaded(1, 100), pallet_tag("P1")], dead=frozenset())
    assert {e.epc for e in v.missing} == {epc(2), epc(3)}


def test_confirm_moves_everything_loaded_into_transit() -> None:
    v = shp.verify(
        EXPECTED, [loaded(1, 100), loaded(2, 100), loaded(3, 101), loaded(7, 555)], dead=frozenset()
    )
    assert [s.epc for s in v.wrong] == [epc(7)]
    where = {epc(n): shp.Stock(100, 50) for n in (1, 2)} | {
        epc(3): shp.Stock(101, 60),
        epc(7): shp.Stock(555, 50),
    }
    moves = shp.shipping_moves(v, where, shp.Loading(dock=70, transit=80, key="shp1", at=T0))
    picks = [m for m in moves if m.reason is MoveReason.PICK]
    loads = [m for m in moves if m.reason is MoveReason.SHIPMENT]
    assert {m.epc for m in loads} == {epc(1), epc(2), epc(3), epc(7)}
    assert {m.to_location_id for m in loads} == {80}
    assert {(m.epc, m.from_location_id) for m in picks} == {
        (epc(1), 50),
        (epc(2), 50),
        (epc(3), 60),
        (epc(7), 50),
    }


def test_not_in_stock_is_reported_not_moved() -> None:
    v = shp.verify(EXPECTED[:1], [loaded(1, 100)], dead=frozenset())
    assert shp.shipping_moves(v, {}, shp.Loading(70, 80, "shp1", T0)) == ()
    assert shp.not_in_stock(v, {}) == (epc(1),)


@given(st.sets(st.integers(0, 19)), st.sets(st.integers(0, 19)), st.sets(st.integers(20, 25)))
def test_random_loadings_partition_the_pick_list(
    loaded_set: set[int], dead: set[int], extra: set[int]
) -> None:
    expected = [shp.Expected(epc(n), 100 + n % 2, f"P{n // 5}") for n in range(20)]
    scans = [loaded(n, 100 + n % 2) for n in loaded_set - dead] + [loaded(n, 100) for n in extra]
    pallets_out = {f"P{n // 5}" for n in loaded_set}
    scans += [pallet_tag(p) for p in pallets_out]
    v = shp.verify(expected, scans, frozenset(epc(n) for n in dead))
    found = {e.epc for e in (*v.verified, *v.inferred, *v.missing)}
    assert found == {e.epc for e in expected}
    assert len(v.verified) + len(v.inferred) + len(v.missing) == len(expected)
    for e in v.inferred:
        assert e.epc in {epc(n) for n in dead}
        assert e.sscc in pallets_out
    assert {s.epc for s in v.extra} == {epc(n) for n in extra}
