"""Closed vocabularies of in-transit tracking (pure: store, services and API share them)."""

from __future__ import annotations

from enum import StrEnum


class TripStatus(StrEnum):
    """Life cycle of a shipment's trip on a vehicle."""

    PLANNED = "planned"  # bound; the shipment has not left yet
    IN_TRANSIT = "in_transit"  # shipped or departed
    ARRIVED = "arrived"  # entered a destination geofence
    RECEIVED = "received"  # its stock left the transit location at the destination dock
    CANCELLED = "cancelled"


class FenceShape(StrEnum):
    """How a geofence's area is given."""

    CIRCLE = "circle"
    POLYGON = "polygon"


class TripEventKind(StrEnum):
    """What a trip event records."""

    ENTER = "enter"
    EXIT = "exit"
    DEPARTURE = "departure"
    ARRIVAL = "arrival"
    RECEIVED = "received"


OPEN_TRIPS = (TripStatus.PLANNED, TripStatus.IN_TRANSIT, TripStatus.ARRIVED)
TRACKED_TRIPS = (TripStatus.PLANNED, TripStatus.IN_TRANSIT)  # their fixes are evaluated
ALERT_KINDS = {  # alarm kind -> alert kind in the alerts table
    "late": "transit_late",
    "stop": "transit_stop",
    "off_route": "transit_off_route",
    "offline": "transit_offline",
}
