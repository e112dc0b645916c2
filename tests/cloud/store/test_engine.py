"""Engine setup and column types, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from cloud.store.models import Item, Location, Partner
from tests.cloud.conftest import Database


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(database: Database) -> None:
    with database.engine.connect() as connection:
        if database.backend != "sqlite":
            assert connection.dialect.driver == "psycopg"
            return
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError), database.sessions.begin() as session:
        session.add(Location(code="X", name="x", type="storage", parent_id=12345))


def test_check_constraints_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError), database.sessions.begin() as session:
        session.add(Partner(code="P", name="p", kind="wizard"))


def test_datetimes_come_back_aware_in_utc(database: Database) -> None:
    local = datetime(2026, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with database.sessions.begin() as session:
        session.add(Item(sku="T", created_at=local))
    with database.sessions() as session:
        stored = session.scalars(select(Item.created_at)).one()
    assert stored == local
    assert stored.tzinfo == UTC


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), database.sessions.begin() as s:
        s.add(Item(sku="T", created_at=datetime(2026, 6, 1)))


def test_decimals_are_exact(database: Database) -> None:
    with database.sessions.begin() as session:
        session.add(Item(sku="D", unit_cost=Decimal("1234567.0101")))
    with database.sessions() as session:
        assert session.scalars(select(Item.unit_cost)).one() == Decimal("1234567.0101")
