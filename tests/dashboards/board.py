"""Reading the dashboard JSON: panels, targets, variables, and Grafana's macro expansion."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tagtrail.dashboards import default_directory

DIRECTORY = default_directory()
FILES = ("conditions.json", "dock-doors.json", "transit.json")


def load(name: str) -> dict[str, Any]:
    """One dashboard."""
    board: dict[str, Any] = json.loads((DIRECTORY / name).read_text(encoding="utf-8"))
    return board


@dataclass(frozen=True)
class Query:
    """One panel target or variable query."""

    board: str
    panel: str
    ref: str
    text: str


def queries(board: Mapping[str, Any]) -> Iterator[Query]:
    """Every InfluxQL query of a dashboard: variables first, then panel targets."""
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            yield Query(board["uid"], f"${var['name']}", "var", var["query"])
    for panel in board["panels"]:
        for target in panel["targets"]:
            yield Query(board["uid"], panel["title"], target["refId"], target["query"])


def expand(text: str, start_ms: int, end_ms: int, values: Mapping[str, str]) -> str:
    """The query as Grafana sends it: time filter, interval, variables (regex values)."""
    text = text.replace("$timeFilter", f"time >= {start_ms}ms and time <= {end_ms}ms")
    text = text.replace("$__interval", "1m")

    def variable(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"\$(\w+)", variable, text)


def variables(board: Mapping[str, Any]) -> dict[str, str]:
    """Each variable at its default: All is the allValue regex, a textbox its text."""
    found = {}
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            found[var["name"]] = var["allValue"]
        else:
            found[var["name"]] = var["current"]["value"]
    return found


def rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """InfluxQL results as flat rows: tags and columns of every series."""
    flat = []
    for result in results:
        for series in result.get("series", []):
            for values in series["values"]:
                flat.append(
                    series.get("tags", {}) | dict(zip(series["columns"], values, strict=True))
                )
    return flat
