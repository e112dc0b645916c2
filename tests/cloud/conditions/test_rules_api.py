"""Alert rules over the API and from a rules file at startup."""

from __future__ import annotations

from pathlib import Path

from cloud.app import create_app
from cloud.services.condition_check import condition_watch
from tests.cloud.api.client import ApiClient, running
from tests.cloud.conftest import Database

RULE = {"name": "cold", "high": {"limit": 8, "delay": "30m"}, "applies_to": {"location": "X"}}
FILE = """
rules:
  - name: vaccines
    applies_to: {item_class: vaccine}
    high: {limit: 8, delay: 15m, deadband: 0.5}
    low: {limit: 2, delay: 15m}
  - name: reefer-heat
    applies_to: {location_type: transit}
    budget: {above: 30, total: 10h}
"""


def test_crud(client: ApiClient) -> None:
    created = client.post("/api/alert-rules", json=RULE)
    assert created.status_code == 201, created.json()
    assert created.json()["spec"]["high"] == {"limit": 8.0, "delay": 1800.0}
    assert client.post("/api/alert-rules", json=RULE).status_code == 409
    changed = client.request("PUT", "/api/alert-rules/cold", json=RULE | {"severity": "critical"})
    assert changed.json()["spec"]["severity"] == "critical"
    renamed = client.request("PUT", "/api/alert-rules/cold", json=RULE | {"name": "chilly"})
    assert renamed.json()["name"] == "chilly"
    assert client.get("/api/alert-rules/cold").status_code == 404
    assert [r["name"] for r in client.get("/api/alert-rules").json()["items"]] == ["chilly"]
    assert client.delete("/api/alert-rules/chilly").status_code == 204
    assert client.get("/api/alert-rules").json()["total"] == 0


def test_invalid_rules_are_refused_with_the_place(client: ApiClient) -> None:
    response = client.post("/api/alert-rules", json={"name": "x", "high": {"limit": 8, "dely": 1}})
    assert response.status_code == 422
    assert "high.dely" in response.json()["error"]["message"]
    loaded = client.post("/api/alert-rules/load", json={"yaml": "rules: [{name: y}]"})
    assert loaded.status_code == 422
    assert "at least one of high" in loaded.json()["error"]["message"]
    broken = client.post("/api/alert-rules/load", json={"yaml": "rules: [{"})
    assert broken.status_code == 422


def test_loading_a_file_replaces_the_file_rules_only(client: ApiClient) -> None:
    client.post("/api/alert-rules", json=RULE)
    first = client.post("/api/alert-rules/load", json={"yaml": FILE}).json()
    assert first == {"created": 2, "updated": 0, "removed": 0}
    again = client.post("/api/alert-rules/load", json={"yaml": FILE}).json()
    assert again == {"created": 0, "updated": 0, "removed": 0}
    smaller = FILE.split("  - name: reefer-heat", maxsplit=1)[0]
    assert client.post("/api/alert-rules/load", json={"yaml": smaller}).json()["removed"] == 1
    names = {r["name"]: r["origin"] for r in client.get("/api/alert-rules").json()["items"]}
    assert names == {"cold": "api", "vaccines": "file"}


def test_the_rules_file_loads_at_startup(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(FILE, encoding="utf-8")
    settings = database.settings(migrate_on_startup=False, conditions_rules_file=str(path))
    with running(create_app(settings, components=[condition_watch])) as client:
        names = [r["name"] for r in client.get("/api/alert-rules").json()["items"]]
        assert names == ["reefer-heat", "vaccines"]
        path.write_text(FILE.replace("total: 10h", "total: 8h"), encoding="utf-8")
        assert client.post("/api/alert-rules/reload").json()["updated"] == 1
        assert "condition-watch" in client.get("/readyz").text
