"""Posting moves and keeping the balances cache in step, inside the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.ledger.types import (
    AlreadyPostedError,
    BalanceKey,
    LedgerError,
    MoveNotFoundError,
    MoveReason,
    MoveSpec,
    net_deltas,
)
from cloud.store.bulk import insert_rows, is_postgres, pg_execute, unnest_select
from cloud.store.errors import violated_unique
from cloud.store.models import Balance, Base, Move, utcnow
from cloud.store.models.ledger import REVERSAL_UNIQUE, SOURCE_UNIQUE

log = logging.getLogger(__name__)

REVERSAL_SOURCE = "reversal"
# Rows per statement: well under PostgreSQL's 65535 bind parameters per statement.
CHUNK = 1000

PostedHook = Callable[[int], None]
T = TypeVar("T")


class Ledger:
    """Append-only moves with balances updated in the same transaction; never UPDATE or DELETE."""

    def __init__(self, on_posted: PostedHook | None = None) -> None:
        self._on_posted = on_posted

    def post(
        self, session: Session, moves: Sequence[MoveSpec], *, returning: bool = True
    ) -> list[int]:
        """Post moves atomically; AlreadyPostedError (nothing written) if a source was posted.

        returning=False skips fetching the new move ids (returns []): bulk posting from the
        domain does not need them, and plain executemany is several times faster.
        """
        return self._post(session, moves, reverses=None, returning=returning)

    def reverse(
        self,
        session: Session,
        move_id: int,
        *,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> int:
        """Post the compensating move of move_id; AlreadyPostedError if already reversed."""
        original = session.get(Move, move_id)
        if original is None:
            raise MoveNotFoundError(f"move {move_id} does not exist")
        spec = MoveSpec(
            item_id=original.item_id,
            qty=original.qty,
            from_location_id=original.to_location_id,
            to_location_id=original.from_location_id,
            reason=MoveReason.REVERSAL,
            source_type=REVERSAL_SOURCE,
            source_id=str(move_id),
            at=at or utcnow(),
            epc=original.epc,
            lot=original.lot,
            event_id=event_id,
        )
        return self._post(session, [spec], reverses=move_id, returning=True)[0]

    def rebuild_balances(self, session: Session) -> int:
        """Recompute every balance from the moves; return the number of balance rows."""
        if session.get_bind().dialect.name == "postgresql":
            # Posting takes ROW EXCLUSIVE on moves; SHARE waits for those and holds new ones off.
            session.execute(text("LOCK TABLE moves IN SHARE MODE"))
        session.execute(delete(Balance))
        columns = ("item_id", "location_id", "stock_key", "qty")
        session.execute(insert(Balance).from_select(columns, computed_balances()))
        count = session.scalar(select(func.count()).select_from(Balance)) or 0
        log.info("balances rebuilt from moves: %s rows", count)
        return count

    def _post(
        self, session: Session, moves: Sequence[MoveSpec], reverses: int | None, *, returning: bool
    ) -> list[int]:
        if not moves:
            return []
        _refuse_repeats(moves)
        try:
            # A savepoint, so that AlreadyPostedError leaves the caller's transaction usable.
            with session.begin_nested():
                ids = _insert_moves(session, moves, reverses, returning)
                _apply_deltas(session, net_deltas(moves))
        except IntegrityError as exc:
            raise _explain(session, exc, moves, reverses) from exc
        if self._on_posted:
            self._on_posted(len(moves))
        return ids


def computed_balances() -> Select[Any]:
    """Balances as the moves define them: SELECT item_id, location_id, stock_key, qty."""
    legs = union_all(
        select(Move.item_id, Move.to_location_id.label("location_id"), Move.stock_key, Move.qty),
        select(
            Move.item_id,
            Move.from_location_id.label("location_id"),
            Move.stock_key,
            (literal(0) - Move.qty).label("qty"),
        ),
    ).subquery()
    total = func.sum(legs.c.qty)
    return (
        select(legs.c.item_id, legs.c.location_id, legs.c.stock_key, total.label("qty"))
        .group_by(legs.c.item_id, legs.c.location_id, legs.c.stock_key)
        .having(total != 0)
    )


def _refuse_repeats(moves: Sequence[MoveSpec]) -> None:
    seen: set[tuple[str, str, int, str]] = set()
    for move in moves:
        if move.source_key in seen:
            raise LedgerError(f"batch posts source {move.source_key} twice")
        seen.add(move.source_key)


def _row(move: MoveSpec, reverses: int | None) -> dict[str, Any]:
    return {
        "at": move.at,
        "item_id": move.item_id,
        "epc": move.epc,
        "lot": move.lot,
        "stock_key": move.stock_key,
        "qty": move.qty,
        "from_location_id": move.from_location_id,
        "to_location_id": move.to_location_id,
        "reason": move.reason.value,
        "source_type": move.source_type,
        "source_id": move.source_id,
        "event_id": move.event_id,
        "reverses_move_id": reverses,
    }


def _chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


# Core tables: bulk statements skip the ORM's per-row bookkeeping and compile once (cached).
MOVES = cast(Table, Move.__table__)
BALANCES = cast(Table, Balance.__table__)


def _insert_moves(
    session: Session, moves: Sequence[MoveSpec], reverses: int | None, returning: bool
) -> list[int]:
    rows = [_row(move, reverses) for move in moves]
    if not returning:
        insert_rows(session, Move, rows)
        return []
    # executemany with RETURNING becomes batched INSERT ... VALUES ... RETURNING on both dialects.
    statement = insert(MOVES).returning(MOVES.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _apply_deltas(session: Session, deltas: dict[BalanceKey, int]) -> None:
    # Sorted, so that concurrent posters lock balance rows in one order (no deadlocks).
    keys = sorted(key for key, delta in deltas.items() if delta)
    if not keys:
        return
    rows = [
        {"item_id": k.item_id, "location_id": k.location_id, "stock_key": k.stock_key}
        | {"qty": deltas[k]}
        for k in keys
    ]
    if is_postgres(session):
        _apply_deltas_pg(session, rows)
        return
    session.execute(_upsert(session), rows)
    # Balances are kept non-zero, as a rebuild from moves would leave them: any touched key may
    # have come back to zero (one pipelined statement per key, no round trip each).
    touched = [{"i": r["item_id"], "l": r["location_id"], "k": r["stock_key"]} for r in rows]
    if touched:
        columns = BALANCES.c
        statement = delete(BALANCES).where(
            columns.item_id == bindparam("i"),
            columns.location_id == bindparam("l"),
            columns.stock_key == bindparam("k"),
            columns.qty == 0,
        )
        session.execute(statement, touched)


BALANCE_KEY = ("item_id", "location_id", "stock_key")
PG_UPSERT = (
    f"INSERT INTO balances (item_id, location_id, stock_key, qty) "
    f"{unnest_select(BALANCES, (*BALANCE_KEY, 'qty'))} "
    "ON CONFLICT (item_id, location_id, stock_key) DO UPDATE SET qty = balances.qty + excluded.qty"
)
PG_DELETE_ZEROS = (  # our own names only, as in PG_UPSERT
    f"DELETE FROM balances b USING ({unnest_select(BALANCES, BALANCE_KEY)}) k "  # noqa: S608
    "WHERE b.item_id = k.item_id AND b.location_id = k.location_id "
    "AND b.stock_key = k.stock_key AND b.qty = 0"
)


def _apply_deltas_pg(session: Session, rows: list[dict[str, Any]]) -> None:
    # One statement each for the whole batch; rows are sorted, so locks are taken in one order.
    pg_execute(session, PG_UPSERT, rows)
    pg_execute(session, PG_DELETE_ZEROS, [{k: r[k] for k in BALANCE_KEY} for r in rows])


def _upsert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(BALANCES)
    columns = BALANCES.c
    return statement.on_conflict_do_update(
        index_elements=[columns.item_id, columns.location_id, columns.stock_key],
        set_={"qty": columns.qty + statement.excluded.qty},
    )


def _explain(
    session: Session, exc: IntegrityError, moves: Sequence[MoveSpec], reverses: int | None
) -> Exception:
    constraint = violated_unique(exc, Base.metadata)
    if constraint == REVERSAL_UNIQUE or (reverses is not None and constraint == SOURCE_UNIQUE):
        return AlreadyPostedError(
            f"move {reverses} was already reversed",
            source_type=REVERSAL_SOURCE,
            source_id=str(reverses),
        )
    if constraint != SOURCE_UNIQUE:
        return LedgerError(f"moves refused by the database: {exc.orig}")
    first = _first_posted(session, moves) or moves[0]
    return AlreadyPostedError(
        f"source {first.source_type}:{first.source_id} was already posted",
        source_type=first.source_type,
        source_id=first.source_id,
    )


def _first_posted(session: Session, moves: Sequence[MoveSpec]) -> MoveSpec | None:
    sources = sorted({(m.source_type, m.source_id) for m in moves})
    found: set[tuple[str, str, int, str]] = set()
    for chunk in _chunks(sources):
        query = select(Move.source_type, Move.source_id, Move.item_id, Move.stock_key).where(
            tuple_(Move.source_type, Move.source_id).in_(list(chunk))
        )
        found.update((r[0], r[1], r[2], r[3]) for r in session.execute(query))
    return next((m for m in moves if m.source_key in found), None)
