"""The dashboard JSON holds what Grafana's dashboard model requires, and holds together:
unique panel IDs on a 24-column grid, every target on the tagtrail datasource, every variable
a query uses defined, geomap layers reading columns their queries return."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cloud.sinks.points import SCHEMA
from tagtrail.dashboards import DATASOURCE_UID
from tests.dashboards.board import FILES, load, queries

DATASOURCE = {"type": "influxdb", "uid": DATASOURCE_UID}
PANEL_TYPES = {"timeseries", "table", "stat", "bargauge", "state-timeline", "geomap"}
BUILT_IN = {"timeFilter", "__interval"}  # Grafana's own macros in InfluxQL
ALIAS_PATTERN = re.compile(r"^(\$tag_\w+|\$col|[ /])+$")


@pytest.fixture(params=FILES)
def board(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each dashboard."""
    found: dict[str, Any] = load(request.param)
    return found


def test_top_level_model(board: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    assert board["title"].startswith("tagtrail")
    assert board["id"] is None  # Grafana assigns it; a fixed id would clash across instances
    assert isinstance(board["schemaVersion"], int)
    assert board["schemaVersion"] >= 36  # datasource references by uid
    assert board["time"]["to"] == "now"
    assert "tagtrail" in board["tags"]


def test_panels_tile_the_grid(board: dict[str, Any]) -> None:
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["type"] in PANEL_TYPES
        assert panel["title"]
        assert panel["description"]
        grid = panel["gridPos"]
        assert grid["h"] > 0
        assert 0 < grid["w"] <= 24
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_targets_use_the_datasource_and_defined_variables(board: dict[str, Any]) -> None:
    defined = {v["name"] for v in board["templating"]["list"]} | BUILT_IN
    for panel in board["panels"]:
        assert panel["datasource"] == DATASOURCE
        refs = [t["refId"] for t in panel["targets"]]
        assert refs
        assert len(set(refs)) == len(refs)
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE
            assert target["rawQuery"] is True
            assert target["resultFormat"] in {"time_series", "table"}
            if "alias" in target:
                assert ALIAS_PATTERN.match(target["alias"]), target["alias"]
    for query in queries(board):
        used = set(re.findall(r"\$(\w+)", query.text))
        assert used <= defined, f"{query.panel}: undefined {used - defined}"


def test_queries_name_only_measurements_and_fields_the_sink_writes(board: dict[str, Any]) -> None:
    for query in queries(board):
        [measurement] = re.findall(r'FROM "(\w+)"', query.text)
        tags, fields = SCHEMA[measurement]
        quoted = set(re.findall(r'"(\w+)"', query.text)) - {measurement}
        assert quoted <= set(tags) | set(fields) | _aliases(query.text), query


def _aliases(text: str) -> set[str]:
    return set(re.findall(r'AS "([\w/]+)"', text))


def test_variables_are_complete(board: dict[str, Any]) -> None:
    for var in board["templating"]["list"]:
        assert re.fullmatch(r"[a-z_]+", var["name"])
        assert var["type"] in {"query", "textbox"}
        assert "value" in var["current"]
        if var["type"] == "query":
            assert var["datasource"] == DATASOURCE
            assert var["allValue"] == ".*"  # the regex filters treat All as any value


def test_thresholds_ascend(board: dict[str, Any]) -> None:
    for panel in board["panels"]:
        steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
        if steps:
            assert steps[0]["value"] is None  # the base step
            values = [s["value"] for s in steps[1:]]
            assert values == sorted(values)


def test_geomap_layers_read_columns_their_queries_return() -> None:
    board = load("transit.json")
    [geomap] = [p for p in board["panels"] if p["type"] == "geomap"]
    targets = {t["refId"]: t for t in geomap["targets"]}
    for layer in geomap["options"]["layers"]:
        target = targets[layer["filterData"]["options"]]
        assert target["resultFormat"] == "table"  # geomap reads rows with lat/lon columns
        location = layer["location"]
        assert location["mode"] == "coords"
        for column in (location["latitude"], location["longitude"]):
            assert f'AS "{column}"' in target["query"] or f'"{column}"' in target["query"]
