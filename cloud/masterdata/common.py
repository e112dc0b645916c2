"""Helpers every master-data service uses: lookups by id and code, guarded writes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from cloud.enums import PartnerKind
from cloud.errors import ConflictError, InvalidError, NotFoundError, Problem, invalid
from cloud.store.errors import is_foreign_key_violation, violated_unique
from cloud.store.models import Base, Gateway, Item, Location, Partner, ReadPoint, Site
from protocol.epc import gtin_of

M = TypeVar("M", bound=Base)
LOOKUP_CHUNK = 500  # values per IN (...) lookup


def get_or_404(session: Session, model: type[M], ident: int, what: str) -> M:
    """The row with primary key ident, or NotFoundError naming it."""
    row = session.get(model, ident)
    if row is None:
        raise NotFoundError(f"{what} {ident} not found")
    return row


def by_key(
    session: Session, column: InstrumentedAttribute[Any], value: object, loc: str, what: str
) -> Any:
    """The row whose column equals value, or InvalidError about the field loc."""
    row = session.scalars(select(column.class_).where(column == value)).first()
    if row is None:
        raise invalid(loc, f"no {what} {value!r}")
    return row


def optional(
    session: Session, column: InstrumentedAttribute[Any], value: object, loc: str, what: str
) -> Any:
    """Like by_key, but None stays None."""
    return None if value is None else by_key(session, column, value, loc, what)


def partner(session: Session, code: str | None, loc: str, kind: PartnerKind) -> Partner | None:
    """The partner with code, which must be of the given kind."""
    found: Partner | None = optional(session, Partner.code, code, loc, "partner")
    if found is not None and found.kind != kind.value:
        raise invalid(loc, f"partner {code!r} is a {found.kind}, not a {kind.value}")
    return found


def gateway(session: Session, site_code: str, code: str, loc: str) -> Gateway:
    """The gateway code at site site_code."""
    site: Site = by_key(session, Site.code, site_code, "site", "site")
    query = select(Gateway).where(Gateway.site_id == site.id, Gateway.code == code)
    found = session.scalars(query).first()
    if found is None:
        raise invalid(loc, f"no gateway {code!r} at site {site_code!r}")
    return found


def read_point(session: Session, door_ref: str | None, loc: str) -> ReadPoint | None:
    """The read point named site/gateway/door, or None for None."""
    if door_ref is None:
        return None
    site_code, gateway_code, door = door_ref.split("/")
    query = (
        select(ReadPoint)
        .join(Gateway, Gateway.id == ReadPoint.gateway_id)
        .join(Site, Site.id == Gateway.site_id)
        .where(Site.code == site_code, Gateway.code == gateway_code, ReadPoint.door == door)
    )
    found = session.scalars(query).first()
    if found is None:
        raise invalid(loc, f"no read point {door_ref!r}")
    return found


def location(session: Session, code: str | None, loc: str) -> Location | None:
    """The location with code, or None for None."""
    found: Location | None = optional(session, Location.code, code, loc, "location")
    return found


def apply_plain(row: Base, patch: BaseModel, fields: set[str]) -> None:
    """Copy the given fields the patch set onto row."""
    for name in patch.model_fields_set & fields:
        setattr(row, name, getattr(patch, name))


@contextmanager
def guarded(session: Session, what: str) -> Iterator[None]:
    """Write in a savepoint; turn constraint violations into ConflictError/InvalidError."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise _explain(exc, what) from exc


def _explain(exc: IntegrityError, what: str) -> Exception:
    name = violated_unique(exc, Base.metadata)
    if name is not None:
        columns = _columns_of(name)
        return ConflictError(
            f"another {what} already has this {columns}", [Problem(columns, "already exists")]
        )
    if is_foreign_key_violation(exc):
        return ConflictError(f"{what} is still referenced by other records (or refers to none)")
    return InvalidError(f"{what} violates a database rule: {exc.orig}")


def _columns_of(constraint_name: str) -> str:
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if constraint.name == constraint_name and isinstance(
                constraint, (UniqueConstraint, PrimaryKeyConstraint)
            ):
                names = [c.name.removesuffix("_id") for c in constraint.columns]
                return ", ".join(names)
    return constraint_name


def items_for_lines(
    session: Session, lines: Sequence[tuple[str | None, str | None]], loc: str
) -> list[Item]:
    """The item of each (sku, epc) line, looked up in bulk; InvalidError lists every miss."""
    gtins = {epc: gtin_of(epc) for sku, epc in lines if sku is None and epc}
    by_sku = _items_where(session, Item.sku, {sku for sku, _ in lines if sku})
    by_gtin = _items_where(session, Item.gtin, {g for g in gtins.values() if g})
    found: list[Item] = []
    problems: list[Problem] = []
    for n, (sku, epc) in enumerate(lines):
        gtin = gtins.get(epc or "")
        item = by_sku.get(sku) if sku else by_gtin.get(gtin) if gtin else None
        if item is None:
            problems.append(Problem(f"{loc}.{n}.item", _miss(sku, epc, gtin)))
        else:
            found.append(item)
    if problems:
        raise InvalidError(f"{len(problems)} line(s) name no known item", problems)
    return found


def _miss(sku: str | None, epc: str | None, gtin: str | None) -> str:
    if sku:
        return f"no item {sku!r}"
    if gtin:
        return f"no item with GTIN {gtin} (from EPC {epc})"
    return f"EPC {epc} is not an SGTIN: give the item's SKU"


def _items_where(
    session: Session, column: InstrumentedAttribute[Any], values: set[str]
) -> dict[str, Item]:
    found: dict[str, Item] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        for item in session.scalars(select(Item).where(column.in_(chunk))):
            found[getattr(item, column.key)] = item
    return found
