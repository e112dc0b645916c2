"""Ingest bookkeeping: event IDs already applied, and input that could not be used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.store.models.base import Base, utcnow
from cloud.store.models.operations import EVENT_ID_LEN
from cloud.store.types import BigId, UtcDateTime


class ProcessedEvent(Base):
    """An edge event ID whose effect is committed; written in the same transaction."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LEN), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    gateway: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DeadLetter(Base):
    """A message or batch row that failed validation, kept (truncated) for inspection."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    topic: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_size: Mapped[int] = mapped_column(default=0)
    row_index: Mapped[int | None]
