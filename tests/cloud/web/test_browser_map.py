"""The live map in headless Chromium: a truck's marker moves as its GPS fixes come in over MQTT."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from tagtrail.rehearsal.cloud_thread import CloudThread
from tests.cloud.ingest.test_consumer import publisher as gateway_publisher
from tests.cloud.ingest.world import Message
from tests.cloud.web.dock import settings
from tests.cloud.web.fleet import LOADED_AT, VEHICLE, Fleet, fix, loading, make_fleet
from tests.cloud.web.ui import Ui
from tests.support.services import BrokerAddress, free_port

pytestmark = pytest.mark.broker
OFFLINE = ("tile.openstreetmap.org",)  # no internet here: the base map's tiles do not load
MARKER = f'.vehicle-marker[data-vehicle="{VEHICLE}"]'


@pytest.fixture
def fleet(sqlite_template: Path, tmp_path: Path, unique_site: str) -> tuple[Path, Fleet]:
    """A database with the truck bound to SH-1 (nothing loaded, no position yet)."""
    db = tmp_path / "cloud.sqlite"
    shutil.copyfile(sqlite_template, db)
    return db, make_fleet(db, unique_site)


@pytest.fixture
def fleet_server(fleet: tuple[Path, Fleet], mqtt_broker: BrokerAddress) -> Iterator[CloudThread]:
    """The cloud service over HTTP with its MQTT ingest on this test's site, subscribed."""
    db, made = fleet
    site = made.site
    config = settings(
        db, http_port=free_port(), ingest_enabled=True, mqtt_url=mqtt_broker.url,
        mqtt_group=f"g{site}", mqtt_client_id=f"{site}-web", ingest_sites=[site],
        ingest_tick_s=0.2,
    )  # fmt: skip
    with CloudThread(config) as thread:
        yield thread


@pytest.fixture
def map_ui(fleet_server: CloudThread, browser: WebDriver) -> Ui:
    """Chromium on the fleet's server (closed before the server stops)."""
    return Ui(browser, fleet_server.url)


@pytest.fixture
def publisher(mqtt_broker: BrokerAddress) -> Iterator[mqtt.Client]:
    """An MQTT client standing in for the gateways."""
    with gateway_publisher(mqtt_broker) as client:
        yield client


def publish(client: mqtt.Client, *messages: Message) -> None:
    for message in messages:
        client.publish(message.topic, message.payload, qos=1).wait_for_publish(30)


def ingest_subscribed(server: CloudThread) -> bool:
    components = httpx.get(f"{server.url}/readyz").json()["components"]
    return bool(components["mqtt-ingest"]["connected"])


MARKER_PLACE = """
const markers = document.querySelectorAll(arguments[0]);
if (markers.length !== 1) return null;
return {lat: markers[0].dataset.lat, rect: markers[0].getBoundingClientRect().toJSON()};
"""


def marker_at(ui: Ui, lat: float) -> dict[str, float] | None:
    """The truck marker's place on screen once it shows latitude lat."""
    found = ui.script(MARKER_PLACE, MARKER)
    if found is None or found["lat"] != str(lat):
        return None
    rect: dict[str, float] = found["rect"]
    return rect


def test_marker_moves_as_fixes_arrive(
    map_ui: Ui, fleet_server: CloudThread, fleet: tuple[Path, Fleet], publisher: mqtt.Client,
    tmp_path: Path,
) -> None:  # fmt: skip
    ui, site = map_ui, fleet[1].site
    ui.wait(lambda: ingest_subscribed(fleet_server), "the ingest to subscribe")
    ui.open("/", "map")
    ui.wait(lambda: ui.texts("#transit-list li[data-shipment] .title a") == ["SH-1"], "SH-1 listed")
    assert ui.all(MARKER) == []  # no fix yet
    assert len(ui.all(".leaflet-overlay-pane path")) >= 3  # two geofences and the planned route

    publish(publisher, *loading(site))
    contents = "#transit-list li[data-shipment] .row"
    ui.wait(
        lambda: any("A \N{MULTIPLICATION SIGN} 4" in text for text in ui.texts(contents)),
        "the loaded contents",
    )

    first = LOADED_AT + timedelta(minutes=5)
    publish(publisher, fix(site, first, 53.5600, 10.0300))
    before = ui.wait(lambda: marker_at(ui, 53.56), "the truck's first position")
    publish(publisher, fix(site, first + timedelta(minutes=5), 53.5800, 10.0900))
    after = ui.wait(lambda: marker_at(ui, 53.58), "the truck to move")
    assert after["left"] > before["left"]  # east
    assert after["top"] < before["top"]  # and north
    ui.wait(lambda: any("53.58000, 10.09000" in t for t in ui.texts(contents)), "the last fix")

    shot = tmp_path / "map.png"
    assert ui.driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 0
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert ui.console_errors(ignore=OFFLINE) == []
