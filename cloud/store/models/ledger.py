"""The stock ledger: append-only moves and the balances cache derived from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.store.models.base import Base, utcnow
from cloud.store.models.master import CODE, EPC_LEN
from cloud.store.models.operations import EVENT_ID_LEN
from cloud.store.types import BigId, UtcDateTime

SOURCE_UNIQUE = "uq_moves_source"
REVERSAL_UNIQUE = "uq_moves_reverses_move_id"


class Move(Base):
    """Quantity of one item (one EPC, one lot, or untracked) going from one location to another.

    Rows are never updated or deleted (database triggers refuse it); a correction is a new move
    in the opposite direction that names the move it reverses.
    """

    __tablename__ = "moves"
    __table_args__ = (
        # One effect per source and stock key: the second attempt to post it fails here.
        UniqueConstraint("source_type", "source_id", "item_id", "stock_key", name=SOURCE_UNIQUE),
        UniqueConstraint("reverses_move_id", name=REVERSAL_UNIQUE),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("epc IS NULL OR qty = 1", name="epc_single"),
        CheckConstraint("from_location_id <> to_location_id", name="moves_somewhere"),
        CheckConstraint("stock_key = COALESCE(epc, lot, '')", name="stock_key_derived"),
        CheckConstraint("source_type <> '' AND source_id <> ''", name="source_named"),
        Index("ix_moves_epc", "epc"),
        Index("ix_moves_event_id", "event_id"),
        Index("ix_moves_item_id", "item_id"),
        Index("ix_moves_from_location_id", "from_location_id"),
        Index("ix_moves_to_location_id", "to_location_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    epc: Mapped[str | None] = mapped_column(String(EPC_LEN))
    lot: Mapped[str | None] = mapped_column(String(CODE))
    stock_key: Mapped[str] = mapped_column(String(EPC_LEN))
    qty: Mapped[int]
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    reason: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(CODE))
    event_id: Mapped[str | None] = mapped_column(String(EVENT_ID_LEN))
    reverses_move_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("moves.id"))


class Balance(Base):
    """Cached quantity per (item, location, stock key); rebuildable from moves at any time."""

    __tablename__ = "balances"
    __table_args__ = (
        Index("ix_balances_location_id", "location_id"),
        Index("ix_balances_stock_key", "stock_key"),  # where is this EPC: every receipt asks
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    stock_key: Mapped[str] = mapped_column(String(EPC_LEN), primary_key=True)
    qty: Mapped[int]
