"""CSV import through the HTTP API: all or nothing by default, row and column in every error."""

from __future__ import annotations

from typing import Any

import pytest

from cloud.cli import KIND_NAMES
from cloud.masterdata.csvkinds import KINDS
from tests.cloud.api.client import ApiClient
from tests.cloud.api.test_orders import GTIN, SSCC, epc

CSV = {"content-type": "text/csv; charset=utf-8"}


def upload(client: ApiClient, kind: str, text: str, **params: Any) -> Any:
    """POST a CSV file."""
    return client.post(f"/api/import/{kind}", content=text.encode(), headers=CSV, params=params)


def errors(response: Any) -> list[tuple[int, str | None, str]]:
    """(row, column, message) of each error in a response."""
    body = response.json()
    found = body["error"]["details"] if "error" in body else body["errors"]
    return [(e["row"], e.get("column"), e["message"]) for e in found]


def test_every_kind_the_cli_offers_is_importable() -> None:
    assert tuple(KINDS) == KIND_NAMES


def test_master_data_in_dependency_order(client: ApiClient) -> None:
    files = [
        ("items", f"sku,gtin,description,unit_cost\nTAGGED,{GTIN},tagged thing,1.5\nLOOSE,,,\n"),
        ("partners", "code,name,kind\nSUP,Acme,supplier\nCUS,Shop,customer\n"),
        ("sites", "code,name\ns1,Main DC\n"),
        (
            "locations",
            "code,name,type,parent,site\nWH,Warehouse,storage,,s1\nDOCK,Dock,receiving_dock,WH,s1\n",
        ),
        ("gateways", "site,code,name\ns1,gw1,Door gateway\n"),
        ("read_points", "site,gateway,door,location,role\ns1,gw1,d1,DOCK,receiving\n"),
    ]
    for kind, text in files:
        response = upload(client, kind, text)
        assert response.status_code == 200, response.json()
        assert response.json()["errors"] == []
    assert client.get("/api/read-points").json()["items"][0]["ref"] == "s1/gw1/d1"
    item = client.get("/api/items", params={"gtin": GTIN}).json()["items"][0]
    assert (item["sku"], item["unit_cost"]) == ("TAGGED", "1.5000")


def test_one_bad_row_imports_nothing_and_names_row_and_column(client: ApiClient) -> None:
    text = "sku,gtin\nA,\nB,4006381333932\nC,\nA,\n"
    response = upload(client, "items", text)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "import_failed"
    assert errors(response) == [
        (3, "gtin", "GTIN check digit is wrong (expected 1)"),
        (5, "sku", "already exists"),
    ]
    assert client.get("/api/items").json()["total"] == 0


def test_partial_import_keeps_the_good_rows(client: ApiClient) -> None:
    response = upload(client, "items", "sku,gtin\nA,\nB,4006381333932\nC,\n", partial=True)
    assert response.status_code == 200
    assert (response.json()["rows"], response.json()["created"]) == (3, 2)
    assert errors(response) == [(3, "gtin", "GTIN check digit is wrong (expected 1)")]
    assert [i["sku"] for i in client.get("/api/items").json()["items"]] == ["A", "C"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sku,colour\nA,red\n", [(1, "colour", "unknown column")]),
        ("description\nthing\n", [(1, "sku", "required column missing")]),
        ("sku\nA,extra\n", [(2, None, "more values than columns")]),
    ],
)
def test_header_and_shape_errors(
    client: ApiClient, text: str, expected: list[tuple[int, str | None, str]]
) -> None:
    response = upload(client, "items", text)
    assert response.status_code == 422
    assert errors(response) == expected


def test_documents_group_rows_and_errors_point_at_the_line_row(client: ApiClient) -> None:
    upload(client, "items", f"sku,gtin\nTAGGED,{GTIN}\nLOOSE,\n")
    upload(client, "partners", "code,name,kind\nSUP,Acme,supplier\n")
    good = "po,supplier,item,qty\nPO-1,SUP,TAGGED,5\nPO-1,SUP,LOOSE,2\nPO-2,SUP,LOOSE,1\n"
    assert upload(client, "purchase_orders", good).json()["created"] == 2
    bad = "po,supplier,item,qty\nPO-3,SUP,TAGGED,5\nPO-3,OTHER,LOOSE,0\nPO-4,SUP,GHOST,1\n"
    assert errors(upload(client, "purchase_orders", bad)) == [
        (3, "supplier", "differs from row 2 of the same document"),
        (4, "item", "no item 'GHOST'"),
    ]
    lines = client.get("/api/purchase-orders").json()["items"][0]["lines"]
    assert [(line["item"], line["qty_ordered"]) for line in lines] == [("TAGGED", 5), ("LOOSE", 2)]


def test_asn_rows_build_pallets_from_sscc(client: ApiClient) -> None:
    upload(client, "items", f"sku,gtin\nTAGGED,{GTIN}\nLOOSE,\n")
    upload(client, "partners", "code,name,kind\nSUP,Acme,supplier\n")
    text = (
        "asn,supplier,sscc,epc,item,qty\n"
        f"ASN-1,SUP,{SSCC},{epc(1)},,\n"
        f"ASN-1,SUP,{SSCC},{epc(2)},,\n"
        "ASN-1,SUP,,,LOOSE,3\n"
        "ASN-2,SUP,,,LOOSE,0\n"
    )
    response = upload(client, "asns", text, partial=True)
    assert errors(response) == [(5, "qty", "Input should be greater than 0")]
    asn = client.get("/api/asns").json()["items"][0]
    assert [len(p["lines"]) for p in asn["pallets"]] == [2]
    assert [(line["item"], line["qty"]) for line in asn["lines"]] == [("LOOSE", 3)]


def test_shipments_import_with_epcs(client: ApiClient) -> None:
    upload(client, "items", f"sku,gtin\nTAGGED,{GTIN}\n")
    text = f"shipment,epc\nSH-1,{epc(1)}\nSH-1,{epc(2)}\n"
    assert upload(client, "shipments", text).json()["created"] == 1
    shipment = client.get("/api/shipments").json()["items"][0]
    assert [line["epc"] for line in shipment["lines"]] == [epc(1), epc(2)]


def test_wrong_kind_type_size_and_encoding(client: ApiClient) -> None:
    assert upload(client, "spaceships", "a\n1\n").status_code == 404
    as_json = client.post("/api/import/items", json={"sku": "A"})
    assert as_json.status_code == 415
    assert as_json.json()["error"]["code"] == "media_type"
    latin1 = client.post("/api/import/items", content="sku\nCAFÉ\n".encode("latin-1"), headers=CSV)
    assert latin1.status_code == 422
    assert "not UTF-8" in latin1.json()["error"]["message"]
    huge = upload(client, "items", "sku\n" + "A\n" * 6_000_000)
    assert huge.status_code == 413
