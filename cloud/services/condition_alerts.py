"""Carry out the rule engine's decisions: one alert and one excursion row per excursion, the
alert cleared when the excursion ends, exposed stock flagged (and quarantined if asked)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cloud.domain.conditions.compiled import CompiledRule
from cloud.domain.conditions.engine import Action, Decision
from cloud.domain.conditions.vocab import Check, ExcursionStatus
from cloud.enums import AlertSeverity, AlertStatus
from cloud.services import exposure
from cloud.services.alerts import raise_alert
from cloud.services.condition_subjects import Bound
from cloud.services.inbound import Tx
from cloud.store.models import Alert, Excursion, Location, Sensor, Shipment, utcnow
from protocol.messages import ms_to_datetime

logger = logging.getLogger(__name__)

ALERT_TOPIC = "condition.alert"  # live event bus
# Checks of the temperature (or humidity) itself: only these expose stock.
EXPOSING = frozenset({Check.HIGH, Check.LOW, Check.BUDGET})
UNITS = {False: "°C", True: "%"}
Notice = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Where:
    """The rule, the sensor and what it was bound to when the decision was made."""

    rule: CompiledRule
    sensor: Sensor
    bound: Bound


def alert_kind(check: Check) -> str:
    """Alert kind of a check, e.g. condition.high."""
    return f"condition.{check.value}"


def apply(tx: Tx, where: Where, decision: Decision) -> Notice | None:
    """Carry out one decision; return a notice for the live stream (None if nothing changed)."""
    if decision.action is Action.OPEN:
        return ALERT_TOPIC, _notice(where, _open(tx, where, decision), decision)
    excursion = _current(tx, where, decision.check)
    if excursion is None:
        # Its excursion was closed another way (e.g. the rule changed): nothing to update.
        logger.warning("%s of %s on %s: no open excursion", decision.action.value,
                       where.rule.name, where.sensor.ref)  # fmt: skip
        return None
    if decision.action is Action.ESCALATE:
        _escalate(tx, excursion, decision)
    else:
        _close(tx, where, excursion, decision)
    return ALERT_TOPIC, _notice(where, excursion, decision)


def _open(tx: Tx, where: Where, decision: Decision) -> Excursion:
    bound = where.bound.binding
    alert = raise_alert(
        tx.session,
        alert_kind(decision.check),
        _subject(where),
        _message(tx, where, decision),
        AlertSeverity(decision.severity),
    )
    excursion = Excursion(
        alert_id=alert.id if alert else None,
        rule_id=where.rule.id,
        rule_name=where.rule.name,
        check_name=decision.check.value,
        sensor_id=where.sensor.id,
        location_id=bound.location_id if bound else None,
        shipment_id=bound.shipment_id if bound else None,
        vehicle_code=bound.vehicle_code if bound else None,
        severity=decision.severity,
        status=ExcursionStatus.OPEN.value,
        started_at=ms_to_datetime(int(decision.started_ms)),
        alarmed_at=ms_to_datetime(int(decision.at_ms)),
        peak=decision.peak,
        out_s=decision.out_ms / 1000,
        threshold=decision.limit,
    )
    tx.session.add(excursion)
    tx.session.flush()
    if decision.check in EXPOSING:
        held = exposure.flag(tx.session, excursion, excursion.alarmed_at)
        if where.rule.quarantine:
            exposure.quarantine(tx, excursion, held)
    return excursion


def _current(tx: Tx, where: Where, check: Check) -> Excursion | None:
    query = (
        select(Excursion)
        .where(Excursion.sensor_id == where.sensor.id, Excursion.rule_id == where.rule.id)
        .where(Excursion.check_name == check.value)
        .where(Excursion.status == ExcursionStatus.OPEN.value)
        .order_by(Excursion.id.desc())
    )
    return tx.session.scalars(query).first()


def _escalate(tx: Tx, excursion: Excursion, decision: Decision) -> None:
    excursion.severity = decision.severity
    alert = tx.session.get(Alert, excursion.alert_id) if excursion.alert_id else None
    if alert is not None and alert.status != AlertStatus.CLEARED.value:
        alert.severity = decision.severity


def _close(tx: Tx, where: Where, excursion: Excursion, decision: Decision) -> None:
    ended = ms_to_datetime(int(max(decision.ended_ms, decision.started_ms)))
    excursion.status, excursion.ended_at = ExcursionStatus.CLOSED.value, ended
    excursion.out_s, excursion.peak = decision.out_ms / 1000, decision.peak
    alert = tx.session.get(Alert, excursion.alert_id) if excursion.alert_id else None
    if alert is not None and alert.status != AlertStatus.CLEARED.value:
        alert.status, alert.cleared_at = AlertStatus.CLEARED.value, utcnow()
        alert.cleared_by = f"rule:{where.rule.name}"[:64]
    if decision.check in EXPOSING:
        exposure.flag(tx.session, excursion, ended)  # what moved in while it lasted


def _subject(where: Where) -> str:
    return f"{where.rule.name} {where.sensor.ref}"[:200]


def _message(tx: Tx, where: Where, decision: Decision) -> str:
    unit = UNITS[where.rule.humidity]
    started = _clock(ms_to_datetime(int(decision.started_ms)))
    place = _place(tx, where.bound)
    if decision.check is Check.OFFLINE:
        return f"no data from {where.sensor.ref} ({place}) since {started}"
    if decision.check is Check.BUDGET:
        return (
            f"time beyond {decision.limit:g} {unit} at {place} used up "
            f"({decision.out_ms / 3_600_000:.1f} h since {started})"
        )
    if decision.check is Check.RATE:
        return f"{place}: changing {decision.peak:.1f} {unit}/h (limit {decision.limit:g})"
    word = "above" if decision.check is Check.HIGH else "below"
    return (
        f"{place}: {decision.peak:.1f} {unit}, {word} {decision.limit:g} {unit} "
        f"since {started} ({where.sensor.ref})"
    )


def _place(tx: Tx, bound: Bound) -> str:
    binding = bound.binding
    if binding is None:
        return "unbound sensor"
    if binding.location_id is not None:
        return tx.session.get_one(Location, binding.location_id).code
    if binding.shipment_id is not None:
        return f"shipment {tx.session.get_one(Shipment, binding.shipment_id).number}"
    return f"vehicle {binding.vehicle_code}"


def _clock(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _notice(where: Where, excursion: Excursion, decision: Decision) -> dict[str, Any]:
    return {
        "action": decision.action.value,
        "check": decision.check.value,
        "rule": where.rule.name,
        "sensor": where.sensor.ref,
        "excursion": excursion.id,
        "alert": excursion.alert_id,
        "severity": excursion.severity,
        "at": ms_to_datetime(int(decision.at_ms)).isoformat(),
    }
