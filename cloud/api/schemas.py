"""Response shapes shared by every router: the page envelope and the error body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from cloud.store.paging import Page

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    """One page of a list: items, the size of the whole list, and where the next page starts."""

    items: list[T]
    total: int = Field(description="items in the whole list")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


def page_out(page: Page[Any], convert: Callable[[Any], T]) -> PageOut[T]:
    """Convert a store page into the response envelope."""
    end = page.offset + len(page.items)
    return PageOut[T](
        items=[convert(item) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_offset=end if end < page.total else None,
    )


class ErrorDetail(BaseModel):
    """One thing wrong: where (field, or CSV row and column) and what."""

    loc: str | None = None
    row: int | None = None
    column: str | None = None
    message: str


class ErrorBody(BaseModel):
    """What went wrong, in words and as a code a client can switch on."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorOut(BaseModel):
    """Every error response has this shape."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "not found"},
    409: {"model": ErrorOut, "description": "conflicts with existing data"},
    422: {"model": ErrorOut, "description": "invalid request"},
}
