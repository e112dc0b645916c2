"""Name the constraint behind an IntegrityError on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re

from sqlalchemy import MetaData, UniqueConstraint
from sqlalchemy.exc import IntegrityError

# sqlite3 names columns, not constraints: "UNIQUE constraint failed: items.sku"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>[\w.]+(?:, [\w.]+)*)")
_SQLITE_PK_NAME = "pk_%s"


def violated_unique(exc: IntegrityError, metadata: MetaData) -> str | None:
    """Name of the unique (or primary key) constraint exc violated, or None for other errors."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:  # psycopg
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return str(diag.constraint_name) if sqlstate == "23505" else None
    match = _SQLITE_UNIQUE.search(str(exc.orig))
    return _sqlite_constraint(match.group("cols"), metadata) if match else None


def violated_constraint(exc: IntegrityError) -> str | None:
    """Name of the constraint exc violated where the driver tells it (PostgreSQL), else None."""
    diag = getattr(exc.orig, "diag", None)
    return None if diag is None or diag.constraint_name is None else str(diag.constraint_name)


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    """Whether exc is a foreign key violation (a referenced row missing, or still referenced)."""
    if getattr(exc.orig, "sqlstate", None) == "23503":
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)


def _sqlite_constraint(cols: str, metadata: MetaData) -> str | None:
    pairs = [c.split(".", 1) for c in cols.split(", ")]
    table = metadata.tables.get(pairs[0][0])
    if table is None:
        return None
    columns = [name for _, name in pairs]
    if [c.name for c in table.primary_key.columns] == columns:
        return _SQLITE_PK_NAME % table.name
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and [c.name for c in constraint.columns] == (
            columns
        ):
            return str(constraint.name)
    return None
