"""Condition status of stock: which excursions exposed it, for the stock and EPC-history
responses (cloud/api/stock.py adds these fields to what the ledger reports)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from cloud.api.schemas import PageOut
from cloud.ledger.schemas import EpcHistoryOut, StockOut
from cloud.store.models import Balance, Excursion, Exposure, Location


class ConditionOut(BaseModel):
    """Whether stock sat through an excursion."""

    status: Literal["ok", "exposed"] = "ok"
    excursions: list[int] = Field(default=[], description="ids of the excursions that exposed it")
    quarantined: bool = Field(False, description="moved to quarantine because of one")


class StockConditionOut(StockOut):
    """Stock with its condition status."""

    condition: ConditionOut = Field(default_factory=ConditionOut)


class EpcExposureOut(BaseModel):
    """One excursion an EPC sat through."""

    excursion_id: int
    rule: str
    check: str
    location_code: str = Field(description="where it sat")
    started_at: datetime
    ended_at: datetime | None
    peak: float | None
    quarantined: bool


class EpcHistoryConditionOut(EpcHistoryOut):
    """An EPC's history with the excursions it sat through."""

    condition: ConditionOut = Field(default_factory=ConditionOut)
    exposures: list[EpcExposureOut] = Field(default=[], description="oldest first")


def stock_conditions(session: Session, page: PageOut[StockOut]) -> PageOut[StockConditionOut]:
    """The page with each row's condition (one query for the whole page)."""
    found = _exposed(session, page.items)
    items = []
    for row in page.items:
        hits = found.get((row.item_id, row.location_id, row.stock_key), [])
        items.append(StockConditionOut(**row.model_dump(), condition=_condition(hits)))
    return PageOut[StockConditionOut](
        items=items,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_offset=page.next_offset,
    )


def _exposed(
    session: Session, rows: list[StockOut]
) -> dict[tuple[int, int, str | None], list[tuple[int, bool]]]:
    if not rows:
        return {}
    # Untracked stock ('' key) is told apart only by where it was exposed.
    same = and_(Exposure.item_id == Balance.item_id, Exposure.stock_key == Balance.stock_key)
    where_untracked = or_(Balance.stock_key != "", Exposure.location_id == Balance.location_id)
    query = (
        select(
            Balance.item_id,
            Balance.location_id,
            Balance.stock_key,
            Exposure.excursion_id,
            Exposure.quarantined,
        )
        .join(Exposure, and_(same, where_untracked))
        .where(Balance.qty > 0)
        .where(Balance.item_id.in_({r.item_id for r in rows}))
        .where(Balance.location_id.in_({r.location_id for r in rows}))
    )
    keyed = any(r.stock_key is not None for r in rows)
    found: defaultdict[tuple[int, int, str | None], list[tuple[int, bool]]] = defaultdict(list)
    for item, location, key, excursion, quarantined in session.execute(query):
        found[(item, location, key if keyed else None)].append((excursion, quarantined))
    return found


def _condition(hits: list[tuple[int, bool]]) -> ConditionOut:
    if not hits:
        return ConditionOut()
    ids = sorted({excursion for excursion, _ in hits})
    return ConditionOut(status="exposed", excursions=ids, quarantined=any(q for _, q in hits))


def epc_conditions(session: Session, history: EpcHistoryOut) -> EpcHistoryConditionOut:
    """The EPC's history with every excursion it sat through."""
    query = (
        select(Exposure, Excursion, Location.code)
        .join(Excursion, Excursion.id == Exposure.excursion_id)
        .join(Location, Location.id == Exposure.location_id)
        .where(Exposure.stock_key == history.epc)
        .order_by(Excursion.started_at, Excursion.id)
    )
    exposures = [
        EpcExposureOut(
            excursion_id=excursion.id,
            rule=excursion.rule_name,
            check=excursion.check_name,
            location_code=code,
            started_at=excursion.started_at,
            ended_at=excursion.ended_at,
            peak=excursion.peak,
            quarantined=exposure.quarantined,
        )
        for exposure, excursion, code in session.execute(query)
    ]
    hits = [(e.excursion_id, e.quarantined) for e in exposures]
    return EpcHistoryConditionOut(
        **history.model_dump(), condition=_condition(hits), exposures=exposures
    )
