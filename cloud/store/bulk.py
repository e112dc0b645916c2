"""Bulk writes for the hot paths.

On PostgreSQL one statement carries a whole batch as arrays (INSERT ... SELECT FROM unnest(...)):
the server does set-based work and the client converts one short, cached statement. Elsewhere
(SQLite) a plain executemany. Either way no ORM unit of work and no per-row round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result
from sqlalchemy.orm import DeclarativeBase, Session

Row = dict[str, Any]
PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core table behind a mapped class."""
    return cast(Table, model.__table__)


def is_postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(session: Session, model: type[DeclarativeBase], rows: Sequence[Row]) -> None:
    """INSERT every row."""
    if not rows:
        return
    if is_postgres(session):
        table = table_of(model)
        rows = _with_defaults(table, rows)
        session.execute(text(_unnest_insert(table, list(rows[0]))), _arrays(rows))
    else:
        session.execute(insert(table_of(model)), list(rows))


def insert_ignoring(
    session: Session, model: type[DeclarativeBase], rows: Sequence[Row], keys: Sequence[str]
) -> None:
    """INSERT rows whose key is not there yet; existing rows stay as they are."""
    if not rows:
        return
    table = table_of(model)
    if is_postgres(session):
        rows = _with_defaults(table, rows)
        sql = _unnest_insert(table, list(rows[0])) + f" ON CONFLICT ({', '.join(keys)}) DO NOTHING"
        session.execute(text(sql), _arrays(rows))
        return
    statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement, list(rows))


def pg_execute(session: Session, sql: str, rows: Sequence[Row]) -> Result[Any]:
    """Run sql whose :name parameters are arrays, one element per row (PostgreSQL only)."""
    return session.execute(text(sql), _arrays(rows))


def unnest_select(table: Table, columns: Sequence[str]) -> str:
    """SELECT * FROM unnest(:a::type[], ...) for the named columns of a table."""
    arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table, c)}[])" for c in columns)
    # Built from our own table and column names only: no outside text reaches the SQL.
    return f"SELECT * FROM unnest({arrays}) AS u({', '.join(columns)})"  # noqa: S608


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """column IN values; on PostgreSQL as = ANY(one array parameter), one short statement
    whatever the number of values (an expanding IN makes a new long statement every time)."""
    if is_postgres(session):
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        found: ColumnElement[bool] = column == any_(array)
        return found
    inside: ColumnElement[bool] = column.in_(list(values))
    return inside


def _unnest_insert(table: Table, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) {unnest_select(table, columns)}"


def _with_defaults(table: Table, rows: Sequence[Row]) -> Sequence[Row]:
    # Textual SQL skips SQLAlchemy's Python-side column defaults: fill them in, once per batch.
    missing = {
        c.name: c.default.arg(None) if c.default.is_callable else c.default.arg  # type: ignore[attr-defined]
        for c in table.c
        if c.default is not None and c.name not in rows[0]
    }
    return [row | missing for row in rows] if missing else rows


def _pg_type(table: Table, column: str) -> str:
    return table.c[column].type.compile(dialect=PG)


def _arrays(rows: Sequence[Row]) -> dict[str, list[Any]]:
    return {column: [row[column] for row in rows] for column in rows[0]}
