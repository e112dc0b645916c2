"""Load a day's documents into the cloud through its public API, as an ERP would."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from firmware_sim.scenario.day_plan import Asn, DayPlan, Shipment, Window

logger = logging.getLogger(__name__)

OPENING = "opening-balance"
BATCH = 2000  # moves per request


class LoadError(RuntimeError):
    """The cloud refused part of the plan; the message carries its JSON error."""


def load_plan(api: httpx.Client, plan: DayPlan, shift_us: int, unreadable: frozenset[str]) -> None:
    """Create the site's master data, orders, ASNs, shipments and opening stock.

    shift_us moves scenario times onto the wall clock the emulators will play on; unreadable
    lists opening-stock EPCs whose tags the last count found dead.
    """
    skus = {item.gtin: item.sku for item in plan.items}
    for url, body in _master(plan):
        _post(api, url, body)
    for po in plan.purchase_orders:
        lines = [{"item": skus[line.gtin], "qty": line.qty} for line in po.lines]
        _post(
            api,
            "/api/purchase-orders",
            {"number": po.number, "supplier": po.supplier, "lines": lines},
        )
    for asn in plan.asns:
        _post(api, "/api/asns", _asn(plan, asn, shift_us))
    for shipment in plan.shipments:
        _post(api, "/api/shipments", _shipment(plan, shipment, shift_us))
    _opening_stock(api, plan, skus, unreadable)


def _master(plan: DayPlan) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "/api/sites", {"code": plan.site, "name": plan.site}
    yield "/api/locations", {"code": OPENING, "name": "opening balance", "type": "loss"}
    for loc in plan.locations:
        yield (
            "/api/locations",
            {"code": loc.code, "name": loc.name, "type": loc.kind, "site": plan.site},
        )
    for partner in plan.partners:
        yield "/api/partners", {"code": partner.code, "name": partner.name, "kind": partner.kind}
    for item in plan.items:
        yield "/api/items", {
            "sku": item.sku, "gtin": item.gtin, "description": item.description,
            "unit": item.unit, "unit_cost": item.unit_cost,
        }  # fmt: skip
    for gateway in plan.gateways:
        yield "/api/gateways", {"site": plan.site, "code": gateway.code}
    for point in plan.read_points:
        yield "/api/read-points", {
            "site": plan.site, "gateway": point.gateway, "door": point.door,
            "location": point.location, "role": point.role,
        }  # fmt: skip


def _door_ref(plan: DayPlan, door: str) -> str:
    point = next(p for p in plan.read_points if p.door == door)
    return f"{plan.site}/{point.gateway}/{point.door}"


def _iso(us: int, shift_us: int) -> str:
    return datetime.fromtimestamp((us + shift_us) / 1e6, tz=UTC).isoformat()


def _asn(plan: DayPlan, asn: Asn, shift_us: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": asn.number, "supplier": asn.supplier, "po": asn.po,
        "pallets": [
            {"sscc": p.sscc, "lines": [{"epc": c.epc} for c in p.cases]} for p in asn.pallets
        ],
    }  # fmt: skip
    if asn.appointment is not None:
        body["door"] = _door_ref(plan, asn.appointment.door)
        body |= _window(asn.appointment.window, shift_us)
    return body


def _window(window: Window, shift_us: int) -> dict[str, str]:
    return {
        "window_start": _iso(window.start_us, shift_us),
        "window_end": _iso(window.end_us, shift_us),
    }


def _shipment(plan: DayPlan, shipment: Shipment, shift_us: int) -> dict[str, Any]:
    return {
        "number": shipment.number,
        "customer": shipment.customer,
        "door": _door_ref(plan, shipment.door),
        "planned_at": _iso(shipment.window.start_us, shift_us),
        "lines": [{"epc": line.epc, "sscc": line.sscc} for line in shipment.lines],
    }


def _opening_stock(
    api: httpx.Client, plan: DayPlan, skus: dict[str, str], unreadable: frozenset[str]
) -> None:
    moves = [
        {
            "item": skus[entry.gtin],
            "from_location": OPENING,
            "to_location": entry.location,
            "epc": entry.epc,
            "reason": "found",
            "reference": f"open-{entry.epc}",
        }
        for entry in plan.opening_stock
    ]
    for start in range(0, len(moves), BATCH):
        _post(api, "/api/moves/batch", {"moves": moves[start : start + BATCH]})
    dead = sorted(unreadable & {e.epc for e in plan.opening_stock})
    if dead:
        _post(api, "/api/tags/unreadable", {"epcs": dead, "source": "count"})


def _post(api: httpx.Client, url: str, body: dict[str, Any]) -> None:
    response = api.post(url, json=body)
    if response.status_code >= 300:
        raise LoadError(f"POST {url} refused ({response.status_code}): {response.text[:500]}")
