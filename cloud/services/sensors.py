"""Sensors and their bindings to locations, shipments and vehicles over time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.domain.conditions.vocab import BindingTarget
from cloud.errors import ConflictError, invalid
from cloud.masterdata import common
from cloud.masterdata.common import by_key, get_or_404
from cloud.services.condition_schemas import BindingIn, SensorIn
from cloud.services.condition_subjects import active_binding
from cloud.store.models import Location, Sensor, SensorBinding, Shipment


def register(session: Session, data: SensorIn) -> Sensor:
    """Register a sensor of a gateway; ConflictError if it is known already."""
    gateway = common.gateway(session, data.site, data.gateway, "gateway")
    query = select(Sensor.id).where(Sensor.gateway_id == gateway.id, Sensor.code == data.code)
    if session.scalars(query).first() is not None:
        raise ConflictError(f"sensor {data.site}/{data.gateway}/{data.code} exists already")
    sensor = Sensor(gateway_id=gateway.id, code=data.code, description=data.description)
    session.add(sensor)
    session.flush()
    return sensor


def current_binding(session: Session, sensor: Sensor, at: datetime) -> SensorBinding | None:
    """The sensor's binding at `at`."""
    return active_binding(bindings(session, sensor.id), at)


def bindings(session: Session, sensor_id: int) -> list[SensorBinding]:
    """A sensor's bindings, oldest first."""
    query = select(SensorBinding).where(SensorBinding.sensor_id == sensor_id)
    return list(session.scalars(query.order_by(SensorBinding.valid_from, SensorBinding.id)))


def bind(session: Session, sensor_id: int, data: BindingIn) -> SensorBinding:
    """Bind a sensor from valid_from; an open binding that began earlier ends there (the
    sensor moved); one that would overlap otherwise is a conflict."""
    get_or_404(session, Sensor, sensor_id, "sensor")
    binding = SensorBinding(
        sensor_id=sensor_id,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        **_target(session, data),
    )
    for other in bindings(session, sensor_id):
        _make_room(other, binding)
    session.add(binding)
    session.flush()
    return binding


def end(session: Session, binding_id: int, valid_to: datetime) -> SensorBinding:
    """End a binding at valid_to."""
    binding = get_or_404(session, SensorBinding, binding_id, "sensor binding")
    if valid_to <= binding.valid_from:
        raise invalid("valid_to", "must be after the binding's valid_from")
    binding.valid_to = valid_to
    session.flush()
    return binding


def _target(session: Session, data: BindingIn) -> dict[str, object]:
    if data.location is not None:
        location: Location = by_key(session, Location.code, data.location, "location", "location")
        return {"target": BindingTarget.LOCATION.value, "location_id": location.id}
    if data.shipment is not None:
        shipment: Shipment = by_key(session, Shipment.number, data.shipment, "shipment", "shipment")
        return {"target": BindingTarget.SHIPMENT.value, "shipment_id": shipment.id}
    return {"target": BindingTarget.VEHICLE.value, "vehicle_code": data.vehicle}


def _make_room(other: SensorBinding, new: SensorBinding) -> None:
    """End an earlier open binding where the new one starts; refuse any other overlap."""
    if other.valid_to is None and other.valid_from < new.valid_from:
        other.valid_to = new.valid_from
        return
    new_end = new.valid_to
    overlaps = (other.valid_to is None or other.valid_to > new.valid_from) and (
        new_end is None or other.valid_from < new_end
    )
    if overlaps:
        raise ConflictError(
            f"sensor binding {other.id} ({other.valid_from.isoformat()} - "
            f"{other.valid_to.isoformat() if other.valid_to else 'open'}) overlaps the new one"
        )
