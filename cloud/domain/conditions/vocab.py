"""Closed vocabularies of condition monitoring (pure: store, services and API share them)."""

from __future__ import annotations

from enum import StrEnum


class BindingTarget(StrEnum):
    """What a sensor is bound to for a period."""

    LOCATION = "location"
    SHIPMENT = "shipment"
    VEHICLE = "vehicle"


class Check(StrEnum):
    """One check of a rule; each raises its own excursions and alerts."""

    HIGH = "high"
    LOW = "low"
    BUDGET = "budget"
    RATE = "rate"
    OFFLINE = "offline"


class ExcursionStatus(StrEnum):
    """Life cycle of an excursion: open while out of range, closed once back in."""

    OPEN = "open"
    CLOSED = "closed"


class AlertAction(StrEnum):
    """A step of an alert's life cycle, as notifications report it."""

    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    CLEARED = "cleared"


class RuleOrigin(StrEnum):
    """Where a rule was defined: the rules file or the API."""

    FILE = "file"
    API = "api"
