"""Read models of in-transit tracking for the API: shipments in transit, tracks, reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import shapely
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from cloud.domain.transit.geo import Fix
from cloud.domain.transit.report import Report, report
from cloud.domain.transit.trip import TransitRules
from cloud.enums import AlertStatus
from cloud.services.transit import rules_of
from cloud.services.transit_admin import area_of
from cloud.services.transit_fences import fence_index, fence_of
from cloud.services.transit_schemas import (
    AlertCountsOut,
    ContentOut,
    EtaOut,
    GapOut,
    GeofenceOut,
    LegOut,
    PositionOut,
    ReportOut,
    StopOut,
    TransitOut,
    TripEventOut,
    VehicleOut,
)
from cloud.store.models import (
    Alert,
    Balance,
    Excursion,
    Geofence,
    Item,
    Shipment,
    Trip,
    TripEvent,
    Vehicle,
    VehiclePosition,
)
from cloud.store.paging import Page, PageRequest, count

TRANSIT_ALERTS = "transit_%"
CONDITION_ALERTS = "condition%"


def trips_query(statuses: Sequence[str]) -> Select[Trip]:
    """Trips in the given statuses, newest first, with shipment and vehicle."""
    query = select(Trip).options(
        joinedload(Trip.shipment), joinedload(Trip.vehicle), joinedload(Trip.origin),
        joinedload(Trip.destination),
    )  # fmt: skip
    if statuses:
        query = query.where(Trip.status.in_(list(statuses)))
    return query.order_by(Trip.id.desc())


def transit_page(session: Session, page: PageRequest, statuses: Sequence[str]) -> Page[TransitOut]:
    """A page of shipments bound to vehicles."""
    query = trips_query(statuses)
    trips = list(session.scalars(query.limit(page.limit).offset(page.offset)))
    contents = contents_of(session, [t.shipment.transit_location_id for t in trips])
    items = [
        transit_out(session, t, contents.get(t.shipment.transit_location_id, [])) for t in trips
    ]
    return Page(items, count(session, query), page.limit, page.offset)


def transit_out(
    session: Session, trip: Trip, contents: list[ContentOut] | None = None
) -> TransitOut:
    """One shipment's trip as the API shows it."""
    shipment = trip.shipment
    if contents is None:
        contents = contents_of(session, [shipment.transit_location_id]).get(
            shipment.transit_location_id, []
        )
    alerts = alert_counts(session, trip)
    route = trip.route or {}
    return TransitOut(
        shipment_id=shipment.id, number=shipment.number, shipment_status=shipment.status,
        trip_id=trip.id, status=trip.status, vehicle=trip.vehicle.code,
        origin_site=trip.origin.code if trip.origin else None,
        destination_site=trip.destination.code if trip.destination else None,
        start_at=trip.start_at, due_at=trip.due_at, departed_at=trip.departed_at,
        arrived_at=trip.arrived_at, received_at=trip.received_at,
        last_position=_position(trip), eta=trip.eta_at, eta_detail=_eta(trip),
        offset_m=trip.offset_m, route=route.get("coordinates"),
        route_speeds_kmh=route.get("speeds_kmh"), planned_stops=route.get("stops", []),
        rules=trip.rules, contents=contents,
        qty=sum(c.qty for c in contents), alerts=alerts, condition_alerts=alerts.condition,
    )  # fmt: skip


def _position(trip: Trip) -> PositionOut | None:
    if trip.last_fix_at is None or trip.last_lat is None or trip.last_lon is None:
        return None
    return PositionOut(
        at=trip.last_fix_at, lat=trip.last_lat, lon=trip.last_lon, speed_mps=trip.last_speed_mps
    )


def _eta(trip: Trip) -> EtaOut | None:
    if trip.eta_at is None:
        return None
    return EtaOut(
        at=trip.eta_at,
        remaining_m=trip.remaining_m,
        speed_mps=trip.speed_mps,
        basis=trip.eta_basis or "",
    )


def contents_of(session: Session, transit_ids: Sequence[int]) -> dict[int, list[ContentOut]]:
    """Per transit location, what it holds by item (with the EPCs)."""
    if not transit_ids:
        return {}
    query = (
        select(Balance.location_id, Balance.item_id, Item.sku, Balance.stock_key, Balance.qty)
        .join(Item, Item.id == Balance.item_id)
        .where(Balance.location_id.in_(list(transit_ids)), Balance.qty > 0)
        .order_by(Balance.location_id, Item.sku, Balance.stock_key)
    )
    grouped: defaultdict[int, dict[int, ContentOut]] = defaultdict(dict)
    for location, item, sku, key, qty in session.execute(query):
        line = grouped[location].setdefault(item, ContentOut(item_id=item, sku=sku, qty=0, epcs=[]))
        line.qty += qty
        if key:
            line.epcs.append(key)
    return {location: list(lines.values()) for location, lines in grouped.items()}


def alert_counts(session: Session, trip: Trip) -> AlertCountsOut:
    """Alerts not cleared: the trip's transit alerts and condition alerts of the shipment (by
    its excursions, or naming it) or of its vehicle."""
    number, code = trip.shipment.number, trip.vehicle.code
    live = Alert.status != AlertStatus.CLEARED.value
    transit = select(func.count(Alert.id)).where(
        live, Alert.kind.like(TRANSIT_ALERTS), Alert.subject == number
    )
    excursions = select(Excursion.alert_id).where(
        or_(Excursion.shipment_id == trip.shipment_id, Excursion.vehicle_code == code)
    )
    naming = Alert.kind.like(CONDITION_ALERTS) & Alert.subject.contains(number, autoescape=True)
    condition = select(func.count(Alert.id)).where(live, Alert.id.in_(excursions) | naming)
    return AlertCountsOut(
        transit=session.scalar(transit) or 0, condition=session.scalar(condition) or 0
    )


def events_out(session: Session, trip: Trip) -> list[TripEventOut]:
    """The trip's events in event time order."""
    query = (
        select(TripEvent, Geofence.code)
        .outerjoin(Geofence, Geofence.id == TripEvent.geofence_id)
        .where(TripEvent.trip_id == trip.id)
        .order_by(TripEvent.at, TripEvent.id)
    )
    return [
        TripEventOut(
            kind=e.kind, geofence_id=e.geofence_id, geofence=code, at=e.at,
            confirmed_at=e.confirmed_at,
        )
        for e, code in session.execute(query)
    ]  # fmt: skip


def trip_fixes(session: Session, trip: Trip) -> list[Fix]:
    """The trip's track: from its start until it arrived (or until now)."""
    return positions(session, trip.vehicle_id, trip.start_at, trip.arrived_at)


def positions(
    session: Session, vehicle_id: int, since: datetime | None, until: datetime | None
) -> list[Fix]:
    """A vehicle's stored fixes in a time range, in event time order."""
    query = select(VehiclePosition).where(VehiclePosition.vehicle_id == vehicle_id)
    if since is not None:
        query = query.where(VehiclePosition.at >= since)
    if until is not None:
        query = query.where(VehiclePosition.at <= until)
    rows = session.scalars(query.order_by(VehiclePosition.at, VehiclePosition.id))
    return [Fix(r.at.timestamp(), r.lat, r.lon, r.speed_mps) for r in rows]


def trip_report(session: Session, trip: Trip, min_stop_s: float) -> tuple[Report, ReportOut]:
    """Legs, stops and gaps of the trip's track."""
    return track_report(session, trip_fixes(session, trip), rules_of(trip), min_stop_s)


def track_report(
    session: Session, fixes: Sequence[Fix], rules: TransitRules, min_stop_s: float
) -> tuple[Report, ReportOut]:
    """Legs, stops (with the geofences they are in) and gaps of a track."""
    found = report(fixes, rules.stop_radius_m, min_stop_s, rules.offline_s)
    index = fence_index(session)
    stops = []
    for stop in found.stops:
        touched = index.touched(shapely.points([stop.lon], [stop.lat]))[0]
        codes = sorted(index.fences[p].code for p in touched)
        stops.append(
            StopOut(
                lat=stop.lat, lon=stop.lon, start=_dt(stop.start_t), end=_dt(stop.end_t),
                minutes=round((stop.end_t - stop.start_t) / 60, 1), geofences=codes,
            )
        )  # fmt: skip
    legs = [
        LegOut(
            start=_dt(leg.start_t), end=_dt(leg.end_t), distance_m=leg.distance_m,
            max_speed_mps=leg.max_speed_mps,
            avg_speed_mps=leg.distance_m / max(leg.end_t - leg.start_t, 1e-9),
        )
        for leg in found.legs
    ]  # fmt: skip
    gaps = [
        GapOut(start=_dt(g.start_t), end=_dt(g.end_t), distance_m=g.distance_m) for g in found.gaps
    ]
    out = ReportOut(
        start=_dt(fixes[0].t) if fixes else None, end=_dt(fixes[-1].t) if fixes else None,
        distance_m=found.distance_m, fixes=len(fixes), legs=legs, stops=stops, gaps=gaps,
    )  # fmt: skip
    return found, out


def vehicle_out(session: Session, vehicle: Vehicle) -> VehicleOut:
    """A vehicle with its newest position and open trips."""
    out = VehicleOut.model_validate(vehicle)
    last = session.scalars(
        select(VehiclePosition)
        .where(VehiclePosition.vehicle_id == vehicle.id)
        .order_by(VehiclePosition.at.desc(), VehiclePosition.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        out.last_position = PositionOut(
            at=last.at, lat=last.lat, lon=last.lon, speed_mps=last.speed_mps
        )
    open_ = ("planned", "in_transit", "arrived")
    numbers = session.scalars(
        select(Shipment.number)
        .join(Trip, Trip.shipment_id == Shipment.id)
        .where(Trip.vehicle_id == vehicle.id, Trip.status.in_(open_))
        .order_by(Shipment.number)
    )
    out.shipments = list(numbers)
    return out


def geofence_out(fence: Geofence) -> GeofenceOut:
    """A geofence with its area drawn as a GeoJSON polygon."""
    shape = fence_of(fence).shape
    return GeofenceOut(
        id=fence.id, code=fence.code, name=fence.name,
        site=fence.site.code if fence.site else None, area=area_of(fence),
        dwell_s=fence.dwell_s, geometry=shapely.geometry.mapping(shape),
        created_at=fence.created_at, updated_at=fence.updated_at,
    )  # fmt: skip


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)
