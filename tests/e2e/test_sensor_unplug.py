"""A probe unplugged mid-run: the cloud raises one offline alert and clears it on replug.

Emulated probes on pseudo-terminals, a gateway reading them with its serial driver, the real
broker and the cloud service (SQLite or PostgreSQL) with an offline rule on the cold room.
The other probe keeps delivering throughout; every sample the gateway committed is in the
cloud's condition history, and nothing is dead-lettered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import CloudSettings
from edge.config import GatewayConfig, MqttConfig, OutboxConfig
from edge.gateway import GatewayThread
from edge.outbox import Outbox
from edge.sensors.config import SensorConfig
from firmware_sim.sensors.player import SensorPlayer
from firmware_sim.sensors.scenario import ProbeSpec, SensorScenario
from protocol.topics import Kind
from tagtrail.rehearsal.cloud_thread import CloudThread
from tests.edge.sensors.support import SPEED, faults, scenario
from tests.support.mqtt import wait_until
from tests.support.services import BrokerAddress, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.broker, pytest.mark.database]

GATEWAY = "gw-cold"
UNPLUG_S = (100.0, 240.0)  # emulated start and length: 12 s of wall time at SPEED
OFFLINE_AFTER_S = 4.0  # wall: well below the unplug, far above a 1 s sample interval


def probes() -> SensorScenario:
    """A cold-room probe that is unplugged once and a chiller probe that never is."""
    quiet = faults(garbled=0.0, truncated=0.0, spike=0.0)
    cold = ProbeSpec("cold-1", "coldroom", interval_s=2.0, faults=faults(unplugs=(UNPLUG_S,)))
    chill = ProbeSpec("chill-1", "coldroom", interval_s=2.0, faults=quiet)
    return scenario(cold, chill, duration_s=600.0, seed=9)


@pytest.fixture
def cloud(mqtt_broker: BrokerAddress, db_url: str, unique_site: str) -> Iterator[httpx.Client]:
    """The cloud service ingesting this test's site, its API client."""
    settings = CloudSettings(
        _env_file=None, environment="development", db_url=db_url, mqtt_url=mqtt_broker.url,
        mqtt_group=f"g{unique_site}", mqtt_client_id=f"{unique_site}-cloud",
        ingest_sites=[unique_site], ingest_tick_s=0.2, conditions_check_s=0.5,
        http_port=free_port(),
    )  # fmt: skip
    with CloudThread(settings) as thread, httpx.Client(base_url=thread.url, timeout=30.0) as api:
        yield api


def post(api: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(url, json=body)
    assert response.status_code in (200, 201), (url, response.json())
    result: dict[str, Any] = response.json()
    return result


def cold_room(api: httpx.Client, site: str) -> None:
    """A site with two cold rooms, the gateway, a probe bound to each and an offline rule."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    post(api, "/api/sites", {"code": site, "name": "DC"})
    post(
        api, "/api/locations", {"code": f"{site}/DC", "name": "DC", "type": "storage", "site": site}
    )
    post(api, "/api/gateways", {"site": site, "code": GATEWAY})
    for probe, room in (("cold-1", "COLD"), ("chill-1", "CHILL")):
        code = f"{site}/{room}"
        post(
            api,
            "/api/locations",
            {"code": code, "name": room, "type": "storage", "parent": f"{site}/DC"},
        )
        sensor = post(api, "/api/sensors", {"site": site, "gateway": GATEWAY, "code": probe})
        post(api, f"/api/sensors/{sensor['id']}/bindings", {"location": code, "valid_from": since})
    rule = {"name": "silent", "applies_to": {"location": f"{site}/COLD"}}
    post(api, "/api/alert-rules", rule | {"offline": {"after": OFFLINE_AFTER_S}})


def gateway_config(
    player: SensorPlayer, site: str, broker: BrokerAddress, tmp: Path
) -> GatewayConfig:
    """A gateway with only the two probes and an audited outbox."""
    fast = {"interval_s": 1.0, "reconnect_min_s": 0.1, "reconnect_max_s": 0.5}
    return GatewayConfig(
        site=site,
        gateway=GATEWAY,
        mqtt=MqttConfig(url=broker.url, reconnect_min_s=0.2, reconnect_max_s=1.0),
        outbox=OutboxConfig(path=tmp / "outbox.sqlite", audit=True),
        sensors=tuple(SensorConfig(name=n, port=str(p), **fast) for n, p in player.paths.items()),
        health_interval_s=1.0,
    )


def offline_alerts(api: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(
        "/api/alerts", params={"kind": "condition.offline"}
    ).json()["items"]
    return items


def history_count(api: httpx.Client, site: str, room: str) -> int:
    found = api.get("/api/conditions/history", params={"location": f"{site}/{room}", "limit": 1})
    assert found.status_code == 200, found.json()
    total: int = found.json()["total"]
    return total


def test_unplugged_probe_raises_one_offline_alert_and_loses_nothing(
    cloud: httpx.Client, mqtt_broker: BrokerAddress, unique_site: str, tmp_path: Path
) -> None:
    cold_room(cloud, unique_site)
    run = probes()
    with SensorPlayer(run, tmp_path / "dev", speed=SPEED) as player:
        config = gateway_config(player, unique_site, mqtt_broker, tmp_path)
        with GatewayThread(config) as gateway:
            assert wait_until(lambda: len(offline_alerts(cloud)) == 1), "no offline alert"
            [raised] = offline_alerts(cloud)
            assert raised["status"] == "open"
            assert wait_until(lambda: offline_alerts(cloud)[0]["status"] == "cleared"), "replug"
            assert wait_until(lambda: player.sim_s() >= run.duration_s)
            assert wait_until(lambda: gateway.outbox.depth == 0)
    with Outbox(config.outbox) as outbox:
        produced = outbox.audit_ids(Kind.CONDITION)
    # Every committed sample reached the cloud's history (each once), the unplugged probe's too.
    rooms = ("COLD", "CHILL")
    assert wait_until(
        lambda: sum(history_count(cloud, unique_site, r) for r in rooms) == len(produced)
    )
    # 30 s of wall time in 1 s intervals; the cold room lost 12 s while unplugged.
    assert history_count(cloud, unique_site, "CHILL") >= 25
    assert 10 <= history_count(cloud, unique_site, "COLD") <= 22
    assert len(offline_alerts(cloud)) == 1  # one episode, one alert
    assert cloud.get("/api/dead-letters").json()["total"] == 0
