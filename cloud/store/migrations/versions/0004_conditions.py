"""Condition monitoring: sensors, bindings, samples, alert rules and state, excursions,
exposures, and the alert notification outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cloud.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = cloud.store.types.UtcDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CODE = 64

BINDING_TARGET_SET = (
    "(target = 'location' AND location_id IS NOT NULL AND shipment_id IS NULL "
    "AND vehicle_code IS NULL) OR "
    "(target = 'shipment' AND shipment_id IS NOT NULL AND location_id IS NULL "
    "AND vehicle_code IS NULL) OR "
    "(target = 'vehicle' AND vehicle_code IS NOT NULL AND location_id IS NULL "
    "AND shipment_id IS NULL)"
)
# Children before parents, for downgrade.
TABLES = (
    "alert_events",
    "exposures",
    "excursions",
    "rule_states",
    "alert_rules",
    "condition_samples",
    "sensor_bindings",
    "sensors",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    """Apply this revision."""
    _sensors()
    _rules()
    _excursions()
    _alert_events()


def downgrade() -> None:
    """Revert this revision."""
    for table in TABLES:
        op.drop_table(table)


def _sensors() -> None:
    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway_id", sa.Integer(), sa.ForeignKey("gateways.id"), nullable=False),
        sa.Column("code", sa.String(CODE), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("last_sample_at", UTC_TS, nullable=True),
        sa.UniqueConstraint("gateway_id", "code"),
    )
    op.create_table(
        "sensor_bindings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sensor_id", sa.Integer(), sa.ForeignKey("sensors.id"), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=True),
        sa.Column("shipment_id", sa.Integer(), sa.ForeignKey("shipments.id"), nullable=True),
        sa.Column("vehicle_code", sa.String(CODE), nullable=True),
        sa.Column("valid_from", UTC_TS, nullable=False),
        sa.Column("valid_to", UTC_TS, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(_in("target", ("location", "shipment", "vehicle")), name="target"),
        sa.CheckConstraint(BINDING_TARGET_SET, name="target_set"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
    )
    op.create_index(
        "ix_sensor_bindings_sensor_id_valid_from", "sensor_bindings", ["sensor_id", "valid_from"]
    )
    for column in ("location_id", "shipment_id", "vehicle_code"):
        op.create_index(op.f(f"ix_sensor_bindings_{column}"), "sensor_bindings", [column])
    op.create_table(
        "condition_samples",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("sensor_id", sa.Integer(), sa.ForeignKey("sensors.id"), nullable=False),
        sa.Column("event_id", sa.String(24), nullable=False, unique=True),
        sa.Column("start_at", UTC_TS, nullable=False),
        sa.Column("end_at", UTC_TS, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("bad", sa.Integer(), nullable=False),
        *(
            sa.Column(f"{metric}_{stat}", sa.Float(), nullable=True)
            for metric in ("temp", "rh")
            for stat in ("min", "max", "mean")
        ),
    )
    op.create_index(
        "ix_condition_samples_sensor_id_end_at", "condition_samples", ["sensor_id", "end_at"]
    )


def _rules() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(CODE), nullable=False, unique=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
    )
    op.create_table(
        "rule_states",
        sa.Column(
            "rule_id",
            sa.Integer(),
            sa.ForeignKey("alert_rules.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sensor_id", sa.Integer(), sa.ForeignKey("sensors.id"), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.Column("offline_due_at", UTC_TS, nullable=True),
    )
    op.create_index(op.f("ix_rule_states_offline_due_at"), "rule_states", ["offline_due_at"])


def _excursions() -> None:
    checks = ("high", "low", "budget", "rate", "offline")
    op.create_table(
        "excursions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), unique=True),
        sa.Column("rule_id", sa.Integer(), sa.ForeignKey("alert_rules.id", ondelete="SET NULL")),
        sa.Column("rule_name", sa.String(CODE), nullable=False),
        sa.Column("check_name", sa.String(16), nullable=False),
        sa.Column("sensor_id", sa.Integer(), sa.ForeignKey("sensors.id"), nullable=False),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=True),
        sa.Column("shipment_id", sa.Integer(), sa.ForeignKey("shipments.id"), nullable=True),
        sa.Column("vehicle_code", sa.String(CODE), nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTC_TS, nullable=False),
        sa.Column("alarmed_at", UTC_TS, nullable=False),
        sa.Column("ended_at", UTC_TS, nullable=True),
        sa.Column("peak", sa.Float(), nullable=True),
        sa.Column("out_s", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.CheckConstraint(_in("check_name", checks), name="check_name"),
        sa.CheckConstraint(_in("status", ("open", "closed")), name="status"),
    )
    op.create_index("ix_excursions_sensor_id_started_at", "excursions", ["sensor_id", "started_at"])
    for column in ("location_id", "shipment_id", "vehicle_code"):
        op.create_index(op.f(f"ix_excursions_{column}"), "excursions", [column])
    op.create_table(
        "exposures",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "excursion_id",
            sa.Integer(),
            sa.ForeignKey("excursions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("stock_key", sa.String(124), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("flagged_at", UTC_TS, nullable=False),
        sa.Column("quarantined", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("excursion_id", "item_id", "location_id", "stock_key"),
    )
    op.create_index(op.f("ix_exposures_item_id"), "exposures", ["item_id"])
    op.create_index("ix_exposures_stock_key", "exposures", ["stock_key"])


def _alert_events() -> None:
    actions = ("opened", "acknowledged", "escalated", "cleared")
    op.create_table(
        "alert_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("claimed_at", UTC_TS, nullable=True),
        sa.Column("claimed_by", sa.String(CODE), nullable=True),
        sa.Column("delivered_at", UTC_TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("action", actions), name="action"),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"])
    op.create_index("ix_alert_events_delivered_at_id", "alert_events", ["delivered_at", "id"])
