"""Alert rules as people write them (YAML or JSON), validated; pure.

A rule watches one metric of every sensor it applies to, with any of these checks: `high` and
`low` thresholds (delay before alarming, dead-band for clearing), a cumulative out-of-range
`budget`, a `rate` of change, and `offline` (no sample for a while). Each check raises at most
one alert per excursion.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cloud.enums import AlertSeverity

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or text such as '90s', '30m', '10h', '7d'."""
    if isinstance(value, bool):
        # ValueError, not TypeError: pydantic reports only the former as a validation error.
        raise ValueError("a duration is a number of seconds or text like '30m'")  # noqa: TRY004
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration: use seconds or text like 90s, 30m, 10h, 7d")
    return float(match.group(1)) * _UNIT_S[match.group(2) or "s"]


Seconds = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
PositiveSeconds = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


class Metric(StrEnum):
    """What a rule watches."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"


class Spec(BaseModel):
    """Base of rule parts: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(Spec):
    """Which sensors a rule applies to: at most one key; none means every sensor."""

    location: str | None = Field(None, description="location code (and everything below it)")
    shipment: str | None = Field(None, description="shipment number")
    vehicle: str | None = Field(None, description="vehicle code")
    location_type: str | None = Field(None, description="type of the sensor's location")
    item_class: str | None = Field(None, description="item class held where the sensor is")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if len(self.model_dump(exclude_none=True)) > 1:
            raise ValueError(
                "applies_to takes one of location, shipment, vehicle, location_type, item_class"
            )
        return self

    @property
    def key(self) -> tuple[str, str] | None:
        """(scope kind, value), or None for every sensor."""
        given = self.model_dump(exclude_none=True)
        return next(iter(given.items()), None)


class Threshold(Spec):
    """Alarm once the metric stays beyond `limit` for `delay`; clear `deadband` back inside."""

    limit: float = Field(description="the threshold, in the metric's unit")
    delay: Seconds = Field(0.0, description="time beyond the limit before alarming")
    deadband: float = Field(0.0, ge=0, description="how far back inside before it clears")


class Budget(Spec):
    """Alarm once the time beyond a level adds up to `total` (over `window`, else ever)."""

    above: float | None = Field(None, description="level counted when exceeded")
    below: float | None = Field(None, description="level counted when undershot")
    total: PositiveSeconds = Field(description="cumulative time allowed beyond the level")
    window: PositiveSeconds | None = Field(None, description="rolling window; none: since bound")

    @model_validator(mode="after")
    def _level(self) -> Self:
        if (self.above is None) == (self.below is None):
            raise ValueError("budget takes exactly one of above, below")
        return self


class Rate(Spec):
    """Alarm when the metric changes faster than `max_per_hour` (compared over `over`)."""

    max_per_hour: float = Field(gt=0, description="largest allowed change per hour")
    over: PositiveSeconds = Field(900.0, description="time between the compared samples")
    delay: Seconds = Field(0.0, description="time above the rate before alarming")
    deadband: float = Field(0.0, ge=0, description="how far below the rate before it clears")


class Offline(Spec):
    """Alarm when a sensor sends no value of the metric for `after`."""

    after: PositiveSeconds = Field(description="silence before alarming")


class Escalate(Spec):
    """Raise the severity of an alarm still open after `after`."""

    after: PositiveSeconds = Field(description="how long an alarm stays open before escalating")
    severity: AlertSeverity = Field(AlertSeverity.CRITICAL, description="the escalated severity")


class RuleSpec(Spec):
    """One alert rule."""

    name: str = Field(pattern=RULE_NAME, description="unique name")
    enabled: bool = Field(True, description="switched-off rules are kept but not evaluated")
    description: str = Field("", max_length=500, description="what the rule is for")
    applies_to: Scope = Field(default_factory=Scope, description="which sensors (default all)")
    metric: Metric = Field(Metric.TEMPERATURE, description="temperature (°C) or humidity (%)")
    severity: AlertSeverity = Field(AlertSeverity.WARNING, description="severity of its alerts")
    high: Threshold | None = Field(None, description="upper threshold")
    low: Threshold | None = Field(None, description="lower threshold")
    budget: Budget | None = Field(None, description="cumulative time out of range")
    rate: Rate | None = Field(None, description="rate of change")
    offline: Offline | None = Field(None, description="missing data")
    ignore_start: Seconds = Field(0.0, description="ignored time after a shipment starts")
    escalate: Escalate | None = Field(None, description="escalation of long alarms")
    quarantine: bool = Field(False, description="move exposed stock on hand to quarantine")

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if not any((self.high, self.low, self.budget, self.rate, self.offline)):
            raise ValueError("a rule needs at least one of high, low, budget, rate, offline")
        if self.high and self.low and self.low.limit >= self.high.limit:
            raise ValueError("low.limit must be below high.limit")
        return self


class RuleFile(Spec):
    """A rules file: `rules:` and a list of rules with unique names."""

    rules: list[RuleSpec] = Field(default=[], description="the rules")

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [rule.name for rule in self.rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique: {', '.join(repeated)} repeated")
        return self


def load_rules(text: str) -> list[RuleSpec]:
    """Rules from YAML (or JSON) text; ValueError or ValidationError naming what is wrong."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"rules file is not YAML: {exc}") from None
    if data is None:
        return []
    return RuleFile.model_validate(data).rules
