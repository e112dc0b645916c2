"""Condition monitoring: sensors and bindings, history, MKT, alert rules, excursions, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from cloud.api.deps import ContainerDep, PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.domain.conditions.rules import RuleSpec, load_rules
from cloud.errors import InvalidError, Problem, invalid, plain
from cloud.masterdata.common import by_key, get_or_404
from cloud.masterdata.types import Code
from cloud.services import condition_history as hist
from cloud.services import condition_rules as rules_store
from cloud.services import sensors as sensor_store
from cloud.services.condition_check import check_offline, load_rules_file
from cloud.services.condition_history import Period, Window
from cloud.services.condition_schemas import (
    BindingEnd,
    BindingIn,
    BindingOut,
    ExcursionOut,
    LoadedOut,
    MktOut,
    RuleOut,
    SampleOut,
    SensorIn,
    SensorOut,
    ShipmentReportOut,
)
from cloud.services.inbound import Tx
from cloud.services.lookup import Lookup
from cloud.store.models import AlertRule, Excursion, Location, Sensor, Shipment, utcnow
from cloud.store.paging import scalars_page

sensors = APIRouter(prefix="/api/sensors", tags=["conditions"], responses=ERROR_RESPONSES)
bindings = APIRouter(prefix="/api/sensor-bindings", tags=["conditions"], responses=ERROR_RESPONSES)
conditions = APIRouter(prefix="/api/conditions", tags=["conditions"], responses=ERROR_RESPONSES)
rules = APIRouter(prefix="/api/alert-rules", tags=["alert rules"], responses=ERROR_RESPONSES)
excursions = APIRouter(prefix="/api/excursions", tags=["conditions"], responses=ERROR_RESPONSES)
reports = APIRouter(prefix="/api/shipments", tags=["conditions"], responses=ERROR_RESPONSES)

Start = Annotated[datetime | None, Query(description="from (ISO 8601 with zone)")]
End = Annotated[datetime | None, Query(description="until (ISO 8601 with zone)")]
Low = Annotated[float | None, Query(description="report time below this, °C")]
High = Annotated[float | None, Query(description="report time above this, °C")]


def _sensor_out(session: SessionDep, sensor: Sensor) -> SensorOut:
    out = SensorOut.model_validate(sensor)
    binding = sensor_store.current_binding(session, sensor, utcnow())
    out.binding = BindingOut.model_validate(binding) if binding else None
    return out


@sensors.get("")
def list_sensors(session: SessionDep, page: PageDep) -> PageOut[SensorOut]:
    """Sensors with their current binding."""
    found = scalars_page(session, select(Sensor).order_by(Sensor.id), page)
    return page_out(found, lambda s: _sensor_out(session, s))


@sensors.post("", status_code=201)
def register_sensor(session: SessionDep, body: SensorIn) -> SensorOut:
    """Register a sensor before its first sample (sensors also register themselves)."""
    return _sensor_out(session, sensor_store.register(session, body))


@sensors.get("/{sensor_id}")
def get_sensor(session: SessionDep, sensor_id: int) -> SensorOut:
    """One sensor."""
    return _sensor_out(session, get_or_404(session, Sensor, sensor_id, "sensor"))


@sensors.get("/{sensor_id}/bindings")
def list_bindings(session: SessionDep, sensor_id: int) -> list[BindingOut]:
    """A sensor's bindings, oldest first."""
    get_or_404(session, Sensor, sensor_id, "sensor")
    return [BindingOut.model_validate(b) for b in sensor_store.bindings(session, sensor_id)]


@sensors.post("/{sensor_id}/bindings", status_code=201)
def bind_sensor(session: SessionDep, sensor_id: int, body: BindingIn) -> BindingOut:
    """Bind a sensor to a location, shipment or vehicle (an open binding before ends there)."""
    return BindingOut.model_validate(sensor_store.bind(session, sensor_id, body))


@bindings.post("/{binding_id}/end")
def end_binding(session: SessionDep, binding_id: int, body: BindingEnd) -> BindingOut:
    """End a binding."""
    return BindingOut.model_validate(sensor_store.end(session, binding_id, body.valid_to))


def _windows(
    session: SessionDep, sensor_id: int | None, location: str | None, shipment_id: int | None
) -> list[Window]:
    given = [x for x in (sensor_id, location, shipment_id) if x is not None]
    if len(given) != 1:
        raise invalid("query", "give exactly one of sensor_id, location, shipment_id")
    if sensor_id is not None:
        get_or_404(session, Sensor, sensor_id, "sensor")
        return hist.sensor_windows(sensor_id)
    if location is not None:
        found: Location = by_key(session, Location.code, location, "query.location", "location")
        return hist.location_windows(session, found.id)
    assert shipment_id is not None
    return hist.shipment_windows(session, get_or_404(session, Shipment, shipment_id, "shipment"))


@conditions.get("/history")
def condition_history(
    *,
    session: SessionDep,
    page: PageDep,
    sensor_id: int | None = None,
    location: Annotated[str | None, Query(description="location code")] = None,
    shipment_id: int | None = None,
    start: Start = None,
    end: End = None,
) -> PageOut[SampleOut]:
    """Samples of one sensor, location or shipment (one of them), oldest first."""
    windows = _windows(session, sensor_id, location, shipment_id)
    found = hist.history(session, windows, Period(start, end), page)
    return page_out(found, SampleOut.model_validate)


@conditions.get("/mkt")
def condition_mkt(
    *,
    session: SessionDep,
    sensor_id: int | None = None,
    location: Annotated[str | None, Query(description="location code")] = None,
    shipment_id: int | None = None,
    start: Start = None,
    end: End = None,
    low: Low = None,
    high: High = None,
) -> MktOut:
    """Mean kinetic temperature (ΔH/R = 10,000 K, duration-weighted) of one sensor, location or
    shipment over a period, with min, max and time beyond low and high."""
    windows = _windows(session, sensor_id, location, shipment_id)
    return hist.mkt(session, windows, Period(start, end), (low, high))


@conditions.post("/check")
def run_check(session: SessionDep, container: ContainerDep) -> dict[str, int]:
    """Run the periodic offline check now."""
    notices = check_offline(Tx(session, Lookup(session), container.ledger), utcnow())
    return {"decisions": len(notices)}


@reports.get("/{shipment_id}/condition-report")
def shipment_condition_report(
    session: SessionDep, shipment_id: int, low: Low = None, high: High = None
) -> ShipmentReportOut:
    """A shipment's condition record: MKT, extremes, time out of range, excursions, exposures."""
    return hist.shipment_report(session, shipment_id, (low, high))


@excursions.get("")
def list_excursions(
    *,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    sensor_id: int | None = None,
    location_id: int | None = None,
    shipment_id: int | None = None,
) -> PageOut[ExcursionOut]:
    """Excursions, newest first."""
    query = select(Excursion)
    for column, value in (
        (Excursion.status, status),
        (Excursion.sensor_id, sensor_id),
        (Excursion.location_id, location_id),
        (Excursion.shipment_id, shipment_id),
    ):
        if value is not None:
            query = query.where(column == value)
    found = scalars_page(session, query.order_by(Excursion.id.desc()), page)
    return page_out(found, lambda e: hist.excursion_out(session, e, detail=False))


@excursions.get("/{excursion_id}")
def get_excursion(session: SessionDep, excursion_id: int) -> ExcursionOut:
    """One excursion with the stock it exposed."""
    found = get_or_404(session, Excursion, excursion_id, "excursion")
    return hist.excursion_out(session, found, detail=True)


@rules.get("")
def list_rules(session: SessionDep, page: PageDep) -> PageOut[RuleOut]:
    """Alert rules by name."""
    query = select(AlertRule).order_by(AlertRule.name)
    return page_out(scalars_page(session, query, page), RuleOut.model_validate)


@rules.get("/{name}")
def get_rule(session: SessionDep, name: Code) -> RuleOut:
    """One alert rule."""
    return RuleOut.model_validate(rules_store.get_rule(session, name))


@rules.post("", status_code=201)
def create_rule(session: SessionDep, body: RuleSpec) -> RuleOut:
    """Add an alert rule."""
    return RuleOut.model_validate(rules_store.create_rule(session, body))


@rules.put("/{name}")
def replace_rule(session: SessionDep, name: Code, body: RuleSpec) -> RuleOut:
    """Replace an alert rule (its state on each sensor carries on)."""
    return RuleOut.model_validate(rules_store.replace_rule(session, name, body))


@rules.delete("/{name}", status_code=204)
def delete_rule(session: SessionDep, name: Code) -> None:
    """Remove an alert rule (its excursions stay)."""
    rules_store.delete_rule(session, name)


class RulesText(BaseModel):
    """A rules file's text."""

    yaml: str = Field(max_length=1_000_000, description="YAML (or JSON) with `rules:`")


@rules.post("/load")
def load_rules_text(session: SessionDep, body: RulesText) -> LoadedOut:
    """Make these the file rules: add, change, and remove file rules not in it."""
    try:
        specs = load_rules(body.yaml)
    except ValidationError as exc:
        raise _invalid_rules(exc) from None
    except ValueError as exc:
        raise invalid("yaml", str(exc)) from None
    return LoadedOut.model_validate(rules_store.load_file_rules(session, specs))


@rules.post("/reload")
def reload_rules_file(session: SessionDep, container: ContainerDep) -> LoadedOut:
    """Load the configured rules file (conditions_rules_file) again."""
    path = container.settings.conditions_rules_file
    if not path:
        raise invalid("conditions_rules_file", "no rules file is configured")
    try:
        return LoadedOut.model_validate(load_rules_file(session, path))
    except ValidationError as exc:
        raise _invalid_rules(exc) from None
    except (OSError, ValueError) as exc:
        raise invalid("conditions_rules_file", str(exc)) from None


def _invalid_rules(exc: ValidationError) -> InvalidError:
    problems = [
        Problem(".".join(str(p) for p in e["loc"]), plain(str(e["msg"]))) for e in exc.errors()
    ]
    return InvalidError(f"rules refused: {problems[0].loc}: {problems[0].message}", problems)


ROUTERS = (sensors, bindings, conditions, rules, excursions, reports)
