"""CSV import of master data and documents: every bad row reported by row and column.

Row numbers are file line numbers (the header is row 1). Nothing is imported if any row is bad,
unless the caller asks for a partial import; then the good rows are kept and the bad reported.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from cloud.errors import InvalidError, Problem, ServiceError, plain

log = logging.getLogger(__name__)

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its line number and its non-empty values by column."""

    line: int
    values: dict[str, str]


@dataclass
class Unit:
    """What one create call gets: a row, or all rows of one document (PO, ASN, shipment)."""

    rows: list[CsvRow]
    payload: dict[str, Any] = field(default_factory=dict)
    locs: dict[Loc, int] = field(default_factory=dict)  # payload path -> line it came from
    problems: list[Problem] = field(default_factory=list)  # found while shaping the rows


@dataclass(frozen=True)
class Kind:
    """How to import one kind of record."""

    model: type[BaseModel]
    create: Callable[[Session, Any], object]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    shape: Callable[[list[CsvRow]], list[Unit]]
    renamed: dict[str, str] = field(default_factory=dict)  # payload field -> column


@dataclass(frozen=True, slots=True)
class ImportResult:
    """How an import went."""

    kind: str
    rows: int
    created: int
    errors: Sequence[Problem]


class CsvImportError(InvalidError):
    """The file (or some rows) could not be imported; nothing was."""

    code = "import_failed"


def import_csv(
    session: Session, kind_name: str, kind: Kind, text: str, *, partial: bool = False
) -> ImportResult:
    """Import the CSV text as records of kind; raise CsvImportError unless all rows are good."""
    rows = read_rows(text, kind)
    created, errors = 0, []
    for unit in kind.shape(rows):
        problems = _import_unit(session, kind, unit)
        errors += problems
        created += not problems
    if errors and not partial:
        raise CsvImportError(_summary(kind_name, errors), errors)
    log.info(
        "imported %s %s from CSV (%s rows, %s errors)", created, kind_name, len(rows), len(errors)
    )
    return ImportResult(kind_name, len(rows), created, errors)


def _summary(kind_name: str, errors: Sequence[Problem]) -> str:
    first = errors[0]
    where = f"row {first.row}" + (f", column {first.column}" if first.column else "")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"no {kind_name} imported: {where}: {first.message}{more}"


def read_rows(text: str, kind: Kind) -> list[CsvRow]:
    """Parse the CSV; refuse unknown or missing columns."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    _check_header(header, kind)
    reader.fieldnames = header
    rows: list[CsvRow] = []
    for record in reader:
        if None in record:
            raise CsvImportError(
                f"row {reader.line_num} has more values than the header",
                [Problem(None, "more values than columns", row=reader.line_num)],
            )
        values = {k: v.strip() for k, v in record.items() if v and v.strip()}
        if values:
            rows.append(CsvRow(reader.line_num, values))
    return rows


def _check_header(header: list[str], kind: Kind) -> None:
    unknown = [name for name in header if name not in kind.columns]
    missing = [name for name in kind.required if name not in header]
    problems = [Problem(None, "unknown column", row=1, column=name) for name in unknown]
    problems += [Problem(None, "required column missing", row=1, column=name) for name in missing]
    if len(set(header)) != len(header):
        problems.append(Problem(None, "a column appears twice", row=1))
    if problems:
        columns = ", ".join(kind.columns)
        raise CsvImportError(f"the header does not fit (columns: {columns})", problems)


def _import_unit(session: Session, kind: Kind, unit: Unit) -> list[Problem]:
    if unit.problems:
        return unit.problems
    try:
        data = kind.model.model_validate(unit.payload)
    except ValidationError as exc:
        return [_locate(unit, kind, tuple(e["loc"]), plain(e["msg"])) for e in exc.errors()]
    try:
        with session.begin_nested():
            kind.create(session, data)
    except ServiceError as exc:
        problems = exc.problems or (Problem(None, exc.message),)
        return [_locate(unit, kind, _loc_of(p.loc), p.message) for p in problems]
    return []


def _loc_of(text: str | None) -> Loc:
    parts = (text or "").split(".")
    return tuple(int(p) if p.isdigit() else p for p in parts if p)


def _locate(unit: Unit, kind: Kind, loc: Loc, message: str) -> Problem:
    line = unit.rows[0].line
    for end in range(len(loc), 0, -1):
        if loc[:end] in unit.locs:
            line = unit.locs[loc[:end]]
            break
    names = [p for p in loc if isinstance(p, str)]
    column = kind.renamed.get(names[-1], names[-1]) if names else None
    return Problem(None, message, row=line, column=column if column in kind.columns else None)


def one_per_row(rows: list[CsvRow]) -> list[Unit]:
    """Each row is one record."""
    return [Unit([row], dict(row.values)) for row in rows]


def grouped(rows: list[CsvRow], key: str) -> dict[str, list[CsvRow]]:
    """Rows by the value of column key, in order of first appearance."""
    groups: dict[str, list[CsvRow]] = {}
    for row in rows:
        groups.setdefault(row.values.get(key, ""), []).append(row)
    return groups


def header_fields(
    rows: list[CsvRow], columns: dict[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """Document fields (field <- column) from the first row, and rows that contradict it."""
    first = rows[0]
    payload = {name: first.values[col] for name, col in columns.items() if col in first.values}
    clashes = [
        Problem(None, f"differs from row {first.line} of the same document", row.line, column)
        for row in rows[1:]
        for column in columns.values()
        if column in row.values and row.values[column] != first.values.get(column)
    ]
    return payload, clashes
