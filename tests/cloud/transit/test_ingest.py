"""Transit on a real database (SQLite and PostgreSQL): a seeded truck from the GPS emulator,
through the vehicle gateway's pipeline and the ingest, against what physically happened."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.container import ServiceContainer
from cloud.ingest.handler import IngestHandler, Outcome
from cloud.services.transit_watch import check_clock
from cloud.store.models import Balance, Location, VehiclePosition
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import case, health, portal
from tests.cloud.transit import world
from tests.cloud.transit.world import (
    DEPART,
    DESTINATION,
    DWELL_S,
    EPCS,
    Drive,
    bind,
    feed,
    shipment_id,
)

TOLERANCE_S = 15.0  # event time against the true crossing (fixes are seconds to minutes apart)


def events(client: ApiClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(
        f"/api/transit/shipments/{shipment_id(client)}/events"
    ).json()
    return found


def at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["at"]).timestamp()


def alerts(client: ApiClient, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/alerts", params={"kind": kind}).json()["items"]
    return found


def assert_true_milestones(client: ApiClient, d: Drive) -> None:
    """Departure from dc1's geofence and arrival in dc2's, at the true crossing times."""
    exits = world.crossings(d.truth, world.origin_area(d))
    enters = world.crossings(d.truth, world.destination_area(d))
    found = {e["kind"]: e for e in events(client)}
    assert found["departure"]["at"] == found["exit"]["at"]
    assert found["exit"]["geofence"] == "dc1-yard"
    assert abs(at(found["departure"]) - exits[-1][1]) <= TOLERANCE_S
    assert found["enter"]["geofence"] == "dc2-yard"
    assert abs(at(found["arrival"]) - enters[0][1]) <= TOLERANCE_S
    confirmed = datetime.fromisoformat(found["enter"]["confirmed_at"]).timestamp()
    assert confirmed - at(found["enter"]) == pytest.approx(DWELL_S)


def test_trip_departs_arrives_and_is_received(client: ApiClient, handler: IngestHandler) -> None:
    d = world.drive()
    bind(client, d, due=DEPART + timedelta(hours=4))
    notices: list[str] = []
    for message in world.messages(d.fixes):
        notices += [topic for topic, _ in feed(handler, message).notices]
    assert {"position", "transit"} <= set(notices)
    assert_true_milestones(client, d)
    shipment = client.get(f"/api/shipments/{shipment_id(client)}").json()
    assert shipment["status"] == "delivered"
    transit = client.get(f"/api/transit/shipments/{shipment_id(client)}").json()
    assert transit["status"] == "arrived"
    assert transit["qty"] == 4  # still in the transit location until the receipt
    assert alerts(client, "transit_late") == []
    receive_at_destination(client, handler, at(events(client)[-1]))


def receive_at_destination(client: ApiClient, handler: IngestHandler, arrived: float) -> None:
    """The load crosses dc2's receiving door: transit closes into dc2's storage."""
    door_at = datetime.fromtimestamp(arrived, tz=UTC) + timedelta(minutes=5)
    feed(handler, portal(EPCS, "d1", "in", door_at, site=DESTINATION))
    feed(handler, health(door_at + timedelta(seconds=30), site=DESTINATION))
    assert [t for t, _ in handler.close_due().notices] == ["receipt.posted"]
    transit = client.get(f"/api/transit/shipments/{shipment_id(client)}").json()
    assert (transit["status"], transit["qty"]) == ("received", 0)
    with handler.container.read_transaction() as session:
        where = session.execute(
            select(Balance.stock_key, Location.code).join(Location).where(Balance.qty > 0)
        ).all()
    assert {(case(n), "DC2") for n in range(100, 104)} <= set(where)
    assert not any(code.startswith("transit:") for _, code in where)
    assert alerts(client, "receipt_discrepancy") == []  # nothing unexpected: a transfer


def test_late_truck_raises_exactly_one_late_alert(
    client: ApiClient, handler: IngestHandler
) -> None:
    d = world.drive()
    due = DEPART + timedelta(hours=1)  # the drive takes about 2 h 45 min
    bind(client, d, due=due)
    container: ServiceContainer = client.state()["container"]
    for n, message in enumerate(world.messages(d.fixes)):
        feed(handler, message)
        if n % 5 == 0:  # the wall clock keeps looking, too
            last = d.fixes[min(20 * n + 19, len(d.fixes) - 1)].time_ms / 1000
            with container.transaction() as session:
                check_clock(session, datetime.fromtimestamp(last + 10, UTC))
    late = alerts(client, "transit_late")
    assert len(late) == 1
    assert "SH-1" in late[0]["message"]
    assert late[0]["subject"] == "SH-1"
    assert_true_milestones(client, d)


def test_two_hour_outage_delivered_late_yields_true_events(
    client: ApiClient, handler: IngestHandler
) -> None:
    """The uplink is down from 20 minutes after departure for two hours; the gateway's outbox
    then delivers the backlog in order. The watch saw the vehicle go silent."""
    d = world.drive()
    bind(client, d, due=DEPART + timedelta(hours=4))
    cut = DEPART + timedelta(minutes=20)
    before = [f for f in d.fixes if f.time_ms / 1000 < cut.timestamp()]
    after = list(d.fixes[len(before) :])
    for message in world.messages(before):
        feed(handler, message)
    container: ServiceContainer = client.state()["container"]
    for minutes in (10, 40, 120):  # the wall clock during the outage
        with container.transaction() as session:
            check_clock(session, cut + timedelta(minutes=minutes))
    assert len(alerts(client, "transit_offline")) == 1
    assert alerts(client, "transit_late") == []
    backlog = world.messages(after, per_message=200)  # the outbox drains in big batches
    for message in backlog:
        feed(handler, message)
    assert_true_milestones(client, d)
    assert alerts(client, "transit_late") == []
    with container.read_transaction() as session:
        stored = session.scalar(select(func.count()).select_from(VehiclePosition))
    assert stored == len(d.fixes)


def test_fixes_out_of_order_and_twice_give_the_events_of_event_time(
    client: ApiClient, handler: IngestHandler
) -> None:
    """Two workers on a shared subscription: batches arrive shuffled, some twice."""
    d = world.drive()
    bind(client, d, due=DEPART + timedelta(hours=4))
    batches = world.messages(d.fixes, per_message=60)
    shuffled = batches + batches[:3]
    random.Random(7).shuffle(shuffled)
    outcome = Outcome()
    for message in shuffled:
        done = feed(handler, message)
        outcome.applied += done.applied
        outcome.duplicates += done.duplicates
    assert (outcome.applied, outcome.duplicates) == (len(d.fixes), 60 * 3)
    assert_true_milestones(client, d)
    kinds = [e["kind"] for e in events(client)]
    assert kinds.count("departure") == kinds.count("arrival") == 1


def test_binding_after_the_fact_evaluates_the_stored_track(
    client: ApiClient, handler: IngestHandler
) -> None:
    """The vehicle reported all along; the shipment is bound to it only after it arrived."""
    d = world.drive()
    for message in world.messages(d.fixes):
        feed(handler, message)
    body = bind(client, d, due=DEPART + timedelta(hours=4))
    assert body["status"] == "arrived"
    assert_true_milestones(client, d)


def test_fix_of_an_unknown_vehicle_is_dead_lettered_and_applies_once_registered(
    client: ApiClient, handler: IngestHandler
) -> None:
    d = world.drive()
    vehicle = client.get("/api/transit/vehicles").json()["items"][0]
    assert client.delete(f"/api/transit/vehicles/{vehicle['id']}").status_code == 204
    early = world.messages(d.fixes[:5])
    assert feed(handler, *early).dead_letters == 1
    letters = client.get("/api/dead-letters").json()["items"]
    assert "no vehicle registered for GPS truck7/gps" in letters[0]["reason"]
    body = {"code": "TRK-7", "site": world.FLEET, "gateway": world.VEHICLE_GW}  # any receiver
    assert client.post("/api/transit/vehicles", json=body).status_code == 201
    outcome = feed(handler, *early)  # the dead letter's replay
    assert (outcome.applied, outcome.duplicates, outcome.dead_letters) == (5, 0, 0)
    again = client.get("/api/transit/vehicles").json()["items"][0]
    assert again["last_position"]["lat"] == d.fixes[4].lat
