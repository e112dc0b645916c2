"""Items and partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.deps import PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.enums import PartnerKind
from cloud.masterdata import catalog
from cloud.masterdata.common import get_or_404
from cloud.masterdata.schemas import (
    ItemIn,
    ItemOut,
    ItemPatch,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
)
from cloud.store.models import Item, Partner

items = APIRouter(prefix="/api/items", tags=["items"], responses=ERROR_RESPONSES)
partners = APIRouter(prefix="/api/partners", tags=["partners"], responses=ERROR_RESPONSES)


@items.get("")
def list_items(
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(description="text in SKU or description")] = None,
    gtin: Annotated[str | None, Query(description="exact GTIN")] = None,
) -> PageOut[ItemOut]:
    """Items, by SKU."""
    return page_out(catalog.list_items(session, page, q, gtin), ItemOut.model_validate)


@items.post("", status_code=201)
def create_item(session: SessionDep, body: ItemIn) -> ItemOut:
    """Add an item."""
    return ItemOut.model_validate(catalog.create_item(session, body))


@items.get("/{item_id}")
def get_item(session: SessionDep, item_id: int) -> ItemOut:
    """One item."""
    return ItemOut.model_validate(get_or_404(session, Item, item_id, "item"))


@items.patch("/{item_id}")
def update_item(session: SessionDep, item_id: int, body: ItemPatch) -> ItemOut:
    """Change an item."""
    return ItemOut.model_validate(catalog.update_item(session, item_id, body))


@items.delete("/{item_id}", status_code=204)
def delete_item(session: SessionDep, item_id: int) -> None:
    """Remove an item nothing refers to."""
    catalog.delete_item(session, item_id)


@partners.get("")
def list_partners(
    session: SessionDep, page: PageDep, kind: PartnerKind | None = None
) -> PageOut[PartnerOut]:
    """Partners, by code."""
    return page_out(catalog.list_partners(session, page, kind), PartnerOut.model_validate)


@partners.post("", status_code=201)
def create_partner(session: SessionDep, body: PartnerIn) -> PartnerOut:
    """Add a supplier, customer or carrier."""
    return PartnerOut.model_validate(catalog.create_partner(session, body))


@partners.get("/{partner_id}")
def get_partner(session: SessionDep, partner_id: int) -> PartnerOut:
    """One partner."""
    return PartnerOut.model_validate(get_or_404(session, Partner, partner_id, "partner"))


@partners.patch("/{partner_id}")
def update_partner(session: SessionDep, partner_id: int, body: PartnerPatch) -> PartnerOut:
    """Change a partner."""
    return PartnerOut.model_validate(catalog.update_partner(session, partner_id, body))


@partners.delete("/{partner_id}", status_code=204)
def delete_partner(session: SessionDep, partner_id: int) -> None:
    """Remove a partner nothing refers to."""
    catalog.delete_partner(session, partner_id)
