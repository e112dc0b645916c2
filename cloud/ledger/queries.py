"""Reading the ledger: stock on hand, stock in transit, per-EPC history, moves, cache checks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import except_, func, select
from sqlalchemy.orm import Session, aliased

from cloud.enums import LocationType
from cloud.ledger.ledger import computed_balances
from cloud.store.models import Balance, Item, Location, Move, Shipment
from cloud.store.paging import AnyRow, AnySelect, Page, PageRequest, rows_page


@dataclass(frozen=True, slots=True)
class StockFilter:
    """Which balances to report; None means no restriction."""

    item_id: int | None = None
    location_id: int | None = None
    within_location_id: int | None = None
    location_types: Collection[LocationType] | None = None
    stock_key: str | None = None
    by_key: bool = False


def stock(session: Session, where: StockFilter, page: PageRequest) -> Page[AnyRow]:
    """Balances per item and location (and per stock key if by_key), largest first."""
    return rows_page(session, _stock_query(where), page)


def _stock_query(where: StockFilter) -> AnySelect:
    qty = Balance.qty if where.by_key else func.sum(Balance.qty)
    key = Balance.stock_key if where.by_key else None
    columns = [
        Balance.item_id,
        Item.sku,
        Balance.location_id,
        Location.code.label("location_code"),
        Location.type.label("location_type"),
    ]
    query: AnySelect = (
        select(*columns, *([key.label("stock_key")] if key is not None else []), qty.label("qty"))
        .join(Item, Item.id == Balance.item_id)
        .join(Location, Location.id == Balance.location_id)
    )
    query = _filtered(query, where)
    if not where.by_key:
        query = query.group_by(*columns)
    order_key = [Balance.stock_key] if where.by_key else []
    return query.order_by(Item.sku, Location.code, *order_key)


def _filtered(query: AnySelect, where: StockFilter) -> AnySelect:
    if where.item_id is not None:
        query = query.where(Balance.item_id == where.item_id)
    if where.location_id is not None:
        query = query.where(Balance.location_id == where.location_id)
    if where.within_location_id is not None:
        query = query.where(Balance.location_id.in_(select(subtree(where.within_location_id))))
    if where.location_types is not None:
        query = query.where(Location.type.in_([t.value for t in where.location_types]))
    if where.stock_key is not None:
        query = query.where(Balance.stock_key == where.stock_key)
    return query


def subtree(root_id: int) -> Any:
    """Recursive CTE of location ids: root_id and every location below it."""
    tree = select(Location.id).where(Location.id == root_id).cte("subtree", recursive=True)
    below = aliased(Location)
    return tree.union_all(select(below.id).where(below.parent_id == tree.c.id))


def in_transit(session: Session, shipment_id: int | None, page: PageRequest) -> Page[AnyRow]:
    """Stock sitting in shipments' transit locations, per shipment, item and stock key."""
    query = (
        select(
            Shipment.id.label("shipment_id"),
            Shipment.number.label("shipment_number"),
            Shipment.status.label("shipment_status"),
            Balance.item_id,
            Item.sku,
            Balance.stock_key,
            Balance.qty,
        )
        .join(Shipment, Shipment.transit_location_id == Balance.location_id)
        .join(Item, Item.id == Balance.item_id)
        .order_by(Shipment.number, Item.sku, Balance.stock_key)
    )
    if shipment_id is not None:
        query = query.where(Shipment.id == shipment_id)
    return rows_page(session, query, page)


def _moves_query() -> AnySelect:
    source, target = aliased(Location), aliased(Location)
    return (
        select(
            Move,
            Item.sku,
            source.code.label("from_location_code"),
            target.code.label("to_location_code"),
        )
        .join(Item, Item.id == Move.item_id)
        .join(source, source.id == Move.from_location_id)
        .join(target, target.id == Move.to_location_id)
    )


def move_row(session: Session, move_id: int) -> AnyRow | None:
    """One move with item and location codes, or None."""
    return session.execute(_moves_query().where(Move.id == move_id)).first()


def epc_history(session: Session, epc: str) -> list[AnyRow]:
    """Every move of one EPC, oldest first, with item and location codes."""
    query = _moves_query().where(Move.epc == epc).order_by(Move.at, Move.id)
    return list(session.execute(query).all())


def epc_whereabouts(session: Session, epc: str) -> list[AnyRow]:
    """Where the ledger holds the EPC now (normally one location)."""
    query = (
        select(Balance.item_id, Item.sku, Location.id, Location.code, Location.type, Balance.qty)
        .join(Item, Item.id == Balance.item_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.stock_key == epc, Balance.qty > 0)
        .order_by(Location.code)
    )
    return list(session.execute(query).all())


@dataclass(frozen=True, slots=True)
class MoveFilter:
    """Which moves to list; None means no restriction."""

    item_id: int | None = None
    location_id: int | None = None
    epc: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    event_id: str | None = None


def moves(session: Session, where: MoveFilter, page: PageRequest) -> Page[AnyRow]:
    """Moves matching the filter, newest first."""
    query = _moves_query()
    if where.location_id is not None:
        query = query.where(
            (Move.from_location_id == where.location_id)
            | (Move.to_location_id == where.location_id)
        )
    for column, value in (
        (Move.item_id, where.item_id),
        (Move.epc, where.epc),
        (Move.source_type, where.source_type),
        (Move.source_id, where.source_id),
        (Move.event_id, where.event_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return rows_page(session, query.order_by(Move.id.desc()), page)


def balance_discrepancies(session: Session) -> list[AnyRow]:
    """Balance rows that differ from what the moves say (empty when the cache is right)."""
    cached = select(Balance.item_id, Balance.location_id, Balance.stock_key, Balance.qty)
    computed = computed_balances()
    # Two statements: SQLite cannot nest compound selects in parentheses.
    wrong = [
        *session.execute(except_(cached, computed)),
        *session.execute(except_(computed, cached)),
    ]
    return sorted(wrong, key=tuple)
