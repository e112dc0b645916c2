"""The transit API on a real database: vehicles, geofences, binding, shipments in transit,
events, tracks (GeoJSON, GPX) and the trips-and-stops report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cloud.container import ServiceContainer
from cloud.enums import AlertSeverity
from cloud.ingest.handler import IngestHandler
from cloud.services.alerts import raise_alert
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import case
from tests.cloud.transit import world
from tests.cloud.transit.world import DEPART, FLEET, VEHICLE_GW, bind, feed, shipment_id

SQUARE = [[9.0, 52.0], [9.01, 52.0], [9.01, 52.01], [9.0, 52.01], [9.0, 52.0]]


@pytest.fixture
def driven(client: ApiClient, handler: IngestHandler) -> int:
    """SH-1 bound to TRK-7, which drove its whole trip; the shipment's id."""
    d = world.drive()
    bind(client, d, due=DEPART + timedelta(hours=4))
    for message in world.messages(d.fixes, per_message=100):
        feed(handler, message)
    return shipment_id(client)


def error(response: Any) -> str:
    return str(response.json()["error"]["message"])


def test_vehicles(client: ApiClient, handler: IngestHandler) -> None:
    found = client.get("/api/transit/vehicles").json()["items"]
    assert [(v["code"], v["site"], v["gateway"], v["device"]) for v in found] == [
        ("TRK-7", FLEET, VEHICLE_GW, "gps")
    ]
    again = {"code": "TRK-7", "site": FLEET, "gateway": VEHICLE_GW, "device": "other"}
    assert client.post("/api/transit/vehicles", json=again).status_code == 409
    nowhere = {"code": "TRK-8", "site": FLEET, "gateway": "nope"}
    assert client.post("/api/transit/vehicles", json=nowhere).status_code == 422
    any_gps = {"code": "TRK-9", "site": FLEET, "gateway": VEHICLE_GW}
    assert client.post("/api/transit/vehicles", json=any_gps).status_code == 201
    second = {"code": "TRK-10", "site": FLEET, "gateway": VEHICLE_GW}
    conflict = client.post("/api/transit/vehicles", json=second)
    assert conflict.status_code == 409
    assert "already takes every GPS" in error(conflict)
    vehicle_id = found[0]["id"]
    renamed = client.patch(f"/api/transit/vehicles/{vehicle_id}", json={"name": "Actros 7"})
    assert renamed.json()["name"] == "Actros 7"


def test_vehicle_with_a_trip_cannot_be_removed(client: ApiClient, driven: int) -> None:
    vehicle = client.get("/api/transit/vehicles").json()["items"][0]
    assert vehicle["shipments"] == ["SH-1"]
    assert vehicle["last_position"]["lat"] == world.drive().fixes[-1].lat
    assert client.delete(f"/api/transit/vehicles/{vehicle['id']}").status_code == 409


def test_geofences(client: ApiClient, handler: IngestHandler) -> None:
    circle = {"type": "circle", "lat": 52.0, "lon": 9.0, "radius_m": 200.0}
    made = client.post("/api/transit/geofences", json={"code": "c", "area": circle})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["dwell_s"] == 60.0  # the service's default
    assert body["area"] == circle
    assert body["geometry"]["type"] == "Polygon"
    assert len(body["geometry"]["coordinates"][0]) == 73
    polygon = {"type": "polygon", "coordinates": [SQUARE]}
    changed = client.patch(f"/api/transit/geofences/{body['id']}", json={"area": polygon})
    assert changed.json()["geometry"]["coordinates"] == [SQUARE]
    crossed = [[9.0, 52.0], [9.01, 52.01], [9.01, 52.0], [9.0, 52.01], [9.0, 52.0]]
    bad = {"code": "x", "area": {"type": "polygon", "coordinates": [crossed]}}
    refused = client.post("/api/transit/geofences", json=bad)
    assert refused.status_code == 422
    assert "invalid polygon" in error(refused)
    off_earth = {"code": "y", "area": {"type": "polygon", "coordinates": [[[200.0, 52.0]] * 4]}}
    assert client.post("/api/transit/geofences", json=off_earth).status_code == 422
    listed = client.get("/api/transit/geofences", params={"site": "dc1"}).json()["items"]
    assert [f["code"] for f in listed] == ["dc1-yard"]
    collection = client.get("/api/transit/geofences/geojson")
    assert collection.headers["content-type"] == "application/geo+json"
    codes = [f["properties"]["code"] for f in collection.json()["features"]]
    assert codes == ["c", "dc1-yard", "dc2-yard"]
    assert client.delete(f"/api/transit/geofences/{body['id']}").status_code == 204


def test_binding_is_checked(client: ApiClient, handler: IngestHandler) -> None:
    url = f"/api/transit/shipments/{shipment_id(client)}/trip"
    body = world.bind_body(world.drive(), DEPART + timedelta(hours=3))
    unknown = client.request("PUT", url, json=body | {"vehicle": "TRK-0"})
    assert unknown.status_code == 422
    assert "no vehicle 'TRK-0'" in error(unknown)
    speeds = client.request("PUT", url, json=body | {"route_speeds_kmh": [80.0]})
    assert speeds.status_code == 422
    assert client.request("PUT", "/api/transit/shipments/999/trip", json=body).status_code == 404
    assert client.get(f"/api/transit/shipments/{shipment_id(client)}").status_code == 404
    bound = client.request("PUT", url, json=body)
    assert bound.status_code == 200
    assert bound.json()["status"] == "in_transit"  # SH-1 was shipped
    assert client.delete(url).status_code == 204
    assert client.get("/api/transit/shipments").json()["items"] == []


def test_shipment_in_transit(client: ApiClient, handler: IngestHandler) -> None:
    d = world.drive()
    bind(client, d, due=DEPART + timedelta(hours=4))
    half = len(d.fixes) // 2
    for message in world.messages(d.fixes[:half], per_message=100):
        feed(handler, message)
    container: ServiceContainer = client.state()["container"]
    with container.transaction() as session:
        raise_alert(session, "condition_high", "SH-1 reefer", "too warm", AlertSeverity.WARNING)
        raise_alert(session, "condition_high", "SH-2 reefer", "too warm", AlertSeverity.WARNING)
    items = client.get("/api/transit/shipments").json()["items"]
    assert len(items) == 1
    item = items[0]
    assert (item["number"], item["status"], item["vehicle"]) == ("SH-1", "in_transit", "TRK-7")
    assert (item["origin_site"], item["destination_site"]) == ("dc1", "dc2")
    assert item["last_position"]["lat"] == d.fixes[half - 1].lat
    assert item["eta_detail"]["basis"] == "route"
    assert item["eta"] == item["eta_detail"]["at"]
    assert item["departed_at"] is not None
    assert item["arrived_at"] is None
    assert item["qty"] == 4
    assert item["contents"][0]["sku"] == "A"
    assert item["contents"][0]["epcs"] == sorted(case(n) for n in range(100, 104))
    assert item["alerts"] == {"transit": 0, "condition": 1}
    assert item["condition_alerts"] == 1
    assert len(item["route"]) == len(d.route.waypoints)
    assert item["planned_stops"][0]["minutes"] == 15.0
    arrived = client.get("/api/transit/shipments", params={"status": "arrived"}).json()
    assert arrived["items"] == []


def test_events_track_and_report(client: ApiClient, driven: int) -> None:
    found = client.get(f"/api/transit/shipments/{driven}/events").json()
    assert [e["kind"] for e in found] == ["exit", "departure", "enter", "arrival"]
    arrival = datetime.fromisoformat(found[-1]["at"]).timestamp()
    d = world.drive()
    track = client.get(f"/api/transit/shipments/{driven}/track")
    assert track.headers["content-type"] == "application/geo+json"
    features = track.json()["features"]
    line = features[0]["geometry"]["coordinates"]
    start = DEPART.timestamp()
    assert len(line) == sum(start <= f.time_ms / 1000 <= arrival for f in d.fixes)  # to arrival
    gpx = client.get(f"/api/transit/shipments/{driven}/track", params={"format": "gpx"})
    assert gpx.headers["content-type"] == "application/gpx+xml"
    points = ET.fromstring(gpx.text).findall(".//{http://www.topografix.com/GPX/1/1}trkpt")
    assert len(points) == len(line)
    report = client.get(f"/api/transit/shipments/{driven}/report").json()
    rest = next(s for s in d.truth.stops if s[2] == "Rest area Allertal")
    assert [(s["minutes"], s["geofences"]) for s in report["stops"]] == [(15.0, [])]
    began = datetime.fromisoformat(report["stops"][0]["start"]).timestamp()
    assert began == pytest.approx(rest[0] / 1000, abs=30.0)
    assert [leg["end"] for leg in report["legs"][:1]] == [report["stops"][0]["start"]]
    assert [leg["start"] for leg in report["legs"][1:]] == [report["stops"][0]["end"]]
    assert report["distance_m"] == pytest.approx(d.truth.length_m, rel=0.03)
    assert [f["properties"]["minutes"] for f in features[1:]] == [15.0]  # stops on the map


def test_vehicle_track_and_report_by_time(client: ApiClient, driven: int) -> None:
    vehicle = client.get("/api/transit/vehicles").json()["items"][0]
    d = world.drive()
    since = DEPART + timedelta(minutes=30)
    until = since + timedelta(minutes=30)
    params = {"since": since.isoformat(), "until": until.isoformat()}
    track = client.get(f"/api/transit/vehicles/{vehicle['id']}/track", params=params).json()
    times = track["features"][0]["properties"]["times"]
    inside = [f for f in d.fixes if since.timestamp() <= f.time_ms / 1000 <= until.timestamp()]
    assert len(times) == len(inside)
    report = client.get(f"/api/transit/vehicles/{vehicle['id']}/report", params=params).json()
    assert report["fixes"] == len(inside)


def test_openapi_documents_the_transit_api(client: ApiClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/transit/vehicles",
        "/api/transit/geofences",
        "/api/transit/geofences/geojson",
        "/api/transit/shipments",
        "/api/transit/shipments/{shipment_id}/trip",
        "/api/transit/shipments/{shipment_id}/track",
        "/api/transit/shipments/{shipment_id}/report",
        "/api/transit/shipments/{shipment_id}/events",
    ):
        assert path in paths, path
    track = paths["/api/transit/shipments/{shipment_id}/track"]["get"]
    assert set(track["responses"]["200"]["content"]) >= {
        "application/geo+json",
        "application/gpx+xml",
    }
