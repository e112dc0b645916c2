"""Which ASN a receiving session delivers: the door's appointment, else the best content match."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cloud.domain import receiving as rcv
from cloud.enums import AsnStatus
from cloud.services.lookup import Lookup
from cloud.store.bulk import among
from cloud.store.models import Asn, AsnLine, AsnPallet, ReadPoint

OPEN = (AsnStatus.EXPECTED.value, AsnStatus.RECEIVING.value)


def match_asn(
    session: Session, point: ReadPoint, opened_at: datetime, arrivals: Sequence[rcv.Arrival]
) -> Asn | None:
    """The open ASN with the most announced EPCs/SSCCs among the arrivals; the appointment wins
    ties and is taken even without overlap (then everything it announced is short)."""
    overlap = _overlap(session, arrivals)
    appointment = _appointment(session, point, opened_at)
    if appointment is not None:
        overlap[appointment] += 0  # present, so it can win on its own
    if not overlap:
        return None
    best = max(overlap, key=lambda asn_id: (overlap[asn_id], asn_id == appointment, -asn_id))
    return session.scalars(
        select(Asn)
        .where(Asn.id == best)
        .options(selectinload(Asn.pallets), selectinload(Asn.lines))
    ).one()


def _overlap(session: Session, arrivals: Sequence[rcv.Arrival]) -> Counter[int]:
    epcs = [a.epc for a in arrivals if a.sscc is None]
    ssccs = [a.sscc for a in arrivals if a.sscc is not None]
    counts: Counter[int] = Counter()
    if epcs:
        lines = among(session, AsnLine.epc, epcs)
        query = select(AsnLine.asn_id).join(Asn).where(lines, Asn.status.in_(OPEN))
        counts.update(session.scalars(query))
    if ssccs:
        query = (
            select(AsnPallet.asn_id)
            .join(Asn)
            .where(AsnPallet.sscc.in_(ssccs), Asn.status.in_(OPEN))
        )
        counts.update(session.scalars(query))
    return counts


def _appointment(session: Session, point: ReadPoint, at: datetime) -> int | None:
    query = select(Asn.id, Asn.window_start, Asn.window_end).where(
        Asn.read_point_id == point.id, Asn.status.in_(OPEN)
    )
    for asn_id, start, end in session.execute(query.order_by(Asn.window_start)):
        if (start is None or start <= at) and (end is None or at <= end):
            return int(asn_id)
    return None


def announcement_of(lookup: Lookup, asn: Asn) -> rcv.Announcement:
    """The pure view of what an ASN announced."""
    pallets = tuple(
        rcv.AnnouncedPallet(
            sscc=pallet.sscc,
            cases=tuple(
                rcv.Case(line.epc, line.item_id)
                for line in asn.lines
                if line.pallet_id == pallet.id and line.epc
            ),
        )
        for pallet in asn.pallets
    )
    loose = tuple(
        rcv.Case(line.epc, line.item_id)
        for line in asn.lines
        if line.pallet_id is None and line.epc
    )
    return rcv.Announcement(
        asn_id=asn.id,
        supplier_location_id=lookup.supplier_location(asn.supplier_id),
        pallets=pallets,
        loose=loose,
    )
