"""Every table of the cloud service; importing this module fills Base.metadata."""

from cloud.store.models.base import Base, utcnow
from cloud.store.models.conditions import (
    AlertEvent,
    AlertRule,
    ConditionRecord,
    Excursion,
    Exposure,
    RuleState,
    Sensor,
    SensorBinding,
)
from cloud.store.models.ingest import DeadLetter, ProcessedEvent
from cloud.store.models.ledger import Balance, Move
from cloud.store.models.master import Gateway, Item, Location, Partner, ReadPoint, Site
from cloud.store.models.operations import (
    Alert,
    Receipt,
    ReceiptLine,
    ReceivingSession,
    SessionRead,
    Shipment,
    ShipmentLine,
    ShipmentScan,
    UnreadableTag,
)
from cloud.store.models.orders import Asn, AsnLine, AsnPallet, PoLine, PurchaseOrder
from cloud.store.models.transit import Geofence, Trip, TripEvent, Vehicle, VehiclePosition

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "Asn",
    "AsnLine",
    "AsnPallet",
    "Balance",
    "Base",
    "ConditionRecord",
    "DeadLetter",
    "Excursion",
    "Exposure",
    "Gateway",
    "Geofence",
    "Item",
    "Location",
    "Move",
    "Partner",
    "PoLine",
    "ProcessedEvent",
    "PurchaseOrder",
    "ReadPoint",
    "Receipt",
    "ReceiptLine",
    "ReceivingSession",
    "RuleState",
    "Sensor",
    "SensorBinding",
    "SessionRead",
    "Shipment",
    "ShipmentLine",
    "ShipmentScan",
    "Site",
    "Trip",
    "TripEvent",
    "UnreadableTag",
    "Vehicle",
    "VehiclePosition",
    "utcnow",
]
