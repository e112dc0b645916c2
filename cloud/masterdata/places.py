"""Sites, the location tree, gateways and read points."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from cloud.enums import LocationType
from cloud.errors import NotFoundError, invalid
from cloud.masterdata import common
from cloud.masterdata.common import get_or_404, guarded
from cloud.masterdata.schemas import (
    GatewayIn,
    GatewayPatch,
    LocationIn,
    LocationNode,
    LocationPatch,
    ReadPointIn,
    ReadPointPatch,
    SiteIn,
    SitePatch,
)
from cloud.store.models import Gateway, Location, Partner, ReadPoint, Site
from cloud.store.paging import Page, PageRequest, scalars_page


def create_site(session: Session, data: SiteIn) -> Site:
    """Add a site."""
    site = Site(code=data.code, name=data.name)
    with guarded(session, "site"):
        session.add(site)
    return site


def update_site(session: Session, site_id: int, patch: SitePatch) -> Site:
    """Change a site."""
    site = get_or_404(session, Site, site_id, "site")
    if patch.name is not None:
        site.name = patch.name
    return site


def delete_site(session: Session, site_id: int) -> None:
    """Remove a site without gateways or locations."""
    site = get_or_404(session, Site, site_id, "site")
    with guarded(session, "site"):
        session.delete(site)


def list_sites(session: Session, page: PageRequest) -> Page[Site]:
    """Sites by code."""
    return scalars_page(session, select(Site).order_by(Site.code), page)


def create_location(session: Session, data: LocationIn) -> Location:
    """Add a location under its parent (if any)."""
    location = Location(code=data.code, name=data.name, type=data.type.value)
    location.parent = common.location(session, data.parent, "parent")
    location.site = common.optional(session, Site.code, data.site, "site", "site")
    if location.site is None and location.parent is not None:
        location.site = location.parent.site  # a child is where its parent is
    location.partner = common.optional(session, Partner.code, data.partner, "partner", "partner")
    with guarded(session, "location"):
        session.add(location)
    return location


def update_location(session: Session, location_id: int, patch: LocationPatch) -> Location:
    """Change a location; a new parent must not be the location itself or below it."""
    location = get_or_404(session, Location, location_id, "location")
    fields = patch.model_fields_set
    if "name" in fields and patch.name is not None:
        location.name = patch.name
    if "parent" in fields:
        parent = common.location(session, patch.parent, "parent")
        _refuse_cycle(location, parent)
        location.parent = parent
    if "site" in fields:
        location.site = common.optional(session, Site.code, patch.site, "site", "site")
    if "partner" in fields:
        location.partner = common.optional(
            session, Partner.code, patch.partner, "partner", "partner"
        )
    with guarded(session, "location"):
        session.flush()
    return location


def _refuse_cycle(location: Location, parent: Location | None) -> None:
    seen = parent
    while seen is not None:
        if seen.id == location.id:
            raise invalid(
                "parent", f"{parent.code if parent else ''} is {location.code} or below it"
            )
        seen = seen.parent


def delete_location(session: Session, location_id: int) -> None:
    """Remove a location that has no children, stock history or read points."""
    location = get_or_404(session, Location, location_id, "location")
    with guarded(session, "location"):
        session.delete(location)


def list_locations(
    session: Session,
    page: PageRequest,
    type_: LocationType | None = None,
    parent_id: int | None = None,
    site_id: int | None = None,
) -> Page[Location]:
    """Locations by code, optionally of one type, under one parent, or at one site."""
    query = select(Location).order_by(Location.code)
    query = query.options(
        joinedload(Location.parent), joinedload(Location.site), joinedload(Location.partner)
    )
    if type_ is not None:
        query = query.where(Location.type == type_.value)
    if parent_id is not None:
        query = query.where(Location.parent_id == parent_id)
    if site_id is not None:
        query = query.where(Location.site_id == site_id)
    return scalars_page(session, query, page)


def location_tree(session: Session, root_id: int | None = None) -> list[LocationNode]:
    """The location forest (or the subtree under root_id) as nested nodes."""
    rows = session.execute(
        select(Location.id, Location.parent_id, Location.code, Location.name, Location.type)
    ).all()
    children: defaultdict[int | None, list[LocationNode]] = defaultdict(list)
    nodes: dict[int, LocationNode] = {}
    for row in sorted(rows, key=lambda r: r.code):
        node = LocationNode(id=row.id, code=row.code, name=row.name, type=row.type)
        nodes[row.id] = node
        children[row.parent_id].append(node)
    for node in nodes.values():
        node.children = children.get(node.id, [])
    if root_id is None:
        return children[None]
    if root_id not in nodes:
        raise NotFoundError(f"location {root_id} not found")
    return [nodes[root_id]]


def create_gateway(session: Session, data: GatewayIn) -> Gateway:
    """Add a gateway at a site."""
    site = common.by_key(session, Site.code, data.site, "site", "site")
    gateway = Gateway(site=site, code=data.code, name=data.name)
    with guarded(session, "gateway"):
        session.add(gateway)
    return gateway


def update_gateway(session: Session, gateway_id: int, patch: GatewayPatch) -> Gateway:
    """Change a gateway's name."""
    gateway = get_or_404(session, Gateway, gateway_id, "gateway")
    if patch.name is not None:
        gateway.name = patch.name
    return gateway


def delete_gateway(session: Session, gateway_id: int) -> None:
    """Remove a gateway without read points."""
    gateway = get_or_404(session, Gateway, gateway_id, "gateway")
    with guarded(session, "gateway"):
        session.delete(gateway)


def list_gateways(session: Session, page: PageRequest, site_id: int | None) -> Page[Gateway]:
    """Gateways by site and code."""
    query = select(Gateway).join(Site).options(joinedload(Gateway.site))
    if site_id is not None:
        query = query.where(Gateway.site_id == site_id)
    return scalars_page(session, query.order_by(Site.code, Gateway.code), page)


def create_read_point(session: Session, data: ReadPointIn) -> ReadPoint:
    """Add a door to a gateway."""
    gateway = common.gateway(session, data.site, data.gateway, "gateway")
    location = common.by_key(session, Location.code, data.location, "location", "location")
    point = ReadPoint(gateway=gateway, door=data.door, location=location, role=data.role.value)
    with guarded(session, "read point"):
        session.add(point)
    return point


def update_read_point(session: Session, point_id: int, patch: ReadPointPatch) -> ReadPoint:
    """Change the location or role of a door."""
    point = get_or_404(session, ReadPoint, point_id, "read point")
    if patch.location is not None:
        point.location = common.by_key(
            session, Location.code, patch.location, "location", "location"
        )
    if patch.role is not None:
        point.role = patch.role.value
    with guarded(session, "read point"):
        session.flush()
    return point


def delete_read_point(session: Session, point_id: int) -> None:
    """Remove a door nothing refers to."""
    point = get_or_404(session, ReadPoint, point_id, "read point")
    with guarded(session, "read point"):
        session.delete(point)


def list_read_points(
    session: Session, page: PageRequest, gateway_id: int | None = None
) -> Page[ReadPoint]:
    """Read points by gateway and door."""
    query = select(ReadPoint).options(
        selectinload(ReadPoint.gateway).joinedload(Gateway.site),
        joinedload(ReadPoint.location),
    )
    if gateway_id is not None:
        query = query.where(ReadPoint.gateway_id == gateway_id)
    return scalars_page(session, query.order_by(ReadPoint.gateway_id, ReadPoint.door), page)
