"""Two workers on separate connections: one posting wins, the other learns it was posted."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from cloud.enums import LocationType
from cloud.ledger.ledger import Ledger
from cloud.ledger.types import AlreadyPostedError, MoveReason, MoveSpec
from cloud.store.models import Balance, Move
from tests.cloud.conftest import Database
from tests.cloud.factories import add_items, add_locations

AT = datetime(2026, 4, 1, tzinfo=UTC)
WAIT_S = 30.0


def _spec(item: int, src: int, dst: int, source: str, qty: int = 4) -> MoveSpec:
    return MoveSpec(
        item_id=item,
        qty=qty,
        from_location_id=src,
        to_location_id=dst,
        reason=MoveReason.RECEIPT,
        source_type="receipt_line",
        source_id=source,
        at=AT,
    )


def _setup(database: Database) -> tuple[int, int, int]:
    with database.sessions.begin() as session:
        (item,) = add_items(session, 1)
        sup, dock = add_locations(session, LocationType.SUPPLIER, LocationType.RECEIVING_DOCK)
    return item, sup, dock


def _wait_until_blocked(database: Database, pid: int) -> None:
    """On PostgreSQL, wait until the backend pid waits for a lock (the unique index entry)."""
    if database.backend != "postgresql":
        return  # SQLite: the second writer waits in BEGIN IMMEDIATE; nothing to observe
    probe = text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted")
    event = threading.Event()
    with database.engine.connect() as connection:
        for _ in range(int(WAIT_S / 0.05)):
            if connection.execute(probe, {"pid": pid}).scalar_one():
                return
            connection.rollback()
            event.wait(0.05)
    pytest.fail(f"backend {pid} never waited for the first poster's lock")


def test_same_source_from_two_connections_posts_once(database: Database) -> None:
    item, sup, dock = _setup(database)
    started = threading.Event()
    pid: list[int] = []

    def second_worker() -> str:
        with database.sessions.begin() as session:
            if database.backend == "postgresql":
                pid.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            started.set()
            try:
                Ledger().post(session, [_spec(item, sup, dock, "77")])
            except AlreadyPostedError as exc:
                return f"already posted {exc.source_type}:{exc.source_id}"
            return "posted"

    with ThreadPoolExecutor(1) as pool, database.sessions() as first:
        with first.begin():
            Ledger().post(first, [_spec(item, sup, dock, "77")])
            second: Future[str] = pool.submit(second_worker)
            assert started.wait(WAIT_S)
            _wait_until_blocked(database, pid[0] if pid else 0)
        assert second.result(WAIT_S) == "already posted receipt_line:77"

    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Move)) == 1
        assert session.scalar(select(Balance.qty).where(Balance.location_id == dock)) == 4


def test_concurrent_posts_to_the_same_balances_add_up(database: Database) -> None:
    item, sup, dock = _setup(database)
    rounds = 25

    def worker(name: str) -> None:
        ledger = Ledger()
        for n in range(rounds):
            with database.sessions.begin() as session:
                ledger.post(session, [_spec(item, sup, dock, f"{name}-{n}", qty=n + 1)])

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(worker, "a"), pool.submit(worker, "b")]:
            future.result(WAIT_S * 2)

    total = 2 * sum(range(1, rounds + 1))
    with database.sessions() as session:
        rows = {r[0]: r[1] for r in session.execute(select(Balance.location_id, Balance.qty))}
        assert rows == {sup: -total, dock: total}
