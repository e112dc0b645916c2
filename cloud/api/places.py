"""Sites, the location tree, gateways and read points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.deps import PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.enums import LocationType
from cloud.masterdata import places
from cloud.masterdata.common import get_or_404
from cloud.masterdata.schemas import (
    GatewayIn,
    GatewayOut,
    GatewayPatch,
    LocationIn,
    LocationNode,
    LocationOut,
    LocationPatch,
    ReadPointIn,
    ReadPointOut,
    ReadPointPatch,
    SiteIn,
    SiteOut,
    SitePatch,
)
from cloud.store.models import Gateway, Location, ReadPoint, Site

sites = APIRouter(prefix="/api/sites", tags=["sites"], responses=ERROR_RESPONSES)
locations = APIRouter(prefix="/api/locations", tags=["locations"], responses=ERROR_RESPONSES)
gateways = APIRouter(prefix="/api/gateways", tags=["gateways"], responses=ERROR_RESPONSES)
read_points = APIRouter(prefix="/api/read-points", tags=["read points"], responses=ERROR_RESPONSES)


@sites.get("")
def list_sites(session: SessionDep, page: PageDep) -> PageOut[SiteOut]:
    """Sites, by code."""
    return page_out(places.list_sites(session, page), SiteOut.model_validate)


@sites.post("", status_code=201)
def create_site(session: SessionDep, body: SiteIn) -> SiteOut:
    """Add a site."""
    return SiteOut.model_validate(places.create_site(session, body))


@sites.get("/{site_id}")
def get_site(session: SessionDep, site_id: int) -> SiteOut:
    """One site."""
    return SiteOut.model_validate(get_or_404(session, Site, site_id, "site"))


@sites.patch("/{site_id}")
def update_site(session: SessionDep, site_id: int, body: SitePatch) -> SiteOut:
    """Change a site."""
    return SiteOut.model_validate(places.update_site(session, site_id, body))


@sites.delete("/{site_id}", status_code=204)
def delete_site(session: SessionDep, site_id: int) -> None:
    """Remove a site without gateways or locations."""
    places.delete_site(session, site_id)


@locations.get("")
def list_locations(
    session: SessionDep,
    page: PageDep,
    location_type: Annotated[LocationType | None, Query(alias="type")] = None,
    parent_id: int | None = None,
    site_id: int | None = None,
) -> PageOut[LocationOut]:
    """Locations, by code."""
    found = places.list_locations(session, page, location_type, parent_id, site_id)
    return page_out(found, LocationOut.model_validate)


@locations.get("/tree")
def location_tree(session: SessionDep, root_id: int | None = None) -> list[LocationNode]:
    """The location forest, or the subtree under root_id."""
    return places.location_tree(session, root_id)


@locations.post("", status_code=201)
def create_location(session: SessionDep, body: LocationIn) -> LocationOut:
    """Add a location."""
    return LocationOut.model_validate(places.create_location(session, body))


@locations.get("/{location_id}")
def get_location(session: SessionDep, location_id: int) -> LocationOut:
    """One location."""
    return LocationOut.model_validate(get_or_404(session, Location, location_id, "location"))


@locations.patch("/{location_id}")
def update_location(session: SessionDep, location_id: int, body: LocationPatch) -> LocationOut:
    """Change a location (moving it in the tree too)."""
    return LocationOut.model_validate(places.update_location(session, location_id, body))


@locations.delete("/{location_id}", status_code=204)
def delete_location(session: SessionDep, location_id: int) -> None:
    """Remove a location without children, stock history or read points."""
    places.delete_location(session, location_id)


@gateways.get("")
def list_gateways(
    session: SessionDep, page: PageDep, site_id: int | None = None
) -> PageOut[GatewayOut]:
    """Gateways, by site and code, with their last availability and health."""
    return page_out(places.list_gateways(session, page, site_id), GatewayOut.model_validate)


@gateways.post("", status_code=201)
def create_gateway(session: SessionDep, body: GatewayIn) -> GatewayOut:
    """Add a gateway."""
    return GatewayOut.model_validate(places.create_gateway(session, body))


@gateways.get("/{gateway_id}")
def get_gateway(session: SessionDep, gateway_id: int) -> GatewayOut:
    """One gateway."""
    return GatewayOut.model_validate(get_or_404(session, Gateway, gateway_id, "gateway"))


@gateways.patch("/{gateway_id}")
def update_gateway(session: SessionDep, gateway_id: int, body: GatewayPatch) -> GatewayOut:
    """Change a gateway."""
    return GatewayOut.model_validate(places.update_gateway(session, gateway_id, body))


@gateways.delete("/{gateway_id}", status_code=204)
def delete_gateway(session: SessionDep, gateway_id: int) -> None:
    """Remove a gateway without read points."""
    places.delete_gateway(session, gateway_id)


@read_points.get("")
def list_read_points(
    session: SessionDep, page: PageDep, gateway_id: int | None = None
) -> PageOut[ReadPointOut]:
    """Read points, by gateway and door."""
    found = places.list_read_points(session, page, gateway_id)
    return page_out(found, ReadPointOut.model_validate)


@read_points.post("", status_code=201)
def create_read_point(session: SessionDep, body: ReadPointIn) -> ReadPointOut:
    """Add a door to a gateway."""
    return ReadPointOut.model_validate(places.create_read_point(session, body))


@read_points.get("/{point_id}")
def get_read_point(session: SessionDep, point_id: int) -> ReadPointOut:
    """One read point."""
    return ReadPointOut.model_validate(get_or_404(session, ReadPoint, point_id, "read point"))


@read_points.patch("/{point_id}")
def update_read_point(session: SessionDep, point_id: int, body: ReadPointPatch) -> ReadPointOut:
    """Change the location or role of a door."""
    return ReadPointOut.model_validate(places.update_read_point(session, point_id, body))


@read_points.delete("/{point_id}", status_code=204)
def delete_read_point(session: SessionDep, point_id: int) -> None:
    """Remove a door nothing refers to."""
    places.delete_read_point(session, point_id)
