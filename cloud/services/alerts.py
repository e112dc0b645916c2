"""Raise alerts once: an open alert of the same kind and subject absorbs repeats."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.enums import AlertSeverity, AlertStatus
from cloud.store.models import Alert

logger = logging.getLogger(__name__)


def raise_alert(
    session: Session, kind: str, subject: str, message: str, severity: AlertSeverity
) -> Alert | None:
    """Open an alert unless one of this kind and subject is already open; return the new one."""
    query = select(Alert.id).where(
        Alert.kind == kind, Alert.subject == subject, Alert.status != AlertStatus.CLEARED.value
    )
    if session.scalars(query).first() is not None:
        return None
    alert = Alert(kind=kind, subject=subject[:200], message=message, severity=severity.value)
    session.add(alert)
    session.flush()
    logger.info("alert %s [%s] %s: %s", kind, severity.value, subject, message)
    return alert
