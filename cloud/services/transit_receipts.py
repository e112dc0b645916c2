"""The receiving flow's hook for goods that arrive in transit (a transfer between our sites).

`close_in_transit` is called by the receipt of a quiet receiving door before it reconciles
with an ASN: every EPC read in that the ledger has in a shipment's transit location moves out
of transit into the door's dock and on to the site's storage; the outbound pallet tags of those
shipments go with them. The rest is returned to the receipt as usual. A shipment whose
transit location is empty afterwards is delivered, and its trip received.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cloud.domain.receiving import Arrival
from cloud.domain.transit.closing import InTransit, closing_moves
from cloud.domain.transit.vocab import TripEventKind, TripStatus
from cloud.enums import LocationType, ShipmentStatus
from cloud.store.bulk import among
from cloud.store.models import Balance, Location, ReadPoint, Shipment, Trip, TripEvent

if TYPE_CHECKING:
    from cloud.services.inbound import Tx

logger = logging.getLogger(__name__)


def close_in_transit(
    tx: Tx, point: ReadPoint, arrivals: Sequence[Arrival], key: str, now: datetime
) -> list[Arrival]:
    """Receive arrivals that are in transit; return the others for the normal receipt."""
    goods = in_transit(tx.session, arrivals)
    if not goods:
        return list(arrivals)
    storage = tx.lookup.place_near(point.location_id, point.gateway.site_id, LocationType.STORAGE)
    tx.ledger.post(
        tx.session, closing_moves(goods, point.location_id, storage, key, now), returning=False
    )
    shipments = _shipments(tx.session, {g.transit_location_id for g in goods})
    for shipment in shipments:
        _close_if_empty(tx.session, shipment, now)
    moved = {g.epc for g in goods}
    pallets = {line.sscc for s in shipments for line in s.lines if line.sscc}
    logger.info("%d EPCs received out of transit at %s", len(moved), point.ref)
    return [a for a in arrivals if a.epc not in moved and (a.sscc is None or a.sscc not in pallets)]


def in_transit(session: Session, arrivals: Sequence[Arrival]) -> list[InTransit]:
    """The arrivals the ledger has in a transit location."""
    by_epc = {a.epc: a for a in arrivals if a.sscc is None}
    if not by_epc:
        return []
    query = (
        select(Balance.stock_key, Balance.item_id, Balance.location_id)
        .join(Location, Location.id == Balance.location_id)
        .where(
            among(session, Balance.stock_key, list(by_epc)),
            Balance.qty > 0,
            Location.type == LocationType.TRANSIT.value,
        )
    )
    return [
        InTransit(epc, item, location, by_epc[epc].at, by_epc[epc].event_id)
        for epc, item, location in session.execute(query)
    ]


def _shipments(session: Session, transit_ids: set[int]) -> list[Shipment]:
    query = (
        select(Shipment)
        .where(Shipment.transit_location_id.in_(transit_ids))
        .options(selectinload(Shipment.lines))
    )
    return list(session.scalars(query.order_by(Shipment.id)))


def _close_if_empty(session: Session, shipment: Shipment, now: datetime) -> None:
    left = session.scalar(
        select(func.coalesce(func.sum(Balance.qty), 0)).where(
            Balance.location_id == shipment.transit_location_id
        )
    )
    if left:
        return
    if shipment.status == ShipmentStatus.SHIPPED.value:
        shipment.status, shipment.delivered_at = ShipmentStatus.DELIVERED.value, now
    trip = session.scalars(select(Trip).where(Trip.shipment_id == shipment.id)).one_or_none()
    if trip is None or trip.status == TripStatus.RECEIVED.value:
        return
    trip.status, trip.received_at = TripStatus.RECEIVED.value, now
    session.add(TripEvent(trip_id=trip.id, kind=TripEventKind.RECEIVED.value, at=now))
