"""Vehicles, geofences and binding shipments to vehicles (the trips' plans)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.domain.transit.eta import SpeedRules
from cloud.domain.transit.fences import FenceError
from cloud.domain.transit.route import RouteError
from cloud.domain.transit.trip import TransitRules
from cloud.domain.transit.vocab import FenceShape, TripStatus
from cloud.enums import ShipmentStatus
from cloud.errors import ConflictError, NotFoundError, invalid
from cloud.masterdata import common
from cloud.masterdata.common import get_or_404, guarded
from cloud.services import transit
from cloud.services.transit_fences import fence_of
from cloud.services.transit_schemas import (
    CircleIn,
    GeofenceIn,
    GeofencePatch,
    PolygonIn,
    TripIn,
    TripRulesIn,
    VehicleIn,
    VehiclePatch,
)
from cloud.settings import CloudSettings
from cloud.store.models import Geofence, Shipment, Site, Trip, TripEvent, Vehicle, utcnow

CLOSED_SHIPMENTS = (ShipmentStatus.DELIVERED.value, ShipmentStatus.CANCELLED.value)
DONE_TRIPS = (TripStatus.ARRIVED.value, TripStatus.RECEIVED.value)


def default_rules(settings: CloudSettings) -> TransitRules:
    """The thresholds a trip takes unless its binding says otherwise."""
    return TransitRules(
        stop_radius_m=settings.transit_stop_radius_m,
        stop_alert_s=settings.transit_stop_alert_min * 60,
        off_route_m=settings.transit_off_route_m,
        off_route_s=settings.transit_off_route_min * 60,
        offline_s=settings.transit_offline_min * 60,
        late_grace_s=settings.transit_late_grace_min * 60,
        detour_factor=settings.transit_detour_factor,
        speed=SpeedRules(
            window_s=settings.transit_speed_window_min * 60,
            default_speed_mps=settings.transit_default_speed_kmh / 3.6,
        ),
    )


def rules_with(base: TransitRules, given: TripRulesIn | None) -> TransitRules:
    """base with the thresholds a binding gives."""
    if given is None:
        return base
    data = transit.rules_json(base)
    plain = {"stop_radius_m", "off_route_m", "detour_factor"}
    minutes = {"stop_alert_min", "off_route_min", "offline_min", "late_grace_min"}
    for name in given.model_fields_set & plain:
        data[name] = getattr(given, name)
    for name in given.model_fields_set & minutes:
        data[name.replace("_min", "_s")] = getattr(given, name) * 60
    if given.default_speed_kmh is not None:
        data["speed"]["default_speed_mps"] = given.default_speed_kmh / 3.6
    return TransitRules(**(data | {"speed": SpeedRules(**data["speed"])}))


def create_vehicle(session: Session, data: VehicleIn) -> Vehicle:
    """Register a vehicle and the GPS receiver that reports its positions."""
    gateway = common.gateway(session, data.site, data.gateway, "gateway")
    vehicle = Vehicle(code=data.code, name=data.name, gateway=gateway, device=data.device)
    _one_catch_all(session, gateway.id, data.device, None)
    with guarded(session, "vehicle"):
        session.add(vehicle)
    return vehicle


def _one_catch_all(session: Session, gateway_id: int, device: str | None, own: int | None) -> None:
    """A gateway has at most one vehicle taking the fixes of any receiver (device null)."""
    if device is not None:
        return
    query = select(Vehicle.code).where(
        Vehicle.gateway_id == gateway_id, Vehicle.device.is_(None), Vehicle.id != (own or -1)
    )
    other = session.scalars(query).first()
    if other is not None:
        raise ConflictError(f"vehicle {other} already takes every GPS of this gateway")


def update_vehicle(session: Session, vehicle_id: int, patch: VehiclePatch) -> Vehicle:
    """Rename a vehicle or change which receiver is its own."""
    vehicle = get_or_404(session, Vehicle, vehicle_id, "vehicle")
    if "device" in patch.model_fields_set:
        _one_catch_all(session, vehicle.gateway_id, patch.device, vehicle.id)
        vehicle.device = patch.device
    if patch.name is not None:
        vehicle.name = patch.name
    with guarded(session, "vehicle"):
        session.flush()
    return vehicle


def delete_vehicle(session: Session, vehicle_id: int) -> None:
    """Remove a vehicle that carries no trip (its track goes with it)."""
    vehicle = get_or_404(session, Vehicle, vehicle_id, "vehicle")
    if session.scalars(select(Trip.id).where(Trip.vehicle_id == vehicle.id)).first():
        raise ConflictError(f"vehicle {vehicle.code} has trips; unbind them first")
    with guarded(session, "vehicle"):
        session.delete(vehicle)


def create_geofence(session: Session, data: GeofenceIn, default_dwell_s: float) -> Geofence:
    """Add a geofence."""
    fence = Geofence(code=data.code, name=data.name, site=_site(session, data.site, "site"))
    fence.dwell_s = default_dwell_s if data.dwell_s is None else data.dwell_s
    _set_area(fence, data.area)
    with guarded(session, "geofence"):
        session.add(fence)
    return fence


def update_geofence(session: Session, fence_id: int, patch: GeofencePatch) -> Geofence:
    """Change a geofence; trips see the change with their next fixes."""
    fence = get_or_404(session, Geofence, fence_id, "geofence")
    fields = patch.model_fields_set
    if patch.name is not None:
        fence.name = patch.name
    if "site" in fields:
        fence.site = _site(session, patch.site, "site")
    if patch.area is not None:
        _set_area(fence, patch.area)
    if patch.dwell_s is not None:
        fence.dwell_s = patch.dwell_s
    fence.updated_at = utcnow()
    with guarded(session, "geofence"):
        session.flush()
    return fence


def delete_geofence(session: Session, fence_id: int) -> None:
    """Remove a geofence (its past events keep their times, not the fence)."""
    fence = get_or_404(session, Geofence, fence_id, "geofence")
    with guarded(session, "geofence"):
        session.delete(fence)


def _site(session: Session, code: str | None, loc: str) -> Site | None:
    found: Site | None = common.optional(session, Site.code, code, loc, "site")
    return found


def _set_area(fence: Geofence, area: CircleIn | PolygonIn) -> None:
    if isinstance(area, CircleIn):
        fence.shape, fence.lat, fence.lon = FenceShape.CIRCLE.value, area.lat, area.lon
        fence.radius_m, fence.rings = area.radius_m, None
    else:
        fence.shape, fence.rings = FenceShape.POLYGON.value, area.coordinates
        fence.lat = fence.lon = fence.radius_m = None
    try:
        fence_of(fence)
    except FenceError as exc:
        raise invalid("area", str(exc)) from None


def bind(session: Session, shipment_id: int, data: TripIn, base: TransitRules) -> Trip:
    """Bind a shipment to a vehicle (planned, loading, held or shipped); binding again
    re-plans the trip. Positions already stored since its start are evaluated at once."""
    shipment = get_or_404(session, Shipment, shipment_id, "shipment")
    if shipment.status in CLOSED_SHIPMENTS:
        raise ConflictError(f"shipment {shipment.number} is {shipment.status}")
    trip = session.scalars(select(Trip).where(Trip.shipment_id == shipment.id)).one_or_none()
    if trip is not None and trip.status in DONE_TRIPS:
        raise ConflictError(f"the trip of shipment {shipment.number} has {trip.status}")
    trip = trip or Trip(shipment=shipment, alarms=[])
    _plan(session, trip, shipment, data, base)
    with guarded(session, "trip"):
        session.add(trip)
        session.flush()
    _reset(session, trip)
    transit.replay(session, trip)
    return trip


def _plan(
    session: Session, trip: Trip, shipment: Shipment, data: TripIn, base: TransitRules
) -> None:
    trip.vehicle = common.by_key(session, Vehicle.code, data.vehicle, "vehicle", "vehicle")
    door_site = shipment.read_point.gateway.site if shipment.read_point else None
    trip.origin = _site(session, data.origin_site, "origin_site") if data.origin_site else door_site
    trip.destination = _site(session, data.destination_site, "destination_site")
    trip.due_at, trip.route = data.due_at, _route(data)
    trip.start_at = data.start_at or shipment.planned_at or utcnow()
    trip.rules = transit.rules_json(rules_with(base, data.rules))
    shipped = shipment.status == ShipmentStatus.SHIPPED.value
    trip.status = (TripStatus.IN_TRANSIT if shipped else TripStatus.PLANNED).value


def _route(data: TripIn) -> dict[str, Any] | None:
    """The stored plan of the route: positions, speeds per leg, planned stops."""
    if data.route is None:
        if data.planned_stops:
            raise invalid("planned_stops", "planned stops need a route")
        return None
    stops = [s.model_dump() for s in data.planned_stops]
    plan = {"coordinates": data.route, "speeds_kmh": data.route_speeds_kmh, "stops": stops}
    try:
        transit.route_of(json.dumps(plan), 1.0)
    except RouteError as exc:
        raise invalid("route", str(exc)) from None
    return plan


def _reset(session: Session, trip: Trip) -> None:
    """Forget what an earlier plan of the trip found."""
    session.execute(delete(TripEvent).where(TripEvent.trip_id == trip.id))
    trip.state, trip.departed_at, trip.arrived_at = None, None, None
    trip.last_fix_at = trip.last_lat = trip.last_lon = trip.last_speed_mps = None
    trip.eta_at = trip.eta_basis = trip.remaining_m = trip.speed_mps = trip.offset_m = None


def unbind(session: Session, shipment_id: int) -> None:
    """Remove a shipment's trip that has not arrived yet."""
    shipment = get_or_404(session, Shipment, shipment_id, "shipment")
    trip = trip_of(session, shipment)
    if trip.status in DONE_TRIPS:
        raise ConflictError(f"the trip of shipment {shipment.number} has {trip.status}")
    session.delete(trip)


def trip_of(session: Session, shipment: Shipment) -> Trip:
    """The shipment's trip, or NotFoundError."""
    trip = session.scalars(select(Trip).where(Trip.shipment_id == shipment.id)).one_or_none()
    if trip is None:
        raise NotFoundError(f"shipment {shipment.number} is not bound to a vehicle")
    return trip


def area_of(fence: Geofence) -> dict[str, Any]:
    """A geofence's area as given."""
    if fence.shape == FenceShape.CIRCLE.value:
        return {"type": "circle", "lat": fence.lat, "lon": fence.lon, "radius_m": fence.radius_m}
    return {"type": "polygon", "coordinates": fence.rings}
