"""Sites, the location tree, gateways and read points through the HTTP API."""

from __future__ import annotations

from tests.cloud.api.client import ApiClient


def setup_site(client: ApiClient) -> None:
    """A site with a warehouse, a dock, a gateway and a receiving door."""
    assert client.post("/api/sites", json={"code": "s1", "name": "Main DC"}).status_code == 201
    for body in (
        {"code": "WH", "name": "Warehouse", "type": "storage", "site": "s1"},
        {"code": "WH/DOCK1", "name": "Dock 1", "type": "receiving_dock", "parent": "WH"},
        {"code": "WH/A", "name": "Aisle A", "type": "storage", "parent": "WH"},
        {"code": "WH/A/1", "name": "Bin A1", "type": "storage", "parent": "WH/A"},
    ):
        assert client.post("/api/locations", json=body).status_code == 201, body
    assert client.post("/api/gateways", json={"site": "s1", "code": "gw1"}).status_code == 201
    door = {
        "site": "s1",
        "gateway": "gw1",
        "door": "d1",
        "location": "WH/DOCK1",
        "role": "receiving",
    }
    assert client.post("/api/read-points", json=door).status_code == 201


def test_location_tree_nests_children_by_code(client: ApiClient) -> None:
    setup_site(client)
    tree = client.get("/api/locations/tree").json()
    assert [n["code"] for n in tree] == ["WH"]
    assert [c["code"] for c in tree[0]["children"]] == ["WH/A", "WH/DOCK1"]
    assert tree[0]["children"][0]["children"][0]["code"] == "WH/A/1"
    aisle = client.get("/api/locations", params={"type": "storage"}).json()["items"][1]
    subtree = client.get("/api/locations/tree", params={"root_id": aisle["id"]}).json()
    assert [n["code"] for n in subtree] == ["WH/A"]
    assert client.get("/api/locations/tree", params={"root_id": 999}).status_code == 404


def test_location_refers_by_code_and_reports_unknown_codes(client: ApiClient) -> None:
    setup_site(client)
    bin_a1 = client.get("/api/locations", params={"type": "storage"}).json()["items"][2]
    # A child location without a site of its own is at its parent's site.
    assert (bin_a1["code"], bin_a1["parent"], bin_a1["site"]) == ("WH/A/1", "WH/A", "s1")
    orphan = client.post(
        "/api/locations", json={"code": "X", "name": "x", "type": "storage", "parent": "NOPE"}
    )
    assert orphan.status_code == 422
    assert orphan.json()["error"]["details"] == [{"loc": "parent", "message": "no location 'NOPE'"}]


def test_moving_a_location_under_itself_is_refused(client: ApiClient) -> None:
    setup_site(client)
    warehouse = client.get("/api/locations", params={"type": "storage"}).json()["items"][0]
    response = client.patch(f"/api/locations/{warehouse['id']}", json={"parent": "WH/A/1"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "parent"
    moved = client.patch(f"/api/locations/{warehouse['id']}", json={"name": "DC"})
    assert moved.json()["name"] == "DC"


def test_a_location_with_children_cannot_be_deleted(client: ApiClient) -> None:
    setup_site(client)
    warehouse = client.get("/api/locations", params={"type": "storage"}).json()["items"][0]
    assert client.delete(f"/api/locations/{warehouse['id']}").status_code == 409


def test_read_points_are_named_site_gateway_door(client: ApiClient) -> None:
    setup_site(client)
    points = client.get("/api/read-points").json()["items"]
    assert [(p["ref"], p["location"], p["role"]) for p in points] == [
        ("s1/gw1/d1", "WH/DOCK1", "receiving")
    ]
    again = {"site": "s1", "gateway": "gw1", "door": "d1", "location": "WH/A"}
    assert client.post("/api/read-points", json=again).status_code == 409
    wrong_gateway = {"site": "s1", "gateway": "gw9", "door": "d2", "location": "WH/A"}
    response = client.post("/api/read-points", json=wrong_gateway)
    assert response.json()["error"]["details"] == [
        {"loc": "gateway", "message": "no gateway 'gw9' at site 's1'"}
    ]


def test_gateway_codes_must_fit_mqtt_topics(client: ApiClient) -> None:
    client.post("/api/sites", json={"code": "s1", "name": "Main"})
    response = client.post("/api/gateways", json={"site": "s1", "code": "gw/1"})
    assert response.status_code == 422
    gateways = client.get("/api/gateways").json()
    assert gateways["total"] == 0
    created = client.post("/api/gateways", json={"site": "s1", "code": "gw-1"}).json()
    assert (created["site"], created["availability"], created["health"]) == ("s1", "unknown", None)
