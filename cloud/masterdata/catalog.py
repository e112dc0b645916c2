"""Items and partners."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.enums import PartnerKind
from cloud.masterdata.common import apply_plain, get_or_404, guarded
from cloud.masterdata.schemas import ItemIn, ItemPatch, PartnerIn, PartnerPatch
from cloud.store.models import Item, Partner
from cloud.store.paging import Page, PageRequest, scalars_page


def create_item(session: Session, data: ItemIn) -> Item:
    """Add an item; ConflictError if the SKU or GTIN is taken."""
    item = Item(**data.model_dump())
    with guarded(session, "item"):
        session.add(item)
    return item


def update_item(session: Session, item_id: int, patch: ItemPatch) -> Item:
    """Change an item."""
    item = get_or_404(session, Item, item_id, "item")
    with guarded(session, "item"):
        apply_plain(item, patch, set(ItemPatch.model_fields))
    return item


def delete_item(session: Session, item_id: int) -> None:
    """Remove an item that nothing refers to."""
    item = get_or_404(session, Item, item_id, "item")
    with guarded(session, "item"):
        session.delete(item)


def list_items(
    session: Session, page: PageRequest, text: str | None = None, gtin: str | None = None
) -> Page[Item]:
    """Items by SKU, optionally those whose SKU or description contains text, or with a GTIN."""
    query = select(Item).order_by(Item.sku)
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(Item.sku.ilike(pattern), Item.description.ilike(pattern)))
    if gtin:
        query = query.where(Item.gtin == gtin.zfill(14))
    return scalars_page(session, query, page)


def create_partner(session: Session, data: PartnerIn) -> Partner:
    """Add a partner; ConflictError if the code is taken."""
    partner = Partner(code=data.code, name=data.name, kind=data.kind.value)
    with guarded(session, "partner"):
        session.add(partner)
    return partner


def update_partner(session: Session, partner_id: int, patch: PartnerPatch) -> Partner:
    """Change a partner."""
    partner = get_or_404(session, Partner, partner_id, "partner")
    with guarded(session, "partner"):
        if patch.name is not None:
            partner.name = patch.name
        if patch.kind is not None:
            partner.kind = patch.kind.value
    return partner


def delete_partner(session: Session, partner_id: int) -> None:
    """Remove a partner that nothing refers to."""
    partner = get_or_404(session, Partner, partner_id, "partner")
    with guarded(session, "partner"):
        session.delete(partner)


def list_partners(
    session: Session, page: PageRequest, kind: PartnerKind | None = None
) -> Page[Partner]:
    """Partners by code, optionally of one kind."""
    query = select(Partner).order_by(Partner.code)
    if kind is not None:
        query = query.where(Partner.kind == kind.value)
    return scalars_page(session, query, page)
