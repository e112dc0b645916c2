"""In-transit tracking: vehicles, geofences, shipments bound to vehicles, tracks and reports.

Live updates come through the event stream (`/api/events/stream?topic=position&topic=transit`):
`position` {vehicle, at, lat, lon, speed_mps, heading_deg, shipments} per vehicle and batch of
fixes; `transit` {shipment, shipment_id, vehicle, status, eta, remaining_m, events, alerts}
per trip whose fixes, status or alerts changed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Response
from pydantic import AwareDatetime
from sqlalchemy import select

from cloud.api.deps import BusDep, PageDep, SessionDep, SettingsDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.domain.transit import export
from cloud.domain.transit.geo import Fix
from cloud.domain.transit.trip import TransitRules
from cloud.domain.transit.vocab import OPEN_TRIPS, TripStatus
from cloud.masterdata.common import get_or_404
from cloud.services import transit_admin as admin
from cloud.services import transit_views as views
from cloud.services.transit import Notice, rules_of, transit_notice
from cloud.services.transit_schemas import (
    GeofenceIn,
    GeofenceOut,
    GeofencePatch,
    ReportOut,
    TransitOut,
    TripEventOut,
    TripIn,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from cloud.store.models import Geofence, Shipment, Site, Trip, Vehicle
from cloud.store.paging import scalars_page

vehicles = APIRouter(prefix="/api/transit/vehicles", tags=["transit"], responses=ERROR_RESPONSES)
geofences = APIRouter(prefix="/api/transit/geofences", tags=["transit"], responses=ERROR_RESPONSES)
shipments = APIRouter(prefix="/api/transit/shipments", tags=["transit"], responses=ERROR_RESPONSES)

GEOJSON = "application/geo+json"
GPX = "application/gpx+xml"
TrackFormat = Literal["geojson", "gpx"]
TRACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "GeoJSON FeatureCollection (the track as a LineString with its fix "
        "times, and its stops as Points), or GPX 1.1",
        "content": {GEOJSON: {}, GPX: {}},
    }
}
Since = Annotated[AwareDatetime | None, Query(description="from this time (event time)")]
Until = Annotated[AwareDatetime | None, Query(description="until this time (event time)")]


@vehicles.get("")
def list_vehicles(session: SessionDep, page: PageDep) -> PageOut[VehicleOut]:
    """Vehicles by code, with their last position and open trips."""
    found = scalars_page(session, select(Vehicle).order_by(Vehicle.code), page)
    return page_out(found, lambda v: views.vehicle_out(session, v))


@vehicles.post("", status_code=201)
def create_vehicle(session: SessionDep, body: VehicleIn) -> VehicleOut:
    """Register a vehicle: its gateway's GPS fixes become its track."""
    return views.vehicle_out(session, admin.create_vehicle(session, body))


@vehicles.get("/{vehicle_id}")
def get_vehicle(session: SessionDep, vehicle_id: int) -> VehicleOut:
    """One vehicle."""
    return views.vehicle_out(session, get_or_404(session, Vehicle, vehicle_id, "vehicle"))


@vehicles.patch("/{vehicle_id}")
def update_vehicle(session: SessionDep, vehicle_id: int, body: VehiclePatch) -> VehicleOut:
    """Rename a vehicle or change its GPS receiver."""
    return views.vehicle_out(session, admin.update_vehicle(session, vehicle_id, body))


@vehicles.delete("/{vehicle_id}", status_code=204)
def delete_vehicle(session: SessionDep, vehicle_id: int) -> None:
    """Remove a vehicle without trips, and its track."""
    admin.delete_vehicle(session, vehicle_id)


@vehicles.get("/{vehicle_id}/track", response_class=Response, responses=TRACK_RESPONSES)
def vehicle_track(
    session: SessionDep,
    settings: SettingsDep,
    *,
    vehicle_id: int,
    since: Since = None,
    until: Until = None,
    format: TrackFormat = "geojson",
) -> Response:
    """A vehicle's track over a time range."""
    vehicle = get_or_404(session, Vehicle, vehicle_id, "vehicle")
    fixes = views.positions(session, vehicle.id, since, until)
    return _track(
        session, fixes, name=vehicle.code, properties={"vehicle": vehicle.code}, format=format,
        rules=admin.default_rules(settings), min_stop_s=settings.transit_min_stop_min * 60,
    )  # fmt: skip


@vehicles.get("/{vehicle_id}/report")
def vehicle_report(
    session: SessionDep, settings: SettingsDep, vehicle_id: int, since: Since = None,
    until: Until = None,
) -> ReportOut:  # fmt: skip
    """Trips-and-stops report of a vehicle over a time range: legs, stops, gaps."""
    vehicle = get_or_404(session, Vehicle, vehicle_id, "vehicle")
    fixes = views.positions(session, vehicle.id, since, until)
    rules = admin.default_rules(settings)
    return views.track_report(session, fixes, rules, settings.transit_min_stop_min * 60)[1]


@geofences.get("")
def list_geofences(
    session: SessionDep, page: PageDep, site: Annotated[str | None, Query()] = None
) -> PageOut[GeofenceOut]:
    """Geofences by code, each with its area as a GeoJSON polygon."""
    query = select(Geofence).order_by(Geofence.code)
    if site is not None:
        query = query.join(Site, Site.id == Geofence.site_id).where(Site.code == site)
    return page_out(scalars_page(session, query, page), views.geofence_out)


@geofences.get("/geojson", responses={200: {"content": {GEOJSON: {}}}})
def geofences_geojson(session: SessionDep) -> Response:
    """Every geofence as one GeoJSON FeatureCollection (properties: id, code, name, site)."""
    features = []
    for fence in session.scalars(select(Geofence).order_by(Geofence.code)):
        out = views.geofence_out(fence)
        properties = {"id": out.id, "code": out.code, "name": out.name, "site": out.site}
        properties |= {"radius_m": fence.radius_m, "dwell_s": out.dwell_s}
        features.append({"type": "Feature", "geometry": out.geometry, "properties": properties})
    body = {"type": "FeatureCollection", "features": features}
    return _json(body, GEOJSON)


@geofences.post("", status_code=201)
def create_geofence(session: SessionDep, settings: SettingsDep, body: GeofenceIn) -> GeofenceOut:
    """Add a geofence: a geodesic circle or a polygon, optionally of a site."""
    return views.geofence_out(admin.create_geofence(session, body, settings.transit_dwell_s))


@geofences.get("/{fence_id}")
def get_geofence(session: SessionDep, fence_id: int) -> GeofenceOut:
    """One geofence."""
    return views.geofence_out(get_or_404(session, Geofence, fence_id, "geofence"))


@geofences.patch("/{fence_id}")
def update_geofence(session: SessionDep, fence_id: int, body: GeofencePatch) -> GeofenceOut:
    """Change a geofence."""
    return views.geofence_out(admin.update_geofence(session, fence_id, body))


@geofences.delete("/{fence_id}", status_code=204)
def delete_geofence(session: SessionDep, fence_id: int) -> None:
    """Remove a geofence."""
    admin.delete_geofence(session, fence_id)


@shipments.get("")
def list_in_transit(
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        list[TripStatus] | None,
        Query(description="trip statuses; default: planned, in_transit and arrived"),
    ] = None,
) -> PageOut[TransitOut]:
    """Shipments bound to vehicles, newest trip first: last position, status, ETA, contents
    of the transit location, alert counts."""
    statuses = [s.value for s in (status or OPEN_TRIPS)]
    found = views.transit_page(session, page, statuses)
    return page_out(found, lambda item: item)


@shipments.get("/{shipment_id}")
def get_in_transit(session: SessionDep, shipment_id: int) -> TransitOut:
    """One shipment's trip."""
    return views.transit_out(session, _trip(session, shipment_id))


@shipments.put("/{shipment_id}/trip")
def bind_vehicle(
    session: SessionDep,
    settings: SettingsDep,
    *,
    bus: BusDep,
    tasks: BackgroundTasks,
    shipment_id: int,
    body: TripIn,
) -> TransitOut:
    """Bind a shipment to a vehicle, when planned or at any time until it arrives; binding
    again re-plans the trip. Positions already stored since its start count at once."""
    trip = admin.bind(session, shipment_id, body, admin.default_rules(settings))
    notice = transit_notice(trip, [], [])
    tasks.add_task(_publish, bus, [notice])  # after the commit
    return views.transit_out(session, trip)


@shipments.delete("/{shipment_id}/trip", status_code=204)
def unbind_vehicle(session: SessionDep, shipment_id: int) -> None:
    """Unbind a shipment whose trip has not arrived."""
    admin.unbind(session, shipment_id)


@shipments.get("/{shipment_id}/events")
def trip_events(session: SessionDep, shipment_id: int) -> list[TripEventOut]:
    """Geofence enters and exits, departure, arrival and receipt, in event time."""
    return views.events_out(session, _trip(session, shipment_id))


@shipments.get("/{shipment_id}/track", response_class=Response, responses=TRACK_RESPONSES)
def trip_track(
    session: SessionDep,
    settings: SettingsDep,
    shipment_id: int,
    format: TrackFormat = "geojson",
) -> Response:
    """The trip's track, from its start until it arrived (or until now)."""
    trip = _trip(session, shipment_id)
    fixes = views.trip_fixes(session, trip)
    properties = {"shipment": trip.shipment.number, "vehicle": trip.vehicle.code}
    return _track(
        session, fixes, name=trip.shipment.number, properties=properties, format=format,
        rules=rules_of(trip), min_stop_s=settings.transit_min_stop_min * 60,
    )  # fmt: skip


@shipments.get("/{shipment_id}/report")
def trip_report(session: SessionDep, settings: SettingsDep, shipment_id: int) -> ReportOut:
    """Trips-and-stops report of the trip's track: legs, stops, gaps."""
    trip = _trip(session, shipment_id)
    return views.trip_report(session, trip, settings.transit_min_stop_min * 60)[1]


def _trip(session: SessionDep, shipment_id: int) -> Trip:
    shipment = get_or_404(session, Shipment, shipment_id, "shipment")
    return admin.trip_of(session, shipment)


def _track(
    session: SessionDep, fixes: list[Fix], *, name: str, properties: dict[str, Any],
    format: TrackFormat, rules: TransitRules, min_stop_s: float,
) -> Response:  # fmt: skip
    if format == "gpx":
        return Response(export.gpx(fixes, name), media_type=GPX)
    found, _ = views.track_report(session, fixes, rules, min_stop_s)
    return _json(export.geojson(fixes, properties, found.stops), GEOJSON)


def _json(body: dict[str, Any], media_type: str) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), media_type=media_type)


def _publish(bus: BusDep, notices: list[Notice]) -> None:
    for topic, data in notices:
        bus.publish(topic, data)


ROUTERS = (vehicles, geofences, shipments)
