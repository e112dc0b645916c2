"""Condition monitoring: sensors and their bindings, samples, alert rules and their state,
excursions, stock exposed to them, and the alert notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    insert,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from cloud.domain.conditions.vocab import AlertAction, BindingTarget, Check, ExcursionStatus
from cloud.enums import AlertStatus
from cloud.store.models.base import Base, sql_in, utcnow
from cloud.store.models.master import CODE, EPC_LEN, Gateway
from cloud.store.models.operations import EVENT_ID_LEN, Alert
from cloud.store.types import BigId, UtcDateTime

# Exactly the column its target names is set.
BINDING_TARGET_SET = (
    "(target = 'location' AND location_id IS NOT NULL AND shipment_id IS NULL "
    "AND vehicle_code IS NULL) OR "
    "(target = 'shipment' AND shipment_id IS NOT NULL AND location_id IS NULL "
    "AND vehicle_code IS NULL) OR "
    "(target = 'vehicle' AND vehicle_code IS NOT NULL AND location_id IS NULL "
    "AND shipment_id IS NULL)"
)


class Sensor(Base):
    """A condition sensor of a gateway, named as in the gateway config; made on first sample."""

    __tablename__ = "sensors"
    __table_args__ = (UniqueConstraint("gateway_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[int] = mapped_column(ForeignKey("gateways.id"))
    code: Mapped[str] = mapped_column(String(CODE))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_sample_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    gateway: Mapped[Gateway] = relationship()

    @property
    def ref(self) -> str:
        """The sensor as site/gateway/sensor, how APIs name it."""
        return f"{self.gateway.site.code}/{self.gateway.code}/{self.code}"


class SensorBinding(Base):
    """A sensor measures a location, a shipment or a vehicle (by code) for a period."""

    __tablename__ = "sensor_bindings"
    __table_args__ = (
        CheckConstraint(sql_in("target", BindingTarget), name="target"),
        CheckConstraint(BINDING_TARGET_SET, name="target_set"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_sensor_bindings_sensor_id_valid_from", "sensor_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"))
    target: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    vehicle_code: Mapped[str | None] = mapped_column(String(CODE), index=True)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    sensor: Mapped[Sensor] = relationship()


class ConditionRecord(Base):
    """One sensor's readings over one interval, as the gateway aggregated them."""

    __tablename__ = "condition_samples"
    __table_args__ = (Index("ix_condition_samples_sensor_id_end_at", "sensor_id", "end_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"))
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LEN), unique=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime())
    end_at: Mapped[datetime] = mapped_column(UtcDateTime())
    count: Mapped[int]
    bad: Mapped[int] = mapped_column(default=0)
    temp_min: Mapped[float | None] = mapped_column(Float)
    temp_max: Mapped[float | None] = mapped_column(Float)
    temp_mean: Mapped[float | None] = mapped_column(Float)
    rh_min: Mapped[float | None] = mapped_column(Float)
    rh_max: Mapped[float | None] = mapped_column(Float)
    rh_mean: Mapped[float | None] = mapped_column(Float)


class AlertRule(Base):
    """A condition alert rule; `spec` is validated by cloud.domain.conditions.rules.RuleSpec."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(CODE), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    origin: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RuleState(Base):
    """The rule engine's state of one rule on one sensor, so that any worker can carry on."""

    __tablename__ = "rule_states"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True
    )
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # When the periodic check must look at it (no sample by then: offline), else NULL.
    offline_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class Excursion(Base):
    """One excursion of one check of a rule on one sensor: the single alert it raised."""

    __tablename__ = "excursions"
    __table_args__ = (
        CheckConstraint(sql_in("check_name", Check), name="check_name"),
        CheckConstraint(sql_in("status", ExcursionStatus), name="status"),
        Index("ix_excursions_sensor_id_started_at", "sensor_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), unique=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(CODE))
    check_name: Mapped[str] = mapped_column(String(16))
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    vehicle_code: Mapped[str | None] = mapped_column(String(CODE), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ExcursionStatus.OPEN.value)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    alarmed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    peak: Mapped[float | None] = mapped_column(Float)
    out_s: Mapped[float] = mapped_column(Float, default=0.0)
    threshold: Mapped[float | None] = mapped_column(Float)

    sensor: Mapped[Sensor] = relationship()


class Exposure(Base):
    """Stock (item, location, EPC or lot) that sat where an excursion happened."""

    __tablename__ = "exposures"
    __table_args__ = (
        UniqueConstraint("excursion_id", "item_id", "location_id", "stock_key"),
        Index("ix_exposures_stock_key", "stock_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    excursion_id: Mapped[int] = mapped_column(ForeignKey("excursions.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    stock_key: Mapped[str] = mapped_column(String(EPC_LEN))
    qty: Mapped[int]
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    quarantined: Mapped[bool] = mapped_column(default=False)


class AlertEvent(Base):
    """Outbox of alert life-cycle steps (any alert), written with the change, for notifiers."""

    __tablename__ = "alert_events"
    __table_args__ = (
        CheckConstraint(sql_in("action", AlertAction), name="action"),
        Index("ix_alert_events_delivered_at_id", "delivered_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(CODE))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


def _alert_snapshot(alert: Alert) -> dict[str, Any]:
    at = (alert.created_at, alert.acknowledged_at, alert.cleared_at)
    created, acknowledged, cleared = (t.isoformat() if t else None for t in at)
    return {
        "id": alert.id, "kind": alert.kind, "severity": alert.severity,
        "subject": alert.subject, "message": alert.message, "status": alert.status,
        "created_at": created, "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": acknowledged, "cleared_by": alert.cleared_by, "cleared_at": cleared,
    }  # fmt: skip


def _alert_action(alert: Alert, new: bool) -> AlertAction | None:
    if new:
        return AlertAction.OPENED
    state = inspect(alert)
    if state.attrs.status.history.has_changes():
        return {
            AlertStatus.ACKNOWLEDGED.value: AlertAction.ACKNOWLEDGED,
            AlertStatus.CLEARED.value: AlertAction.CLEARED,
        }.get(alert.status)
    if state.attrs.severity.history.has_changes():
        return AlertAction.ESCALATED
    return None


@event.listens_for(Session, "after_flush")
def _record_alert_changes(session: Session, _context: Any) -> None:
    """Outbox: every alert opened, acknowledged, escalated or cleared, by whatever code path,
    gets an alert_events row in the same transaction (notifiers deliver from there)."""
    rows = []
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Alert):
            continue
        action = _alert_action(obj, obj in session.new)
        if action is not None:
            rows.append({"alert_id": obj.id, "action": action.value, "at": utcnow(),
                         "payload": _alert_snapshot(obj), "attempts": 0})  # fmt: skip
    if rows:
        session.connection().execute(insert(cast(Table, AlertEvent.__table__)), rows)
