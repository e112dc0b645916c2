"""Receiving: portal IN events at receiving doors become sessions, sessions become receipts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.domain import receiving as rcv
from cloud.enums import ON_HAND_TYPES, AlertSeverity, AsnStatus, LocationType, SessionStatus
from cloud.ledger.ledger import Ledger
from cloud.services.alerts import raise_alert
from cloud.services.asn_match import announcement_of, match_asn
from cloud.services.lookup import Lookup
from cloud.services.transit_receipts import close_in_transit
from cloud.store.bulk import among, insert_ignoring, insert_rows
from cloud.store.models import (
    Asn,
    Balance,
    Gateway,
    Location,
    PoLine,
    ReadPoint,
    Receipt,
    ReceiptLine,
    ReceivingSession,
    SessionRead,
    UnreadableTag,
)
from protocol.messages import PortalEvent, ms_to_datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceivingRules:
    """Settings of the receiving domain."""

    quiet: timedelta  # a door quiet this long (in event time) ends its session
    tolerance_pct: float  # over-receipt accepted into storage
    pallet_window: timedelta = timedelta(seconds=3)


def record_arrivals(
    session: Session,
    lookup: Lookup,
    point: ReadPoint,
    events: Sequence[PortalEvent],
    rules: ReceivingRules,
) -> int:
    """Add portal events at a receiving door to its sessions, in event time.

    A session is a run of events at one door with no gap longer than the quiet time. Events
    arrive roughly, not strictly, in time order (a long pass is decided after a short later
    one), so an event may join a session from either end, and one that bridges two open
    sessions merges them.
    """
    session.execute(select(ReadPoint.id).where(ReadPoint.id == point.id).with_for_update())
    open_ = _open_sessions(session, point)
    rows: list[dict[str, object]] = []
    for event in sorted(events, key=lambda e: e.time_ms):
        at = ms_to_datetime(event.time_ms)
        joined = [rs for rs in open_ if _joins(rs, at, rules.quiet)]
        target = _merge(session, joined) if joined else _new_session(session, point, at)
        if target not in open_:
            open_.append(target)
        open_ = [rs for rs in open_ if rs.status == SessionStatus.OPEN.value]
        target.last_read_at = max(target.last_read_at, at)
        target.opened_at = min(target.opened_at, at)
        rows.append(_session_read(lookup, target, event, at))
    session.flush()  # merged sessions' reads move first, then the new reads go in
    insert_rows(session, SessionRead, rows)
    return len(events)


def _joins(current: ReceivingSession, at: datetime, quiet: timedelta) -> bool:
    return current.opened_at - quiet <= at <= current.last_read_at + quiet


def _open_sessions(session: Session, point: ReadPoint) -> list[ReceivingSession]:
    query = select(ReceivingSession).where(
        ReceivingSession.read_point_id == point.id,
        ReceivingSession.status == SessionStatus.OPEN.value,
    )
    return list(session.scalars(query.order_by(ReceivingSession.opened_at)))


def _new_session(session: Session, point: ReadPoint, at: datetime) -> ReceivingSession:
    rs = ReceivingSession(read_point_id=point.id, opened_at=at, last_read_at=at)
    session.add(rs)
    session.flush()
    return rs


def _merge(session: Session, joined: list[ReceivingSession]) -> ReceivingSession:
    """Fold every session an event bridges into the earliest; the others end as cancelled."""
    keep, *others = sorted(joined, key=lambda rs: (rs.opened_at, rs.id))
    for other in others:
        session.execute(
            update(SessionRead).where(SessionRead.session_id == other.id).values(session_id=keep.id)
        )
        keep.opened_at = min(keep.opened_at, other.opened_at)
        keep.last_read_at = max(keep.last_read_at, other.last_read_at)
        other.status = SessionStatus.CANCELLED.value
        logger.info("receiving session %s merged into %s", other.id, keep.id)
    return keep


def _session_read(
    lookup: Lookup, rs: ReceivingSession, event: PortalEvent, at: datetime
) -> dict[str, object]:
    tag = lookup.tag(event.epc)
    return {
        "session_id": rs.id, "epc": event.epc, "event_id": event.id,
        "direction": event.direction.value, "read_at": at, "item_id": tag.item_id,
        "sscc": tag.sscc,
    }  # fmt: skip


def due_sessions(session: Session, rules: ReceivingRules) -> list[int]:
    """Open sessions whose door has been quiet long enough, by their gateway's watermark."""
    query = (
        select(ReceivingSession.id, ReceivingSession.last_read_at, ReadPoint.gateway_id)
        .join(ReadPoint, ReadPoint.id == ReceivingSession.read_point_id)
        .where(ReceivingSession.status == SessionStatus.OPEN.value)
    )
    rows = session.execute(query).all()
    marks = watermarks(session, {r.gateway_id for r in rows})
    return [
        r.id
        for r in rows
        if (mark := marks.get(r.gateway_id)) and mark >= r.last_read_at + rules.quiet
    ]


def watermarks(session: Session, gateway_ids: set[int]) -> dict[int, datetime]:
    """Event-time watermark of each gateway that has one."""
    if not gateway_ids:
        return {}
    query = select(Gateway.id, Gateway.watermark_at).where(Gateway.id.in_(gateway_ids))
    return {gid: mark for gid, mark in session.execute(query).all() if mark is not None}


def lock_open(session: Session, session_id: int) -> ReceivingSession | None:
    """The session, locked for posting, if still open and not being posted by another worker."""
    query = (
        select(ReceivingSession)
        .where(
            ReceivingSession.id == session_id, ReceivingSession.status == SessionStatus.OPEN.value
        )
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).one_or_none()


@dataclass(frozen=True)
class PostedReceipt:
    """What a posted receipt amounted to (for logs, metrics and the live stream)."""

    receipt_id: int
    session_id: int
    door: str
    asn_id: int | None
    counts: dict[str, int]


@dataclass(frozen=True)
class Tx:
    """One transaction's tools: the session, its master-data lookup and the ledger."""

    session: Session
    lookup: Lookup
    ledger: Ledger


def post_receipt(
    tx: Tx, rs: ReceivingSession, rules: ReceivingRules, now: datetime
) -> PostedReceipt:
    """Reconcile a quiet session with its ASN, record the receipt and post its moves."""
    session, lookup, ledger = tx.session, tx.lookup, tx.ledger
    point = session.get_one(ReadPoint, rs.read_point_id)
    arrivals = _arrivals(session, rs)
    arrivals = close_in_transit(tx, point, arrivals, f"rs{rs.id}", now)  # transfers arriving
    asn = match_asn(session, point, rs.opened_at, arrivals)
    announcement = announcement_of(lookup, asn) if asn else None
    site_id = point.gateway.site_id
    places = rcv.Places(
        dock=point.location_id,
        storage=lookup.place_near(point.location_id, site_id, LocationType.STORAGE),
        quarantine=lookup.place_near(point.location_id, site_id, LocationType.QUARANTINE),
        unknown_supplier=lookup.supplier_location(None),
    )
    decided = rcv.reconcile(
        announcement, arrivals, _on_hand(session, [a.epc for a in arrivals]), places,
        session_key=f"rs{rs.id}", posted_at=now, tolerance_pct=rules.tolerance_pct,
        pallet_window=rules.pallet_window,
    )  # fmt: skip
    receipt = _record(session, rs, asn.po_id if asn else None, decided, now)
    ledger.post(session, decided.moves, returning=False)
    _note_unreadable(session, decided.lines, now)
    if asn is not None:
        _advance_asn(session, asn, decided)
    rs.status, rs.closed_at, rs.asn_id = SessionStatus.CLOSED.value, now, decided.asn_id
    counts = _counts(decided.lines)
    _alert(session, point, receipt.id, counts)
    return PostedReceipt(receipt.id, rs.id, point.ref, decided.asn_id, counts)


def _arrivals(session: Session, rs: ReceivingSession) -> list[rcv.Arrival]:
    query = select(SessionRead).where(SessionRead.session_id == rs.id).order_by(SessionRead.read_at)
    last: dict[str, SessionRead] = {}
    for read in session.scalars(query):
        last[read.epc] = read  # a tag carried back out of the door is not received
    return [
        rcv.Arrival(r.epc, r.read_at, r.item_id, r.sscc, r.event_id)
        for r in last.values()
        if r.direction == "in"
    ]


def _on_hand(session: Session, epcs: list[str]) -> frozenset[str]:
    if not epcs:
        return frozenset()
    internal = [t.value for t in ON_HAND_TYPES]
    query = (
        select(Balance.stock_key)
        .join(Location, Location.id == Balance.location_id)
        .where(
            among(session, Balance.stock_key, epcs), Balance.qty > 0, Location.type.in_(internal)
        )
    )
    return frozenset(session.scalars(query))


def _record(
    session: Session, rs: ReceivingSession, po_id: int | None, decided: rcv.Receipt, now: datetime
) -> Receipt:
    receipt = Receipt(session_id=rs.id, asn_id=decided.asn_id, po_id=po_id, posted_at=now)
    session.add(receipt)
    session.flush()
    rows = [
        {
            "receipt_id": receipt.id,
            "item_id": line.item_id,
            "epc": line.epc,
            "sscc": line.sscc,
            "expected_qty": line.expected_qty,
            "received_qty": line.received_qty,
            "status": line.status.value,
            "disposition": line.disposition,
            "evidence": line.evidence,
        }
        for line in decided.lines
    ]
    insert_rows(session, ReceiptLine, rows)
    return receipt


def _note_unreadable(session: Session, lines: Sequence[rcv.Line], now: datetime) -> None:
    stocked = {rcv.STORAGE, rcv.QUARANTINE}
    rows = [
        {"epc": line.epc, "noted_at": now, "source": "receipt"}
        for line in lines
        if line.evidence == "pallet" and line.epc and line.disposition in stocked
    ]
    insert_ignoring(session, UnreadableTag, rows, ["epc"])


def _advance_asn(session: Session, asn: Asn, decided: rcv.Receipt) -> None:
    short = any(line.status == "short" for line in decided.lines)
    asn.status = (AsnStatus.RECEIVING if short else AsnStatus.RECEIVED).value
    if asn.po_id is None:
        return
    for po_line in session.scalars(select(PoLine).where(PoLine.po_id == asn.po_id)):
        po_line.qty_received += decided.received.get(po_line.item_id, 0)


def _counts(lines: Sequence[rcv.Line]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        if line.epc is not None and line.sscc is None:
            counts[line.status.value] = counts.get(line.status.value, 0) + 1
    return counts


def _alert(session: Session, point: ReadPoint, receipt_id: int, counts: dict[str, int]) -> None:
    issues = {k: v for k, v in counts.items() if k not in {"matched"}}
    if not issues:
        return
    detail = ", ".join(f"{n} {status}" for status, n in sorted(issues.items()))
    severity = AlertSeverity.WARNING if issues.keys() - {"over"} else AlertSeverity.INFO
    raise_alert(
        session, "receipt_discrepancy", f"receipt {receipt_id}", f"{point.ref}: {detail}", severity
    )
