"""Apply a batch of gateway messages in one transaction; dead-letter what cannot be used.

Every message gets a savepoint: one that fails for an unforeseen reason is rolled back alone,
dead-lettered with the reason and its bytes, and the batch carries on.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cloud.container import ServiceContainer
from cloud.enums import ReadPointRole
from cloud.ingest.appliers import appliers
from cloud.ledger.types import LedgerError
from cloud.services import inbound, outbound
from cloud.services.inbound import ReceivingRules, Tx
from cloud.services.lookup import Lookup
from cloud.services.outbound import ShippingRules
from cloud.store.ingest import EventRef, claim_events, dead_letter
from cloud.store.models import Gateway, ReadPoint, utcnow
from protocol.codec import PayloadError, decode
from protocol.messages import (
    Availability,
    GatewayHealth,
    PortalEvent,
    WireModel,
    ms_to_datetime,
)
from protocol.topics import GatewayTopic, Kind, TopicError, from_cloud, parse

logger = logging.getLogger(__name__)

APPLIED_KINDS = (Kind.PORTAL, Kind.PRESENCE)
# Default portal max_pass plus quiet time: how far a gateway's decisions may trail its clock.
LEGACY_DECISION_LAG = timedelta(seconds=35)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One MQTT message as received."""

    topic: str
    payload: bytes


@dataclass
class Outcome:
    """What a batch did; `notices` go to the live event bus after the commit."""

    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    own: int = 0  # the cloud's own publications (alerts) seen on the wildcard subscription
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # New events per topic (site, gateway, kind), for time-series sinks after the commit; health
    # reports too (not claimed: a repeat is the same point again, which a sink overwrites).
    fresh: list[tuple[GatewayTopic, list[WireModel]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IngestRules:
    """Domain settings the ingest applies."""

    receiving: ReceivingRules
    shipping: ShippingRules
    watermark_grace: timedelta
    dead_letter_max: int
    settle: timedelta = timedelta(0)


class IngestHandler:
    """Validates and applies gateway messages; closes quiet doors."""

    def __init__(self, container: ServiceContainer, rules: IngestRules) -> None:
        self.container = container
        self.rules = rules
        self._due_since: dict[tuple[str, int], float] = {}  # first seen due (monotonic)

    def handle(self, messages: Sequence[Incoming]) -> Outcome:
        """Apply a batch of messages in one transaction."""
        outcome = Outcome()
        with self.container.transaction() as session:
            tx = Tx(session, Lookup(session), self.container.ledger)
            for message in messages:
                self._guarded(tx, message, outcome)
        return outcome

    def _guarded(self, tx: Tx, message: Incoming, outcome: Outcome) -> None:
        savepoint = tx.session.begin_nested()
        fresh_before = len(outcome.fresh)
        try:
            self._one(tx, message, outcome)
            savepoint.commit()
        except (SQLAlchemyError, LedgerError, ValueError, KeyError) as exc:
            savepoint.rollback()
            del outcome.fresh[fresh_before:]  # rolled back: not for the sinks either
            logger.exception("message on %s failed; dead-lettered", message.topic)
            self._dead(
                tx.session, message, f"processing failed: {type(exc).__name__}: {exc}", outcome
            )

    def _one(self, tx: Tx, message: Incoming, outcome: Outcome) -> None:
        if from_cloud(message.topic):
            outcome.own += 1
            return
        try:
            where = parse(message.topic)
        except TopicError as exc:
            self._dead(tx.session, message, str(exc), outcome)
            return
        gateway = tx.lookup.gateway(where.site, where.gateway)
        if gateway is None:
            self._dead(
                tx.session, message, f"unknown gateway {where.site}/{where.gateway}", outcome
            )
            return
        if where.kind is Kind.STATUS:
            self._status(tx.session, gateway, message, outcome)
        elif where.kind is Kind.HEALTH:
            self._health(tx.session, gateway, message, outcome, where)
        elif where.kind in APPLIED_KINDS or where.kind in appliers():
            self._events(tx, where, gateway, message, outcome)
        else:
            self._dead(tx.session, message, f"kind {where.kind.value} is not handled here", outcome)

    def _dead(
        self,
        session: Session,
        message: Incoming,
        reason: str,
        outcome: Outcome,
        row: int | None = None,
    ) -> None:
        session.add(
            dead_letter(message.topic, reason, message.payload, self.rules.dead_letter_max, row)
        )
        outcome.dead_letters += 1
        logger.warning("dead letter from %s: %s", message.topic, reason)

    def _status(
        self, session: Session, gateway: Gateway, message: Incoming, outcome: Outcome
    ) -> None:
        if not message.payload:
            return  # a retained status being cleared
        try:
            status = Availability.model_validate_json(message.payload)
        except ValidationError as exc:
            self._dead(session, message, f"bad status payload: {_first_error(exc)}", outcome)
            return
        gateway.availability = status.state
        gateway.availability_at = ms_to_datetime(status.time_ms)
        outcome.notices.append(("gateway.status", {"gateway": gateway.code, "state": status.state}))

    def _health(
        self,
        session: Session,
        gateway: Gateway,
        message: Incoming,
        outcome: Outcome,
        where: GatewayTopic,
    ) -> None:
        try:
            batch = decode(Kind.HEALTH, message.payload)
        except PayloadError as exc:
            self._dead(session, message, str(exc), outcome)
            return
        outcome.fresh.append((where, list(batch.events)))
        for event in batch.events:
            assert isinstance(event, GatewayHealth)
            at = ms_to_datetime(event.time_ms)
            if gateway.health_at is None or at >= gateway.health_at:
                gateway.health, gateway.health_at = event.model_dump(mode="json"), at
            if event.outbox_depth == 0:  # caught up: all it decided is on its way to us
                self._advance(gateway, self._decided_until(event))

    def _decided_until(self, report: GatewayHealth) -> datetime:
        if report.decided_until_ms is not None:
            return ms_to_datetime(report.decided_until_ms)
        # A gateway that does not say: assume its longest pass could still be undecided.
        return ms_to_datetime(report.time_ms) - LEGACY_DECISION_LAG

    def _advance(self, gateway: Gateway, at: datetime) -> None:
        mark = at - self.rules.watermark_grace
        if gateway.watermark_at is None or mark > gateway.watermark_at:
            gateway.watermark_at = mark

    def _events(
        self, tx: Tx, where: GatewayTopic, gateway: Gateway, message: Incoming, outcome: Outcome
    ) -> None:
        try:
            batch = decode(where.kind, message.payload)
        except PayloadError as exc:
            self._dead(tx.session, message, str(exc), outcome)
            return
        for reject in batch.rejects:
            self._dead(tx.session, message, reject.reason, outcome, reject.index)
        refs = [EventRef(e.id, where.site, where.gateway, where.kind.value) for e in batch.events]  # type: ignore[attr-defined]
        new = claim_events(tx.session, refs)
        outcome.duplicates += len(refs) - len(new)
        fresh = [e for e in batch.events if e.id in new]  # type: ignore[attr-defined]
        outcome.applied += len(fresh)
        if fresh:
            outcome.fresh.append((where, fresh))
        if where.kind is Kind.PORTAL:
            self._portal(
                tx, gateway, [e for e in fresh if isinstance(e, PortalEvent)], message, outcome
            )
        elif where.kind in appliers() and fresh:
            outcome.notices += appliers()[where.kind](tx, gateway, fresh)

    def _portal(
        self,
        tx: Tx,
        gateway: Gateway,
        events: list[PortalEvent],
        message: Incoming,
        outcome: Outcome,
    ) -> None:
        by_door: defaultdict[str, list[PortalEvent]] = defaultdict(list)
        for event in events:
            by_door[event.door].append(event)
        for door, at_door in by_door.items():
            point = tx.lookup.read_point(gateway, door)
            if point is None:
                self._dead(
                    tx.session,
                    message,
                    f"unknown door {gateway.code}/{door} ({len(at_door)} events)",
                    outcome,
                )
                continue
            self._route(tx, point, at_door)
            outcome.notices.append(("portal", {"door": point.ref, "events": len(at_door)}))

    def _route(self, tx: Tx, point: ReadPoint, events: list[PortalEvent]) -> None:
        role = ReadPointRole(point.role)
        ins = [e for e in events if e.direction == "in"]
        outs = [e for e in events if e.direction == "out"]
        if role is ReadPointRole.RECEIVING:
            inbound.record_arrivals(tx.session, tx.lookup, point, events, self.rules.receiving)
        elif role is ReadPointRole.SHIPPING:
            outbound.record_loading(tx, point, events)
        else:
            if ins:
                inbound.record_arrivals(tx.session, tx.lookup, point, ins, self.rules.receiving)
            if outs:
                outbound.record_loading(tx, point, outs)

    def close_due(self, now: datetime | None = None) -> Outcome:
        """Post receipts for quiet receiving doors and verify quiet loadings.

        Each in its own transaction, so that a receipt is visible as soon as it is posted.
        """
        now = now or utcnow()
        outcome = Outcome()
        with self.container.read_transaction() as session:
            sessions = self._settled("session", inbound.due_sessions(session, self.rules.receiving))
            loadings = self._settled("loading", outbound.due_loadings(session, self.rules.shipping))
        for session_id in sessions:
            with self.container.transaction() as session:
                self._close_session(self._tx(session), session_id, now, outcome)
        for shipment_id in loadings:
            with self.container.transaction() as session:
                self._close_loading(self._tx(session), shipment_id, now, outcome)
        return outcome

    def _tx(self, session: Session) -> Tx:
        return Tx(session, Lookup(session), self.container.ledger)

    def _settled(self, kind: str, due: list[int]) -> list[int]:
        """Those due for at least the settle time: with several workers on a shared
        subscription, another worker may still hold a message published before the watermark."""
        now = time.monotonic()
        seen = {(kind, i): self._due_since.get((kind, i), now) for i in due}
        self._due_since = {k: v for k, v in self._due_since.items() if k[0] != kind} | seen
        return [i for i in due if now - seen[(kind, i)] >= self.rules.settle.total_seconds()]

    def _close_session(self, tx: Tx, session_id: int, now: datetime, outcome: Outcome) -> None:
        savepoint = tx.session.begin_nested()
        try:
            rs = inbound.lock_open(tx.session, session_id)
            posted = inbound.post_receipt(tx, rs, self.rules.receiving, now) if rs else None
            savepoint.commit()
        except (SQLAlchemyError, LedgerError) as exc:
            # Another worker posted it first (unique receipt per session), or a real fault.
            savepoint.rollback()
            logger.warning("receiving session %s not posted: %s", session_id, exc)
            return
        if posted is None:
            return  # another worker holds it
        logger.info("receipt %s posted for %s: %s", posted.receipt_id, posted.door, posted.counts)
        outcome.notices.append(
            (
                "receipt.posted",
                {"receipt": posted.receipt_id, "door": posted.door, "counts": posted.counts},
            )
        )

    def _close_loading(self, tx: Tx, shipment_id: int, now: datetime, outcome: Outcome) -> None:
        savepoint = tx.session.begin_nested()
        try:
            shipment = outbound.lock_shipment(tx.session, shipment_id, ("loading",))
            verification = (
                outbound.verify_loading(tx, shipment, self.rules.shipping, now)
                if shipment
                else None
            )
            savepoint.commit()
        except (SQLAlchemyError, LedgerError) as exc:
            savepoint.rollback()
            logger.warning("shipment %s not verified: %s", shipment_id, exc)
            return
        if shipment is None or verification is None:
            return
        logger.info("shipment %s verified: %s", shipment.number, shipment.discrepancies)
        outcome.notices.append(
            (
                "shipment.verified",
                {
                    "shipment": shipment.number,
                    "status": shipment.status,
                    "clean": verification.clean,
                },
            )
        )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
