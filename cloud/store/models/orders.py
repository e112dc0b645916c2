"""Inbound expectations: purchase orders and advance shipping notices (ASNs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.enums import AsnStatus, OrderStatus
from cloud.store.models.base import Base, sql_in, utcnow
from cloud.store.models.master import CODE, EPC_LEN, Item, Partner, ReadPoint
from cloud.store.types import UtcDateTime


class PurchaseOrder(Base):
    """What we ordered from a supplier."""

    __tablename__ = "purchase_orders"
    __table_args__ = (CheckConstraint(sql_in("status", OrderStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(CODE), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.OPEN.value)
    expected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    supplier: Mapped[Partner] = relationship()
    lines: Mapped[list[PoLine]] = relationship(
        order_by="PoLine.line_no", cascade="all, delete-orphan", passive_deletes=True
    )


class PoLine(Base):
    """One ordered item; qty_received is a running total kept by the receiving domain."""

    __tablename__ = "po_lines"
    __table_args__ = (
        UniqueConstraint("po_id", "line_no"),
        CheckConstraint("qty_ordered > 0", name="qty_ordered_positive"),
        CheckConstraint("qty_received >= 0", name="qty_received_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty_ordered: Mapped[int]
    qty_received: Mapped[int] = mapped_column(default=0)

    item: Mapped[Item] = relationship()


class Asn(Base):
    """A supplier's notice of what arrives, when, and at which door."""

    __tablename__ = "asns"
    __table_args__ = (
        CheckConstraint(sql_in("status", AsnStatus), name="status"),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start <= window_end",
            name="window_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(CODE), unique=True)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    read_point_id: Mapped[int | None] = mapped_column(ForeignKey("read_points.id"), index=True)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default=AsnStatus.EXPECTED.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    supplier: Mapped[Partner] = relationship()
    po: Mapped[PurchaseOrder | None] = relationship()
    read_point: Mapped[ReadPoint | None] = relationship()
    pallets: Mapped[list[AsnPallet]] = relationship(
        order_by="AsnPallet.id", cascade="all, delete-orphan", passive_deletes=True
    )
    lines: Mapped[list[AsnLine]] = relationship(
        order_by="AsnLine.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def loose_lines(self) -> list[AsnLine]:
        """Lines not on an announced pallet."""
        return [line for line in self.lines if line.pallet_id is None and line.pallet is None]


class AsnPallet(Base):
    """A logistic unit (SSCC) announced on an ASN."""

    __tablename__ = "asn_pallets"
    __table_args__ = (UniqueConstraint("asn_id", "sscc"), Index("ix_asn_pallets_sscc", "sscc"))

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id", ondelete="CASCADE"))
    sscc: Mapped[str] = mapped_column(String(18))

    lines: Mapped[list[AsnLine]] = relationship(order_by="AsnLine.id", viewonly=True)


class AsnLine(Base):
    """Announced content: an item quantity, optionally on a pallet, optionally one EPC."""

    __tablename__ = "asn_lines"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        Index("ix_asn_lines_epc", "epc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id", ondelete="CASCADE"), index=True)
    pallet_id: Mapped[int | None] = mapped_column(
        ForeignKey("asn_pallets.id", ondelete="CASCADE"), index=True
    )
    epc: Mapped[str | None] = mapped_column(String(EPC_LEN))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[int]

    item: Mapped[Item] = relationship()
    pallet: Mapped[AsnPallet | None] = relationship()
