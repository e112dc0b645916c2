"""The day's documents, written from the staged loads as the site would have them in the morning."""

from __future__ import annotations

from collections import Counter

import numpy as np

from firmware_sim.scenario.day_config import DayConfig
from firmware_sim.scenario.day_loads import Load, Staging, Trip
from firmware_sim.scenario.day_plan import (
    QUARANTINE,
    STORAGE,
    Appointment,
    Asn,
    AsnPallet,
    CaseLine,
    DayPlan,
    GatewaySpec,
    Location,
    PoLine,
    PurchaseOrder,
    ReadPoint,
    Role,
    Shipment,
    ShipmentLine,
    ShipmentPallet,
    StockEntry,
    Window,
    receiving_location,
    shipping_location,
)
from firmware_sim.scenario.day_schedule import DaySchedule
from firmware_sim.scenario.day_truth import sscc_of
from firmware_sim.scenario.dock_layout import DockLayout

RECEIVING_GATEWAY = "dock-in"
SHIPPING_GATEWAY = "dock-out"


def write_plan(
    rng: np.random.Generator,
    config: DayConfig,
    staging: Staging,
    schedule: DaySchedule,
    layout: DockLayout,
) -> DayPlan:
    """Master data, purchase orders, ASNs, shipments and opening stock."""
    windows = [_window(span, config.truck_gap_s) for span in schedule.spans]
    inbound = [(t, w) for t, w in zip(staging.trips, windows, strict=True) if t.inbound]
    outbound = [(t, w) for t, w in zip(staging.trips, windows, strict=True) if not t.inbound]
    booked = _appointments(rng, len(inbound), config.appointment_share)
    asns = tuple(
        _asn(staging, trip, layout, window if k in booked else None)
        for k, (trip, window) in enumerate(inbound)
    )
    return DayPlan(
        site=config.site,
        start_us=config.start_us,
        end_us=schedule.end_us,
        quiet_s=config.quiet_s,
        over_tolerance_pct=config.over_tolerance_pct,
        items=staging.catalogue.items,
        partners=staging.catalogue.suppliers + staging.catalogue.customers,
        locations=_locations(config, layout),
        gateways=_gateways(config, layout),
        read_points=_read_points(config, layout),
        purchase_orders=tuple(_purchase_order(asn) for asn in asns),
        asns=asns,
        shipments=tuple(_shipment(staging, t, layout, w) for t, w in outbound),
        opening_stock=tuple(
            StockEntry(e, staging.labeller.gtin(e), STORAGE) for e in staging.opening
        ),
    )


def _window(span: tuple[int, int], gap_s: float) -> Window:
    # Neighbouring trips at a door are gap_s apart: their windows meet half way.
    half = round(gap_s * 1e6 / 2)
    return Window(span[0] - half, span[1] + half)


def _appointments(rng: np.random.Generator, n: int, share: float) -> set[int]:
    return set(rng.choice(n, size=round(share * n), replace=False).tolist())


def _role(config: DayConfig, door: int) -> Role:
    return "receiving" if door < config.receiving_doors else "shipping"


def _locations(config: DayConfig, layout: DockLayout) -> tuple[Location, ...]:
    docks = tuple(
        Location(receiving_location(d), f"Receiving dock {d}", "receiving_dock", d)
        if _role(config, i) == "receiving"
        else Location(shipping_location(d), f"Shipping dock {d}", "shipping_dock", d)
        for i, d in enumerate(layout.doors)
    )
    return (
        *docks,
        Location(STORAGE, "Storage", "storage"),
        Location(QUARANTINE, "Quarantine", "quarantine"),
    )


def _gateways(config: DayConfig, layout: DockLayout) -> tuple[GatewaySpec, ...]:
    readers = [layout.reader_name(i) for i in range(len(layout.doors))]
    split = config.receiving_doors
    return (
        GatewaySpec(RECEIVING_GATEWAY, tuple(readers[:split])),
        GatewaySpec(SHIPPING_GATEWAY, tuple(readers[split:])),
    )


def _read_points(config: DayConfig, layout: DockLayout) -> tuple[ReadPoint, ...]:
    points = []
    for i, door in enumerate(layout.doors):
        receiving = _role(config, i) == "receiving"
        points.append(
            ReadPoint(
                code=door,
                door=door,
                reader=layout.reader_name(i),
                gateway=RECEIVING_GATEWAY if receiving else SHIPPING_GATEWAY,
                role="receiving" if receiving else "shipping",
                location=receiving_location(door) if receiving else shipping_location(door),
            )
        )
    return tuple(points)


def _asn_pallet(staging: Staging, load: Load) -> AsnPallet:
    cases = tuple(CaseLine(c, staging.labeller.gtin(c)) for c in load.planned)
    return AsnPallet(sscc_of(load.sscc_epc), load.sscc_epc, cases)


def _asn(staging: Staging, trip: Trip, layout: DockLayout, window: Window | None) -> Asn:
    supplier = staging.catalogue.suppliers[trip.partner].code
    pallets = tuple(_asn_pallet(staging, load) for load in _announced(trip))
    booking = Appointment(layout.doors[trip.door], window) if window else None
    return Asn(trip.number, _po_number(trip.number), supplier, booking, pallets)


def _announced(trip: Trip) -> list[Load]:
    # Documents list pallets by SSCC, not in the order they happen to be handled.
    return sorted((load for load in trip.loads if load.announced), key=lambda ld: ld.sscc_epc)


def _po_number(asn: str) -> str:
    return asn.replace("ASN-", "PO-", 1)


def _purchase_order(asn: Asn) -> PurchaseOrder:
    quantities = Counter(asn.quantities())
    lines = tuple(PoLine(g, n) for g, n in sorted(quantities.items()))
    return PurchaseOrder(asn.po, asn.supplier, lines)


def _shipment(staging: Staging, trip: Trip, layout: DockLayout, window: Window) -> Shipment:
    announced = _announced(trip)
    pallets = tuple(ShipmentPallet(sscc_of(ld.sscc_epc), ld.sscc_epc) for ld in announced)
    lines = tuple(
        ShipmentLine(c, staging.labeller.gtin(c), sscc_of(ld.sscc_epc))
        for ld in announced
        for c in ld.planned
    )
    customer = staging.catalogue.customers[trip.partner].code
    return Shipment(trip.number, customer, layout.doors[trip.door], window, pallets, lines)
