"""Posting, reversing and rebuilding on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cloud.enums import LocationType
from cloud.ledger import queries
from cloud.ledger.ledger import Ledger
from cloud.ledger.types import (
    AlreadyPostedError,
    LedgerError,
    MoveNotFoundError,
    MoveReason,
    MoveSpec,
)
from cloud.store.models import Balance, Move, Partner
from tests.cloud.conftest import Database
from tests.cloud.factories import add_items, add_locations

AT = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
EPC = "3034257BF400B7800004CB2F"


def receipt(item: int, src: int, dst: int, source_id: str, **kw: object) -> MoveSpec:
    """A receipt move from supplier to dock."""
    values: dict[str, object] = {"qty": 10, "at": AT}
    values.update(kw)
    return MoveSpec(
        item_id=item,
        from_location_id=src,
        to_location_id=dst,
        reason=MoveReason.RECEIPT,
        source_type="receipt_line",
        source_id=source_id,
        **values,  # type: ignore[arg-type]
    )


def balances(session: Session) -> dict[tuple[int, int, str], int]:
    """Every balance row."""
    rows = session.execute(
        select(Balance.item_id, Balance.location_id, Balance.stock_key, Balance.qty)
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def test_post_writes_moves_and_balances(database: Database) -> None:
    ledger = Ledger()
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        ids = ledger.post(
            session, [receipt(item, sup, dock, "1"), receipt(item, sup, dock, "2", qty=3)]
        )
    assert len(ids) == 2
    assert ids[0] < ids[1]
    with database.sessions() as session:
        assert balances(session) == {(item, sup, ""): -13, (item, dock, ""): 13}
        assert queries.balance_discrepancies(session) == []


def test_posting_a_source_twice_fails_cleanly_and_keeps_the_transaction(
    database: Database,
) -> None:
    ledger = Ledger()
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        ledger.post(session, [receipt(item, sup, dock, "1")])
    with database.sessions.begin() as session:
        again = [receipt(item, sup, dock, "2"), receipt(item, sup, dock, "1", qty=99)]
        with pytest.raises(AlreadyPostedError) as caught:
            ledger.post(session, again)
        assert (caught.value.source_type, caught.value.source_id) == ("receipt_line", "1")
        # The caller's transaction is still usable after the refusal.
        session.add(Partner(code="P1", name="after", kind="supplier"))
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Move)) == 1
        assert balances(session)[(item, dock, "")] == 10
        assert session.scalar(select(Partner.name)) == "after"


def test_a_batch_naming_one_source_twice_is_a_programming_error(database: Database) -> None:
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        with pytest.raises(LedgerError, match="twice"):
            Ledger().post(session, [receipt(item, sup, dock, "1"), receipt(item, sup, dock, "1")])


def test_unknown_item_is_refused(database: Database) -> None:
    with database.sessions.begin() as session:
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        with pytest.raises(LedgerError, match="refused by the database"):
            Ledger().post(session, [receipt(4242, sup, dock, "1")])


def test_reverse_posts_the_compensating_move_once(database: Database) -> None:
    ledger = Ledger()
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        (move_id,) = ledger.post(session, [receipt(item, sup, dock, "1", epc=EPC, qty=1)])
        reversal = ledger.reverse(session, move_id, at=AT + timedelta(hours=1))
    with database.sessions.begin() as session:
        assert balances(session) == {}
        back = session.get_one(Move, reversal)
        assert (back.from_location_id, back.to_location_id) == (dock, sup)
        assert (back.reverses_move_id, back.reason, back.epc) == (move_id, "reversal", EPC)
        with pytest.raises(AlreadyPostedError, match="already reversed"):
            ledger.reverse(session, move_id)
        with pytest.raises(MoveNotFoundError):
            ledger.reverse(session, 999_999)


def test_moves_cannot_be_updated_or_deleted(database: Database) -> None:
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
        Ledger().post(session, [receipt(item, sup, dock, "1")])
    for statement in (update(Move).values(qty=1), delete(Move)):
        with database.sessions.begin() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)


def test_rebuild_restores_a_damaged_cache(database: Database) -> None:
    ledger = Ledger()
    with database.sessions.begin() as session:
        items = add_items(session, 2)
        sup, dock, store = add_locations(
            session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK, LocationType.STORAGE
        )
        ledger.post(session, [receipt(i, sup, dock, f"r{i}", lot="L7") for i in items])
        before = balances(session)
        session.execute(update(Balance).values(qty=Balance.qty + 1))
        session.execute(text("DELETE FROM balances WHERE location_id = :s"), {"s": sup})
        assert len(queries.balance_discrepancies(session)) == 6
        assert ledger.rebuild_balances(session) == len(before)
        assert balances(session) == before
        assert queries.balance_discrepancies(session) == []
        assert store not in {loc for _, loc, _ in before}
