"""Moves people post through the API, named by codes rather than ids."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloud.errors import invalid
from cloud.ledger.ledger import Ledger
from cloud.ledger.schemas import ManualMoveIn
from cloud.ledger.types import MoveReason, MoveSpec
from cloud.masterdata.common import by_key
from cloud.store.models import Item, Location, utcnow

MANUAL_SOURCE = "manual"


def post_manual(session: Session, ledger: Ledger, data: ManualMoveIn) -> int:
    """Post one manual move; AlreadyPostedError if its reference was used before."""
    return ledger.post(session, [manual_spec(session, data, "body")])[0]


def post_manual_batch(session: Session, ledger: Ledger, moves: list[ManualMoveIn]) -> list[int]:
    """Post many manual moves atomically (an opening balance, a count's corrections)."""
    specs = [manual_spec(session, data, f"moves.{i}") for i, data in enumerate(moves)]
    return ledger.post(session, specs)


def manual_spec(session: Session, data: ManualMoveIn, loc: str) -> MoveSpec:
    """The move a manual request asks for; InvalidError naming loc if it cannot be."""
    if data.reason == MoveReason.REVERSAL:
        raise invalid("reason", "reversals are posted with POST /api/moves/{id}/reverse")
    item: Item = by_key(session, Item.sku, data.item, "item", "item")
    source: Location = by_key(
        session, Location.code, data.from_location, "from_location", "location"
    )
    target: Location = by_key(session, Location.code, data.to_location, "to_location", "location")
    try:
        spec = MoveSpec(
            item_id=item.id,
            qty=data.qty,
            from_location_id=source.id,
            to_location_id=target.id,
            reason=data.reason,
            source_type=MANUAL_SOURCE,
            source_id=data.reference,
            at=data.at or utcnow(),
            epc=data.epc,
            lot=data.lot,
        )
    except ValueError as exc:
        raise invalid(loc, str(exc)) from None
    return spec
