"""docker-compose.yml wires InfluxDB, Grafana and the cloud together consistently (no Docker
here: what is checked is that names, paths and variables agree with the code and files)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cloud.settings import CloudSettings
from tests.dashboards.board import DIRECTORY

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def services() -> dict[str, Any]:
    """The compose services."""
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return found


def test_cloud_services_get_settings_that_exist_and_switch_the_sink_on() -> None:
    for name in ("rehearsal", "cloud"):
        env = services()[name]["environment"]
        influx = {k: v for k, v in env.items() if k.startswith("TAGTRAIL_INFLUX_")}
        fields = {f"TAGTRAIL_{f.upper()}" for f in CloudSettings.model_fields}
        assert set(influx) <= fields
        assert influx["TAGTRAIL_INFLUX_ENABLED"] == "true"
        assert influx["TAGTRAIL_INFLUX_URL"] == "http://influxdb:8086"


def test_influxdb_is_set_up_with_the_org_bucket_and_token_the_cloud_uses() -> None:
    influx = services()["influxdb"]
    assert influx["image"].startswith("influxdb:2")
    init = influx["environment"]
    cloud = services()["cloud"]["environment"]
    assert init["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    assert init["DOCKER_INFLUXDB_INIT_ORG"] == cloud["TAGTRAIL_INFLUX_ORG"]
    assert init["DOCKER_INFLUXDB_INIT_BUCKET"] == cloud["TAGTRAIL_INFLUX_BUCKET"]
    assert init["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"] == cloud["TAGTRAIL_INFLUX_TOKEN"]


def test_grafana_mounts_the_provisioning_and_has_every_variable_it_expands() -> None:
    grafana = services()["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"] if m.startswith(".")}
    assert mounts["/etc/grafana/provisioning"] == "./dashboards/provisioning"
    provider = yaml.safe_load((DIRECTORY / "provisioning/dashboards/tagtrail.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert mounts[path] == "./dashboards"
    source = (DIRECTORY / "provisioning/datasources/tagtrail.yaml").read_text()
    wanted = set(re.findall(r"\$\{(\w+)\}", source))
    assert wanted <= set(grafana["environment"])
    assert (
        grafana["environment"]["TAGTRAIL_INFLUX_TOKEN"]
        == (services()["influxdb"]["environment"]["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"])
    )
