"""In-transit tracking: vehicle positions in, trips evaluated in event time, alerts and notices out.

The applier of position fixes (Kind.POSITION) stores every fix of a registered vehicle and
advances each tracked trip of that vehicle over the new fixes. Fixes normally arrive in order,
even hours late after the vehicle's uplink was down (the edge outbox keeps its order); a fix
older than what a trip has already seen (two workers, a replayed backlog) makes the trip be
replayed from its start over its stored track, so that its events are those of event time.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from cloud.domain.transit.crossings import FenceEvent
from cloud.domain.transit.eta import SpeedRules
from cloud.domain.transit.fences import Index
from cloud.domain.transit.geo import Fix
from cloud.domain.transit.route import PlannedStop, Route
from cloud.domain.transit.trip import (
    Alarm,
    OutOfOrderError,
    Plan,
    Step,
    TransitRules,
    TripState,
    TripTracker,
)
from cloud.domain.transit.vocab import ALERT_KINDS, TRACKED_TRIPS, TripEventKind, TripStatus
from cloud.enums import AlertSeverity, ShipmentStatus
from cloud.services.alerts import raise_alert
from cloud.services.inbound import Tx
from cloud.services.transit_fences import fence_index, transaction_fence_index
from cloud.store.bulk import insert_rows
from cloud.store.models import Gateway, Shipment, Trip, TripEvent, Vehicle, VehiclePosition
from protocol.messages import PositionFix, WireModel
from protocol.topics import Kind

logger = logging.getLogger(__name__)

KIND = Kind.POSITION
Notice = tuple[str, dict[str, Any]]
FENCE_EVENTS = (TripEventKind.ENTER.value, TripEventKind.EXIT.value)


def apply(tx: Tx, gateway: Gateway, events: Sequence[WireModel]) -> list[Notice]:
    """Store the fixes of a vehicle gateway and advance its vehicles' trips."""
    fixes = [e for e in events if isinstance(e, PositionFix)]
    vehicles = vehicles_of(tx.session, gateway, {f.device for f in fixes})
    notices: list[Notice] = []
    for vehicle, its in _by_vehicle(fixes, vehicles):
        store_positions(tx.session, vehicle, its)
        trips = tracked_trips(tx.session, vehicle)
        index = transaction_fence_index(tx.session) if trips else None
        notices.append(position_notice(vehicle, max(its, key=lambda f: f.time_ms), trips))
        for trip in trips:
            notices += advance(tx.session, trip, [fix_of(f) for f in its], index)
    return notices


def vehicles_of(session: Session, gateway: Gateway, devices: set[str]) -> dict[str, Vehicle]:
    """The vehicle of each GPS device of a gateway; a device of no vehicle is an error (the
    message is dead-lettered and can be replayed once the vehicle is registered)."""
    query = select(Vehicle).where(Vehicle.gateway_id == gateway.id)
    registered = list(session.scalars(query))
    named = {v.device: v for v in registered if v.device is not None}
    anyone = next((v for v in registered if v.device is None), None)
    found: dict[str, Vehicle] = {}
    for device in devices:
        vehicle = named.get(device, anyone)
        if vehicle is None:
            raise ValueError(f"no vehicle registered for GPS {gateway.code}/{device}")
        found[device] = vehicle
    return found


def _by_vehicle(
    fixes: Sequence[PositionFix], vehicles: dict[str, Vehicle]
) -> list[tuple[Vehicle, list[PositionFix]]]:
    groups: dict[int, tuple[Vehicle, list[PositionFix]]] = {}
    for fix in fixes:
        vehicle = vehicles[fix.device]
        groups.setdefault(vehicle.id, (vehicle, []))[1].append(fix)
    return list(groups.values())


def store_positions(session: Session, vehicle: Vehicle, fixes: Sequence[PositionFix]) -> None:
    """Append fixes to the vehicle's track."""
    rows = [
        {
            "vehicle_id": vehicle.id, "at": _dt(f.time_ms / 1000), "lat": f.lat, "lon": f.lon,
            "speed_mps": f.speed_mps, "heading_deg": f.heading_deg, "hdop": f.hdop,
            "event_id": f.id,
        }
        for f in fixes
    ]  # fmt: skip
    insert_rows(session, VehiclePosition, rows)


def fix_of(fix: PositionFix) -> Fix:
    """The domain fix of a wire fix."""
    return Fix(fix.time_ms / 1000, fix.lat, fix.lon, fix.speed_mps)


def tracked_trips(session: Session, vehicle: Vehicle) -> list[Trip]:
    """Trips of the vehicle whose fixes are still evaluated, locked for this transaction (the
    trips only), with their shipments (the notices name them)."""
    query = select(Trip).where(
        Trip.vehicle_id == vehicle.id, Trip.status.in_([s.value for s in TRACKED_TRIPS])
    )
    query = query.options(joinedload(Trip.shipment, innerjoin=True))
    return list(session.scalars(query.order_by(Trip.id).with_for_update(of=Trip)))


def advance(
    session: Session, trip: Trip, fixes: Sequence[Fix], index: Index | None = None
) -> list[Notice]:
    """Advance a trip over new fixes (replaying it when some are older than its state);
    index: the geofences if already at hand, else those of the database as of now."""
    index = fence_index(session) if index is None else index
    plan, rules = plan_of(trip, index), rules_of(trip)
    state = TripState.from_json(trip.state) if trip.state else None
    tracker = TripTracker(plan, rules, state)
    try:
        step = tracker.feed(fixes, index)
    except OutOfOrderError:
        logger.info("trip of shipment %s replayed: fixes arrived out of order", trip.shipment_id)
        return replay(session, trip)
    return record(session, trip, tracker, step, replayed=False)


def replay(session: Session, trip: Trip) -> list[Notice]:
    """Evaluate a trip afresh over its whole stored track."""
    session.flush()  # fixes just added are part of the stored track
    index = fence_index(session)
    tracker = TripTracker(plan_of(trip, index), rules_of(trip))
    step = tracker.feed(track(session, trip), index)
    return record(session, trip, tracker, step, replayed=True)


def track(session: Session, trip: Trip, until: datetime | None = None) -> list[Fix]:
    """The trip's stored track in event time order, from its start."""
    query = select(VehiclePosition).where(
        VehiclePosition.vehicle_id == trip.vehicle_id, VehiclePosition.at >= trip.start_at
    )
    if until is not None:
        query = query.where(VehiclePosition.at <= until)
    rows = session.scalars(query.order_by(VehiclePosition.at, VehiclePosition.id))
    return [Fix(r.at.timestamp(), r.lat, r.lon, r.speed_mps) for r in rows]


def plan_of(trip: Trip, index: Index) -> Plan:
    """What the trip is measured against, with the current geofences."""
    origin = _fences_of(index, trip.origin_site_id)
    destination = _fences_of(index, trip.destination_site_id)
    rules = rules_of(trip)
    route = route_of(json.dumps(trip.route), rules.speed.default_speed_mps) if trip.route else None
    target = route.end if route else _centre(index, destination)
    due = trip.due_at.timestamp() if trip.due_at else None
    return Plan(trip.start_at.timestamp(), origin, destination, due, route, target)


def _fences_of(index: Index, site_id: int | None) -> frozenset[int]:
    return frozenset() if site_id is None else index.of_site(site_id)


def _centre(index: Index, fence_ids: frozenset[int]) -> tuple[float, float] | None:
    places = [index.position(i) for i in sorted(fence_ids)]
    shapes = [index.fences[p].shape for p in places if p is not None]
    if not shapes:
        return None
    centre = shapes[0].centroid
    return float(centre.x), float(centre.y)


@functools.lru_cache(maxsize=256)
def route_of(stored: str, default_speed_mps: float) -> Route:
    """The route of a stored plan (kept: projecting a route is not free)."""
    plan = json.loads(stored)
    speeds = plan.get("speeds_kmh")
    stops = [PlannedStop(s["lon"], s["lat"], s["minutes"] * 60) for s in plan.get("stops", [])]
    return Route(
        [(p[0], p[1]) for p in plan["coordinates"]],
        [v / 3.6 for v in speeds] if speeds else None,
        stops,
        default_speed_mps,
    )


def rules_json(rules: TransitRules) -> dict[str, Any]:
    """A trip's thresholds as stored with it."""
    data = {name: getattr(rules, name) for name in TransitRules.__dataclass_fields__}
    data["speed"] = {n: getattr(rules.speed, n) for n in SpeedRules.__dataclass_fields__}
    return data


def rules_of(trip: Trip) -> TransitRules:
    """The thresholds stored with a trip."""
    data = dict(trip.rules)
    return TransitRules(**(data | {"speed": SpeedRules(**data.get("speed", {}))}))


def record(
    session: Session, trip: Trip, tracker: TripTracker, step: Step, *, replayed: bool
) -> list[Notice]:
    """Store what a step found: events, progress, status, alerts; return the live notice."""
    _events(session, trip, step.events, replayed)
    _milestones(session, trip, tracker)
    _progress(trip, tracker, step)
    sync_status(trip)
    raised = alert(session, trip, step.alarms)
    trip.state = tracker.state.to_json()
    return [transit_notice(trip, step.events, raised)] if step.fixes or raised else []


def _events(session: Session, trip: Trip, events: Iterable[FenceEvent], replayed: bool) -> None:
    if replayed:
        session.execute(
            delete(TripEvent).where(TripEvent.trip_id == trip.id, TripEvent.kind.in_(FENCE_EVENTS))
        )
    rows = [
        {"trip_id": trip.id, "kind": e.kind.value, "geofence_id": e.fence_id,
         "at": _dt(e.at), "confirmed_at": _dt(e.confirmed_at)}
        for e in events
    ]  # fmt: skip
    insert_rows(session, TripEvent, rows)


def _milestones(session: Session, trip: Trip, tracker: TripTracker) -> None:
    state = tracker.state
    departed = _dt(state.departed_t) if state.departed_t is not None else None
    arrived = _dt(state.arrived_t) if state.arrived_t is not None else None
    if departed != trip.departed_at:
        _milestone(session, trip, TripEventKind.DEPARTURE, departed)
        trip.departed_at = departed
    if arrived != trip.arrived_at:
        _milestone(session, trip, TripEventKind.ARRIVAL, arrived)
        trip.arrived_at = arrived


def _milestone(session: Session, trip: Trip, kind: TripEventKind, at: datetime | None) -> None:
    """Departure and arrival are one event each: the latest finding replaces the former."""
    session.execute(delete(TripEvent).where(TripEvent.trip_id == trip.id, TripEvent.kind == kind))
    if at is not None:
        session.add(TripEvent(trip_id=trip.id, kind=kind.value, at=at, confirmed_at=at))


def _progress(trip: Trip, tracker: TripTracker, step: Step) -> None:
    last = tracker.state.last
    if last is not None:
        trip.last_fix_at, trip.last_lat, trip.last_lon = _dt(last.t), last.lat, last.lon
        trip.last_speed_mps = last.speed
    trip.offset_m = tracker.state.offset_m
    eta = step.eta
    trip.eta_at = _dt(eta.arrive_t) if eta else None
    trip.eta_basis = eta.basis if eta else None
    trip.remaining_m = eta.remaining_m if eta else None
    trip.speed_mps = eta.speed_mps if eta else None


def sync_status(trip: Trip) -> None:
    """Trip and shipment status from the milestones found and the shipment's own status."""
    shipment: Shipment = trip.shipment
    if trip.arrived_at is not None and trip.status in {s.value for s in TRACKED_TRIPS}:
        trip.status = TripStatus.ARRIVED.value
        if shipment.status == ShipmentStatus.SHIPPED.value:
            shipment.status, shipment.delivered_at = ShipmentStatus.DELIVERED.value, trip.arrived_at
    elif trip.status == TripStatus.PLANNED.value and (
        trip.departed_at is not None or shipment.status == ShipmentStatus.SHIPPED.value
    ):
        trip.status = TripStatus.IN_TRANSIT.value


def alert(session: Session, trip: Trip, alarms: Iterable[Alarm]) -> list[str]:
    """Raise an alert per alarm episode not alerted before; return the alert kinds raised."""
    raised: list[str] = []
    done = list(trip.alarms or [])
    for alarm in alarms:
        if alarm.key in done:
            continue
        done.append(alarm.key)
        kind = ALERT_KINDS[alarm.kind.value]
        number = trip.shipment.number
        when = f"{_dt(alarm.at):%Y-%m-%d %H:%M} UTC"
        message = f"shipment {number} on {trip.vehicle.code}: {alarm.detail} ({when})"
        if raise_alert(session, kind, number, message, AlertSeverity.WARNING) is not None:
            raised.append(kind)
    trip.alarms = done
    return raised


def position_notice(vehicle: Vehicle, fix: PositionFix, trips: Sequence[Trip]) -> Notice:
    """Live notice of a vehicle's newest position in a batch."""
    return (
        "position",
        {
            "vehicle": vehicle.code, "at": _dt(fix.time_ms / 1000).isoformat(),
            "lat": fix.lat, "lon": fix.lon, "speed_mps": fix.speed_mps,
            "heading_deg": fix.heading_deg, "shipments": [t.shipment.number for t in trips],
        },
    )  # fmt: skip


def transit_notice(trip: Trip, events: Sequence[FenceEvent], alerts: Sequence[str]) -> Notice:
    """Live notice of a trip's progress: status, ETA, new geofence events, new alerts."""
    return (
        "transit",
        {
            "shipment": trip.shipment.number, "shipment_id": trip.shipment_id,
            "vehicle": trip.vehicle.code, "status": trip.status,
            "eta": trip.eta_at.isoformat() if trip.eta_at else None,
            "remaining_m": trip.remaining_m,
            "events": [{"kind": e.kind.value, "geofence_id": e.fence_id,
                        "at": _dt(e.at).isoformat()} for e in events],
            "alerts": list(alerts),
        },
    )  # fmt: skip


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)
