"""MoveSpec validation and net deltas: pure, no database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.ledger.types import MoveReason, MoveSpec, net_deltas

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def spec(**changes: object) -> MoveSpec:
    """A valid move with some fields changed."""
    values: dict[str, object] = {
        "item_id": 1,
        "qty": 5,
        "from_location_id": 1,
        "to_location_id": 2,
        "reason": MoveReason.RECEIPT,
        "source_type": "receipt_line",
        "source_id": "7",
        "at": AT,
    }
    values.update(changes)
    return MoveSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qty": 0}, "qty must be positive"),
        ({"qty": -3}, "qty must be positive"),
        ({"to_location_id": 1}, "from and to location are the same"),
        ({"epc": "3034ABCD", "qty": 2}, "an EPC is one unit"),
        ({"lot": ""}, "must be None or non-empty"),
        ({"at": datetime(2026, 1, 5, 8, 0)}, "timezone-aware"),
        ({"source_type": ""}, "source_type"),
        ({"source_id": "x" * 65}, "source_id"),
    ],
)
def test_invalid_moves_are_refused_with_the_reason(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        spec(**changes)


def test_stock_key_is_epc_then_lot_then_empty() -> None:
    assert spec(epc="3034ABCD", lot="L1", qty=1).stock_key == "3034ABCD"
    assert spec(lot="L1").stock_key == "L1"
    assert spec().stock_key == ""


def test_net_deltas_take_from_source_and_give_to_target() -> None:
    deltas = net_deltas([spec(qty=5), spec(qty=2, from_location_id=2, to_location_id=3)])
    assert {(k.location_id, v) for k, v in deltas.items()} == {(1, -5), (2, 3), (3, 2)}


moves = st.lists(
    st.builds(
        lambda item, a, b, qty, lot: spec(
            item_id=item, from_location_id=a, to_location_id=a + b, qty=qty, lot=lot
        ),
        st.integers(1, 3),
        st.integers(1, 4),
        st.integers(1, 3),
        st.integers(1, 100),
        st.sampled_from([None, "A", "B"]),
    ),
    max_size=30,
)


@given(moves)
def test_moves_conserve_quantity_per_item_and_key(batch: list[MoveSpec]) -> None:
    totals: Counter[tuple[int, str]] = Counter()
    for key, delta in net_deltas(batch).items():
        totals[(key.item_id, key.stock_key)] += delta
    assert all(total == 0 for total in totals.values())
