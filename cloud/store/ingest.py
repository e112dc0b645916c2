"""Store-side helpers of the ingest: claim event IDs once, keep rejected input (truncated)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from cloud.store.bulk import is_postgres, pg_execute, table_of, unnest_select
from cloud.store.models import DeadLetter, ProcessedEvent, utcnow


@dataclass(frozen=True, slots=True)
class EventRef:
    """An edge event to be applied: its stable ID and where it came from."""

    event_id: str
    site: str
    gateway: str
    kind: str


def claim_events(
    session: Session, events: Sequence[EventRef], at: datetime | None = None
) -> set[str]:
    """Record the event IDs in this transaction; return those not seen before.

    Apply the effects of exactly the returned IDs in the same transaction: another worker
    claiming the same ID waits for this transaction and then gets nothing back for it.
    """
    unique = {e.event_id: e for e in events}
    if not unique:
        return set()
    received = at or utcnow()
    rows = [
        {"event_id": e.event_id, "site": e.site, "gateway": e.gateway, "kind": e.kind}
        | {"received_at": received}
        for e in sorted(unique.values(), key=lambda e: e.event_id)  # one lock order for all
    ]
    if is_postgres(session):
        return set(pg_execute(session, PG_CLAIM, rows).scalars())
    # executemany with RETURNING (SQLAlchemy's insertmanyvalues): one cached statement, where
    # .values(rows) would compile a new one for every batch size.
    return set(session.execute(SQLITE_CLAIM, rows).scalars())


SQLITE_CLAIM = (
    sqlite.insert(ProcessedEvent)
    .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
    .returning(ProcessedEvent.event_id)
)


PG_CLAIM = (
    "INSERT INTO processed_events (event_id, site, gateway, kind, received_at) "
    + unnest_select(
        table_of(ProcessedEvent), ("event_id", "site", "gateway", "kind", "received_at")
    )
    + " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)


def dead_letter(
    topic: str, reason: str, payload: bytes, max_bytes: int, row_index: int | None = None
) -> DeadLetter:
    """A dead-letter row keeping at most max_bytes of the payload (and its full size)."""
    return DeadLetter(
        topic=topic[:256],
        reason=reason,
        payload=payload[:max_bytes],
        payload_size=len(payload),
        row_index=row_index,
        received_at=utcnow(),
    )
