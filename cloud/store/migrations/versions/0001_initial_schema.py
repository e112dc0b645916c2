"""Initial schema: master data, orders, operations, ingest bookkeeping and the ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Constraint names (pk_, fk_, uq_, ix_, ck_<table>_<name>) come from the naming convention of
the target metadata, which Alembic applies to the tables made here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cloud.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = cloud.store.types.UtcDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY_MESSAGE = "moves are append-only: post a compensating move instead"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER moves_no_{verb.lower()} BEFORE {verb} ON moves "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION moves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$",
    "CREATE TRIGGER moves_append_only BEFORE UPDATE OR DELETE ON moves "
    "FOR EACH ROW EXECUTE FUNCTION moves_append_only()",
]
# Children before parents, for downgrade.
TABLES = (
    "balances",
    "moves",
    "dead_letters",
    "processed_events",
    "alerts",
    "receipt_lines",
    "receipts",
    "session_reads",
    "receiving_sessions",
    "shipment_scans",
    "shipment_lines",
    "shipments",
    "asn_lines",
    "asn_pallets",
    "asns",
    "po_lines",
    "purchase_orders",
    "read_points",
    "locations",
    "gateways",
    "sites",
    "partners",
    "items",
)


def upgrade() -> None:
    """Apply this revision."""
    _create_master()
    _create_orders()
    _create_operations()
    _create_ingest()
    _create_ledger()
    _create_append_only_triggers()


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER moves_append_only ON moves")
        op.execute("DROP FUNCTION moves_append_only()")
    for table in TABLES:
        op.drop_table(table)


def _create_append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on moves in the database itself, not only in code."""
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def _create_master() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14)),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_cost", cloud.store.types.ExactDecimal()),
        sa.Column("item_class", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("gtin"),
        sa.UniqueConstraint("sku"),
    )
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('supplier', 'customer', 'carrier')", name="kind"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "gateways",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("availability", sa.String(length=16), nullable=False),
        sa.Column("availability_at", UTC_TS),
        sa.Column("health", sa.JSON()),
        sa.Column("health_at", UTC_TS),
        sa.UniqueConstraint("site_id", "code"),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("locations.id")),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id")),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partners.id")),
        sa.CheckConstraint(
            "type IN ('supplier', 'receiving_dock', 'storage', 'quarantine', "
            "'shipping_dock', 'transit', 'customer', 'loss')",
            name="type",
        ),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_locations_parent_id", "locations", ["parent_id"])
    op.create_index("ix_locations_partner_id", "locations", ["partner_id"])
    op.create_index("ix_locations_site_id", "locations", ["site_id"])
    op.create_table(
        "read_points",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway_id", sa.Integer(), sa.ForeignKey("gateways.id"), nullable=False),
        sa.Column("door", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint("role IN ('receiving', 'shipping', 'both')", name="role"),
        sa.UniqueConstraint("gateway_id", "door"),
    )
    op.create_index("ix_read_points_location_id", "read_points", ["location_id"])


def _create_orders() -> None:
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("partners.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_at", UTC_TS),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_purchase_orders_supplier_id", "purchase_orders", ["supplier_id"])
    op.create_table(
        "po_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "po_id",
            sa.Integer(),
            sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("qty_ordered", sa.Integer(), nullable=False),
        sa.Column("qty_received", sa.Integer(), nullable=False),
        sa.CheckConstraint("qty_ordered > 0", name="qty_ordered_positive"),
        sa.CheckConstraint("qty_received >= 0", name="qty_received_not_negative"),
        sa.UniqueConstraint("po_id", "line_no"),
    )
    op.create_index("ix_po_lines_item_id", "po_lines", ["item_id"])
    op.create_table(
        "asns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("po_id", sa.Integer(), sa.ForeignKey("purchase_orders.id")),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("partners.id"), nullable=False),
        sa.Column("read_point_id", sa.Integer(), sa.ForeignKey("read_points.id")),
        sa.Column("window_start", UTC_TS),
        sa.Column("window_end", UTC_TS),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('expected', 'receiving', 'received', 'cancelled')",
            name="status",
        ),
        sa.CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start <= window_end",
            name="window_ordered",
        ),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_asns_po_id", "asns", ["po_id"])
    op.create_index("ix_asns_read_point_id", "asns", ["read_point_id"])
    op.create_index("ix_asns_supplier_id", "asns", ["supplier_id"])
    op.create_table(
        "asn_pallets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "asn_id", sa.Integer(), sa.ForeignKey("asns.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.UniqueConstraint("asn_id", "sscc"),
    )
    op.create_index("ix_asn_pallets_sscc", "asn_pallets", ["sscc"])
    op.create_table(
        "asn_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "asn_id", sa.Integer(), sa.ForeignKey("asns.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("pallet_id", sa.Integer(), sa.ForeignKey("asn_pallets.id", ondelete="CASCADE")),
        sa.Column("epc", sa.String(length=124)),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        sa.CheckConstraint("qty > 0", name="qty_positive"),
    )
    op.create_index("ix_asn_lines_asn_id", "asn_lines", ["asn_id"])
    op.create_index("ix_asn_lines_epc", "asn_lines", ["epc"])
    op.create_index("ix_asn_lines_item_id", "asn_lines", ["item_id"])
    op.create_index("ix_asn_lines_pallet_id", "asn_lines", ["pallet_id"])


def _create_operations() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("partners.id")),
        sa.Column("carrier_id", sa.Integer(), sa.ForeignKey("partners.id")),
        sa.Column("read_point_id", sa.Integer(), sa.ForeignKey("read_points.id")),
        sa.Column(
            "transit_location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_at", UTC_TS),
        sa.Column("shipped_at", UTC_TS),
        sa.Column("delivered_at", UTC_TS),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'loading', 'shipped', 'delivered', 'cancelled')",
            name="status",
        ),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("transit_location_id"),
    )
    op.create_index("ix_shipments_carrier_id", "shipments", ["carrier_id"])
    op.create_index("ix_shipments_customer_id", "shipments", ["customer_id"])
    op.create_index("ix_shipments_read_point_id", "shipments", ["read_point_id"])
    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shipment_id",
            sa.Integer(),
            sa.ForeignKey("shipments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("epc", sa.String(length=124)),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        sa.CheckConstraint("qty > 0", name="qty_positive"),
        sa.UniqueConstraint("shipment_id", "epc"),
    )
    op.create_index("ix_shipment_lines_epc", "shipment_lines", ["epc"])
    op.create_index("ix_shipment_lines_item_id", "shipment_lines", ["item_id"])
    op.create_table(
        "shipment_scans",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "shipment_id",
            sa.Integer(),
            sa.ForeignKey("shipments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("epc", sa.String(length=124), nullable=False),
        sa.Column("event_id", sa.String(length=24)),
        sa.Column("read_point_id", sa.Integer(), sa.ForeignKey("read_points.id")),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("scanned_at", UTC_TS, nullable=False),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_shipment_scans_shipment_id_epc", "shipment_scans", ["shipment_id", "epc"])
    op.create_table(
        "receiving_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("read_point_id", sa.Integer(), sa.ForeignKey("read_points.id"), nullable=False),
        sa.Column("asn_id", sa.Integer(), sa.ForeignKey("asns.id")),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTC_TS, nullable=False),
        sa.Column("last_read_at", UTC_TS, nullable=False),
        sa.Column("closed_at", UTC_TS),
        sa.CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
    )
    op.create_index("ix_receiving_sessions_asn_id", "receiving_sessions", ["asn_id"])
    op.create_index(
        "ix_receiving_sessions_read_point_id_status",
        "receiving_sessions",
        ["read_point_id", "status"],
        unique=False,
    )
    op.create_table(
        "session_reads",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("receiving_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("epc", sa.String(length=124), nullable=False),
        sa.Column("event_id", sa.String(length=24)),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("read_at", UTC_TS, nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id")),
        sa.Column("sscc", sa.String(length=18)),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_session_reads_session_id_epc", "session_reads", ["session_id", "epc"])
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("receiving_sessions.id"), nullable=False
        ),
        sa.Column("asn_id", sa.Integer(), sa.ForeignKey("asns.id")),
        sa.Column("po_id", sa.Integer(), sa.ForeignKey("purchase_orders.id")),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("posted_at", UTC_TS),
        sa.UniqueConstraint("session_id"),
    )
    op.create_index("ix_receipts_asn_id", "receipts", ["asn_id"])
    op.create_index("ix_receipts_po_id", "receipts", ["po_id"])
    op.create_table(
        "receipt_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "receipt_id",
            sa.Integer(),
            sa.ForeignKey("receipts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id")),
        sa.Column("epc", sa.String(length=124)),
        sa.Column("sscc", sa.String(length=18)),
        sa.Column("expected_qty", sa.Integer(), nullable=False),
        sa.Column("received_qty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=32)),
        sa.CheckConstraint(
            "status IN ('matched', 'short', 'over', 'unexpected', 'duplicate')",
            name="status",
        ),
        sa.CheckConstraint(
            "expected_qty >= 0 AND received_qty >= 0",
            name="qty_not_negative",
        ),
    )
    op.create_index("ix_receipt_lines_epc", "receipt_lines", ["epc"])
    op.create_index("ix_receipt_lines_receipt_id", "receipt_lines", ["receipt_id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64)),
        sa.Column("acknowledged_at", UTC_TS),
        sa.Column("cleared_by", sa.String(length=64)),
        sa.Column("cleared_at", UTC_TS),
        sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'cleared')", name="status"),
    )
    op.create_index("ix_alerts_status_kind_subject", "alerts", ["status", "kind", "subject"])


def _create_ingest() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=24), primary_key=True),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTC_TS, nullable=False),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("received_at", UTC_TS, nullable=False),
        sa.Column("topic", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_size", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer()),
    )
    op.create_index("ix_dead_letters_received_at", "dead_letters", ["received_at"])


def _create_ledger() -> None:
    op.create_table(
        "moves",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("posted_at", UTC_TS, nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("epc", sa.String(length=124)),
        sa.Column("lot", sa.String(length=64)),
        sa.Column("stock_key", sa.String(length=124), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("to_location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=24)),
        sa.Column("reverses_move_id", BIG_ID, sa.ForeignKey("moves.id")),
        sa.CheckConstraint("source_type <> '' AND source_id <> ''", name="source_named"),
        sa.CheckConstraint("stock_key = COALESCE(epc, lot, '')", name="stock_key_derived"),
        sa.CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        sa.CheckConstraint("from_location_id <> to_location_id", name="moves_somewhere"),
        sa.CheckConstraint("qty > 0", name="qty_positive"),
        sa.UniqueConstraint("reverses_move_id", name="uq_moves_reverses_move_id"),
        sa.UniqueConstraint(
            "source_type", "source_id", "item_id", "stock_key", name="uq_moves_source"
        ),
    )
    op.create_index("ix_moves_epc", "moves", ["epc"])
    op.create_index("ix_moves_event_id", "moves", ["event_id"])
    op.create_index("ix_moves_from_location_id", "moves", ["from_location_id"])
    op.create_index("ix_moves_item_id", "moves", ["item_id"])
    op.create_index("ix_moves_to_location_id", "moves", ["to_location_id"])
    op.create_table(
        "balances",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("stock_key", sa.String(length=124), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "location_id", "stock_key"),
    )
    op.create_index("ix_balances_location_id", "balances", ["location_id"])
