"""The ingest handler on a real database: receipts, shipments, redelivery, dead letters."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cloud.container import ServiceContainer
from cloud.ingest import rules_from
from cloud.ingest.handler import Incoming, IngestHandler, Outcome
from cloud.store.models import Balance, DeadLetter, Location, Move
from protocol.topics import Kind, gateway_topic, site_alert_topic
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import GATEWAY, SITE, T0, Message, build, case, health, pallet, portal

Snapshot = dict[tuple[str, str], int]


@pytest.fixture
def handler(client: ApiClient) -> IngestHandler:
    build(client)
    container: ServiceContainer = client.state()["container"]
    # Closing at once: one worker, so nothing to wait for after the watermark.
    rules = dataclasses.replace(rules_from(container.settings), settle=timedelta(0))
    return IngestHandler(container, rules)


def feed(handler: IngestHandler, *messages: Message) -> Outcome:
    return handler.handle([Incoming(m.topic, m.payload) for m in messages])


def stock(handler: IngestHandler) -> Snapshot:
    """EPC (or '') and location code of every balance."""
    with handler.container.read_transaction() as session:
        rows = session.execute(
            select(Balance.stock_key, Location.code, Balance.qty)
            .join(Location)
            .where(Balance.qty != 0)
        )
        return {(key, code): qty for key, code, qty in rows}


def moves(handler: IngestHandler) -> int:
    with handler.container.read_transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Move)) or 0)


TRUCK = [
    portal([pallet(1), case(1), case(2), case(3), case(4)], "d1", "in", T0),  # case 5: dead tag
    portal([case(20)], "d1", "in", T0 + timedelta(seconds=8)),  # over: an extra A
    portal([case(7, "054321")], "d1", "in", T0 + timedelta(seconds=12)),  # unexpected: item B
    portal([case(100)], "d1", "in", T0 + timedelta(seconds=16)),  # a clone of stock: duplicate
]  # pallet 2 (cases 6-10) never arrives: short


def receive_truck(handler: IngestHandler) -> None:
    assert feed(handler, *TRUCK).applied == 8
    assert feed(handler, health(T0 + timedelta(seconds=20))).applied == 0
    assert handler.close_due().notices == []  # not quiet for 10 s yet by the watermark
    feed(handler, health(T0 + timedelta(seconds=40)))
    notices = handler.close_due().notices
    assert [topic for topic, _ in notices] == ["receipt.posted"]


def test_truck_received_against_its_asn(client: ApiClient, handler: IngestHandler) -> None:
    receive_truck(handler)
    receipt = client.get("/api/receipts").json()["items"][0]
    assert receipt["summary"] == {
        "matched": 5,
        "short": 5,
        "over": 1,
        "unexpected": 1,
        "duplicate": 1,
    }
    lines = {
        line["epc"]: line
        for line in client.get(f"/api/receipts/{receipt['id']}").json()["lines"]
        if line["epc"]
    }
    assert lines[case(5)]["evidence"] == "pallet"
    held = stock(handler)
    assert all(held[(case(n), "DC")] == 1 for n in range(1, 6))  # put away, dead tag included
    assert held[(case(20), "DC/Q")] == 1  # over beyond the 0 % tolerance: quarantine
    assert held[(case(7, "054321"), "DC/Q")] == 1
    assert held[(case(100), "DC")] == 1  # the original stays; the clone moves nothing
    assert not any(key == case(6) for key, _ in held)
    asn = client.get("/api/asns").json()["items"][0]
    assert asn["status"] == "receiving"  # short lines stay open as backorder
    alerts = client.get("/api/alerts", params={"kind": "receipt_discrepancy"}).json()["items"]
    assert len(alerts) == 1


def test_goods_go_to_the_storage_the_dock_belongs_to(
    client: ApiClient, handler: IngestHandler
) -> None:
    # Another top-level storage of the site that sorts first must not take the put-away.
    for code in ("AAA", "AAA/COLD"):
        room = {"code": code, "name": code, "type": "storage", "site": SITE}
        room |= {"parent": "AAA"} if code != "AAA" else {}
        assert client.post("/api/locations", json=room).status_code == 201
    receive_truck(handler)
    held = stock(handler)
    assert all(held.get((case(n), "DC")) == 1 for n in range(1, 6))
    assert not any(code.startswith("AAA") for _, code in held)


def test_redelivery_twice_in_any_order_changes_nothing(handler: IngestHandler) -> None:
    receive_truck(handler)
    before, n_moves = stock(handler), moves(handler)
    again = [*TRUCK, *TRUCK]
    random.Random(4).shuffle(again)
    outcome = feed(handler, *again)
    assert (outcome.applied, outcome.duplicates) == (0, 16)
    feed(handler, health(T0 + timedelta(seconds=120)))
    assert handler.close_due().notices == []
    assert stock(handler) == before
    assert moves(handler) == n_moves


def test_shipment_verified_through_pallet_and_shipped(
    client: ApiClient, handler: IngestHandler
) -> None:
    assert client.post("/api/tags/unreadable", json={"epcs": [case(103)]}).status_code == 200
    at = T0 + timedelta(minutes=10)
    feed(handler, portal([pallet(9), case(100), case(101), case(102)], "d2", "out", at))
    feed(handler, health(at + timedelta(seconds=30)))
    topics = [topic for topic, _ in handler.close_due().notices]
    assert topics == ["shipment.verified"]
    shipment = client.get("/api/shipments").json()["items"][0]
    verification = client.get(f"/api/shipments/{shipment['id']}/verification").json()
    assert verification["status"] == "shipped"
    assert verification["discrepancies"]["inferred"] == [case(103)]
    held = stock(handler)
    assert all(held[(case(n), "transit:SH-1")] == 1 for n in range(100, 104))


def test_wrong_item_alerts_at_once_and_holds_the_shipment(
    client: ApiClient, handler: IngestHandler
) -> None:
    at = T0 + timedelta(minutes=10)
    feed(handler, portal([case(100), case(101), case(9, "054321")], "d2", "out", at))
    wrong = client.get("/api/alerts", params={"kind": "shipment_wrong_item"}).json()["items"]
    assert [a["subject"] for a in wrong] == [f"SH-1 {case(9, '054321')}"]
    feed(handler, health(at + timedelta(seconds=30)))
    handler.close_due()
    shipment = client.get("/api/shipments").json()["items"][0]
    verification = client.get(f"/api/shipments/{shipment['id']}/verification").json()
    assert verification["status"] == "held"
    assert set(verification["discrepancies"]["missing"]) == {case(102), case(103)}
    confirmed = client.post(f"/api/shipments/{shipment['id']}/confirm").json()
    assert confirmed["status"] == "shipped"
    assert (case(100), "transit:SH-1") in stock(handler)


def _bad_messages() -> list[tuple[Message, str]]:
    topic = gateway_topic(SITE, GATEWAY, Kind.PORTAL)
    good = json.loads(portal([case(50)], "d1", "in", T0).payload)
    impossible = {**good, "rows": [[*good["rows"][0][:4], 5, *good["rows"][0][5:]]]}
    stranger = gateway_topic(SITE, "gw-nobody", Kind.PORTAL)
    return [
        (Message(topic, b"\xff\xfe not json"), "not JSON"),
        (Message(topic, json.dumps({**good, "schema": 99}).encode()), "unsupported schema"),
        (Message(stranger, portal([case(51)], "d1", "in", T0).payload), "unknown gateway"),
        (Message("tagtrail/v1/dc1", b"{}"), "is not tagtrail"),
        (Message(topic, b"{" + b" " * (2 << 20) + b"}"), "exceeds"),
        (Message(topic, json.dumps(impossible).encode()), "row 0: time_ms"),
        (portal([case(52)], "d9", "in", T0), "unknown door gw1/d9"),
    ]  # fmt: skip


def test_bad_messages_are_dead_lettered_and_the_good_ones_applied(handler: IngestHandler) -> None:
    bad = _bad_messages()
    good = [
        portal([case(60 + i)], "d1", "in", T0 + timedelta(seconds=i)) for i in range(len(bad) + 1)
    ]
    stream: list[Message] = []
    for g, (b, _) in zip(good, bad, strict=False):
        stream += [g, b]
    stream.append(good[-1])
    outcome = feed(handler, *stream)
    assert outcome.dead_letters == len(bad)
    assert (
        outcome.applied == len(good) + 1
    )  # the unknown door's event is claimed, then dead-lettered
    with handler.container.read_transaction() as session:
        reasons = list(session.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)))
    for (_, expected), reason in zip(bad, reasons, strict=True):
        assert expected in reason


def test_late_long_pass_bridges_two_sessions_into_one_receipt(
    client: ApiClient, handler: IngestHandler
) -> None:
    # Pallet 2's pass was long, so its events come after pallet 1's and 3's, which are more than
    # the 10 s quiet time apart (0-2 s and 16-17 s): two sessions until pallet 2 (8-11 s) arrives.
    first = portal([pallet(1), case(1), case(2)], "d1", "in", T0)
    last = portal([case(6), case(7)], "d1", "in", T0 + timedelta(seconds=16))
    middle = portal([pallet(2), case(3), case(4), case(5)], "d1", "in", T0 + timedelta(seconds=8))
    feed(handler, first, last)
    feed(handler, middle)
    feed(handler, health(T0 + timedelta(seconds=60)))
    assert [topic for topic, _ in handler.close_due().notices] == ["receipt.posted"]
    (receipt,) = client.get("/api/receipts").json()["items"]
    assert receipt["summary"] == {"matched": 10}
    sessions = client.get("/api/receiving-sessions").json()["items"]
    assert sorted(s["status"] for s in sessions) == ["cancelled", "closed"]


def test_the_clouds_own_alerts_are_skipped_not_dead_lettered(handler: IngestHandler) -> None:
    alert = Message(site_alert_topic(SITE), json.dumps({"kind": "alert.opened"}).encode())
    outcome = feed(handler, alert, portal([case(70)], "d1", "in", T0))
    assert (outcome.own, outcome.dead_letters, outcome.applied) == (1, 0, 1)
    with handler.container.read_transaction() as session:
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == 0
