"""Request and response shapes of the ledger's API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cloud.enums import LocationType
from cloud.ledger.types import MoveReason
from cloud.masterdata.types import Code, Epc, Input, Instant, Output, Qty
from cloud.store.paging import AnyRow


class StockOut(Output):
    """Quantity of one item at one location (and stock key, when asked for)."""

    item_id: int
    sku: str
    location_id: int
    location_code: str
    location_type: LocationType
    stock_key: str | None = Field(None, description="EPC or lot ('' = untracked); by_key only")
    qty: int


class TransitOut(Output):
    """Quantity of one item (and stock key) in one shipment's transit location."""

    shipment_id: int
    shipment_number: str
    shipment_status: str
    item_id: int
    sku: str
    stock_key: str
    qty: int


class MoveOut(Output):
    """A posted move."""

    id: int
    at: datetime
    posted_at: datetime
    item_id: int
    sku: str
    epc: str | None
    lot: str | None
    qty: int
    from_location_id: int
    from_location: str
    to_location_id: int
    to_location: str
    reason: str
    source_type: str
    source_id: str
    event_id: str | None
    reverses_move_id: int | None


def move_out(row: AnyRow) -> MoveOut:
    """MoveOut from a (Move, sku, from code, to code) row."""
    move = row[0]
    values: dict[str, Any] = {c.key: getattr(move, c.key) for c in move.__table__.columns}
    values.update(sku=row[1], from_location=row[2], to_location=row[3])
    return MoveOut.model_validate(values)


class WhereaboutsOut(Output):
    """Where the ledger holds an EPC now."""

    item_id: int
    sku: str
    location_id: int
    location_code: str
    location_type: LocationType


class EpcHistoryOut(Output):
    """An EPC's current location and every move it made, oldest first."""

    epc: str
    whereabouts: list[WhereaboutsOut]
    moves: list[MoveOut]


class ManualMoveIn(Input):
    """A move entered by a person (count correction, found or lost stock, transfer)."""

    item: Code = Field(description="SKU")
    from_location: Code
    to_location: Code
    qty: Qty = 1
    epc: Epc | None = None
    lot: Code | None = None
    reason: MoveReason = MoveReason.ADJUSTMENT
    reference: Code = Field(description="your unique reference; posting it again is refused")
    at: Instant | None = Field(None, description="when it happened; default now")


class ReverseIn(Input):
    """When the reversal takes effect."""

    at: Instant | None = Field(None, description="default now")


class DiscrepancyOut(Output):
    """A balance row that differs from what the moves say."""

    item_id: int
    location_id: int
    stock_key: str
    qty: int
