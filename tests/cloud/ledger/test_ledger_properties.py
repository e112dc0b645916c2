"""Random move sequences: the balances cache always equals a rebuild from the moves."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.enums import LocationType
from cloud.ledger import queries
from cloud.ledger.ledger import Ledger
from cloud.ledger.types import AlreadyPostedError, MoveReason, MoveSpec, net_deltas
from cloud.store.models import Balance
from tests.cloud.conftest import Database
from tests.cloud.factories import add_items, add_locations

T0 = datetime(2026, 2, 1, tzinfo=UTC)
EPCS = ["3034257BF400B7800004CB01", "3034257BF400B7800004CB02", "3034257BF400B7800004CB03"]
TYPES = (
    LocationType.SUPPLIER,
    LocationType.RECEIVING_DOCK,
    LocationType.STORAGE,
    LocationType.CUSTOMER,
)


@dataclass(frozen=True)
class Leg:
    """A move in terms of indexes into the example's items and locations."""

    item: int
    src: int
    dst: int
    qty: int
    lot: str | None
    epc: str | None


legs = st.builds(
    lambda item, src, step, qty, key: Leg(
        EPCS.index(key) % 2 if key in EPCS else item,  # an EPC belongs to one item
        src,
        (src + step) % len(TYPES),
        1 if key in EPCS else qty,
        key if key in ("A", "B") else None,
        key if key in EPCS else None,
    ),
    st.integers(0, 1),
    st.integers(0, len(TYPES) - 1),
    st.integers(1, len(TYPES) - 1),
    st.integers(1, 20),
    st.sampled_from([None, "A", "B", *EPCS]),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.lists(legs, min_size=1, max_size=6)),
        st.tuples(st.just("repost"), st.integers(0, 50)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=12,
)


class Model:
    """What the ledger should hold, computed in plain Python."""

    def __init__(self, session: Session) -> None:
        self.items = add_items(session, 2)
        self.locations = add_locations(session, *TYPES)
        self.posted: list[MoveSpec] = []
        self.batches: list[list[MoveSpec]] = []
        self.ids: list[int] = []
        self.reversed: dict[int, int] = {}  # move id -> id of the move that reversed it
        self.clock = itertools.count()
        self.sources = itertools.count()

    def spec(self, leg: Leg, source: str) -> MoveSpec:
        """The MoveSpec of one leg."""
        return MoveSpec(
            item_id=self.items[leg.item],
            qty=leg.qty,
            from_location_id=self.locations[leg.src],
            to_location_id=self.locations[leg.dst],
            reason=MoveReason.TRANSFER,
            source_type="test",
            source_id=source,
            at=T0 + timedelta(minutes=next(self.clock)),
            epc=leg.epc,
            lot=leg.lot,
        )

    def expected(self) -> dict[tuple[int, int, str], int]:
        """Non-zero balances implied by every posted move."""
        deltas = net_deltas(self.posted)
        return {(k.item_id, k.location_id, k.stock_key): q for k, q in deltas.items() if q}


def _apply(ledger: Ledger, session: Session, model: Model, op: tuple[str, object]) -> None:
    kind, arg = op
    if kind == "post" and isinstance(arg, list):
        source = str(next(model.sources))
        unique = {(leg.item, leg.lot or leg.epc or ""): leg for leg in arg}
        batch = [model.spec(leg, source) for leg in unique.values()]
        model.ids += ledger.post(session, batch)
        model.posted += batch
        model.batches.append(batch)
    elif kind == "repost" and isinstance(arg, int) and model.batches:
        with pytest.raises(AlreadyPostedError):
            ledger.post(session, model.batches[arg % len(model.batches)])
    elif kind == "reverse" and isinstance(arg, int) and model.ids:
        index = arg % len(model.ids)
        original = model.posted[index]
        if model.ids[index] in model.reversed:
            with pytest.raises(AlreadyPostedError):
                ledger.reverse(session, model.ids[index])
            return
        model.ids.append(ledger.reverse(session, model.ids[index], at=original.at))
        model.reversed[model.ids[index]] = model.ids[-1]
        model.posted.append(_mirror(original, model.ids[index]))


def _mirror(spec: MoveSpec, move_id: int) -> MoveSpec:
    return MoveSpec(
        item_id=spec.item_id,
        qty=spec.qty,
        from_location_id=spec.to_location_id,
        to_location_id=spec.from_location_id,
        reason=MoveReason.REVERSAL,
        source_type="reversal",
        source_id=str(move_id),
        at=spec.at,
        epc=spec.epc,
        lot=spec.lot,
    )


def _balances(session: Session) -> dict[tuple[int, int, str], int]:
    rows = session.execute(
        select(Balance.item_id, Balance.location_id, Balance.stock_key, Balance.qty)
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def _check_epc_history(session: Session, model: Model) -> None:
    for epc in EPCS:
        history = queries.epc_history(session, epc)
        net: Counter[int] = Counter()
        for row in history:
            net[row.Move.to_location_id] += 1
            net[row.Move.from_location_id] -= 1
        held = {row.id: row.qty for row in queries.epc_whereabouts(session, epc)}
        assert held == {loc: n for loc, n in net.items() if n > 0}
        assert [row.Move.at for row in history] == sorted(row.Move.at for row in history)


def _reverse_what_stands(ledger: Ledger, session: Session, model: Model) -> None:
    """Reverse the last move of every chain move <- reversal <- reversal ... that has an effect."""
    originals = [
        i for i, spec in zip(model.ids, model.posted, strict=True) if spec.source_type == "test"
    ]
    for move_id in originals:
        chain = [move_id]
        while chain[-1] in model.reversed:
            chain.append(model.reversed[chain[-1]])
        if len(chain) % 2:
            ledger.reverse(session, chain[-1])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_balances_equal_rebuild_and_reversals_cancel(
    database: Database, ops: list[tuple[str, object]]
) -> None:
    ledger = Ledger()
    with database.sessions() as session, session.begin():
        model = Model(session)
        for op in ops:
            _apply(ledger, session, model, op)
        cached = _balances(session)
        assert cached == model.expected()
        assert queries.balance_discrepancies(session) == []
        _check_epc_history(session, model)
        ledger.rebuild_balances(session)
        assert _balances(session) == cached
        _reverse_what_stands(ledger, session, model)
        assert _balances(session) == {}
        session.rollback()
