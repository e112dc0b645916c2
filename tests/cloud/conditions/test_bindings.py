"""Bindings over time: hand-over, overlap, rebinding mid-excursion, silence, shipments and the
reefer of their trip, ignore period, item classes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cloud.container import ServiceContainer
from cloud.masterdata.shipments import transit_code
from cloud.store.models import Gateway, Shipment, Trip, Vehicle
from tests.cloud.api.client import ApiClient
from tests.cloud.conditions.world import COLD, cold_room, feed, handler_of, minutes
from tests.cloud.ingest.world import GATEWAY, SITE, T0, case

EVERYWHERE = {"name": "anywhere", "high": {"limit": 8, "delay": "10m"}}


def bind(client: ApiClient, sensor_id: int, **body: object) -> dict[str, object]:
    response = client.post(f"/api/sensors/{sensor_id}/bindings", json=body)
    assert response.status_code == 201, response.json()
    result: dict[str, object] = response.json()
    return result


def iso(minutes_after: int) -> str:
    return (T0 + timedelta(minutes=minutes_after)).isoformat()


def test_a_new_binding_takes_over_and_overlaps_are_refused(client: ApiClient) -> None:
    probe = cold_room(client)
    bind(client, probe, vehicle="TRK-1", valid_from=iso(60))
    periods = [
        (b["target"], b["valid_to"]) for b in client.get(f"/api/sensors/{probe}/bindings").json()
    ]
    assert periods == [("location", iso(60).replace("+00:00", "Z")), ("vehicle", None)]
    overlap = {"location": COLD, "valid_from": iso(-30), "valid_to": iso(90)}
    assert client.post(f"/api/sensors/{probe}/bindings", json=overlap).status_code == 409
    two = {"location": COLD, "vehicle": "T", "valid_from": iso(0)}
    assert client.post(f"/api/sensors/{probe}/bindings", json=two).status_code == 422
    assert client.get(f"/api/sensors/{probe}").json()["binding"]["vehicle_code"] == "TRK-1"


def test_rebinding_ends_the_excursion_where_the_sensor_was(client: ApiClient) -> None:
    probe = cold_room(client)
    assert client.post("/api/alert-rules", json=EVERYWHERE).status_code == 201
    bind(client, probe, vehicle="TRK-1", valid_from=iso(60))
    feed(handler_of(client), minutes([12.0] * 90))
    found = client.get("/api/excursions").json()["items"]
    by_place = {(e["location_id"] is not None, e["vehicle_code"]): e for e in found}
    assert len(found) == 2
    at_room, on_truck = by_place[(True, None)], by_place[(False, "TRK-1")]
    assert at_room["status"] == "closed"
    assert at_room["ended_at"] == iso(60).replace("+00:00", "Z")
    assert on_truck["status"] == "open"
    assert on_truck["alarmed_at"].startswith(iso(70)[:16])


def test_silence_alarms_by_the_periodic_check_and_clears_on_data(client: ApiClient) -> None:
    cold_room(client)
    rule = {"name": "quiet", "applies_to": {"location": COLD}, "offline": {"after": "20m"}}
    assert client.post("/api/alert-rules", json=rule).status_code == 201
    handler = handler_of(client)
    feed(handler, minutes([5.0] * 10))
    assert client.post("/api/conditions/check").json() == {"decisions": 1}
    assert client.post("/api/conditions/check").json() == {"decisions": 0}  # one alert, once
    [alert] = client.get("/api/alerts", params={"kind": "condition.offline"}).json()["items"]
    assert alert["status"] == "open"
    feed(handler, minutes([5.0], start=T0 + timedelta(hours=2)))
    [excursion] = client.get("/api/excursions").json()["items"]
    assert excursion["started_at"] == iso(10).replace("+00:00", "Z")
    assert excursion["alarmed_at"] == iso(30).replace("+00:00", "Z")
    assert excursion["ended_at"] == iso(120).replace("+00:00", "Z")
    assert (
        client.get("/api/alerts", params={"kind": "condition.offline"}).json()["items"][0]["status"]
        == "cleared"
    )


def test_item_class_rules_follow_the_stock(client: ApiClient) -> None:
    cold_room(client)
    rule = {"name": "vaccines", "applies_to": {"item_class": "vaccine"}, "high": {"limit": 8}}
    assert client.post("/api/alert-rules", json=rule).status_code == 201
    handler = handler_of(client)
    feed(handler, minutes([12.0] * 5))
    assert client.get("/api/excursions").json()["total"] == 0  # item A is no vaccine
    item = client.get("/api/items", params={"sku": "A"}).json()["items"][0]
    assert (
        client.patch(f"/api/items/{item['id']}", json={"item_class": "vaccine"}).status_code == 200
    )
    feed(handler, minutes([12.0] * 5, start=T0 + timedelta(minutes=5)))
    assert client.get("/api/excursions").json()["total"] == 1


def trip(client: ApiClient, departed: int, received: int) -> int:
    """Truck TRK-1 (a vehicle of the dock gateway) carries SH-1 from `departed` to `received`."""
    container: ServiceContainer = client.state()["container"]
    with container.transaction() as session:
        gateway = session.scalars(select(Gateway).where(Gateway.code == GATEWAY)).one()
        vehicle = Vehicle(code="TRK-1", gateway_id=gateway.id)
        shipment = session.scalars(select(Shipment).where(Shipment.number == "SH-1")).one()
        session.add(vehicle)
        session.flush()
        session.add(
            Trip(
                shipment_id=shipment.id,
                vehicle_id=vehicle.id,
                status="in_transit",
                start_at=T0 + timedelta(minutes=departed),
                departed_at=T0 + timedelta(minutes=departed),
                received_at=T0 + timedelta(minutes=received),
                rules={},
            )
        )
        return shipment.id


def test_shipment_report_with_the_reefer_of_its_trip(client: ApiClient) -> None:
    cold_room(client)
    shipment_id = trip(client, departed=0, received=180)
    for n in range(100, 104):  # loaded at minute -10
        move = {
            "item": "A",
            "from_location": "DC",
            "to_location": transit_code("SH-1"),
            "epc": case(n),
            "reason": "shipment",
            "reference": f"load-{n}",
            "at": iso(-10),
        }
        assert client.post("/api/moves", json=move).status_code == 201
    reefer = client.post("/api/sensors", json={"site": SITE, "gateway": GATEWAY, "code": "reefer"})
    bind(client, reefer.json()["id"], vehicle="TRK-1", valid_from=iso(-60))
    rule = {
        "name": "reefer",
        "applies_to": {"location_type": "transit"},
        "high": {"limit": 8, "delay": "15m"},
        "ignore_start": "30m",
    }
    assert client.post("/api/alert-rules", json=rule).status_code == 201
    door_open = [15.0] * 25  # loading: warm, but inside the ignore period
    feed(
        handler_of(client),
        minutes(door_open + [5.0] * 35 + [11.0] * 30 + [5.0] * 30, sensor="reefer"),
    )
    report = client.get(f"/api/shipments/{shipment_id}/condition-report", params={"high": 8}).json()
    assert report["sensors"] == [f"{SITE}/{GATEWAY}/reefer"]
    assert report["summary"]["samples"] == 120
    assert report["summary"]["above_s"] == pytest.approx((25 + 30) * 60, abs=120)
    [excursion] = report["excursions"]
    assert excursion["vehicle_code"] == "TRK-1"
    assert excursion["started_at"] == iso(60).replace("+00:00", "Z")
    assert sorted(e["stock_key"] for e in excursion["exposures"]) == [
        case(n) for n in range(100, 104)
    ]
    assert report["exposed_keys"] == 4
    mkt = client.get("/api/conditions/mkt", params={"shipment_id": shipment_id}).json()
    assert mkt["mkt_c"] == pytest.approx(report["summary"]["mkt_c"])
