"""What a sensor measures at a time: its binding (location, shipment or vehicle) as a Subject
the rules can match, cached for one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.domain.conditions.book import Subject
from cloud.domain.conditions.state import NONE
from cloud.domain.conditions.vocab import BindingTarget
from cloud.enums import LocationType
from cloud.ledger.queries import subtree
from cloud.store.models import (
    Balance,
    Item,
    Location,
    SensorBinding,
    Shipment,
    ShipmentLine,
    Trip,
    Vehicle,
)

UNBOUND = Subject("")


@dataclass(frozen=True, slots=True)
class Bound:
    """A sensor's binding at a moment and the subject it makes (binding None: unbound)."""

    binding: SensorBinding | None
    subject: Subject


def active_binding(bindings: list[SensorBinding], at: datetime) -> SensorBinding | None:
    """The binding valid at `at` (the latest to start, if periods overlap)."""
    found = None
    for binding in bindings:
        if binding.valid_from <= at and (binding.valid_to is None or at < binding.valid_to):
            found = binding
    return found


def vehicle_trips(session: Session, code: str, start: datetime, end: datetime) -> list[Trip]:
    """Trips of the vehicle with this code on the road at some time in [start, end]."""
    began = Trip.departed_at.is_(None) | (Trip.departed_at <= end)
    query = (
        select(Trip)
        .join(Vehicle, Vehicle.id == Trip.vehicle_id)
        .where(Vehicle.code == code, Trip.start_at <= end, began)
        .where(or_(Trip.received_at.is_(None), Trip.received_at >= start))
        .order_by(Trip.id)
    )
    return list(session.scalars(query))


class Subjects:
    """Resolves bindings to subjects for one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._bindings: dict[int, list[SensorBinding]] = {}
        self._subjects: dict[int, Subject] = {}
        self._chains: dict[int, tuple[str, ...]] = {}

    def bindings(self, sensor_id: int) -> list[SensorBinding]:
        """Every binding of a sensor, oldest first."""
        if sensor_id not in self._bindings:
            query = select(SensorBinding).where(SensorBinding.sensor_id == sensor_id)
            order = (SensorBinding.valid_from, SensorBinding.id)
            self._bindings[sensor_id] = list(self.session.scalars(query.order_by(*order)))
        return self._bindings[sensor_id]

    def at(self, sensor_id: int, at: datetime) -> Bound:
        """The sensor's binding and subject at `at`."""
        binding = active_binding(self.bindings(sensor_id), at)
        if binding is None:
            return Bound(None, UNBOUND)
        if binding.id not in self._subjects:
            self._subjects[binding.id] = self._subject(binding, at)
        return Bound(binding, self._subjects[binding.id])

    def _subject(self, binding: SensorBinding, at: datetime) -> Subject:
        target = BindingTarget(binding.target)
        if target is BindingTarget.LOCATION:
            assert binding.location_id is not None
            return self._location(binding.location_id)
        if target is BindingTarget.SHIPMENT:
            assert binding.shipment_id is not None
            return self._shipment(binding.shipment_id, binding.valid_from)
        assert binding.vehicle_code is not None
        return self._vehicle(binding.vehicle_code, at)

    def chain(self, location_id: int) -> tuple[str, ...]:
        """Codes of the location and of every location above it."""
        if location_id not in self._chains:
            codes: list[str] = []
            current = self.session.get(Location, location_id)
            while current is not None and len(codes) < 64:  # bounded: a cycle cannot hang us
                codes.append(current.code)
                current = current.parent
            self._chains[location_id] = tuple(codes)
        return self._chains[location_id]

    def _location(self, location_id: int) -> Subject:
        location = self.session.get_one(Location, location_id)
        held = (
            select(Item.item_class)
            .join(Balance, Balance.item_id == Item.id)
            .where(Balance.location_id.in_(select(subtree(location_id))), Balance.qty > 0)
            .distinct()
        )
        classes = frozenset(c for c in self.session.scalars(held) if c)
        return Subject(
            f"location:{location_id}",
            locations=self.chain(location_id),
            location_type=location.type,
            item_classes=classes,
        )

    def _shipment(self, shipment_id: int, bound_from: datetime) -> Subject:
        shipment = self.session.get_one(Shipment, shipment_id)
        started = shipment.shipped_at or bound_from
        return Subject(
            f"shipment:{shipment_id}",
            locations=self.chain(shipment.transit_location_id),
            location_type=LocationType.TRANSIT.value,
            shipment=shipment.number,
            item_classes=self._shipment_classes([shipment]),
            started_ms=started.timestamp() * 1000,
        )

    def _vehicle(self, code: str, at: datetime) -> Subject:
        trips = vehicle_trips(self.session, code, at, at)
        shipments = [trip.shipment for trip in trips]
        starts = [trip.departed_at or trip.start_at for trip in trips]
        return Subject(
            f"vehicle:{code}",
            location_type=LocationType.TRANSIT.value,
            vehicle=code,
            item_classes=self._shipment_classes(shipments),
            started_ms=max(starts).timestamp() * 1000 if starts else NONE,
        )

    def _shipment_classes(self, shipments: list[Shipment]) -> frozenset[str]:
        if not shipments:
            return frozenset()
        ids = [s.id for s in shipments]
        transit = [s.transit_location_id for s in shipments]
        picked = select(Item.item_class).join(ShipmentLine).where(ShipmentLine.shipment_id.in_(ids))
        carried = (
            select(Item.item_class)
            .join(Balance, Balance.item_id == Item.id)
            .where(Balance.location_id.in_(transit), Balance.qty > 0)
        )
        found = set(self.session.scalars(picked)) | set(self.session.scalars(carried))
        return frozenset(c for c in found if c)
