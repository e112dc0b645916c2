"""`tagtrail dashboards provision` through grafana-client against a loopback stand-in that
records requests (not a real Grafana: none can run here): creates, then updates in place."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from tagtrail.cli import main
from tagtrail.dashboards import DATASOURCE_UID, FOLDER_UID, Target, datasource, default_directory
from tests.dashboards.grafana_standin import StandIn

DASHBOARDS = default_directory()
UIDS = {"tagtrail-conditions", "tagtrail-dock-doors", "tagtrail-transit"}


def provision(url: str, *extra: str) -> int:
    """Run the command line."""
    return main(["dashboards", "provision", "--url", url, *extra])


def test_first_run_creates_and_second_run_updates_in_place() -> None:
    args = ["--token", "sa-token", "--datasource-url", "http://influxdb:8086"]
    args += ["--influx-token", "read-token", "--bucket", "tagtrail"]
    with StandIn(token="sa-token") as grafana:
        assert provision(grafana.url, *args) == 0
        first = [(r.method, r.path) for r in grafana.state.requests]
        assert provision(grafana.url, *args) == 0
        second = [(r.method, r.path) for r in grafana.state.requests[len(first) :]]
    state = grafana.state
    assert first[:3] == [
        ("GET", f"/api/datasources/uid/{DATASOURCE_UID}"),
        ("POST", "/api/datasources"),
        ("GET", f"/api/folders/{FOLDER_UID}"),
    ]
    assert ("PUT", f"/api/datasources/uid/{DATASOURCE_UID}") in second
    assert ("POST", "/api/datasources") not in second
    assert ("POST", "/api/folders") not in second
    assert list(state.datasources) == [DATASOURCE_UID]
    assert list(state.folders) == [FOLDER_UID]
    assert set(state.dashboards) == UIDS
    assert set(state.versions.values()) == {2}  # each dashboard saved twice, the same one
    ds = state.datasources[DATASOURCE_UID]
    assert ds["url"] == "http://influxdb:8086"
    assert ds["jsonData"]["dbName"] == "tagtrail"
    assert ds["secureJsonData"] == {"httpHeaderValue1": "Token read-token"}
    for payload in state.dashboards.values():
        assert payload["folderUid"] == FOLDER_UID
        assert payload["overwrite"] is True
        assert payload["dashboard"]["id"] is None
    uploaded = state.dashboards["tagtrail-transit"]["dashboard"]
    assert uploaded == json.loads((DASHBOARDS / "transit.json").read_text()) | {"id": None}
    assert {r.authorization for r in state.requests} == {"Bearer sa-token"}


def test_basic_auth_with_the_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret")
    monkeypatch.setenv("TAGTRAIL_INFLUX_TOKEN", "env-token")
    monkeypatch.setenv("TAGTRAIL_INFLUX_URL", "http://influx.example:8086")
    with StandIn(user=("admin", "s3cret")) as grafana:
        assert provision(grafana.url, "--user", "admin") == 0
    ds = grafana.state.datasources[DATASOURCE_UID]
    assert ds["url"] == "http://influx.example:8086"
    assert ds["secureJsonData"] == {"httpHeaderValue1": "Token env-token"}
    assert set(grafana.state.dashboards) == UIDS


def test_a_refused_credential_fails_the_command(caplog: pytest.LogCaptureFixture) -> None:
    with StandIn(token="right") as grafana, caplog.at_level(logging.ERROR):
        assert provision(grafana.url, "--token", "wrong", "--influx-token", "x") == 1
    assert "Unauthorized" in caplog.text
    assert grafana.state.datasources == {}


def test_an_empty_directory_fails_before_any_dashboard(tmp_path: Path) -> None:
    with StandIn(token="t") as grafana:
        code = provision(grafana.url, "--token", "t", "--influx-token", "x", "--dir", str(tmp_path))
    assert code == 1
    assert grafana.state.dashboards == {}


def test_the_compose_provisioning_file_matches_the_api_datasource() -> None:
    """Grafana's own file provisioning (docker compose) sets up the same datasource."""
    doc = yaml.safe_load((DASHBOARDS / "provisioning/datasources/tagtrail.yaml").read_text())
    [provisioned] = doc["datasources"]
    api = datasource(Target("${TAGTRAIL_INFLUX_URL}", "${TAGTRAIL_INFLUX_TOKEN}", "x", DASHBOARDS))
    for key in ("uid", "name", "type", "access"):
        assert provisioned[key] == api[key]
    assert provisioned["url"] == api["url"]
    assert set(provisioned["jsonData"]) == set(api["jsonData"])
    assert provisioned["jsonData"]["version"] == "InfluxQL"
    assert provisioned["secureJsonData"] == api["secureJsonData"]
    providers = yaml.safe_load((DASHBOARDS / "provisioning/dashboards/tagtrail.yaml").read_text())
    [provider] = providers["providers"]
    assert (provider["type"], provider["folderUid"]) == ("file", FOLDER_UID)
