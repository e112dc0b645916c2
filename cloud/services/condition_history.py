"""Condition history of a sensor, a location or a shipment, its MKT, and shipment reports.

A location's history is that of the sensors bound to it, while they were; a shipment's is that
of the sensors bound to it, and of those bound to the vehicle of its trip while it was on the
road (a reefer's probe moves with the trailer, not with one shipment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from cloud.domain.conditions.mkt import Interval, summarize_intervals
from cloud.masterdata.common import get_or_404
from cloud.services.condition_schemas import (
    ExcursionOut,
    ExposureOut,
    MktOut,
    ShipmentReportOut,
)
from cloud.store.models import (
    ConditionRecord,
    Excursion,
    Exposure,
    Sensor,
    SensorBinding,
    Shipment,
    Trip,
    Vehicle,
)
from cloud.store.paging import Page, PageRequest, scalars_page


@dataclass(frozen=True, slots=True)
class Window:
    """A sensor's samples that count, between start and end (None: open)."""

    sensor_id: int
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Period:
    """The period asked for (None: unbounded)."""

    start: datetime | None = None
    end: datetime | None = None


def sensor_windows(sensor_id: int) -> list[Window]:
    """A sensor's own history: all of it."""
    return [Window(sensor_id, None, None)]


def location_windows(session: Session, location_id: int) -> list[Window]:
    """The sensors bound to the location, while they were."""
    query = select(SensorBinding).where(SensorBinding.location_id == location_id)
    return [Window(b.sensor_id, b.valid_from, b.valid_to) for b in session.scalars(query)]


def shipment_windows(session: Session, shipment: Shipment) -> list[Window]:
    """The sensors bound to the shipment, and those on its trip's vehicle during the trip."""
    own = select(SensorBinding).where(SensorBinding.shipment_id == shipment.id)
    found = [Window(b.sensor_id, b.valid_from, b.valid_to) for b in session.scalars(own)]
    for trip in session.scalars(select(Trip).where(Trip.shipment_id == shipment.id)):
        found += _trip_windows(session, trip)
    return found


def _trip_windows(session: Session, trip: Trip) -> list[Window]:
    start = trip.departed_at or trip.start_at
    end = trip.received_at or trip.arrived_at
    code = session.get_one(Vehicle, trip.vehicle_id).code
    query = select(SensorBinding).where(SensorBinding.vehicle_code == code)
    out = []
    for b in session.scalars(query):
        lo = max(start, b.valid_from)
        hi = min((t for t in (end, b.valid_to) if t is not None), default=None)
        if hi is None or hi > lo:
            out.append(Window(b.sensor_id, lo, hi))
    return out


def _where(windows: Sequence[Window], period: Period) -> ColumnElement[bool]:
    if not windows:
        return false()
    parts = []
    for w in windows:
        terms = [ConditionRecord.sensor_id == w.sensor_id]
        if w.start is not None:
            terms.append(ConditionRecord.end_at > w.start)
        if w.end is not None:
            terms.append(ConditionRecord.start_at < w.end)
        parts.append(and_(*terms))
    clause = or_(*parts)
    if period.start is not None:
        clause = and_(clause, ConditionRecord.end_at > period.start)
    if period.end is not None:
        clause = and_(clause, ConditionRecord.start_at < period.end)
    return clause


def history(
    session: Session, windows: Sequence[Window], period: Period, page: PageRequest
) -> Page[ConditionRecord]:
    """Samples in the windows and period, oldest first."""
    query = select(ConditionRecord).where(_where(windows, period))
    order = (ConditionRecord.end_at, ConditionRecord.sensor_id, ConditionRecord.id)
    return scalars_page(session, query.order_by(*order), page)


def mkt(
    session: Session,
    windows: Sequence[Window],
    period: Period,
    limits: tuple[float | None, float | None] = (None, None),
) -> MktOut:
    """MKT (duration-weighted interval means), extremes and time beyond (low, high)."""
    columns = (
        ConditionRecord.start_at,
        ConditionRecord.end_at,
        ConditionRecord.temp_min,
        ConditionRecord.temp_max,
        ConditionRecord.temp_mean,
        ConditionRecord.sensor_id,
    )
    query = select(*columns).where(_where(windows, period), ConditionRecord.temp_mean.is_not(None))
    rows = session.execute(query.execution_options(yield_per=5000)).all()
    intervals = [_interval(s, e, lo, hi, m) for s, e, lo, hi, m, _ in rows]
    summary = summarize_intervals(intervals, *limits)
    empty = MktOut(
        mkt_c=None,
        min_c=None,
        max_c=None,
        mean_c=None,
        hours=0.0,
        samples=0,
        sensors=0,
        start=period.start,
        end=period.end,
    )
    if summary is None:
        return empty
    return MktOut(
        mkt_c=summary.mkt_c,
        min_c=summary.min_c,
        max_c=summary.max_c,
        mean_c=summary.mean_c,
        hours=summary.seconds / 3600,
        samples=len(rows),
        sensors=len({r[5] for r in rows}),
        above_s=summary.above_s,
        below_s=summary.below_s,
        start=period.start or min(r[0] for r in rows),
        end=period.end or max(r[1] for r in rows),
    )


def _interval(
    start: datetime, end: datetime, lo: float | None, hi: float | None, mean: float | None
) -> Interval:
    """An interval; a missing min or max is taken to be the mean."""
    assert mean is not None  # the query asks for samples with a mean
    low = lo if lo is not None else mean
    return Interval((end - start).total_seconds(), low, hi if hi is not None else mean, mean)


def shipment_excursions(session: Session, shipment: Shipment) -> list[Excursion]:
    """Excursions of the shipment's own sensors and of its trip's vehicle during the trip."""
    clauses: list[ColumnElement[bool]] = [Excursion.shipment_id == shipment.id]
    for trip in session.scalars(select(Trip).where(Trip.shipment_id == shipment.id)):
        code = session.get_one(Vehicle, trip.vehicle_id).code
        end = trip.received_at or trip.arrived_at
        during = [Excursion.vehicle_code == code]
        during.append(
            or_(
                Excursion.ended_at.is_(None),
                Excursion.ended_at > (trip.departed_at or trip.start_at),
            )
        )
        if end is not None:
            during.append(Excursion.started_at < end)
        clauses.append(and_(*during))
    query = select(Excursion).where(or_(*clauses)).order_by(Excursion.started_at, Excursion.id)
    return list(session.scalars(query))


def excursion_out(session: Session, excursion: Excursion, *, detail: bool) -> ExcursionOut:
    """The excursion as the API shows it (with its exposures when detail)."""
    out = ExcursionOut.model_validate(excursion)
    if detail:
        query = select(Exposure).where(Exposure.excursion_id == excursion.id)
        out.exposures = [
            ExposureOut.model_validate(e) for e in session.scalars(query.order_by(Exposure.id))
        ]
    return out


def shipment_report(
    session: Session, shipment_id: int, limits: tuple[float | None, float | None]
) -> ShipmentReportOut:
    """A shipment's condition record (JSON): MKT, extremes, sensors, excursions, exposures."""
    shipment = get_or_404(session, Shipment, shipment_id, "shipment")
    windows = shipment_windows(session, shipment)
    excursions = shipment_excursions(session, shipment)
    return ShipmentReportOut(
        shipment_id=shipment.id,
        shipment=shipment.number,
        status=shipment.status,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
        summary=mkt(session, windows, Period(), limits),
        sensors=_refs(session, {w.sensor_id for w in windows}),
        excursions=[excursion_out(session, e, detail=True) for e in excursions],
        exposed_keys=_exposed_keys(session, [e.id for e in excursions]),
    )


def _refs(session: Session, ids: Iterable[int]) -> list[str]:
    sensors = session.scalars(select(Sensor).where(Sensor.id.in_(list(ids))))
    return sorted(s.ref for s in sensors)


def _exposed_keys(session: Session, excursion_ids: list[int]) -> int:
    if not excursion_ids:
        return 0
    keys = select(Exposure.item_id, Exposure.stock_key).where(
        Exposure.excursion_id.in_(excursion_ids)
    )
    return int(session.scalar(select(func.count()).select_from(keys.distinct().subquery())) or 0)
