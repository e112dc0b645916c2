"""Shipping: portal OUT events at shipping doors verify the shipment being loaded there."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cloud.domain import shipping as shp
from cloud.enums import AlertSeverity, ShipmentStatus
from cloud.services.alerts import raise_alert
from cloud.services.inbound import Tx, watermarks
from cloud.store.bulk import among
from cloud.store.models import (
    Balance,
    ReadPoint,
    SessionRead,
    Shipment,
    ShipmentScan,
    UnreadableTag,
)
from protocol.messages import PortalEvent, ms_to_datetime

logger = logging.getLogger(__name__)

AutoConfirm = Literal["clean", "always", "never"]
ACTIVE = (ShipmentStatus.PLANNED.value, ShipmentStatus.LOADING.value)


@dataclass(frozen=True, slots=True)
class ShippingRules:
    """Settings of the shipping domain."""

    quiet: timedelta  # a door quiet this long (in event time) ends the loading
    auto_confirm: AutoConfirm = "clean"  # ship at once when clean, always, or never


def record_loading(tx: Tx, point: ReadPoint, events: Sequence[PortalEvent]) -> int:
    """Attribute portal events at a shipping door to the shipment loading there."""
    session = tx.session
    session.execute(select(ReadPoint.id).where(ReadPoint.id == point.id).with_for_update())
    recorded = 0
    for event in sorted(events, key=lambda e: e.time_ms):
        shipment = _loading_at(session, point, ms_to_datetime(event.time_ms))
        if shipment is None:
            _unplanned(session, point, event)
            continue
        _scan(tx, shipment, point, event)
        recorded += 1
    return recorded


def _loading_at(session: Session, point: ReadPoint, at: datetime) -> Shipment | None:
    query = (
        select(Shipment)
        .where(Shipment.read_point_id == point.id, Shipment.status.in_(ACTIVE))
        .options(selectinload(Shipment.lines))
    )
    candidates = list(session.scalars(query))
    loading = [s for s in candidates if s.status == ShipmentStatus.LOADING.value]
    if loading:
        return max(loading, key=lambda s: s.last_scan_at or at)
    planned = sorted(candidates, key=lambda s: (abs((s.planned_at or at) - at), s.id))
    if not planned:
        return None
    planned[0].status = ShipmentStatus.LOADING.value
    return planned[0]


def _scan(tx: Tx, shipment: Shipment, point: ReadPoint, event: PortalEvent) -> None:
    at = ms_to_datetime(event.time_ms)
    tag = tx.lookup.tag(event.epc)
    expected = {
        line.epc: shp.Expected(line.epc, line.item_id, line.sscc)
        for line in shipment.lines
        if line.epc
    }
    items = frozenset(line.item_id for line in shipment.lines)
    loaded = shp.Loaded(event.epc, at, tag.item_id, tag.sscc, event.id)
    verdict = (
        shp.judge(loaded, expected, items) if event.direction == "out" else shp.Verdict.CONTAINER
    )
    tx.session.add(
        ShipmentScan(
            shipment_id=shipment.id, epc=event.epc, event_id=event.id, read_point_id=point.id,
            direction=event.direction.value, scanned_at=at,
            expected=verdict is shp.Verdict.EXPECTED, verdict=verdict.value,
        )
    )  # fmt: skip
    shipment.last_scan_at = max(shipment.last_scan_at or at, at)
    if verdict in {shp.Verdict.EXTRA, shp.Verdict.WRONG_ITEM} and event.direction == "out":
        message = f"{verdict.value.replace('_', ' ')} loaded at {point.ref}: EPC {event.epc}"
        raise_alert(
            tx.session,
            f"shipment_{verdict.value}",
            f"{shipment.number} {event.epc}",
            message,
            AlertSeverity.WARNING,
        )


def _unplanned(session: Session, point: ReadPoint, event: PortalEvent) -> None:
    if event.direction != "out":
        return
    message = f"EPC {event.epc} left through {point.ref} with no shipment planned there"
    raise_alert(
        session, "unplanned_outbound", f"{point.ref} {event.epc}", message, AlertSeverity.WARNING
    )


def due_loadings(session: Session, rules: ShippingRules) -> list[int]:
    """Shipments loading at doors that have been quiet long enough, by gateway watermark."""
    query = (
        select(Shipment.id, Shipment.last_scan_at, ReadPoint.gateway_id)
        .join(ReadPoint, ReadPoint.id == Shipment.read_point_id)
        .where(Shipment.status == ShipmentStatus.LOADING.value, Shipment.last_scan_at.is_not(None))
    )
    rows = session.execute(query).all()
    marks = watermarks(session, {r.gateway_id for r in rows})
    return [
        r.id
        for r in rows
        if (mark := marks.get(r.gateway_id)) and mark >= r.last_scan_at + rules.quiet
    ]


def lock_shipment(session: Session, shipment_id: int, statuses: Sequence[str]) -> Shipment | None:
    """The shipment, locked, if it is in one of the statuses and no other worker holds it."""
    query = (
        select(Shipment)
        .where(Shipment.id == shipment_id, Shipment.status.in_(statuses))
        .options(selectinload(Shipment.lines))
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).one_or_none()


def verify_loading(
    tx: Tx, shipment: Shipment, rules: ShippingRules, now: datetime
) -> shp.Verification:
    """Close a quiet loading: verify it, alert on what is missing, then ship or hold it."""
    verification = _verification(tx, shipment)
    shipment.verified_at = now
    shipment.discrepancies = _discrepancies(verification)
    if verification.missing:
        missing = ", ".join(e.epc for e in verification.missing[:5])
        more = f" and {len(verification.missing) - 5} more" if len(verification.missing) > 5 else ""
        message = f"{len(verification.missing)} expected EPCs not loaded: {missing}{more}"
        raise_alert(tx.session, "shipment_missing", shipment.number, message, AlertSeverity.WARNING)
    ship = rules.auto_confirm == "always" or (rules.auto_confirm == "clean" and verification.clean)
    if ship:
        confirm(tx, shipment, verification, now)
    else:
        shipment.status = ShipmentStatus.HELD.value
    return verification


def confirm(
    tx: Tx, shipment: Shipment, verification: shp.Verification | None, now: datetime
) -> int:
    """Ship what was actually loaded: post its moves into the shipment's transit location."""
    verification = verification or _verification(tx, shipment)
    loaded = shp.loaded_epcs(verification)
    whereabouts = _whereabouts(tx.session, loaded)
    dock = shipment.read_point.location_id if shipment.read_point else shipment.transit_location_id
    loading = shp.Loading(
        dock=dock, transit=shipment.transit_location_id, key=f"shp{shipment.id}", at=now
    )
    moves = shp.shipping_moves(verification, whereabouts, loading)
    tx.ledger.post(tx.session, moves)
    strays = shp.not_in_stock(verification, whereabouts)
    if strays:
        message = f"{len(strays)} loaded EPCs are not in stock on record, e.g. {strays[0]}"
        raise_alert(
            tx.session, "shipment_not_in_stock", shipment.number, message, AlertSeverity.WARNING
        )
    shipment.status, shipment.shipped_at = ShipmentStatus.SHIPPED.value, now
    return len(moves)


def _verification(tx: Tx, shipment: Shipment) -> shp.Verification:
    expected = [
        shp.Expected(line.epc, line.item_id, line.sscc) for line in shipment.lines if line.epc
    ]
    query = select(ShipmentScan).where(ShipmentScan.shipment_id == shipment.id)
    last: dict[str, ShipmentScan] = {}
    for scan in tx.session.scalars(query.order_by(ShipmentScan.scanned_at)):
        last[scan.epc] = scan  # carried back in through the door: not loaded after all
    loaded = []
    for scan in last.values():
        if scan.direction == "out":
            tag = tx.lookup.tag(scan.epc)
            loaded.append(
                shp.Loaded(scan.epc, scan.scanned_at, tag.item_id, tag.sscc, scan.event_id)
            )
    return shp.verify(expected, loaded, _dead(tx.session, [e.epc for e in expected]))


def _dead(session: Session, epcs: list[str]) -> frozenset[str]:
    if not epcs:
        return frozenset()
    noted = set(
        session.scalars(select(UnreadableTag.epc).where(among(session, UnreadableTag.epc, epcs)))
    )
    if not noted:
        return frozenset()
    read = set(
        session.scalars(select(SessionRead.epc).where(among(session, SessionRead.epc, list(noted))))
    )
    return frozenset(noted - read)


def _whereabouts(session: Session, epcs: Sequence[str]) -> dict[str, shp.Stock]:
    if not epcs:
        return {}
    query = select(Balance.stock_key, Balance.item_id, Balance.location_id).where(
        among(session, Balance.stock_key, list(epcs)), Balance.qty > 0
    )
    return {key: shp.Stock(item, location) for key, item, location in session.execute(query)}


def _discrepancies(v: shp.Verification) -> dict[str, list[str]]:
    return {
        "missing": [e.epc for e in v.missing],
        "extra": [s.epc for s in v.extra],
        "wrong_item": [s.epc for s in v.wrong],
        "inferred": [e.epc for e in v.inferred],
    }
