"""Dock operations: receipts and receiving sessions, shipment verification, alerts, tags."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cloud.api.deps import ContainerDep, LedgerDep, PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.enums import AlertStatus, SessionStatus, ShipmentStatus
from cloud.errors import ConflictError
from cloud.ingest import rules_from
from cloud.masterdata.common import get_or_404
from cloud.services import inbound, outbound
from cloud.services.inbound import Tx
from cloud.services.lookup import Lookup
from cloud.store.models import (
    Alert,
    Receipt,
    ReceivingSession,
    Shipment,
    ShipmentScan,
    UnreadableTag,
    utcnow,
)
from cloud.store.paging import scalars_page

receipts = APIRouter(prefix="/api/receipts", tags=["receiving"], responses=ERROR_RESPONSES)
sessions = APIRouter(
    prefix="/api/receiving-sessions", tags=["receiving"], responses=ERROR_RESPONSES
)
shipping = APIRouter(prefix="/api/shipments", tags=["shipments"], responses=ERROR_RESPONSES)
alerts = APIRouter(prefix="/api/alerts", tags=["alerts"], responses=ERROR_RESPONSES)
tags = APIRouter(prefix="/api/tags", tags=["tags"], responses=ERROR_RESPONSES)


class ReceiptLineOut(BaseModel):
    """One reconciled line: an EPC or a pallet with its status and what happened to it."""

    model_config = {"from_attributes": True}

    item_id: int | None
    epc: str | None
    sscc: str | None
    expected_qty: int
    received_qty: int
    status: str
    disposition: str | None
    evidence: str = Field(description="read, pallet (inferred from its pallet) or none")


class ReceiptOut(BaseModel):
    """A goods receipt with its discrepancy summary (case lines by status)."""

    id: int
    session_id: int
    door: str = Field(description="read point of the session, site/gateway/door")
    asn_id: int | None
    po_id: int | None
    posted_at: datetime | None
    summary: dict[str, int] = Field(description="case lines per status")
    lines: list[ReceiptLineOut] = Field(default=[], description="present when fetched alone")

    @classmethod
    def of(cls, receipt: Receipt, *, with_lines: bool = False) -> ReceiptOut:
        """From the stored receipt."""
        cases = [line for line in receipt.lines if line.sscc is None]
        lines = [ReceiptLineOut.model_validate(line) for line in receipt.lines]
        return cls(
            id=receipt.id, session_id=receipt.session_id, door=receipt.session.read_point.ref,
            asn_id=receipt.asn_id,
            po_id=receipt.po_id, posted_at=receipt.posted_at,
            summary=dict(Counter(line.status for line in cases)),
            lines=lines if with_lines else [],
        )  # fmt: skip


@receipts.get("")
def list_receipts(
    session: SessionDep, page: PageDep, asn_id: Annotated[int | None, Query()] = None
) -> PageOut[ReceiptOut]:
    """Goods receipts, newest first."""
    query = (
        select(Receipt)
        .options(
            selectinload(Receipt.lines),
            selectinload(Receipt.session).joinedload(ReceivingSession.read_point),
        )
        .order_by(Receipt.id.desc())
    )
    if asn_id is not None:
        query = query.where(Receipt.asn_id == asn_id)
    return page_out(scalars_page(session, query, page), ReceiptOut.of)


@receipts.get("/{receipt_id}")
def get_receipt(session: SessionDep, receipt_id: int) -> ReceiptOut:
    """One receipt with every line."""
    return ReceiptOut.of(get_or_404(session, Receipt, receipt_id, "receipt"), with_lines=True)


class SessionOut(BaseModel):
    """A receiving session at a door."""

    model_config = {"from_attributes": True}

    id: int
    read_point_id: int
    asn_id: int | None
    status: str
    opened_at: datetime
    last_read_at: datetime
    closed_at: datetime | None


@sessions.get("")
def list_sessions(
    session: SessionDep, page: PageDep, status: Annotated[SessionStatus | None, Query()] = None
) -> PageOut[SessionOut]:
    """Receiving sessions, newest first."""
    query = select(ReceivingSession).order_by(ReceivingSession.id.desc())
    if status is not None:
        query = query.where(ReceivingSession.status == status.value)
    return page_out(scalars_page(session, query, page), SessionOut.model_validate)


@sessions.post("/{session_id}/close")
def close_session(
    session: SessionDep, ledger: LedgerDep, container: ContainerDep, session_id: int
) -> ReceiptOut:
    """Close an open session now (e.g. its gateway is offline) and post its receipt."""
    get_or_404(session, ReceivingSession, session_id, "receiving session")
    rs = inbound.lock_open(session, session_id)
    if rs is None:
        raise ConflictError(f"receiving session {session_id} is not open")
    tx = Tx(session, Lookup(session), ledger)
    posted = inbound.post_receipt(tx, rs, rules_from(container.settings).receiving, utcnow())
    return ReceiptOut.of(session.get_one(Receipt, posted.receipt_id), with_lines=True)


class ScanOut(BaseModel):
    """One tag seen at the shipment's door."""

    model_config = {"from_attributes": True}

    epc: str
    direction: str
    scanned_at: datetime
    verdict: str


class VerificationOut(BaseModel):
    """A shipment's loading: status, discrepancies once verified, and every scan."""

    number: str
    status: str
    verified_at: datetime | None
    discrepancies: dict[str, list[str]] | None
    scans: list[ScanOut]


@shipping.get("/{shipment_id}/verification")
def get_verification(session: SessionDep, shipment_id: int) -> VerificationOut:
    """What was loaded against the pick list."""
    shipment = get_or_404(session, Shipment, shipment_id, "shipment")
    scans = session.scalars(
        select(ShipmentScan)
        .where(ShipmentScan.shipment_id == shipment_id)
        .order_by(ShipmentScan.id)
    )
    return VerificationOut(
        number=shipment.number, status=shipment.status, verified_at=shipment.verified_at,
        discrepancies=shipment.discrepancies, scans=[ScanOut.model_validate(s) for s in scans],
    )  # fmt: skip


@shipping.post("/{shipment_id}/confirm")
def confirm_shipment(session: SessionDep, ledger: LedgerDep, shipment_id: int) -> VerificationOut:
    """Ship what was loaded: goods move into the shipment's transit location."""
    get_or_404(session, Shipment, shipment_id, "shipment")
    held = (ShipmentStatus.HELD.value, ShipmentStatus.LOADING.value)
    shipment = outbound.lock_shipment(session, shipment_id, held)
    if shipment is None:
        raise ConflictError(f"shipment {shipment_id} is not loading or held")
    outbound.confirm(Tx(session, Lookup(session), ledger), shipment, None, utcnow())
    return get_verification(session, shipment_id)


class AlertOut(BaseModel):
    """Something for a person to look at."""

    model_config = {"from_attributes": True}

    id: int
    kind: str
    severity: str
    subject: str
    message: str
    status: str
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    cleared_by: str | None
    cleared_at: datetime | None


class AlertAction(BaseModel):
    """Who acts on an alert."""

    by: str = Field(min_length=1, max_length=64, description="name of the person")


@alerts.get("")
def list_alerts(
    session: SessionDep,
    page: PageDep,
    status: Annotated[AlertStatus | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
) -> PageOut[AlertOut]:
    """Alerts, newest first."""
    query = select(Alert).order_by(Alert.id.desc())
    if status is not None:
        query = query.where(Alert.status == status.value)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    return page_out(scalars_page(session, query, page), AlertOut.model_validate)


@alerts.post("/{alert_id}/acknowledge")
def acknowledge_alert(session: SessionDep, alert_id: int, action: AlertAction) -> AlertOut:
    """Acknowledge an open alert."""
    alert = get_or_404(session, Alert, alert_id, "alert")
    if alert.status != AlertStatus.OPEN.value:
        raise ConflictError(f"alert {alert_id} is {alert.status}, not open")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", action.by, utcnow()
    return AlertOut.model_validate(alert)


@alerts.post("/{alert_id}/clear")
def clear_alert(session: SessionDep, alert_id: int, action: AlertAction) -> AlertOut:
    """Clear an alert (open or acknowledged)."""
    alert = get_or_404(session, Alert, alert_id, "alert")
    if alert.status == AlertStatus.CLEARED.value:
        raise ConflictError(f"alert {alert_id} is already cleared")
    alert.status, alert.cleared_by, alert.cleared_at = "cleared", action.by, utcnow()
    return AlertOut.model_validate(alert)


class UnreadableIn(BaseModel):
    """EPCs whose tags a count found dead (the goods are there, the tags do not answer)."""

    epcs: list[Annotated[str, Field(pattern=r"^(?:[0-9A-F]{4}){1,31}$")]] = Field(
        min_length=1, max_length=10_000
    )
    source: str = Field("count", max_length=32, description="what found them")


@tags.post("/unreadable")
def mark_unreadable(session: SessionDep, body: UnreadableIn) -> dict[str, int]:
    """Note dead tags: outbound verification then accepts them through their pallet."""
    now = utcnow()
    for epc in dict.fromkeys(body.epcs):
        session.merge(UnreadableTag(epc=epc, noted_at=now, source=body.source))
    return {"noted": len(set(body.epcs))}


ROUTERS = (receipts, sessions, shipping, alerts, tags)
