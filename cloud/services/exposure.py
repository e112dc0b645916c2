"""Stock exposed to an excursion: what the ledger says sat where it happened, while it happened.

Exposed is every (item, location, EPC or lot) with stock in the excursion's location (or below
it) when the excursion began, or that moved in before it ended. Flags are idempotent (one per
excursion, item, location and stock key), so an excursion can be flagged again as it grows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from cloud.enums import LocationType
from cloud.ledger.queries import subtree
from cloud.ledger.types import AlreadyPostedError, MoveReason, MoveSpec
from cloud.services.condition_subjects import vehicle_trips
from cloud.services.inbound import Tx
from cloud.store.bulk import insert_ignoring
from cloud.store.models import Balance, Excursion, Exposure, Location, Move, Shipment, utcnow

logger = logging.getLogger(__name__)

EXCURSION_SOURCE = "excursion"
# Where stock can be moved to quarantine from: on hand, and not quarantined already.
QUARANTINABLE = frozenset(
    {LocationType.RECEIVING_DOCK, LocationType.STORAGE, LocationType.SHIPPING_DOCK}
)


@dataclass(frozen=True, slots=True)
class Held:
    """Stock that sat in the excursion's place during it."""

    item_id: int
    location_id: int
    stock_key: str
    epc: str | None
    lot: str | None
    qty: int


def held_during(session: Session, root_id: int, start: datetime, end: datetime) -> list[Held]:
    """Stock in root_id's subtree at `start` or moved in before `end`, per the moves."""
    inside = select(subtree(root_id).c.id)
    columns = (Move.item_id, Move.stock_key, Move.at, Move.epc, Move.lot)
    legs = union_all(
        select(*columns, Move.to_location_id.label("loc"), Move.qty.label("qty")).where(
            Move.to_location_id.in_(inside), Move.at <= end
        ),
        select(
            *columns, Move.from_location_id.label("loc"), (literal(0) - Move.qty).label("qty")
        ).where(Move.from_location_id.in_(inside), Move.at <= end),
    ).subquery()
    before = func.sum(case((legs.c.at <= start, legs.c.qty), else_=0))
    came = func.sum(case(((legs.c.at > start) & (legs.c.qty > 0), legs.c.qty), else_=0))
    query = (
        select(
            legs.c.item_id,
            legs.c.loc,
            legs.c.stock_key,
            func.max(legs.c.epc),
            func.max(legs.c.lot),
            before,
            came,
        )
        .group_by(legs.c.item_id, legs.c.loc, legs.c.stock_key)
        .having((before > 0) | (came > 0))
        .order_by(legs.c.item_id, legs.c.loc, legs.c.stock_key)
    )
    return [
        Held(item, loc, key, epc, lot, max(int(b), 0) + int(c))
        for item, loc, key, epc, lot, b, c in session.execute(query)
    ]


def places(session: Session, excursion: Excursion, start: datetime, end: datetime) -> list[int]:
    """Root locations whose stock the excursion touched: its location, its shipment's transit
    location, or those of the shipments on its vehicle meanwhile."""
    if excursion.location_id is not None:
        return [excursion.location_id]
    if excursion.shipment_id is not None:
        return [session.get_one(Shipment, excursion.shipment_id).transit_location_id]
    if excursion.vehicle_code is not None:
        trips = vehicle_trips(session, excursion.vehicle_code, start, end)
        return [trip.shipment.transit_location_id for trip in trips]
    return []


def flag(session: Session, excursion: Excursion, end: datetime) -> list[Held]:
    """Record exposures of the excursion up to `end`; return what was held."""
    held = [
        h
        for root in places(session, excursion, excursion.started_at, end)
        for h in held_during(session, root, excursion.started_at, end)
    ]
    now = utcnow()
    rows = [
        {
            "excursion_id": excursion.id,
            "item_id": h.item_id,
            "location_id": h.location_id,
            "stock_key": h.stock_key,
            "qty": h.qty,
            "flagged_at": now,
            "quarantined": False,
        }
        for h in held
    ]
    keys = ("excursion_id", "item_id", "location_id", "stock_key")
    insert_ignoring(session, Exposure, rows, keys)
    return held


def quarantine(tx: Tx, excursion: Excursion, held: Sequence[Held]) -> int:
    """Move what of `held` is still on hand there to its site's quarantine; return the count."""
    moved = 0
    for h in held:
        spec = _quarantine_move(tx, excursion, h)
        if spec is None:
            continue
        try:
            tx.ledger.post(tx.session, [spec], returning=False)
        except AlreadyPostedError:
            continue  # quarantined by an earlier look at this excursion
        _mark_quarantined(tx.session, excursion.id, h)
        moved += 1
    if moved:
        logger.info("excursion %s: %s stock keys moved to quarantine", excursion.id, moved)
    return moved


def _quarantine_move(tx: Tx, excursion: Excursion, h: Held) -> MoveSpec | None:
    location = tx.session.get_one(Location, h.location_id)
    if location.type not in QUARANTINABLE:
        return None
    balance = tx.session.get(Balance, (h.item_id, h.location_id, h.stock_key))
    if balance is None or balance.qty <= 0:
        return None
    target = tx.lookup.place(location.site_id, LocationType.QUARANTINE)
    return MoveSpec(
        item_id=h.item_id,
        qty=balance.qty,
        from_location_id=h.location_id,
        to_location_id=target,
        reason=MoveReason.QUARANTINE,
        source_type=EXCURSION_SOURCE,
        source_id=f"{excursion.id}:{h.location_id}",
        at=utcnow(),
        epc=h.epc,
        lot=h.lot if h.epc is None else None,
    )


def _mark_quarantined(session: Session, excursion_id: int, h: Held) -> None:
    row = session.scalars(
        select(Exposure).where(
            Exposure.excursion_id == excursion_id,
            Exposure.item_id == h.item_id,
            Exposure.location_id == h.location_id,
            Exposure.stock_key == h.stock_key,
        )
    ).one_or_none()
    if row is not None:
        row.quarantined = True
