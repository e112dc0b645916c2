"""Operations detail: receipt line evidence, shipment verification, packing SSCCs, watermarks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cloud.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = cloud.store.types.UtcDateTime(timezone=True)
OLD_STATUSES = ("planned", "loading", "shipped", "delivered", "cancelled")
NEW_STATUSES = ("planned", "loading", "held", "shipped", "delivered", "cancelled")


def _status_check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "unreadable_tags",
        sa.Column("epc", sa.String(124), nullable=False),
        sa.Column("noted_at", UTC_TS, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("epc", name=op.f("pk_unreadable_tags")),
    )
    with op.batch_alter_table("gateways") as batch:
        batch.add_column(sa.Column("watermark_at", UTC_TS, nullable=True))
    with op.batch_alter_table("receipt_lines") as batch:
        batch.add_column(sa.Column("evidence", sa.String(8), nullable=False, server_default="none"))
    with op.batch_alter_table("shipment_lines") as batch:
        batch.add_column(sa.Column("sscc", sa.String(18), nullable=True))
    with op.batch_alter_table("shipment_scans") as batch:
        batch.add_column(
            sa.Column("verdict", sa.String(16), nullable=False, server_default="expected")
        )
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("last_scan_at", UTC_TS, nullable=True))
        batch.add_column(sa.Column("verified_at", UTC_TS, nullable=True))
        batch.add_column(sa.Column("discrepancies", sa.JSON(), nullable=True))
        batch.drop_constraint(op.f("ck_shipments_status"), type_="check")
        batch.create_check_constraint("status", _status_check(NEW_STATUSES))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("unreadable_tags")
    with op.batch_alter_table("shipments") as batch:
        batch.drop_constraint(op.f("ck_shipments_status"), type_="check")
        batch.create_check_constraint("status", _status_check(OLD_STATUSES))
        batch.drop_column("discrepancies")
        batch.drop_column("verified_at")
        batch.drop_column("last_scan_at")
    with op.batch_alter_table("shipment_scans") as batch:
        batch.drop_column("verdict")
    with op.batch_alter_table("shipment_lines") as batch:
        batch.drop_column("sscc")
    with op.batch_alter_table("receipt_lines") as batch:
        batch.drop_column("evidence")
    with op.batch_alter_table("gateways") as batch:
        batch.drop_column("watermark_at")
