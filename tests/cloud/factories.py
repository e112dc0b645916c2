"""Small builders of master data for cloud tests (straight ORM, no API)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloud.enums import LocationType
from cloud.store.models import Item, Location


def add_items(session: Session, count: int, prefix: str = "SKU") -> list[int]:
    """Create count items; return their ids."""
    items = [Item(sku=f"{prefix}-{i}", description=f"item {i}") for i in range(count)]
    session.add_all(items)
    session.flush()
    return [item.id for item in items]


def add_locations(session: Session, *types: LocationType, prefix: str = "L") -> list[int]:
    """Create one location per type given; return their ids in the same order."""
    locations = [
        Location(code=f"{prefix}-{i}", name=f"{kind.value} {i}", type=kind.value)
        for i, kind in enumerate(types)
    ]
    session.add_all(locations)
    session.flush()
    return [location.id for location in locations]
