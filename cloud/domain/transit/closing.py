"""Closing in-transit stock at the destination: goods leave the shipment's transit location
through the dock door they were read at, and go on to the site's storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cloud.ledger.types import MoveReason, MoveSpec


@dataclass(frozen=True, slots=True)
class InTransit:
    """An EPC read in at a destination door while the ledger has it in a transit location."""

    epc: str
    item_id: int
    transit_location_id: int
    at: datetime  # when it crossed the door
    event_id: str | None = None


def closing_moves(
    goods: Sequence[InTransit], dock: int, storage: int, key: str, posted_at: datetime
) -> tuple[MoveSpec, ...]:
    """Transit -> dock when each EPC crossed the door, dock -> storage when the receipt posts."""
    moves: list[MoveSpec] = []
    for g in goods:
        moves.append(
            MoveSpec(
                item_id=g.item_id, qty=1, from_location_id=g.transit_location_id,
                to_location_id=dock, reason=MoveReason.DELIVERY, source_type="transit-in",
                source_id=key, at=g.at, epc=g.epc, event_id=g.event_id,
            )
        )  # fmt: skip
        moves.append(
            MoveSpec(
                item_id=g.item_id, qty=1, from_location_id=dock, to_location_id=storage,
                reason=MoveReason.PUTAWAY, source_type="transit-put", source_id=key,
                at=max(g.at, posted_at), epc=g.epc,
            )
        )  # fmt: skip
    return tuple(moves)
