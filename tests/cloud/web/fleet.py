"""A truck on its way for the map tests: master data made in-process, then fixes over MQTT.

The dock of tests/cloud/ingest/world.py ships SH-1 from door d2; vehicle TRK-7 (gateway truck1,
GPS gps0) is bound to it for a trip from the DC's yard to the customer's site, along a planned
route. Loading and position fixes go through the broker to the running service's ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cloud.app import create_app
from protocol.codec import encode
from protocol.ids import make_event_id
from protocol.messages import PositionFix
from protocol.topics import Kind, gateway_topic
from tests.cloud.api.client import ApiClient, running
from tests.cloud.ingest.world import T0, Message, build, case, health, ms, pallet, portal
from tests.cloud.web.dock import settings

TRUCK_GATEWAY, GPS, VEHICLE = "truck1", "gps0", "TRK-7"
DC = (53.5500, 10.0000)
CUSTOMER = (53.6000, 10.1500)
ROUTE = [[10.0, 53.55], [10.07, 53.575], [10.15, 53.6]]  # [lon, lat]
LOADED_AT = T0 + timedelta(minutes=10)


@dataclass(frozen=True)
class Fleet:
    """What the fleet was made with."""

    site: str
    destination: str
    shipment_id: int


def _ok(client: ApiClient, method: str, url: str, body: object) -> dict[str, object]:
    response = client.request(method, url, json=body)
    assert response.status_code in {200, 201}, (url, response.json())
    found: dict[str, object] = response.json()
    return found


def _square(centre: tuple[float, float], half_deg: float) -> dict[str, object]:
    lat, lon = centre
    ring = [[lon - half_deg, lat - half_deg / 2], [lon + half_deg, lat - half_deg / 2]]
    ring += [[lon + half_deg, lat + half_deg / 2], [lon - half_deg, lat + half_deg / 2]]
    return {"type": "polygon", "coordinates": [[*ring, ring[0]]]}


def _fences(client: ApiClient, site: str, destination: str) -> None:
    yard = {"code": "YARD", "name": "DC yard", "site": site, "area": _square(DC, 0.008)}
    dock = {"code": "CUSTOMER", "name": "Customer dock", "site": destination}
    for fence in (yard, dock | {"area": _square(CUSTOMER, 0.01)}):
        _ok(client, "POST", "/api/transit/geofences", fence)


def make_fleet(db: Path, site: str) -> Fleet:
    """The dock, a second site, the truck, geofences and SH-1's trip, written into db."""
    destination = f"{site}-c"
    app = create_app(settings(db, migrate_on_startup=False), components=[])
    with running(app) as client:
        build(client, site)
        _ok(client, "POST", "/api/sites", {"code": destination, "name": "Customer"})
        _ok(client, "POST", "/api/gateways", {"site": site, "code": TRUCK_GATEWAY})
        truck = {"code": VEHICLE, "name": "Truck 7", "site": site, "gateway": TRUCK_GATEWAY}
        _ok(client, "POST", "/api/transit/vehicles", truck | {"device": GPS})
        _fences(client, site, destination)
        (shipment,) = client.get("/api/shipments").json()["items"]
        trip = {
            "vehicle": VEHICLE, "origin_site": site, "destination_site": destination,
            "start_at": T0.isoformat(), "due_at": (T0 + timedelta(hours=2)).isoformat(),
            "route": ROUTE,
        }  # fmt: skip
        _ok(client, "PUT", f"/api/transit/shipments/{shipment['id']}/trip", trip)
    return Fleet(site, destination, int(shipment["id"]))


def loading(site: str) -> list[Message]:
    """SH-1 loaded as picked through door d2, and the gateway caught up well past it."""
    epcs = [pallet(9), *(case(n) for n in range(100, 104))]
    return [
        portal(epcs, "d2", "out", LOADED_AT, site=site),
        health(LOADED_AT + timedelta(seconds=30), site=site),
    ]


def fix(site: str, at: datetime, lat: float, lon: float, speed_mps: float = 15.0) -> Message:
    """One GPS fix of the truck, as its gateway publishes it."""
    t = ms(at)
    position = PositionFix(
        id=make_event_id(TRUCK_GATEWAY, Kind.POSITION, GPS, t), device=GPS, time_ms=t,
        lat=lat, lon=lon, speed_mps=speed_mps, heading_deg=60.0, hdop=0.9, satellites=9,
    )  # fmt: skip
    payload = encode(Kind.POSITION, [position], t)
    return Message(gateway_topic(site, TRUCK_GATEWAY, Kind.POSITION), payload)
