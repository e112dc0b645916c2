"""Inputs and outputs of in-transit tracking: vehicles, geofences, trips, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from cloud.masterdata.schemas import related
from cloud.masterdata.types import Code, DoorName, Input, Instant, Output, Patch, SegmentCode


def _lon_lat(position: list[float]) -> list[float]:
    lon, lat = position
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"[{lon}, {lat}] is not [longitude, latitude] in degrees")
    return position


LonLat = Annotated[
    list[float],
    Field(min_length=2, max_length=2, description="[longitude, latitude], degrees (GeoJSON order)"),
    AfterValidator(_lon_lat),
]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, description="latitude, degrees")]
Lon = Annotated[float, Field(ge=-180.0, le=180.0, description="longitude, degrees")]
Minutes = Annotated[float, Field(gt=0, le=7 * 24 * 60)]
Metres = Annotated[float, Field(gt=0, le=1_000_000)]


class VehicleIn(Input):
    """A new vehicle: the gateway riding on it and the name of its GPS receiver."""

    code: Code = Field(description="vehicle code, e.g. its plate or fleet number")
    name: Annotated[str, Field(max_length=200)] = ""
    site: SegmentCode = Field(description="site of the vehicle's gateway")
    gateway: SegmentCode = Field(description="the vehicle's gateway")
    device: DoorName | None = Field(
        None, description="GPS receiver name in the gateway config; null: any of the gateway"
    )


class VehiclePatch(Patch):
    """Changes to a vehicle."""

    clearable = frozenset({"device"})

    name: Annotated[str, Field(max_length=200)] | None = None
    device: DoorName | None = None


class PositionOut(BaseModel):
    """A vehicle's position at a time."""

    at: datetime
    lat: float
    lon: float
    speed_mps: float | None = None


class VehicleOut(Output):
    """A vehicle with its last position and the shipments it carries."""

    id: int
    code: str
    name: str
    site: str = related("gateway", "site", "code")
    gateway: str = related("gateway", "code")
    device: str | None
    created_at: datetime
    last_position: PositionOut | None = None
    shipments: list[str] = Field(default=[], description="numbers of its open trips' shipments")


class CircleIn(Input):
    """A geodesic circle."""

    type: Literal["circle"]
    lat: Lat
    lon: Lon
    radius_m: Annotated[float, Field(gt=0, le=100_000, description="radius, metres")]


class PolygonIn(Input):
    """A polygon as GeoJSON Polygon coordinates: exterior ring first, then holes."""

    type: Literal["polygon"]
    coordinates: list[Annotated[list[LonLat], Field(min_length=4, max_length=10_000)]] = Field(
        min_length=1, max_length=100
    )


Area = Annotated[CircleIn | PolygonIn, Field(discriminator="type")]


class GeofenceIn(Input):
    """A new geofence, optionally of a site (the origins and destinations of trips)."""

    code: Code
    name: Annotated[str, Field(max_length=200)] = ""
    site: SegmentCode | None = Field(None, description="site the geofence belongs to")
    area: Area
    dwell_s: Annotated[float, Field(ge=0, le=86_400)] | None = Field(
        None, description="seconds inside (outside) before an enter (exit) counts; null: default"
    )


class GeofencePatch(Patch):
    """Changes to a geofence."""

    clearable = frozenset({"site"})

    name: Annotated[str, Field(max_length=200)] | None = None
    site: SegmentCode | None = None
    area: Area | None = None
    dwell_s: Annotated[float, Field(ge=0, le=86_400)] | None = None


class GeofenceOut(BaseModel):
    """A geofence as given, and its area as a GeoJSON polygon (a circle's 72-gon) to draw."""

    id: int
    code: str
    name: str
    site: str | None
    area: dict[str, Any] = Field(description="the area as given: circle or polygon")
    dwell_s: float
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon of the area")
    created_at: datetime
    updated_at: datetime


class TripRulesIn(Input):
    """Alarm thresholds of one trip; left out: the service's defaults."""

    stop_alert_min: Minutes | None = None
    stop_radius_m: Metres | None = None
    off_route_m: Metres | None = None
    off_route_min: Minutes | None = None
    offline_min: Minutes | None = None
    late_grace_min: Annotated[float, Field(ge=0, le=7 * 24 * 60)] | None = None
    default_speed_kmh: Annotated[float, Field(gt=0, le=300)] | None = None
    detour_factor: Annotated[float, Field(ge=1, le=5)] | None = None


class PlannedStopIn(Input):
    """A stop the plan makes on the way, e.g. a driver's rest."""

    lat: Lat
    lon: Lon
    minutes: Annotated[float, Field(gt=0, le=24 * 60, description="planned dwell, minutes")]


class TripIn(Input):
    """Bind a shipment to a vehicle: where it goes, by when, and along which route."""

    vehicle: Code = Field(description="vehicle code")
    destination_site: SegmentCode | None = Field(
        None, description="site whose geofences mean arrival"
    )
    origin_site: SegmentCode | None = Field(
        None, description="site whose geofences it departs from; default: its loading door's"
    )
    due_at: Instant | None = Field(None, description="when it is due at the destination")
    start_at: Instant | None = Field(
        None, description="fixes from this time on count; default: planned time, else now"
    )
    route: list[LonLat] | None = Field(
        None, min_length=2, max_length=100_000, description="planned route, [lon, lat] positions"
    )
    route_speeds_kmh: list[Annotated[float, Field(gt=0, le=200)]] | None = Field(
        None,
        description="expected speed of each leg of the route (one fewer than its positions), "
        "e.g. from a routing engine; default: the default speed on every leg",
    )
    planned_stops: list[PlannedStopIn] = Field(
        default=[], max_length=100, description="stops the plan makes on the way"
    )
    rules: TripRulesIn | None = None

    @model_validator(mode="after")
    def _speeds_per_leg(self) -> TripIn:
        if self.route_speeds_kmh is None:
            return self
        if self.route is None or len(self.route_speeds_kmh) != len(self.route) - 1:
            raise ValueError("route_speeds_kmh needs a route and one speed per leg")
        return self


class EtaOut(BaseModel):
    """Estimated arrival."""

    at: datetime
    remaining_m: float | None
    speed_mps: float | None = Field(description="speed the estimate assumes")
    basis: str = Field(description="route, great_circle or arrived")


class ContentOut(BaseModel):
    """What of one item the shipment's transit location holds."""

    item_id: int
    sku: str
    qty: int
    epcs: list[str]


class AlertCountsOut(BaseModel):
    """Alerts not cleared that concern the shipment."""

    transit: int = Field(description="late, stop, off route, offline")
    condition: int = Field(description="condition alerts of the shipment or its vehicle")


class TransitOut(BaseModel):
    """A shipment bound to a vehicle: its trip's plan, milestones, last position and ETA,
    what its transit location holds (from the ledger), and the alerts that concern it."""

    shipment_id: int
    number: str = Field(description="shipment number")
    shipment_status: str
    trip_id: int
    status: str = Field(description="trip: planned, in_transit, arrived, received, cancelled")
    vehicle: str = Field(description="vehicle code")
    origin_site: str | None
    destination_site: str | None
    start_at: datetime
    due_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    received_at: datetime | None
    last_position: PositionOut | None
    eta: datetime | None = Field(description="estimated (or, once arrived, actual) arrival")
    eta_detail: EtaOut | None
    offset_m: float | None = Field(description="distance from the planned route, metres")
    route: list[list[float]] | None = Field(description="planned route, [lon, lat] positions")
    route_speeds_kmh: list[float] | None = Field(description="expected speed per leg")
    planned_stops: list[dict[str, float]] = Field(description="planned stops: lat, lon, minutes")
    rules: dict[str, Any] = Field(description="alarm thresholds of this trip")
    contents: list[ContentOut]
    qty: int = Field(description="units in the transit location")
    alerts: AlertCountsOut
    condition_alerts: int = Field(description="= alerts.condition")


class TripEventOut(BaseModel):
    """A crossing, departure, arrival or receipt, in event time."""

    kind: str
    geofence_id: int | None
    geofence: str | None
    at: datetime
    confirmed_at: datetime | None


class StopOut(BaseModel):
    """Where the vehicle stood."""

    lat: float
    lon: float
    start: datetime
    end: datetime
    minutes: float
    geofences: list[str] = Field(description="codes of the geofences it stood in")


class LegOut(BaseModel):
    """Driving between two stops."""

    start: datetime
    end: datetime
    distance_m: float
    max_speed_mps: float
    avg_speed_mps: float


class GapOut(BaseModel):
    """A hole in the track: no fix for longer than the offline time."""

    start: datetime
    end: datetime
    distance_m: float


class ReportOut(BaseModel):
    """Trips-and-stops report of a track."""

    start: datetime | None
    end: datetime | None
    distance_m: float
    fixes: int
    legs: list[LegOut]
    stops: list[StopOut]
    gaps: list[GapOut]
