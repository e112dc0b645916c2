"""Master data: items, partners, sites, locations, gateways and the read points at doors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.enums import LocationType, PartnerKind, ReadPointRole
from cloud.store.models.base import Base, sql_in, utcnow
from cloud.store.types import ExactDecimal, UtcDateTime

CODE = 64  # length of every business code column (SKU, partner code, location code, ...)
EPC_LEN = 124  # 496-bit EPC as hex


class Item(Base):
    """A product we stock; quantities are integers in the item's base unit."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(CODE), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    unit: Mapped[str] = mapped_column(String(16), default="EA")
    unit_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    item_class: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Partner(Base):
    """A supplier, customer or carrier."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint(sql_in("kind", PartnerKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))


class Site(Base):
    """A physical place with gateways (a warehouse, a store, a vehicle)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Location(Base):
    """A node of the location tree (a transit location is owned by one shipment)."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(sql_in("type", LocationType), name="type"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)

    parent: Mapped[Location | None] = relationship(remote_side=[id])
    site: Mapped[Site | None] = relationship()
    partner: Mapped[Partner | None] = relationship()


class Gateway(Base):
    """An edge gateway at a site, with its last reported availability and health."""

    __tablename__ = "gateways"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(String(200), default="")
    availability: Mapped[str] = mapped_column(String(16), default="unknown")
    availability_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    health_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Event time up to which this gateway's portal events have all arrived (see ingest).
    watermark_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    site: Mapped[Site] = relationship()


class ReadPoint(Base):
    """A door of a gateway: tags crossing it arrive at (or leave) one dock location."""

    __tablename__ = "read_points"
    __table_args__ = (
        UniqueConstraint("gateway_id", "door"),
        CheckConstraint(sql_in("role", ReadPointRole), name="role"),
        Index("ix_read_points_location_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[int] = mapped_column(ForeignKey("gateways.id"))
    door: Mapped[str] = mapped_column(String(CODE))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    role: Mapped[str] = mapped_column(String(16))

    gateway: Mapped[Gateway] = relationship()
    location: Mapped[Location] = relationship()

    @property
    def ref(self) -> str:
        """The read point as site/gateway/door, how APIs and CSV files name it."""
        return f"{self.gateway.site.code}/{self.gateway.code}/{self.door}"
