"""The kinds `tagtrail cloud import` and POST /api/import/{kind} accept, and their columns."""

from __future__ import annotations

from typing import Any

from cloud.masterdata import catalog, orders, places, shipments
from cloud.masterdata.csvimport import CsvRow, Kind, Unit, grouped, header_fields, one_per_row
from cloud.masterdata.order_schemas import AsnIn, PurchaseOrderIn, ShipmentIn
from cloud.masterdata.schemas import (
    GatewayIn,
    ItemIn,
    LocationIn,
    PartnerIn,
    ReadPointIn,
    SiteIn,
)

LINE_COLUMNS = ("item", "epc", "qty")


def _purchase_orders(rows: list[CsvRow]) -> list[Unit]:
    units = []
    for number, group in grouped(rows, "po").items():
        header, clashes = header_fields(
            group, {"supplier": "supplier", "expected_at": "expected_at"}
        )
        unit = Unit(group, {"number": number, **header, "lines": []}, problems=clashes)
        for n, row in enumerate(group):
            unit.payload["lines"].append(_pick(row, ("line_no", "item", "qty")))
            unit.locs[("lines", n)] = row.line
        units.append(unit)
    return units


def _asns(rows: list[CsvRow]) -> list[Unit]:
    head = {f: f for f in ("supplier", "po", "door", "window_start", "window_end")}
    units = []
    for number, group in grouped(rows, "asn").items():
        header, clashes = header_fields(group, head)
        unit = Unit(
            group, {"number": number, **header, "pallets": [], "lines": []}, problems=clashes
        )
        pallets: dict[str, dict[str, Any]] = {}
        for row in group:
            _place_asn_row(unit, pallets, row)
        units.append(unit)
    return units


def _place_asn_row(unit: Unit, pallets: dict[str, dict[str, Any]], row: CsvRow) -> None:
    sscc = row.values.get("sscc")
    line = _pick(row, LINE_COLUMNS)
    if sscc is None:
        unit.locs[("lines", len(unit.payload["lines"]))] = row.line
        unit.payload["lines"].append(line)
        return
    if sscc not in pallets:
        unit.locs[("pallets", len(pallets))] = row.line
        pallets[sscc] = {"sscc": sscc, "lines": []}
        unit.payload["pallets"].append(pallets[sscc])
    index = list(pallets).index(sscc)
    if line:  # a row with only an SSCC announces an empty (or unknown-content) pallet
        unit.locs[("pallets", index, "lines", len(pallets[sscc]["lines"]))] = row.line
        pallets[sscc]["lines"].append(line)


def _shipments(rows: list[CsvRow]) -> list[Unit]:
    head = {f: f for f in ("customer", "carrier", "door", "planned_at")}
    units = []
    for number, group in grouped(rows, "shipment").items():
        header, clashes = header_fields(group, head)
        unit = Unit(group, {"number": number, **header, "lines": []}, problems=clashes)
        for n, row in enumerate(group):
            unit.payload["lines"].append(_pick(row, LINE_COLUMNS))
            unit.locs[("lines", n)] = row.line
        units.append(unit)
    return units


def _pick(row: CsvRow, columns: tuple[str, ...]) -> dict[str, str]:
    return {c: row.values[c] for c in columns if c in row.values}


KINDS: dict[str, Kind] = {
    "items": Kind(
        ItemIn,
        catalog.create_item,
        ("sku", "gtin", "description", "unit", "unit_cost", "item_class"),
        ("sku",),
        one_per_row,
    ),
    "partners": Kind(
        PartnerIn,
        catalog.create_partner,
        ("code", "name", "kind"),
        ("code", "name", "kind"),
        one_per_row,
    ),
    "sites": Kind(SiteIn, places.create_site, ("code", "name"), ("code", "name"), one_per_row),
    "locations": Kind(
        LocationIn,
        places.create_location,
        ("code", "name", "type", "parent", "site", "partner"),
        ("code", "name", "type"),
        one_per_row,
    ),
    "gateways": Kind(
        GatewayIn, places.create_gateway, ("site", "code", "name"), ("site", "code"), one_per_row
    ),
    "read_points": Kind(
        ReadPointIn,
        places.create_read_point,
        ("site", "gateway", "door", "location", "role"),
        ("site", "gateway", "door", "location"),
        one_per_row,
    ),
    "purchase_orders": Kind(
        PurchaseOrderIn,
        orders.create_purchase_order,
        ("po", "supplier", "expected_at", "line_no", "item", "qty"),
        ("po", "supplier", "item", "qty"),
        _purchase_orders,
        renamed={"number": "po"},
    ),
    "asns": Kind(
        AsnIn,
        orders.create_asn,
        ("asn", "supplier", "po", "door", "window_start", "window_end", "sscc", *LINE_COLUMNS),
        ("asn", "supplier"),
        _asns,
        renamed={"number": "asn"},
    ),
    "shipments": Kind(
        ShipmentIn,
        shipments.create_shipment,
        ("shipment", "customer", "carrier", "door", "planned_at", *LINE_COLUMNS),
        ("shipment",),
        _shipments,
        renamed={"number": "shipment"},
    ),
}
