"""Request and response shapes of the condition-monitoring API."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from cloud.masterdata.types import Code, Input, Instant, Output, SegmentCode, Text


class SensorIn(Input):
    """A sensor registered ahead of its first sample (so that it can be bound)."""

    site: SegmentCode
    gateway: SegmentCode
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="as configured")
    description: Text = ""


class BindingIn(Input):
    """Bind a sensor to one location, shipment or vehicle from a time (until another binding)."""

    location: Code | None = Field(None, description="location code")
    shipment: Code | None = Field(None, description="shipment number")
    vehicle: Code | None = Field(None, description="vehicle code")
    valid_from: Instant = Field(description="from when")
    valid_to: Instant | None = Field(None, description="until when; default until the next")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        given = [x for x in (self.location, self.shipment, self.vehicle) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of location, shipment, vehicle")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class BindingEnd(Input):
    """End a binding."""

    valid_to: Instant


class BindingOut(Output):
    """A sensor's binding for a period."""

    id: int
    sensor_id: int
    target: str
    location_id: int | None
    shipment_id: int | None
    vehicle_code: str | None
    valid_from: datetime
    valid_to: datetime | None


class SensorOut(Output):
    """A sensor with its current binding."""

    id: int
    ref: str = Field(description="site/gateway/sensor")
    code: str
    description: str
    last_sample_at: datetime | None
    binding: BindingOut | None = None


class SampleOut(Output):
    """One stored interval sample."""

    sensor_id: int
    start_at: datetime
    end_at: datetime
    count: int
    bad: int
    temp_min: float | None
    temp_max: float | None
    temp_mean: float | None
    rh_min: float | None
    rh_max: float | None
    rh_mean: float | None


class RuleOut(Output):
    """A stored alert rule."""

    id: int
    name: str
    enabled: bool
    origin: str = Field(description="file or api")
    spec: dict[str, object] = Field(description="the rule as written (defaults left out)")
    updated_at: datetime


class LoadedOut(Output):
    """What loading a rules file did."""

    created: int
    updated: int
    removed: int


class ExposureOut(Output):
    """Stock that sat where an excursion happened."""

    excursion_id: int
    item_id: int
    location_id: int
    stock_key: str
    qty: int
    quarantined: bool


class ExcursionOut(Output):
    """One excursion of one rule's check on one sensor, with its alert."""

    id: int
    alert_id: int | None
    rule_name: str
    check_name: str
    sensor_id: int
    location_id: int | None
    shipment_id: int | None
    vehicle_code: str | None
    severity: str
    status: str
    started_at: datetime
    alarmed_at: datetime
    ended_at: datetime | None
    peak: float | None
    out_s: float = Field(description="time beyond the limit, seconds")
    threshold: float | None
    exposures: list[ExposureOut] = Field(default=[], description="when fetched alone")


class MktOut(Output):
    """Mean kinetic temperature and extremes of a place or shipment over a period."""

    mkt_c: float | None = Field(description="null without temperature samples")
    min_c: float | None
    max_c: float | None
    mean_c: float | None
    hours: float = Field(description="time the samples cover")
    samples: int
    sensors: int
    above_s: float | None = Field(None, description="estimated time above `high`, seconds")
    below_s: float | None = Field(None, description="estimated time below `low`, seconds")
    start: datetime | None
    end: datetime | None


class ShipmentReportOut(Output):
    """A shipment's condition record: MKT, extremes, sensors, excursions, exposed stock."""

    shipment_id: int
    shipment: str
    status: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    summary: MktOut
    sensors: list[str] = Field(description="site/gateway/sensor of every sensor that measured it")
    excursions: list[ExcursionOut]
    exposed_keys: int = Field(description="stock keys (EPCs, lots) flagged by its excursions")
