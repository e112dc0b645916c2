"""Stock on hand, in transit, EPC history, moves, and ledger maintenance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import BaseModel, Field

from cloud.api.deps import BusDep, LedgerDep, PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.enums import ON_HAND_TYPES, LocationType
from cloud.errors import NotFoundError
from cloud.ledger import queries
from cloud.ledger.manual import post_manual, post_manual_batch
from cloud.ledger.schemas import (
    DiscrepancyOut,
    EpcHistoryOut,
    ManualMoveIn,
    MoveOut,
    ReverseIn,
    StockOut,
    TransitOut,
    WhereaboutsOut,
    move_out,
)
from cloud.masterdata.types import Epc
from cloud.services.condition_status import (
    EpcHistoryConditionOut,
    StockConditionOut,
    epc_conditions,
    stock_conditions,
)

router = APIRouter(prefix="/api", tags=["stock"], responses=ERROR_RESPONSES)
MOVES_TOPIC = "ledger.moves"


@router.get("/stock")
def stock_on_hand(
    *,
    session: SessionDep,
    page: PageDep,
    item_id: int | None = None,
    location_id: int | None = None,
    within: Annotated[int | None, Query(description="location id: it and everything below")] = None,
    location_type: Annotated[list[LocationType] | None, Query(alias="type")] = None,
    stock_key: Annotated[str | None, Query(description="EPC or lot")] = None,
    by_key: Annotated[bool, Query(description="one row per EPC / lot")] = False,
) -> PageOut[StockConditionOut]:
    """Balances per item and location; by default only locations that count as on hand.
    Each row says whether the stock sat through a condition excursion."""
    types = location_type or (None if location_id or within else sorted(ON_HAND_TYPES))
    where = queries.StockFilter(item_id, location_id, within, types, stock_key, by_key)
    found = page_out(queries.stock(session, where, page), StockOut.model_validate)
    return stock_conditions(session, found)


@router.get("/stock/in-transit")
def stock_in_transit(
    session: SessionDep, page: PageDep, shipment_id: int | None = None
) -> PageOut[TransitOut]:
    """What sits in shipments' transit locations."""
    found = queries.in_transit(session, shipment_id, page)
    return page_out(found, TransitOut.model_validate)


@router.get("/epcs/{epc}/history")
def epc_history(session: SessionDep, epc: Epc) -> EpcHistoryConditionOut:
    """Where an EPC is now, every move it made, and the condition excursions it sat through."""
    moves = [move_out(row) for row in queries.epc_history(session, epc)]
    if not moves:
        raise NotFoundError(f"EPC {epc} has no moves in the ledger")
    whereabouts = [
        WhereaboutsOut(
            item_id=r[0], sku=r[1], location_id=r[2], location_code=r[3], location_type=r[4]
        )
        for r in queries.epc_whereabouts(session, epc)
    ]
    return epc_conditions(session, EpcHistoryOut(epc=epc, whereabouts=whereabouts, moves=moves))


@router.get("/moves")
def list_moves(
    *,
    session: SessionDep,
    page: PageDep,
    item_id: int | None = None,
    location_id: int | None = None,
    epc: Epc | None = None,
    source_type: str | None = None,
    source_id: str | None = None,
    event_id: str | None = None,
) -> PageOut[MoveOut]:
    """Moves, newest first."""
    where = queries.MoveFilter(item_id, location_id, epc, source_type, source_id, event_id)
    return page_out(queries.moves(session, where, page), move_out)


@router.post("/moves", status_code=201)
def post_move(
    *,
    session: SessionDep,
    ledger: LedgerDep,
    bus: BusDep,
    background: BackgroundTasks,
    body: ManualMoveIn,
) -> MoveOut:
    """Post a manual move; its reference makes a retry safe (409 already_posted)."""
    move_id = post_manual(session, ledger, body)
    return _posted(session, bus, background, move_id)


class ManualBatchIn(BaseModel):
    """Manual moves posted together: all or none."""

    moves: list[ManualMoveIn] = Field(min_length=1, max_length=10_000)


@router.post("/moves/batch", status_code=201)
def post_moves(session: SessionDep, ledger: LedgerDep, body: ManualBatchIn) -> dict[str, int]:
    """Post many manual moves in one transaction (e.g. an opening balance)."""
    return {"posted": len(post_manual_batch(session, ledger, body.moves))}


@router.post("/moves/{move_id}/reverse", status_code=201)
def reverse_move(
    *,
    session: SessionDep,
    ledger: LedgerDep,
    bus: BusDep,
    background: BackgroundTasks,
    move_id: int,
    body: ReverseIn | None = None,
) -> MoveOut:
    """Post the compensating move of a move (once)."""
    reversal = ledger.reverse(session, move_id, at=body.at if body else None)
    return _posted(session, bus, background, reversal)


def _posted(session: SessionDep, bus: BusDep, background: BackgroundTasks, move_id: int) -> MoveOut:
    row = queries.move_row(session, move_id)
    assert row is not None  # posted in this very transaction
    out = move_out(row)
    # Runs after the response, i.e. after the commit: subscribers never see rolled-back moves.
    background.add_task(bus.publish, MOVES_TOPIC, out.model_dump(mode="json"))
    return out


@router.get("/ledger/discrepancies")
def balance_discrepancies(session: SessionDep) -> list[DiscrepancyOut]:
    """Balance rows that differ from the moves (empty when the cache is right)."""
    rows = queries.balance_discrepancies(session)
    return [DiscrepancyOut(item_id=r[0], location_id=r[1], stock_key=r[2], qty=r[3]) for r in rows]


@router.post("/ledger/rebuild")
def rebuild_balances(session: SessionDep, ledger: LedgerDep) -> dict[str, int]:
    """Recompute every balance from the moves."""
    return {"balances": ledger.rebuild_balances(session)}
