"""Purchase orders, ASNs and shipments."""

from __future__ import annotations

from fastapi import APIRouter

from cloud.api.deps import PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.enums import AsnStatus, OrderStatus, ShipmentStatus
from cloud.masterdata import orders, shipments
from cloud.masterdata.order_schemas import (
    AsnIn,
    AsnOut,
    AsnPatch,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPatch,
    ShipmentIn,
    ShipmentOut,
    ShipmentPatch,
)

purchase_orders = APIRouter(
    prefix="/api/purchase-orders", tags=["purchase orders"], responses=ERROR_RESPONSES
)
asns = APIRouter(prefix="/api/asns", tags=["ASNs"], responses=ERROR_RESPONSES)
shipments_router = APIRouter(prefix="/api/shipments", tags=["shipments"], responses=ERROR_RESPONSES)


@purchase_orders.get("")
def list_purchase_orders(
    session: SessionDep,
    page: PageDep,
    supplier_id: int | None = None,
    status: OrderStatus | None = None,
) -> PageOut[PurchaseOrderOut]:
    """Purchase orders with their lines, by number."""
    found = orders.list_purchase_orders(session, page, supplier_id, status)
    return page_out(found, PurchaseOrderOut.model_validate)


@purchase_orders.post("", status_code=201)
def create_purchase_order(session: SessionDep, body: PurchaseOrderIn) -> PurchaseOrderOut:
    """Add a purchase order with its lines."""
    return PurchaseOrderOut.model_validate(orders.create_purchase_order(session, body))


@purchase_orders.get("/{po_id}")
def get_purchase_order(session: SessionDep, po_id: int) -> PurchaseOrderOut:
    """One purchase order."""
    return PurchaseOrderOut.model_validate(orders.get_purchase_order(session, po_id))


@purchase_orders.patch("/{po_id}")
def update_purchase_order(
    session: SessionDep, po_id: int, body: PurchaseOrderPatch
) -> PurchaseOrderOut:
    """Change a purchase order's status or expected date."""
    return PurchaseOrderOut.model_validate(orders.update_purchase_order(session, po_id, body))


@purchase_orders.delete("/{po_id}", status_code=204)
def delete_purchase_order(session: SessionDep, po_id: int) -> None:
    """Remove a purchase order nothing refers to."""
    orders.delete_purchase_order(session, po_id)


@asns.get("")
def list_asns(
    session: SessionDep,
    page: PageDep,
    supplier_id: int | None = None,
    status: AsnStatus | None = None,
) -> PageOut[AsnOut]:
    """ASNs with pallets and lines, by number."""
    return page_out(orders.list_asns(session, page, supplier_id, status), AsnOut.model_validate)


@asns.post("", status_code=201)
def create_asn(session: SessionDep, body: AsnIn) -> AsnOut:
    """Add an ASN: expected pallets (SSCC) and their contents."""
    return AsnOut.model_validate(orders.create_asn(session, body))


@asns.get("/{asn_id}")
def get_asn(session: SessionDep, asn_id: int) -> AsnOut:
    """One ASN."""
    return AsnOut.model_validate(orders.get_asn(session, asn_id))


@asns.patch("/{asn_id}")
def update_asn(session: SessionDep, asn_id: int, body: AsnPatch) -> AsnOut:
    """Change an ASN's status, door or window."""
    return AsnOut.model_validate(orders.update_asn(session, asn_id, body))


@asns.delete("/{asn_id}", status_code=204)
def delete_asn(session: SessionDep, asn_id: int) -> None:
    """Remove an ASN nothing refers to."""
    orders.delete_asn(session, asn_id)


@shipments_router.get("")
def list_shipments(
    session: SessionDep,
    page: PageDep,
    status: ShipmentStatus | None = None,
    customer_id: int | None = None,
) -> PageOut[ShipmentOut]:
    """Shipments with expected lines, by number."""
    found = shipments.list_shipments(session, page, status, customer_id)
    return page_out(found, ShipmentOut.model_validate)


@shipments_router.post("", status_code=201)
def create_shipment(session: SessionDep, body: ShipmentIn) -> ShipmentOut:
    """Add a shipment from a pick list; its transit location is made with it."""
    return ShipmentOut.model_validate(shipments.create_shipment(session, body))


@shipments_router.get("/{shipment_id}")
def get_shipment(session: SessionDep, shipment_id: int) -> ShipmentOut:
    """One shipment."""
    return ShipmentOut.model_validate(shipments.get_shipment(session, shipment_id))


@shipments_router.patch("/{shipment_id}")
def update_shipment(session: SessionDep, shipment_id: int, body: ShipmentPatch) -> ShipmentOut:
    """Change a shipment's status, door or planned time."""
    return ShipmentOut.model_validate(shipments.update_shipment(session, shipment_id, body))


@shipments_router.delete("/{shipment_id}", status_code=204)
def delete_shipment(session: SessionDep, shipment_id: int) -> None:
    """Remove a shipment that never moved stock."""
    shipments.delete_shipment(session, shipment_id)
