"""Manual moves, reversals, stock on hand, in transit and EPC history through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.cloud.api.client import ApiClient
from tests.cloud.api.test_orders import epc, setup_parties


def move(client: ApiClient, **body: Any) -> Any:
    """POST a manual move; return the response."""
    return client.post("/api/moves", json={"item": "LOOSE", "reason": "adjustment", **body})


def setup_stock(client: ApiClient) -> None:
    """Parties, a supplier location, a shipment, and a little stock."""
    setup_parties(client)
    client.post("/api/locations", json={"code": "SUPPLY", "name": "Supplier", "type": "supplier"})
    client.post("/api/shipments", json={"number": "SH-1", "lines": [{"epc": epc(1)}]})
    assert (
        move(
            client, from_location="SUPPLY", to_location="WH/DOCK1", qty=10, reference="r1"
        ).status_code
        == 201
    )
    assert (
        move(
            client, from_location="WH/DOCK1", to_location="WH/A/1", qty=4, reference="r2"
        ).status_code
        == 201
    )
    for n, target in ((1, "WH/DOCK1"), (2, "WH/A/1")):
        tagged = move(
            client,
            item="TAGGED",
            epc=epc(n),
            from_location="SUPPLY",
            to_location=target,
            reference=f"t{n}",
        )
        assert tagged.status_code == 201


def test_stock_on_hand_counts_only_internal_locations(client: ApiClient) -> None:
    setup_stock(client)
    rows = client.get("/api/stock").json()["items"]
    assert [(r["sku"], r["location_code"], r["qty"]) for r in rows] == [
        ("LOOSE", "WH/A/1", 4),
        ("LOOSE", "WH/DOCK1", 6),
        ("TAGGED", "WH/A/1", 1),
        ("TAGGED", "WH/DOCK1", 1),
    ]
    supplier = client.get("/api/stock", params={"type": "supplier"}).json()["items"]
    assert [(r["sku"], r["qty"]) for r in supplier] == [("LOOSE", -10), ("TAGGED", -2)]


def test_stock_within_a_subtree_and_by_key(client: ApiClient) -> None:
    setup_stock(client)
    warehouse = client.get("/api/locations", params={"type": "storage"}).json()["items"][0]
    within = client.get("/api/stock", params={"within": warehouse["id"], "by_key": True}).json()
    assert [(r["sku"], r["location_code"], r["stock_key"], r["qty"]) for r in within["items"]] == [
        ("LOOSE", "WH/A/1", "", 4),
        ("LOOSE", "WH/DOCK1", "", 6),
        ("TAGGED", "WH/A/1", epc(2), 1),
        ("TAGGED", "WH/DOCK1", epc(1), 1),
    ]


def test_reposting_a_reference_is_a_409_and_changes_nothing(client: ApiClient) -> None:
    setup_stock(client)
    again = move(client, from_location="SUPPLY", to_location="WH/DOCK1", qty=10, reference="r1")
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "already_posted",
        "message": "source manual:r1 was already posted",
        "details": [],
    }
    dock = client.get("/api/stock", params={"type": "receiving_dock"}).json()["items"]
    assert dock[0]["qty"] == 6


def test_bad_manual_moves(client: ApiClient) -> None:
    setup_stock(client)
    same = move(client, from_location="WH/A/1", to_location="WH/A/1", reference="x1")
    assert same.status_code == 422
    assert "same" in same.json()["error"]["message"]
    unknown = move(client, from_location="NOWHERE", to_location="WH/A/1", reference="x2")
    assert unknown.json()["error"]["details"] == [
        {"loc": "from_location", "message": "no location 'NOWHERE'"}
    ]
    reversal = move(
        client, from_location="WH/A/1", to_location="WH", reference="x3", reason="reversal"
    )
    assert reversal.status_code == 422


def test_reverse_once_and_history_shows_both(client: ApiClient) -> None:
    setup_stock(client)
    history = client.get(f"/api/epcs/{epc(1).lower()}/history").json()
    assert [w["location_code"] for w in history["whereabouts"]] == ["WH/DOCK1"]
    (original,) = history["moves"]
    reversed_ = client.post(f"/api/moves/{original['id']}/reverse", json={})
    assert reversed_.status_code == 201
    assert reversed_.json()["reverses_move_id"] == original["id"]
    assert client.post(f"/api/moves/{original['id']}/reverse").status_code == 409
    assert client.post("/api/moves/999999/reverse").status_code == 404
    after = client.get(f"/api/epcs/{epc(1)}/history").json()
    assert after["whereabouts"] == []
    assert [(m["from_location"], m["to_location"]) for m in after["moves"]] == [
        ("SUPPLY", "WH/DOCK1"),
        ("WH/DOCK1", "SUPPLY"),
    ]
    assert client.get(f"/api/epcs/{epc(9)}/history").status_code == 404


def test_moves_list_filters_and_in_transit(client: ApiClient) -> None:
    setup_stock(client)
    shipment = client.get("/api/shipments").json()["items"][0]
    loaded = move(
        client,
        item="TAGGED",
        epc=epc(1),
        from_location="WH/DOCK1",
        to_location="transit:SH-1",
        reference="load1",
        reason="shipment",
    )
    assert loaded.status_code == 201
    transit = client.get("/api/stock/in-transit", params={"shipment_id": shipment["id"]}).json()
    assert [
        (t["shipment_number"], t["sku"], t["stock_key"], t["qty"]) for t in transit["items"]
    ] == [("SH-1", "TAGGED", epc(1), 1)]
    moves = client.get("/api/moves", params={"epc": epc(1)}).json()
    assert [m["source_id"] for m in moves["items"]] == ["load1", "t1"]
    assert client.get("/api/moves", params={"source_type": "manual"}).json()["total"] == 5


def test_ledger_checks_clean_and_rebuild_is_idempotent(client: ApiClient) -> None:
    setup_stock(client)
    assert client.get("/api/ledger/discrepancies").json() == []
    before = client.get("/api/stock", params={"by_key": True}).json()
    assert client.post("/api/ledger/rebuild").json() == {"balances": 7}
    assert client.get("/api/stock", params={"by_key": True}).json() == before
