"""Purchase orders and advance shipping notices (ASNs)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cloud.enums import AsnStatus, OrderStatus, PartnerKind, ReadPointRole
from cloud.errors import NotFoundError, invalid
from cloud.masterdata import common
from cloud.masterdata.common import guarded
from cloud.masterdata.order_schemas import (
    AsnIn,
    AsnPatch,
    ContentLineIn,
    PurchaseOrderIn,
    PurchaseOrderPatch,
)
from cloud.store.models import (
    Asn,
    AsnLine,
    AsnPallet,
    Gateway,
    PoLine,
    PurchaseOrder,
    ReadPoint,
)
from cloud.store.paging import Page, PageRequest, scalars_page

RECEIVING_ROLES = {ReadPointRole.RECEIVING.value, ReadPointRole.BOTH.value}


def _po_query() -> Select[PurchaseOrder]:
    return select(PurchaseOrder).options(
        joinedload(PurchaseOrder.supplier),
        selectinload(PurchaseOrder.lines).joinedload(PoLine.item),
    )


def create_purchase_order(session: Session, data: PurchaseOrderIn) -> PurchaseOrder:
    """Add a purchase order with its lines."""
    supplier = common.partner(session, data.supplier, "supplier", PartnerKind.SUPPLIER)
    items = common.items_for_lines(session, [(line.item, None) for line in data.lines], "lines")
    numbers = [line.line_no or n + 1 for n, line in enumerate(data.lines)]
    repeated = [no for no, count in Counter(numbers).items() if count > 1]
    if repeated:
        raise invalid("lines", f"line_no {repeated[0]} appears twice")
    po = PurchaseOrder(number=data.number, supplier=supplier, expected_at=data.expected_at)
    po.lines = [
        PoLine(line_no=no, item=item, qty_ordered=line.qty)
        for no, item, line in zip(numbers, items, data.lines, strict=True)
    ]
    with guarded(session, "purchase order"):
        session.add(po)
    return po


def get_purchase_order(session: Session, po_id: int) -> PurchaseOrder:
    """A purchase order with its lines."""
    po = session.scalars(_po_query().where(PurchaseOrder.id == po_id)).first()
    if po is None:
        raise NotFoundError(f"purchase order {po_id} not found")
    return po


def update_purchase_order(session: Session, po_id: int, patch: PurchaseOrderPatch) -> PurchaseOrder:
    """Change status or expected date."""
    po = get_purchase_order(session, po_id)
    if patch.status is not None:
        po.status = patch.status.value
    if "expected_at" in patch.model_fields_set:
        po.expected_at = patch.expected_at
    return po


def delete_purchase_order(session: Session, po_id: int) -> None:
    """Remove a purchase order that no ASN or receipt refers to."""
    po = get_purchase_order(session, po_id)
    with guarded(session, "purchase order"):
        session.delete(po)


def list_purchase_orders(
    session: Session,
    page: PageRequest,
    supplier_id: int | None = None,
    status: OrderStatus | None = None,
) -> Page[PurchaseOrder]:
    """Purchase orders by number."""
    query = _po_query().order_by(PurchaseOrder.number)
    if supplier_id is not None:
        query = query.where(PurchaseOrder.supplier_id == supplier_id)
    if status is not None:
        query = query.where(PurchaseOrder.status == status.value)
    return scalars_page(session, query, page)


def _asn_query() -> Select[Asn]:
    return select(Asn).options(
        joinedload(Asn.supplier),
        joinedload(Asn.po),
        joinedload(Asn.read_point).joinedload(ReadPoint.gateway).joinedload(Gateway.site),
        selectinload(Asn.lines).joinedload(AsnLine.item),
        selectinload(Asn.pallets).selectinload(AsnPallet.lines).joinedload(AsnLine.item),
    )


def create_asn(session: Session, data: AsnIn) -> Asn:
    """Add an ASN with its pallets and lines."""
    supplier = common.partner(session, data.supplier, "supplier", PartnerKind.SUPPLIER)
    po: PurchaseOrder | None = common.optional(
        session, PurchaseOrder.number, data.po, "po", "purchase order"
    )
    if po is not None and supplier is not None and po.supplier_id != supplier.id:
        raise invalid("po", f"purchase order {po.number} is not from supplier {data.supplier}")
    asn = Asn(
        number=data.number,
        supplier=supplier,
        po=po,
        read_point=_door(session, data.door, RECEIVING_ROLES),
        window_start=data.window_start,
        window_end=data.window_end,
    )
    asn.lines = _asn_lines(session, asn, data)
    with guarded(session, "ASN"):
        session.add(asn)
    return asn


def _asn_lines(session: Session, asn: Asn, data: AsnIn) -> list[AsnLine]:
    placed: list[tuple[AsnPallet | None, ContentLineIn]] = [(None, line) for line in data.lines]
    for pallet_in in data.pallets:
        pallet = AsnPallet(sscc=pallet_in.sscc)
        asn.pallets.append(pallet)
        placed += [(pallet, line) for line in pallet_in.lines]
    items = common.items_for_lines(session, [(line.item, line.epc) for _, line in placed], "lines")
    return [
        AsnLine(pallet=pallet, item=item, epc=line.epc, qty=line.qty)
        for (pallet, line), item in zip(placed, items, strict=True)
    ]


def _door(session: Session, door: str | None, roles: set[str]) -> ReadPoint | None:
    point = common.read_point(session, door, "door")
    if point is not None and point.role not in roles:
        raise invalid("door", f"read point {door} is for {point.role} only")
    return point


def get_asn(session: Session, asn_id: int) -> Asn:
    """An ASN with pallets and lines."""
    asn = session.scalars(_asn_query().where(Asn.id == asn_id)).first()
    if asn is None:
        raise NotFoundError(f"ASN {asn_id} not found")
    return asn


def update_asn(session: Session, asn_id: int, patch: AsnPatch) -> Asn:
    """Change status, appointment door or window."""
    asn = get_asn(session, asn_id)
    fields = patch.model_fields_set
    if patch.status is not None:
        asn.status = patch.status.value
    if "door" in fields:
        asn.read_point = _door(session, patch.door, RECEIVING_ROLES)
    if "window_start" in fields:
        asn.window_start = patch.window_start
    if "window_end" in fields:
        asn.window_end = patch.window_end
    with guarded(session, "ASN"):
        session.flush()
    return asn


def delete_asn(session: Session, asn_id: int) -> None:
    """Remove an ASN that no receiving session refers to."""
    asn = get_asn(session, asn_id)
    with guarded(session, "ASN"):
        session.delete(asn)


def list_asns(
    session: Session,
    page: PageRequest,
    supplier_id: int | None = None,
    status: AsnStatus | None = None,
) -> Page[Asn]:
    """ASNs by number."""
    query = _asn_query().order_by(Asn.number)
    if supplier_id is not None:
        query = query.where(Asn.supplier_id == supplier_id)
    if status is not None:
        query = query.where(Asn.status == status.value)
    return scalars_page(session, query, page)
