"""Closed vocabularies shared by store, API and the pure domain (no I/O imports here)."""

from __future__ import annotations

from enum import StrEnum


class PartnerKind(StrEnum):
    """What a business partner is to us."""

    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    CARRIER = "carrier"


class LocationType(StrEnum):
    """Where stock can be; supplier, customer, transit and loss are outside our walls."""

    SUPPLIER = "supplier"
    RECEIVING_DOCK = "receiving_dock"
    STORAGE = "storage"
    QUARANTINE = "quarantine"
    SHIPPING_DOCK = "shipping_dock"
    TRANSIT = "transit"
    CUSTOMER = "customer"
    LOSS = "loss"


# Location types whose balances count as stock on hand.
ON_HAND_TYPES = frozenset(
    {
        LocationType.RECEIVING_DOCK,
        LocationType.STORAGE,
        LocationType.QUARANTINE,
        LocationType.SHIPPING_DOCK,
    }
)


class ReadPointRole(StrEnum):
    """Which flows a door's reads feed."""

    RECEIVING = "receiving"
    SHIPPING = "shipping"
    BOTH = "both"


class OrderStatus(StrEnum):
    """Life cycle of a purchase order."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AsnStatus(StrEnum):
    """Life cycle of an advance shipping notice."""

    EXPECTED = "expected"
    RECEIVING = "receiving"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class SessionStatus(StrEnum):
    """Life cycle of a receiving session at a door."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ReceiptLineStatus(StrEnum):
    """Outcome of reconciling one expected or seen thing against an ASN."""

    MATCHED = "matched"
    SHORT = "short"
    OVER = "over"
    UNEXPECTED = "unexpected"
    DUPLICATE = "duplicate"


class ShipmentStatus(StrEnum):
    """Life cycle of an outbound shipment."""

    PLANNED = "planned"
    LOADING = "loading"
    HELD = "held"  # loaded with discrepancies: a person confirms or fixes it
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class AlertSeverity(StrEnum):
    """How urgent an alert is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    """Life cycle of an alert."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"
