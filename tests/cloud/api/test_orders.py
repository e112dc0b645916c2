"""Purchase orders, ASNs and shipments through the HTTP API."""

from __future__ import annotations

from typing import Any

from protocol.epc import encode_sgtin96
from tests.cloud.api.client import ApiClient
from tests.cloud.api.test_places import setup_site

GTIN = "04006381333931"
SSCC = "040063810000000017"


def epc(serial: int) -> str:
    """An SGTIN-96 of the item with GTIN."""
    return encode_sgtin96("4006381", "033393", serial)


def setup_parties(client: ApiClient) -> None:
    """Items, a supplier, a customer and a carrier."""
    setup_site(client)
    client.post("/api/items", json={"sku": "TAGGED", "gtin": GTIN})
    client.post("/api/items", json={"sku": "LOOSE"})
    for code, kind in (("SUP", "supplier"), ("CUS", "customer"), ("CAR", "carrier")):
        client.post("/api/partners", json={"code": code, "name": code, "kind": kind})


def test_purchase_order_with_lines(client: ApiClient) -> None:
    setup_parties(client)
    body = {
        "number": "PO-1",
        "supplier": "SUP",
        "expected_at": "2026-05-01T08:00:00+02:00",
        "lines": [{"item": "TAGGED", "qty": 10}, {"item": "LOOSE", "qty": 3, "line_no": 7}],
    }
    created = client.post("/api/purchase-orders", json=body)
    assert created.status_code == 201
    po = created.json()
    assert po["expected_at"] == "2026-05-01T06:00:00Z"
    assert [(line["line_no"], line["item"], line["qty_ordered"]) for line in po["lines"]] == [
        (1, "TAGGED", 10),
        (7, "LOOSE", 3),
    ]
    closed = client.patch(f"/api/purchase-orders/{po['id']}", json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    listed = client.get("/api/purchase-orders", params={"status": "closed"}).json()
    assert [p["number"] for p in listed["items"]] == ["PO-1"]


def test_purchase_order_errors_name_the_line(client: ApiClient) -> None:
    setup_parties(client)
    body = {
        "number": "PO-2",
        "supplier": "SUP",
        "lines": [{"item": "TAGGED", "qty": 1}, {"item": "GHOST", "qty": 1}],
    }
    response = client.post("/api/purchase-orders", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"loc": "lines.1.item", "message": "no item 'GHOST'"}
    ]
    not_a_supplier = client.post("/api/purchase-orders", json={**body, "supplier": "CUS"})
    assert not_a_supplier.json()["error"]["details"] == [
        {"loc": "supplier", "message": "partner 'CUS' is a customer, not a supplier"}
    ]
    no_naive_dates = client.post(
        "/api/purchase-orders", json={**body, "expected_at": "2026-05-01T08:00:00"}
    )
    assert no_naive_dates.json()["error"]["details"][0]["loc"] == "body.expected_at"


def test_asn_with_pallets_and_epcs_whose_item_comes_from_the_gtin(client: ApiClient) -> None:
    setup_parties(client)
    client.post(
        "/api/purchase-orders",
        json={
            "number": "PO-1",
            "supplier": "SUP",
            "lines": [{"item": "TAGGED", "qty": 2}],
        },
    )
    body = {
        "number": "ASN-1",
        "supplier": "SUP",
        "po": "PO-1",
        "door": "s1/gw1/d1",
        "window_start": "2026-05-01T08:00:00Z",
        "window_end": "2026-05-01T10:00:00Z",
        "pallets": [{"sscc": SSCC, "lines": [{"epc": epc(1).lower()}, {"epc": epc(2)}]}],
        "lines": [{"item": "LOOSE", "qty": 5}],
    }
    created = client.post("/api/asns", json=body)
    assert created.status_code == 201, created.json()
    asn = created.json()
    assert (asn["door"], asn["po"], asn["status"]) == ("s1/gw1/d1", "PO-1", "expected")
    pallet = asn["pallets"][0]
    assert pallet["sscc"] == SSCC
    assert [(line["item"], line["epc"]) for line in pallet["lines"]] == [
        ("TAGGED", epc(1)),
        ("TAGGED", epc(2)),
    ]
    assert [(line["item"], line["qty"]) for line in asn["lines"]] == [("LOOSE", 5)]
    assert client.get(f"/api/asns/{asn['id']}").json() == asn


def test_asn_refusals(client: ApiClient) -> None:
    setup_parties(client)
    base: dict[str, Any] = {"number": "ASN-2", "supplier": "SUP", "lines": [{"item": "LOOSE"}]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"window_start": "2026-05-02T00:00:00Z", "window_end": "2026-05-01T00:00:00Z"}, "body"),
        ({"lines": []}, "body"),
        ({"door": "s1/gw1/nope"}, "door"),
        ({"pallets": [{"sscc": "040063810000000018"}]}, "body.pallets.0.sscc"),
        ({"lines": [{"epc": "3114F487B400000001000000"}]}, "lines.0.item"),
        ({"lines": [{"item": "LOOSE", "epc": epc(3), "qty": 2}]}, "body.lines.0"),
    ]
    for change, loc in cases:
        response = client.post("/api/asns", json={**base, **change})
        assert response.status_code == 422, change
        assert response.json()["error"]["details"][0]["loc"] == loc, change


def test_shipment_owns_a_transit_location(client: ApiClient) -> None:
    setup_parties(client)
    body = {
        "number": "SH-1",
        "customer": "CUS",
        "carrier": "CAR",
        "lines": [{"epc": epc(1)}, {"epc": epc(2)}, {"item": "LOOSE", "qty": 4}],
    }
    created = client.post("/api/shipments", json=body)
    assert created.status_code == 201, created.json()
    shipment = created.json()
    assert shipment["transit_location"] == "transit:SH-1"
    transit = client.get(f"/api/locations/{shipment['transit_location_id']}").json()
    assert (transit["type"], transit["partner"]) == ("transit", "CAR")
    receiving_door = client.patch(f"/api/shipments/{shipment['id']}", json={"door": "s1/gw1/d1"})
    assert receiving_door.json()["error"]["details"] == [
        {"loc": "door", "message": "read point s1/gw1/d1 is for receiving only"}
    ]
    assert client.delete(f"/api/shipments/{shipment['id']}").status_code == 204
    assert client.get(f"/api/locations/{shipment['transit_location_id']}").status_code == 404


def test_shipment_epcs_are_unique(client: ApiClient) -> None:
    setup_parties(client)
    body = {"number": "SH-2", "lines": [{"epc": epc(1)}, {"epc": epc(1)}]}
    response = client.post("/api/shipments", json=body)
    assert response.status_code == 422
    assert "an EPC appears twice" in response.json()["error"]["message"]
