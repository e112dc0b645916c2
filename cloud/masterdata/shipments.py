"""Outbound shipments: expected EPCs and items, and the transit location each one owns."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cloud.enums import LocationType, PartnerKind, ReadPointRole, ShipmentStatus
from cloud.errors import NotFoundError, invalid
from cloud.masterdata import common
from cloud.masterdata.common import guarded
from cloud.masterdata.order_schemas import ShipmentIn, ShipmentPatch
from cloud.store.models import Gateway, Location, ReadPoint, Shipment, ShipmentLine
from cloud.store.paging import Page, PageRequest, scalars_page

SHIPPING_ROLES = {ReadPointRole.SHIPPING.value, ReadPointRole.BOTH.value}
TRANSIT_PREFIX = "transit:"


def transit_code(number: str) -> str:
    """Code of the transit location of shipment number."""
    return f"{TRANSIT_PREFIX}{number}"


def _query() -> Select[Shipment]:
    return select(Shipment).options(
        joinedload(Shipment.customer),
        joinedload(Shipment.carrier),
        joinedload(Shipment.transit_location),
        joinedload(Shipment.read_point).joinedload(ReadPoint.gateway).joinedload(Gateway.site),
        selectinload(Shipment.lines).joinedload(ShipmentLine.item),
    )


def create_shipment(session: Session, data: ShipmentIn) -> Shipment:
    """Add a shipment, its expected lines, and its transit location."""
    carrier = common.partner(session, data.carrier, "carrier", PartnerKind.CARRIER)
    transit = Location(
        code=transit_code(data.number),
        name=f"in transit: shipment {data.number}",
        type=LocationType.TRANSIT.value,
        partner=carrier,
    )
    shipment = Shipment(
        number=data.number,
        customer=common.partner(session, data.customer, "customer", PartnerKind.CUSTOMER),
        carrier=carrier,
        read_point=_door(session, data.door),
        planned_at=data.planned_at,
        transit_location=transit,
    )
    lines = [(line.item, line.epc) for line in data.lines]
    items = common.items_for_lines(session, lines, "lines")
    shipment.lines = [
        ShipmentLine(item=item, epc=line.epc, qty=line.qty, sscc=line.sscc)
        for item, line in zip(items, data.lines, strict=True)
    ]
    with guarded(session, "shipment"):
        session.add(shipment)
    return shipment


def _door(session: Session, door: str | None) -> ReadPoint | None:
    point = common.read_point(session, door, "door")
    if point is not None and point.role not in SHIPPING_ROLES:
        raise invalid("door", f"read point {door} is for {point.role} only")
    return point


def get_shipment(session: Session, shipment_id: int) -> Shipment:
    """A shipment with its lines."""
    shipment = session.scalars(_query().where(Shipment.id == shipment_id)).first()
    if shipment is None:
        raise NotFoundError(f"shipment {shipment_id} not found")
    return shipment


def update_shipment(session: Session, shipment_id: int, patch: ShipmentPatch) -> Shipment:
    """Change status, loading door or planned time."""
    shipment = get_shipment(session, shipment_id)
    fields = patch.model_fields_set
    if patch.status is not None:
        shipment.status = patch.status.value
    if "door" in fields:
        shipment.read_point = _door(session, patch.door)
    if "planned_at" in fields:
        shipment.planned_at = patch.planned_at
    return shipment


def delete_shipment(session: Session, shipment_id: int) -> None:
    """Remove a shipment (and its transit location) that never moved stock."""
    shipment = get_shipment(session, shipment_id)
    with guarded(session, "shipment"):
        transit = shipment.transit_location
        session.delete(shipment)
        session.flush()
        session.delete(transit)


def list_shipments(
    session: Session,
    page: PageRequest,
    status: ShipmentStatus | None = None,
    customer_id: int | None = None,
) -> Page[Shipment]:
    """Shipments by number."""
    query = _query().order_by(Shipment.number)
    if status is not None:
        query = query.where(Shipment.status == status.value)
    if customer_id is not None:
        query = query.where(Shipment.customer_id == customer_id)
    return scalars_page(session, query, page)
