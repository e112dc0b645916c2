"""Operational records: receiving sessions and receipts, shipments and their scans, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.enums import (
    AlertSeverity,
    AlertStatus,
    ReceiptLineStatus,
    SessionStatus,
    ShipmentStatus,
)
from cloud.store.models.base import Base, sql_in, utcnow
from cloud.store.models.master import CODE, EPC_LEN, Item, Location, Partner, ReadPoint
from cloud.store.types import BigId, UtcDateTime

EVENT_ID_LEN = 24


class ReceivingSession(Base):
    """Reads at one receiving door grouped until the door goes quiet."""

    __tablename__ = "receiving_sessions"
    __table_args__ = (
        CheckConstraint(sql_in("status", SessionStatus), name="status"),
        Index("ix_receiving_sessions_read_point_id_status", "read_point_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    read_point_id: Mapped[int] = mapped_column(ForeignKey("read_points.id"))
    asn_id: Mapped[int | None] = mapped_column(ForeignKey("asns.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_read_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    read_point: Mapped[ReadPoint] = relationship()


class SessionRead(Base):
    """One portal event that fell into a receiving session."""

    __tablename__ = "session_reads"
    __table_args__ = (Index("ix_session_reads_session_id_epc", "session_id", "epc"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("receiving_sessions.id", ondelete="CASCADE"))
    epc: Mapped[str] = mapped_column(String(EPC_LEN))
    event_id: Mapped[str | None] = mapped_column(String(EVENT_ID_LEN), unique=True)
    direction: Mapped[str] = mapped_column(String(8))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    sscc: Mapped[str | None] = mapped_column(String(18))


class Receipt(Base):
    """The reconciled result of one receiving session."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("receiving_sessions.id"), unique=True)
    asn_id: Mapped[int | None] = mapped_column(ForeignKey("asns.id"), index=True)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    lines: Mapped[list[ReceiptLine]] = relationship(
        order_by="ReceiptLine.id", cascade="all, delete-orphan", passive_deletes=True
    )
    session: Mapped[ReceivingSession] = relationship()


class ReceiptLine(Base):
    """Expected versus received for one item, EPC or pallet, with what to do about it."""

    __tablename__ = "receipt_lines"
    __table_args__ = (
        CheckConstraint(sql_in("status", ReceiptLineStatus), name="status"),
        CheckConstraint("expected_qty >= 0 AND received_qty >= 0", name="qty_not_negative"),
        Index("ix_receipt_lines_epc", "epc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    epc: Mapped[str | None] = mapped_column(String(EPC_LEN))
    sscc: Mapped[str | None] = mapped_column(String(18))
    expected_qty: Mapped[int] = mapped_column(default=0)
    received_qty: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(String(8), default="none", server_default="none")


class Shipment(Base):
    """An outbound load: expected EPCs and items, loaded at a door, then in transit."""

    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint(sql_in("status", ShipmentStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(CODE), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    read_point_id: Mapped[int | None] = mapped_column(ForeignKey("read_points.id"), index=True)
    # The shipment points at its transit location (not the other way round) so that the
    # foreign keys stay acyclic: locations <- read_points <- shipments -> locations.
    transit_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ShipmentStatus.PLANNED.value)
    planned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_scan_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    discrepancies: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    customer: Mapped[Partner | None] = relationship(foreign_keys=[customer_id])
    carrier: Mapped[Partner | None] = relationship(foreign_keys=[carrier_id])
    read_point: Mapped[ReadPoint | None] = relationship()
    transit_location: Mapped[Location] = relationship()
    lines: Mapped[list[ShipmentLine]] = relationship(
        order_by="ShipmentLine.id", cascade="all, delete-orphan", passive_deletes=True
    )


class ShipmentLine(Base):
    """One expected EPC (qty 1) or item quantity of a shipment, from the pick list."""

    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "epc"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        Index("ix_shipment_lines_epc", "epc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    epc: Mapped[str | None] = mapped_column(String(EPC_LEN))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[int] = mapped_column(default=1)
    sscc: Mapped[str | None] = mapped_column(String(18))  # outbound pallet it is packed on

    item: Mapped[Item] = relationship()


class ShipmentScan(Base):
    """One portal event at a shipping door attributed to a shipment."""

    __tablename__ = "shipment_scans"
    __table_args__ = (Index("ix_shipment_scans_shipment_id_epc", "shipment_id", "epc"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    epc: Mapped[str] = mapped_column(String(EPC_LEN))
    event_id: Mapped[str | None] = mapped_column(String(EVENT_ID_LEN), unique=True)
    read_point_id: Mapped[int | None] = mapped_column(ForeignKey("read_points.id"))
    direction: Mapped[str] = mapped_column(String(8))
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expected: Mapped[bool] = mapped_column(default=True)
    verdict: Mapped[str] = mapped_column(String(16), default="expected", server_default="expected")


class Alert(Base):
    """Something a person should look at, with who acknowledged or cleared it and when."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(sql_in("severity", AlertSeverity), name="severity"),
        CheckConstraint(sql_in("status", AlertStatus), name="status"),
        Index("ix_alerts_status_kind_subject", "status", "kind", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(CODE))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(CODE))
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UnreadableTag(Base):
    """An EPC whose tag is known not to answer: received through its pallet, or found by a count.

    Outbound verification accepts such an EPC through the pallet it is packed on. A portal read
    of the EPC removes the row: the tag answers after all.
    """

    __tablename__ = "unreadable_tags"

    epc: Mapped[str] = mapped_column(String(EPC_LEN), primary_key=True)
    noted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
