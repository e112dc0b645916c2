"""Every dashboard query run on a real InfluxQL engine (Debian's InfluxDB 1.x) over points the
sink writes, with Grafana's macros expanded: each panel shows data, and the right values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloud.sinks.points import to_lines
from protocol.topics import Kind
from tests.cloud.sinks.events import condition, crossing, fix, recent_ms, report, topic
from tests.cloud.sinks.servers import InfluxQLServer, wait_for
from tests.dashboards.board import FILES, expand, load, queries, rows, variables

DB = "tagtrail"
T0 = recent_ms(60)  # a minute grid: one sample per 1m bucket
TEMPS = [4.0, 5.0, 9.5, 3.0, 0.5, 6.0]  # means; samples span one degree either side
RH = [60.0, 80.0, 70.0, 90.0, 50.0, 55.0]
SPEEDS = [10.0, 20.0, 15.0, 0.0]


def scenario() -> list[str]:
    """Conditions at two sites, a dock's doors and health, one truck's fixes."""
    lines = []
    for n, (temp, rh) in enumerate(zip(TEMPS, RH, strict=True)):
        sample = condition("cold-1", T0 + n * 60_000, temp, rh)
        lines += to_lines(topic(Kind.CONDITION), [sample])
    lines += to_lines(topic(Kind.CONDITION, site="dc2"), [condition("dry-1", T0, 20.0, 30.0)])
    doors = [("d1", "in", 5), ("d1", "out", 2), ("d2", "in", 3)]
    for door, direction, count in doors:
        serials = [hash((door, direction, k)) % 10**6 for k in range(count)]
        events = [crossing(s, door, direction, T0 + k * 1000) for k, s in enumerate(serials)]
        lines += to_lines(topic(Kind.PORTAL), events)
    lines += to_lines(topic(Kind.HEALTH), [report(T0, 0, {"r1": 100.0, "r2": 40.0})])
    lines += to_lines(topic(Kind.HEALTH), [report(T0 + 60_000, 12, {"r1": 120.0, "r2": 0.0})])
    for n, speed in enumerate(SPEEDS):
        at = T0 + n * 60_000
        lines += to_lines(topic(Kind.POSITION), [fix("truck-7", at, 52.5, 13.0 + n / 100, speed)])
    return lines


@pytest.fixture(scope="module")
def influx() -> Iterator[InfluxQLServer]:
    """InfluxDB 1.x with the scenario written through the v1 API (the sink's line protocol)."""
    server = InfluxQLServer()
    server.start()
    try:
        wait_for(lambda: _ping(server), "InfluxDB to answer")
        server.query(f'CREATE DATABASE "{DB}"')
        server.write_lines(DB, scenario())
        yield server
    finally:
        server.remove()


def _ping(server: InfluxQLServer) -> bool | None:
    try:
        server.query("SHOW DATABASES")
    except Exception:  # still starting
        return None
    return True


def run(
    influx: InfluxQLServer, file: str, panel: str, ref: str = "A", **values: str
) -> list[dict[str, Any]]:
    """Rows of one panel target, the variables at their defaults unless given."""
    board = load(file)
    [query] = [q for q in queries(board) if q.panel == panel and q.ref == ref]
    text = expand(query.text, T0 - 3_600_000, T0 + 3_600_000, variables(board) | values)
    return rows(influx.query(text, DB))


@pytest.mark.parametrize("name", FILES)
def test_every_query_runs_and_finds_data(influx: InfluxQLServer, name: str) -> None:
    board = load(name)
    for query in queries(board):
        text = expand(query.text, T0 - 3_600_000, T0 + 3_600_000, variables(board))
        assert rows(influx.query(text, DB)), f"{query.board} / {query.panel} / {query.ref}: no data"


def test_conditions_values(influx: InfluxQLServer) -> None:
    temp = run(influx, "conditions.json", "Temperature per sensor", site="dc1")
    assert [r["mean"] for r in temp] == TEMPS
    assert [r["max"] for r in temp] == [t + 1 for t in TEMPS]
    assert {r["sensor"] for r in temp} == {"cold-1"}  # the site filter holds dry-1 out
    rh = run(influx, "conditions.json", "Relative humidity per sensor", site="dc1")
    assert [r["mean"] for r in rh] == RH
    [above] = run(influx, "conditions.json", "Excursions", "A", site="dc1")
    [below] = run(influx, "conditions.json", "Excursions", "B", site="dc1")
    [humid] = run(influx, "conditions.json", "Excursions", "C", site="dc1")
    [span] = run(influx, "conditions.json", "Excursions", "D", site="dc1")
    assert above["above_high"] == sum(t + 1 > 8 for t in TEMPS) == 1  # the 9.5 interval
    assert below["below_low"] == sum(t - 1 < 2 for t in TEMPS) == 1  # the 0.5 interval
    assert humid["rh_above_high"] == sum(h > 75 for h in RH) == 2
    assert (span["highest"], span["lowest"]) == (max(TEMPS) + 1, min(TEMPS) - 1)
    [latest] = run(influx, "conditions.json", "Latest temperature", site="dc1")
    assert latest["last"] == TEMPS[-1]
    bad = run(influx, "conditions.json", "Rejected readings", site="dc1")
    assert sum(r["sum"] for r in bad) == len(TEMPS)


def test_dock_door_values(influx: InfluxQLServer) -> None:
    totals = run(influx, "dock-doors.json", "Crossings in the time range")
    assert {(r["door"], r["direction"]): r["sum"] for r in totals} == {
        ("d1", "in"): 5, ("d1", "out"): 2, ("d2", "in"): 3,
    }  # fmt: skip
    per_window = run(influx, "dock-doors.json", "Portal events per door", door="d1")
    assert sum(r["sum"] for r in per_window) == 7
    rates = run(influx, "dock-doors.json", "Reads per second per reader")
    assert sorted((r["reader"], r["mean"]) for r in rates) == [
        ("r1", 100.0), ("r1", 120.0), ("r2", 0.0), ("r2", 40.0),
    ]  # fmt: skip
    depth = run(influx, "dock-doors.json", "Outbox depth")
    assert [r["max"] for r in depth] == [0, 12]
    connected = run(influx, "dock-doors.json", "Reader connections")
    assert {r["last"] for r in connected if r["last"] is not None} == {1}
    dropped = run(influx, "dock-doors.json", "Dropped at the gateway")
    assert {(r["outbox"], r["reads"]) for r in dropped} == {(0, 0)}


def test_transit_values(influx: InfluxQLServer) -> None:
    track = run(influx, "transit.json", "Vehicles", "A")
    assert [(r["lat"], r["lon"]) for r in track] == [(52.5, 13.0 + n / 100) for n in range(4)]
    assert [r["speed_kmh"] for r in track] == pytest.approx([s * 3.6 for s in SPEEDS])
    assert {r["device"] for r in track} == {"truck-7"}
    [last] = run(influx, "transit.json", "Vehicles", "B")
    assert (last["lat"], last["lon"]) == (52.5, 13.03)
    [table] = run(influx, "transit.json", "Last fix")
    assert (table["km/h"], table["heading"]) == (0.0, 90.0)
    speed = run(influx, "transit.json", "Speed")
    assert [r["mean"] for r in speed] == pytest.approx([s * 3.6 for s in SPEEDS])


def test_variables_list_the_tags_written(influx: InfluxQLServer) -> None:
    board = load("conditions.json")
    [sites, sensors] = [q for q in queries(board) if q.ref == "var"]
    found = rows(influx.query(expand(sites.text, 0, 0, {}), DB))
    assert {r["value"] for r in found} == {"dc1", "dc2"}
    in_dc1 = expand(sensors.text, 0, 0, {"site": "dc1"})
    assert {r["value"] for r in rows(influx.query(in_dc1, DB))} == {"cold-1"}
