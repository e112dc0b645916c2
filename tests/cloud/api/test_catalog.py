"""Items and partners through the HTTP API."""

from __future__ import annotations

import pytest

from tests.cloud.api.client import ApiClient


def test_item_lifecycle(client: ApiClient) -> None:
    created = client.post(
        "/api/items", json={"sku": " W-100 ", "gtin": "4006381333931", "unit_cost": "2.5"}
    )
    assert created.status_code == 201
    item = created.json()
    assert (item["sku"], item["gtin"], item["unit_cost"]) == ("W-100", "04006381333931", "2.5000")
    changed = client.patch(f"/api/items/{item['id']}", json={"description": "widget"})
    assert changed.json()["description"] == "widget"
    assert changed.json()["gtin"] == "04006381333931"  # untouched fields stay
    assert client.get(f"/api/items/{item['id']}").json()["description"] == "widget"
    assert client.delete(f"/api/items/{item['id']}").status_code == 204
    assert client.get(f"/api/items/{item['id']}").status_code == 404


def test_duplicate_sku_and_gtin_are_conflicts(client: ApiClient) -> None:
    client.post("/api/items", json={"sku": "A", "gtin": "4006381333931"})
    same_sku = client.post("/api/items", json={"sku": "A"})
    assert same_sku.status_code == 409
    assert same_sku.json()["error"] == {
        "code": "conflict",
        "message": "another item already has this sku",
        "details": [{"loc": "sku", "message": "already exists"}],
    }
    same_gtin = client.post("/api/items", json={"sku": "B", "gtin": "04006381333931"})
    assert same_gtin.json()["error"]["message"] == "another item already has this gtin"


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"sku": "A", "gtin": "4006381333932"}, "body.gtin", "check digit is wrong (expected 1)"),
        ({"sku": "A", "gtin": "12345"}, "body.gtin", "GTIN must be 8, 12, 13 or 14 digits"),
        ({"sku": "bad sku"}, "body.sku", "String should match pattern"),
        ({"sku": "A", "unit_cost": "-1"}, "body.unit_cost", "greater than or equal to 0"),
        ({"sku": "A", "colour": "red"}, "body.colour", "Extra inputs are not permitted"),
        ({}, "body.sku", "Field required"),
    ],
)
def test_bad_items_get_422_naming_the_field(
    client: ApiClient, body: dict[str, object], loc: str, message: str
) -> None:
    response = client.post("/api/items", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == loc
    assert message in error["details"][0]["message"]
    assert loc in error["message"]


def test_malformed_json_is_a_clear_422(client: ApiClient) -> None:
    response = client.post(
        "/api/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_pages_have_one_envelope(client: ApiClient) -> None:
    for n in range(5):
        client.post("/api/items", json={"sku": f"S{n}", "description": "bolt" if n % 2 else "nut"})
    first = client.get("/api/items", params={"limit": 2}).json()
    assert [i["sku"] for i in first["items"]] == ["S0", "S1"]
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (5, 2, 0, 2)
    last = client.get("/api/items", params={"limit": 2, "offset": 4}).json()
    assert ([i["sku"] for i in last["items"]], last["next_offset"]) == (["S4"], None)
    bolts = client.get("/api/items", params={"q": "BOLT"}).json()
    assert [i["sku"] for i in bolts["items"]] == ["S1", "S3"]


def test_page_limit_is_bounded(client: ApiClient) -> None:
    response = client.get("/api/items", params={"limit": 10_000})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"loc": "query.limit", "message": "must be at most 500"}
    ]


def test_unknown_routes_and_methods_are_json_errors(client: ApiClient) -> None:
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "not found: GET /api/nothing-here"
    wrong = client.request("PUT", "/api/items")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_partners_by_kind_and_referenced_ones_stay(client: ApiClient) -> None:
    supplier = client.post(
        "/api/partners", json={"code": "SUP", "name": "Acme", "kind": "supplier"}
    ).json()
    client.post("/api/partners", json={"code": "CUS", "name": "Shop", "kind": "customer"})
    suppliers = client.get("/api/partners", params={"kind": "supplier"}).json()["items"]
    assert [p["code"] for p in suppliers] == ["SUP"]
    client.post("/api/items", json={"sku": "X"})
    client.post(
        "/api/purchase-orders",
        json={
            "number": "PO1",
            "supplier": "SUP",
            "lines": [{"item": "X", "qty": 1}],
        },
    )
    refused = client.delete(f"/api/partners/{supplier['id']}")
    assert refused.status_code == 409
    assert "still referenced" in refused.json()["error"]["message"]
    renamed = client.patch(f"/api/partners/{supplier['id']}", json={"name": "Acme Ltd"})
    assert renamed.json()["name"] == "Acme Ltd"


def test_patch_null_clears_only_what_may_be_empty(client: ApiClient) -> None:
    item = client.post("/api/items", json={"sku": "A", "gtin": "4006381333931"}).json()
    cleared = client.patch(f"/api/items/{item['id']}", json={"gtin": None})
    assert (cleared.status_code, cleared.json()["gtin"]) == (200, None)
    refused = client.patch(f"/api/items/{item['id']}", json={"sku": None, "unit": None})
    assert refused.status_code == 422
    assert "sku, unit cannot be null" in refused.json()["error"]["message"]
