"""Errors of the service layer, independent of HTTP; the API maps them to status codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a field, or a CSV row and column) and what."""

    loc: str | None
    message: str
    row: int | None = None
    column: str | None = None


class ServiceError(Exception):
    """Base of errors a caller can act on; the message is meant for people."""

    code = "error"

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class NotFoundError(ServiceError):
    """The thing asked for does not exist."""

    code = "not_found"


class ConflictError(ServiceError):
    """The request clashes with existing data (a duplicate code, a row still in use)."""

    code = "conflict"


class InvalidError(ServiceError):
    """The request is well-formed but refers to things that do not exist or do not fit."""

    code = "invalid"


def invalid(loc: str, message: str) -> InvalidError:
    """An InvalidError about one field."""
    return InvalidError(f"{loc}: {message}", [Problem(loc, message)])


def plain(pydantic_message: str) -> str:
    """A pydantic error message without its "Value error, " prefix."""
    return pydantic_message.removeprefix("Value error, ")
