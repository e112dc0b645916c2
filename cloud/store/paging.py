"""Limit/offset pages of any SELECT, with the total, in one shape for every list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
# Any SELECT and any row, whatever their columns (SQLAlchemy types them per column).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which slice of a list to return."""

    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A slice of a list and the size of the whole list."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def count(session: Session, query: AnySelect) -> int:
    """Rows the query would return."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return session.scalar(counted) or 0


def scalars_page(session: Session, query: Select[T], page: PageRequest) -> Page[T]:
    """A page of ORM objects (or single values); query must have a stable ORDER BY."""
    items = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    return Page(items, count(session, query), page.limit, page.offset)


def rows_page(session: Session, query: AnySelect, page: PageRequest) -> Page[AnyRow]:
    """A page of result rows; query must have a stable ORDER BY."""
    items = session.execute(query.limit(page.limit).offset(page.offset)).all()
    return Page(items, count(session, query), page.limit, page.offset)
