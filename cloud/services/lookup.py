"""Master data as one transaction sees it, cached for that transaction."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.enums import LocationType
from cloud.store.models import Gateway, Item, Location, Partner, ReadPoint, Site
from protocol.epc import gtin_of, sscc_of

logger = logging.getLogger(__name__)

UNKNOWN_ITEM_CLASS = "unregistered"


@dataclass(frozen=True, slots=True)
class Tag:
    """What an EPC is to us: a case of an item, a pallet (SSCC), or unknown."""

    epc: str
    item_id: int | None
    sscc: str | None


class Lookup:
    """Resolves gateways, read points, items and locations; creates the few it must."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._gateways: dict[tuple[str, str], Gateway | None] = {}
        self._points: dict[tuple[int, str], ReadPoint | None] = {}
        self._items: dict[str, int] = {}
        self._places: dict[tuple[int | None, str], int] = {}

    def gateway(self, site: str, code: str) -> Gateway | None:
        """The registered gateway, or None."""
        key = (site, code)
        if key not in self._gateways:
            query = select(Gateway).join(Site).where(Site.code == site, Gateway.code == code)
            self._gateways[key] = self.session.scalars(query).one_or_none()
        return self._gateways[key]

    def read_point(self, gateway: Gateway, door: str) -> ReadPoint | None:
        """The read point of one door of a gateway, or None."""
        key = (gateway.id, door)
        if key not in self._points:
            query = select(ReadPoint).where(
                ReadPoint.gateway_id == gateway.id, ReadPoint.door == door
            )
            self._points[key] = self.session.scalars(query).one_or_none()
        return self._points[key]

    def tag(self, epc: str) -> Tag:
        """Classify an EPC: SSCC pallet tag, SGTIN case of an item (registered on first sight)."""
        sscc = sscc_of(epc)
        if sscc is not None:
            return Tag(epc, None, sscc)
        gtin = gtin_of(epc)
        return Tag(epc, self.item_for_gtin(gtin) if gtin else None, None)

    def item_for_gtin(self, gtin: str) -> int:
        """The item with this GTIN; an unknown GTIN is registered as an unregistered item."""
        if gtin not in self._items:
            found = self.session.scalars(select(Item.id).where(Item.gtin == gtin)).first()
            self._items[gtin] = found if found is not None else self._new_item(gtin)
        return self._items[gtin]

    def _new_item(self, gtin: str) -> int:
        logger.warning("GTIN %s is not in the item master: registered as unregistered", gtin)
        item = Item(sku=f"GTIN-{gtin}", gtin=gtin, description="(not in the item master)")
        item.item_class = UNKNOWN_ITEM_CLASS
        self.session.add(item)
        self.session.flush()
        return item.id

    def place(self, site_id: int | None, kind: LocationType) -> int:
        """The site's location of a type (storage, quarantine...), made if missing.

        Top-level ones come first, then by code; a choice among several top-level ones is
        logged (once), since the location tree (see `place_near`) is how to say where goods go.
        """
        key = (site_id, kind.value)
        if key not in self._places:
            query = select(Location.id, Location.code, Location.parent_id)
            query = query.where(Location.type == kind.value, Location.site_id == site_id)
            found = self.session.execute(
                query.order_by(Location.parent_id.is_not(None), Location.code)
            ).all()
            if sum(row.parent_id is None for row in found) > 1:
                _ambiguous(site_id, kind.value, found[0].code)
            self._places[key] = found[0].id if found else self._new_place(site_id, kind)
        return self._places[key]

    def place_near(self, location_id: int, site_id: int | None, kind: LocationType) -> int:
        """Where goods at a location (a dock) go: its nearest ancestor of the type, else the
        site's (`place`)."""
        key = (-location_id, kind.value)  # negative: never a site id
        if key not in self._places:
            ancestor = self._ancestor(location_id, kind)
            self._places[key] = ancestor if ancestor is not None else self.place(site_id, kind)
        return self._places[key]

    def _ancestor(self, location_id: int, kind: LocationType) -> int | None:
        seen: set[int] = set()
        location = self.session.get(Location, location_id)
        while location is not None and location.parent_id is not None:
            if location.parent_id in seen:
                return None  # a cycle in the tree: no answer from it
            seen.add(location.parent_id)
            location = self.session.get(Location, location.parent_id)
            if location is not None and location.type == kind.value:
                return location.id
        return None

    def _new_place(self, site_id: int | None, kind: LocationType) -> int:
        site = self.session.get(Site, site_id) if site_id is not None else None
        code = f"{site.code if site else 'any'}:{kind.value}"
        logger.warning("no %s location for site %s: created %s", kind.value, site_id, code)
        location = Location(code=code, name=code, type=kind.value, site_id=site_id)
        self.session.add(location)
        self.session.flush()
        return location.id

    def supplier_location(self, partner_id: int | None) -> int:
        """Where a supplier's goods come from (made on first use)."""
        key = (partner_id, LocationType.SUPPLIER.value)
        if key not in self._places:
            query = select(Location.id).where(
                Location.type == LocationType.SUPPLIER.value, Location.partner_id == partner_id
            )
            found = self.session.scalars(query.order_by(Location.code)).first()
            self._places[key] = found if found is not None else self._new_supplier(partner_id)
        return self._places[key]

    def _new_supplier(self, partner_id: int | None) -> int:
        partner = self.session.get(Partner, partner_id) if partner_id is not None else None
        code = f"supplier:{partner.code if partner else 'unknown'}"
        location = Location(
            code=code, name=code, type=LocationType.SUPPLIER.value, partner_id=partner_id
        )
        self.session.add(location)
        self.session.flush()
        return location.id


@functools.cache
def _ambiguous(site_id: int | None, kind: str, chosen: str) -> None:
    # Cached: one warning per process and choice, not one per transaction.
    logger.warning(
        "site %s has several top-level %s locations and the dock is under none: using %s",
        site_id, kind, chosen,
    )  # fmt: skip
