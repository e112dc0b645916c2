"""In-transit tracking: vehicles and their positions, geofences, shipments' trips and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.domain.transit.vocab import FenceShape, TripEventKind, TripStatus
from cloud.store.models.base import Base, sql_in, utcnow
from cloud.store.models.master import CODE, Gateway, Site
from cloud.store.models.operations import EVENT_ID_LEN, Shipment
from cloud.store.types import BigId, UtcDateTime

CIRCLE_OR_POLYGON = (
    "(shape = 'circle' AND lat IS NOT NULL AND lon IS NOT NULL AND radius_m > 0 "
    "AND rings IS NULL) OR (shape = 'polygon' AND rings IS NOT NULL)"
)


class Vehicle(Base):
    """A truck or van whose gateway's GPS receiver (device) reports its positions."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("gateway_id", "device"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    gateway_id: Mapped[int] = mapped_column(ForeignKey("gateways.id"))
    device: Mapped[str | None] = mapped_column(String(CODE))  # None: any GPS of the gateway
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    gateway: Mapped[Gateway] = relationship()


class VehiclePosition(Base):
    """One GPS fix of a vehicle, in event time (the track is these in time order)."""

    __tablename__ = "vehicle_positions"
    __table_args__ = (Index("ix_vehicle_positions_vehicle_id_at", "vehicle_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    hdop: Mapped[float | None] = mapped_column(Float)
    event_id: Mapped[str | None] = mapped_column(String(EVENT_ID_LEN))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Geofence(Base):
    """An area around a site (or any place): a geodesic circle or a lon/lat polygon."""

    __tablename__ = "geofences"
    __table_args__ = (
        CheckConstraint(sql_in("shape", FenceShape), name="shape"),
        CheckConstraint(CIRCLE_OR_POLYGON, name="geometry"),
        CheckConstraint("dwell_s >= 0", name="dwell_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    shape: Mapped[str] = mapped_column(String(8))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    rings: Mapped[list[list[list[float]]] | None] = mapped_column(
        JSON(none_as_null=True)
    )  # GeoJSON rings
    dwell_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    site: Mapped[Site | None] = relationship()


class Trip(Base):
    """A shipment's journey on a vehicle: plan, progress, ETA and the evaluation state."""

    __tablename__ = "trips"
    __table_args__ = (
        CheckConstraint(sql_in("status", TripStatus), name="status"),
        Index("ix_trips_vehicle_id_status", "vehicle_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    origin_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    destination_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(16), default=TripStatus.PLANNED.value)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # {"coordinates": [[lon, lat], ...], "speeds_kmh": [per leg] | null, "stops": [...]}
    route: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # thresholds, fixed when bound
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_fix_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_speed_mps: Mapped[float | None] = mapped_column(Float)
    eta_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    eta_basis: Mapped[str | None] = mapped_column(String(16))
    remaining_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)  # the speed the ETA assumes
    offset_m: Mapped[float | None] = mapped_column(Float)  # distance from the planned route
    alarms: Mapped[list[str]] = mapped_column(JSON, default=list)  # episodes already alerted
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # TripState
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    shipment: Mapped[Shipment] = relationship()
    vehicle: Mapped[Vehicle] = relationship()
    origin: Mapped[Site | None] = relationship(foreign_keys=[origin_site_id])
    destination: Mapped[Site | None] = relationship(foreign_keys=[destination_site_id])


class TripEvent(Base):
    """A geofence crossing, departure, arrival or receipt of a trip, in event time."""

    __tablename__ = "trip_events"
    __table_args__ = (
        CheckConstraint(sql_in("kind", TripEventKind), name="kind"),
        Index("ix_trip_events_trip_id_at", "trip_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    geofence_id: Mapped[int | None] = mapped_column(
        ForeignKey("geofences.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
