"""In-transit tracking: vehicles and their positions, geofences, trips and trip events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cloud.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = cloud.store.types.UtcDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CODE = 64
CIRCLE_OR_POLYGON = (
    "(shape = 'circle' AND lat IS NOT NULL AND lon IS NOT NULL AND radius_m > 0 "
    "AND rings IS NULL) OR (shape = 'polygon' AND rings IS NOT NULL)"
)
TRIP_STATUSES = ("planned", "in_transit", "arrived", "received", "cancelled")
EVENT_KINDS = ("enter", "exit", "departure", "arrival", "received")
# Children before parents, for downgrade.
TABLES = ("trip_events", "trips", "geofences", "vehicle_positions", "vehicles")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    """Apply this revision."""
    _vehicles()
    _geofences()
    _trips()


def downgrade() -> None:
    """Revert this revision."""
    for table in TABLES:
        op.drop_table(table)


def _vehicles() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(CODE), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gateway_id", sa.Integer(), sa.ForeignKey("gateways.id"), nullable=False),
        sa.Column("device", sa.String(CODE), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("gateway_id", "device"),
    )
    op.create_table(
        "vehicle_positions",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "vehicle_id",
            sa.Integer(),
            sa.ForeignKey("vehicles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        *(sa.Column(c, sa.Float(), nullable=True) for c in ("speed_mps", "heading_deg", "hdop")),
        sa.Column("event_id", sa.String(24), nullable=True),
        sa.Column("received_at", UTC_TS, nullable=False),
    )
    op.create_index("ix_vehicle_positions_vehicle_id_at", "vehicle_positions", ["vehicle_id", "at"])


def _geofences() -> None:
    op.create_table(
        "geofences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(CODE), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=True),
        sa.Column("shape", sa.String(8), nullable=False),
        *(sa.Column(c, sa.Float(), nullable=True) for c in ("lat", "lon", "radius_m")),
        sa.Column("rings", sa.JSON(), nullable=True),
        sa.Column("dwell_s", sa.Float(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.CheckConstraint(_in("shape", ("circle", "polygon")), name="shape"),
        sa.CheckConstraint(CIRCLE_OR_POLYGON, name="geometry"),
        sa.CheckConstraint("dwell_s >= 0", name="dwell_not_negative"),
    )
    op.create_index(op.f("ix_geofences_site_id"), "geofences", ["site_id"])


def _trips() -> None:
    op.create_table(
        "trips",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shipment_id", sa.Integer(), sa.ForeignKey("shipments.id"), nullable=False, unique=True
        ),
        sa.Column("vehicle_id", sa.Integer(), sa.ForeignKey("vehicles.id"), nullable=False),
        sa.Column("origin_site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=True),
        sa.Column("destination_site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", UTC_TS, nullable=False),
        sa.Column("due_at", UTC_TS, nullable=True),
        sa.Column("route", sa.JSON(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        *(
            sa.Column(c, UTC_TS, nullable=True)
            for c in ("departed_at", "arrived_at", "received_at", "last_fix_at", "eta_at")
        ),
        *(sa.Column(c, sa.Float(), nullable=True) for c in ("last_lat", "last_lon")),
        sa.Column("last_speed_mps", sa.Float(), nullable=True),
        sa.Column("eta_basis", sa.String(16), nullable=True),
        *(sa.Column(c, sa.Float(), nullable=True) for c in ("remaining_m", "speed_mps")),
        sa.Column("offset_m", sa.Float(), nullable=True),
        sa.Column("alarms", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(_in("status", TRIP_STATUSES), name="status"),
    )
    op.create_index("ix_trips_vehicle_id_status", "trips", ["vehicle_id", "status"])
    op.create_table(
        "trip_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "trip_id", sa.Integer(), sa.ForeignKey("trips.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "geofence_id",
            sa.Integer(),
            sa.ForeignKey("geofences.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("confirmed_at", UTC_TS, nullable=True),
        sa.CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
    )
    op.create_index("ix_trip_events_trip_id_at", "trip_events", ["trip_id", "at"])
    op.create_index(op.f("ix_trip_events_geofence_id"), "trip_events", ["geofence_id"])
