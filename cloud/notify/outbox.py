"""The alert_events outbox: claim changes to deliver, mark them delivered, find their site.

Rows are written by the store itself whenever an alert changes (see
cloud.store.models.conditions), in the transaction of the change. A worker claims a batch for
a lease; a worker that vanished leaves its claims to be taken again when the lease runs out,
so every change is delivered at least once (receivers dedupe by the event id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cloud.store.models import (
    Alert,
    AlertEvent,
    Excursion,
    Gateway,
    ReadPoint,
    Sensor,
    Shipment,
    Site,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class Change:
    """One alert change to deliver."""

    id: int
    alert_id: int
    action: str
    at: datetime
    site: str | None
    alert: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """What receivers get (JSON)."""
        return {
            "event": self.id,
            "action": self.action,
            "at": self.at.isoformat(),
            "site": self.site,
            "alert": self.alert,
        }


def claim(
    session: Session, worker: str, limit: int, lease: timedelta, now: datetime | None = None
) -> list[Change]:
    """Claim up to `limit` undelivered changes, oldest first, for this worker."""
    now = now or utcnow()
    free = or_(AlertEvent.claimed_at.is_(None), AlertEvent.claimed_at < now - lease)
    query = (
        select(AlertEvent)
        .where(AlertEvent.delivered_at.is_(None), free)
        .order_by(AlertEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    for row in rows:
        row.claimed_at, row.claimed_by, row.attempts = now, worker, row.attempts + 1
    sites: dict[int, str | None] = {}
    for row in rows:
        if row.alert_id not in sites:
            sites[row.alert_id] = site_of(session, row.alert_id)
    return [Change(r.id, r.alert_id, r.action, r.at, sites[r.alert_id], r.payload) for r in rows]


def delivered(session: Session, done: dict[int, str | None], now: datetime | None = None) -> None:
    """Mark changes delivered (with the error of a channel that gave up, if any)."""
    for event_id, error in done.items():
        session.execute(
            update(AlertEvent)
            .where(AlertEvent.id == event_id)
            .values(delivered_at=now or utcnow(), last_error=error)
        )


def site_of(session: Session, alert_id: int) -> str | None:
    """The site an alert belongs to: its sensor's, else a site named by its subject (a door
    reference), else its shipment's door's; None if none can be told."""
    by_sensor = (
        select(Site.code)
        .join(Gateway, Gateway.site_id == Site.id)
        .join(Sensor, Sensor.gateway_id == Gateway.id)
        .join(Excursion, Excursion.sensor_id == Sensor.id)
        .where(Excursion.alert_id == alert_id)
    )
    found = session.scalars(by_sensor).first()
    alert = session.get(Alert, alert_id)
    if found is not None or alert is None:
        return found
    words = alert.subject.split()
    first = words[0].split("/")[0] if words else ""
    if session.scalars(select(Site.code).where(Site.code == first)).first() is not None:
        return first
    by_shipment = (
        select(Site.code)
        .join(Gateway, Gateway.site_id == Site.id)
        .join(ReadPoint, ReadPoint.gateway_id == Gateway.id)
        .join(Shipment, Shipment.read_point_id == ReadPoint.id)
        .where(Shipment.number == (words[0] if words else ""))
    )
    return session.scalars(by_shipment).first()
