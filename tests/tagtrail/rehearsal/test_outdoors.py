"""The cold chain and the trucks of `tagtrail demo`, on a short configuration, end to end.

Emulated probes and GPS receivers on ptys, a climate gateway and two vehicle gateways, the real
broker, the cloud on a thread. Checked against the emulators' ground truth: the cold room's
compressor failure raises exactly one alert, the reefer none; every position a truck's gateway
committed reaches the cloud, each track ends at the customer's dock and each trip arrives there.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyproj import Geod

from cloud.settings import CloudSettings
from tagtrail.rehearsal.calls import items, patch, post
from tagtrail.rehearsal.cloud_thread import CloudThread
from tagtrail.rehearsal.cold import COLD_PROBE, REEFER_PROBE, ColdPlan
from tagtrail.rehearsal.fleet import Fleet, FleetPlan, Truck
from tagtrail.rehearsal.outdoors import Outdoors, outdoors
from tests.support.services import BrokerAddress, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.database]

COLD = ColdPlan(seed=5, speed=360.0)  # six hours of probe time in a minute
FLEET = FleetPlan(route="hamburg-port-shuttle", seed=3, speed=50.0)  # about 30 s a drive
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def api(mqtt_broker: BrokerAddress, db_url: str, unique_site: str) -> Iterator[httpx.Client]:
    """The cloud on a thread, reading the site's topics, with two shipped shipments."""
    settings = CloudSettings(
        environment="development", db_url=db_url, mqtt_url=mqtt_broker.url,
        mqtt_group=f"g{unique_site}", mqtt_client_id=f"tagtrail-test-{unique_site}",
        http_port=free_port(), ingest_tick_s=0.5, ingest_sites=[unique_site],
    )  # fmt: skip
    with CloudThread(settings) as cloud, httpx.Client(base_url=cloud.url, timeout=30.0) as client:
        _shipped(client, unique_site)
        yield client


def _shipped(client: httpx.Client, site: str) -> None:
    post(client, "/api/sites", {"code": site, "name": "DC"})
    post(client, "/api/locations", {"code": "storage", "name": "storage", "type": "storage",
                                    "site": site})  # fmt: skip
    post(client, "/api/items", {"sku": "VAX-1", "description": "vaccine", "unit": "EA"})
    for number in ("SO-1", "SO-2"):
        body = {"number": number, "lines": [{"item": "VAX-1", "qty": 10}]}
        made = post(client, "/api/shipments", body)
        patch(client, f"/api/shipments/{made['id']}", {"status": "shipped"})


def test_cold_room_alert_and_trucks_arrive(
    api: httpx.Client, mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    printed: list[str] = []
    with outdoors(
        api, site=unique_site, mqtt_url=mqtt_broker.url, workdir=tmp_path, cold=COLD,
        fleet=FLEET, out=printed.append,
    ) as outside:  # fmt: skip
        assert outside.wait_done(timeout=600), outside.summary()
        _trucks_arrived(outside.fleet)
        _cold_chain(api, outside)
        summary = outside.summary()
    assert [line for line in printed if "leaves for" in line] == [
        f"  truck-{n} leaves for CUSTOMER with shipment SO-{n}" for n in (1, 2)
    ]
    assert sum("condition.high" in line for line in summary) == 1
    assert sum(" arrived at " in line for line in summary) == 2


def _trucks_arrived(fleet: Fleet) -> None:
    destination = fleet.route.destination
    for truck in fleet.trucks:
        trip = fleet.trip(truck)
        assert trip["status"] == "arrived", trip
        assert trip["shipment_status"] == "delivered"
        committed = fleet.committed(truck)
        assert committed > 20
        assert _eventually(functools.partial(_stored, fleet, truck, committed))
        last = trip["last_position"]
        metres = GEOD.inv(last["lon"], last["lat"], destination.lon, destination.lat)[2]
        assert metres < FLEET.fence_m
        events = fleet.api.get(f"/api/transit/shipments/{trip['shipment_id']}/events").json()
        assert [e["kind"] for e in events][-2:] == ["enter", "arrival"]


def _cold_chain(api: httpx.Client, outside: Outdoors) -> None:
    cold = outside.cold
    [truth] = cold.truth()  # the compressor failure: one excursion above 8 °C, hours long
    assert truth.kind == "high"
    assert truth.end_s - truth.start_s > 3 * COLD.delay_s
    assert cold.truth(REEFER_PROBE) == []
    assert len(cold.alerts()) == 1 == cold.expected_alerts()
    sensors = {s["code"]: s for s in items(api, "/api/sensors")}
    room = _excursions(api, sensors[COLD_PROBE])
    assert len(room) == 1
    assert room[0]["peak"] == pytest.approx(truth.peak, abs=0.6)
    assert _excursions(api, sensors[REEFER_PROBE]) == []
    assert sensors[REEFER_PROBE]["binding"]["vehicle_code"] == "truck-1"
    history = api.get("/api/conditions/history", params={"sensor_id": sensors[REEFER_PROBE]["id"]})
    assert history.json()["total"] > 10


def _excursions(api: httpx.Client, sensor: dict[str, Any]) -> list[dict[str, Any]]:
    return items(api, "/api/excursions", sensor_id=sensor["id"])


def _stored(fleet: Fleet, truck: Truck, committed: int) -> bool:
    return fleet.positions(truck) == committed


def _eventually(check: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True
