"""Condition samples through the ingest handler on a real database: alerts, excursions,
exposed stock, quarantine, history, MKT, redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cloud.store.models import AlertEvent, Balance, Location
from tests.cloud.api.client import ApiClient
from tests.cloud.conditions.world import COLD, COLD_EPCS, cold_room, feed, handler_of, minutes
from tests.cloud.ingest.world import T0, case

RULE = {
    "name": "cold-room",
    "applies_to": {"location": COLD},
    "high": {"limit": 8, "delay": "30m", "deadband": 0.5},
    "quarantine": True,
}


@pytest.fixture
def probe(client: ApiClient) -> int:
    sensor_id = cold_room(client)
    response = client.post("/api/alert-rules", json=RULE)
    assert response.status_code == 201, response.json()
    return sensor_id


def where_epcs(client: ApiClient) -> dict[str, str]:
    with client.state()["container"].read_transaction() as session:
        rows = session.execute(
            select(Balance.stock_key, Location.code).join(Location).where(Balance.qty > 0)
        )
        return {key: code for key, code in rows}


def test_one_alert_per_excursion_with_exposed_stock_quarantined(
    client: ApiClient, probe: int
) -> None:
    handler = handler_of(client)
    warm = minutes([5.0] * 30 + [12.0] * 60 + [5.0] * 30)  # an hour at 12 °C
    outcome = feed(handler, warm)
    assert outcome.applied == 120
    alerts = client.get("/api/alerts", params={"kind": "condition.high"}).json()["items"]
    assert len(alerts) == 1
    assert alerts[0]["status"] == "cleared"
    assert alerts[0]["cleared_by"] == "rule:cold-room"
    assert "DC/COLD" in alerts[0]["message"]
    [excursion] = client.get("/api/excursions").json()["items"]
    assert excursion["started_at"].startswith((T0 + timedelta(minutes=30)).isoformat()[:16])
    assert excursion["alarmed_at"].startswith((T0 + timedelta(minutes=60)).isoformat()[:16])
    assert excursion["ended_at"].startswith((T0 + timedelta(minutes=90)).isoformat()[:16])
    assert excursion["out_s"] == pytest.approx(3600, abs=60)
    assert excursion["peak"] == pytest.approx(12.1)
    detail = client.get(f"/api/excursions/{excursion['id']}").json()
    assert sorted(e["stock_key"] for e in detail["exposures"]) == sorted(COLD_EPCS)
    assert all(e["quarantined"] for e in detail["exposures"])
    places = where_epcs(client)
    assert {places[epc] for epc in COLD_EPCS} == {"DC/Q"}
    assert places[case(100)] == "DC"  # stock elsewhere is untouched
    # Redelivered samples change nothing.
    assert feed(handler, warm).duplicates == 120
    assert len(client.get("/api/alerts", params={"kind": "condition.high"}).json()["items"]) == 1
    with client.state()["container"].read_transaction() as session:
        actions = list(session.scalars(select(AlertEvent.action).order_by(AlertEvent.id)))
    assert actions == ["opened", "cleared"]


def test_spike_shorter_than_the_delay_is_no_alert(client: ApiClient, probe: int) -> None:
    feed(handler_of(client), minutes([5.0] * 10 + [15.0] * 20 + [5.0] * 10))
    assert client.get("/api/alerts", params={"kind": "condition.high"}).json()["items"] == []


def test_samples_split_over_batches_make_one_excursion(client: ApiClient, probe: int) -> None:
    handler = handler_of(client)
    values = [5.0] * 10 + [12.0] * 50 + [5.0] * 10
    for k in range(0, len(values), 7):
        feed(handler, minutes(values[k : k + 7], start=T0 + timedelta(minutes=k)))
    assert len(client.get("/api/excursions").json()["items"]) == 1


def test_stock_that_arrives_during_an_excursion_is_exposed_too(
    client: ApiClient, probe: int
) -> None:
    handler = handler_of(client)
    feed(handler, minutes([5.0] * 10 + [12.0] * 40))  # alarmed at minute 40, still warm
    move = {
        "item": "A",
        "from_location": "DC",
        "to_location": COLD,
        "epc": case(100),
        "reason": "transfer",
        "reference": "late-in",
        "at": (T0 + timedelta(minutes=45)).isoformat(),
    }
    assert client.post("/api/moves", json=move).status_code == 201
    feed(handler, minutes([12.0] * 10 + [5.0] * 5, start=T0 + timedelta(minutes=50)))
    [excursion] = client.get("/api/excursions").json()["items"]
    detail = client.get(f"/api/excursions/{excursion['id']}").json()
    flagged = {e["stock_key"]: e["quarantined"] for e in detail["exposures"]}
    assert flagged == {**dict.fromkeys(COLD_EPCS, True), case(100): False}


def test_history_and_mkt_of_sensor_and_location(client: ApiClient, probe: int) -> None:
    feed(handler_of(client), minutes([20.0] * 60 + [30.0] * 60))
    by_location = client.get("/api/conditions/history", params={"location": COLD, "limit": 500})
    assert by_location.json()["total"] == 120
    by_sensor = client.get("/api/conditions/history", params={"sensor_id": probe, "limit": 5})
    assert by_sensor.json()["items"][0]["temp_mean"] == 20.0
    mkt = client.get("/api/conditions/mkt", params={"location": COLD, "high": 25}).json()
    assert mkt["mkt_c"] == pytest.approx(26.2598869160034, abs=1e-6)  # 1 h at 20, 1 h at 30
    assert (mkt["min_c"], mkt["max_c"], mkt["samples"], mkt["sensors"]) == (19.9, 30.1, 120, 1)
    assert mkt["hours"] == pytest.approx(2.0)
    assert mkt["above_s"] == pytest.approx(3600)
    window = {"location": COLD, "start": (T0 + timedelta(minutes=60)).isoformat()}
    assert client.get("/api/conditions/mkt", params=window).json()["mkt_c"] == pytest.approx(30.0)
    elsewhere = client.get("/api/conditions/mkt", params={"location": "DC"}).json()
    assert elsewhere["samples"] == 0
    assert elsewhere["mkt_c"] is None
    bad = client.get("/api/conditions/mkt", params={"location": COLD, "sensor_id": probe})
    assert bad.status_code == 422


def test_condition_status_in_stock_and_epc_history(client: ApiClient, probe: int) -> None:
    feed(handler_of(client), minutes([5.0] * 30 + [12.0] * 60 + [5.0] * 30))
    [excursion] = client.get("/api/excursions").json()["items"]
    rows = client.get("/api/stock", params={"by_key": True}).json()["items"]
    status = {r["stock_key"]: (r["location_code"], r["condition"]) for r in rows}
    for epc in COLD_EPCS:
        assert status[epc] == (
            "DC/Q",
            {"status": "exposed", "excursions": [excursion["id"]], "quarantined": True},
        )
    assert status[case(100)][1] == {"status": "ok", "excursions": [], "quarantined": False}
    totals = {
        r["location_code"]: r["condition"]["status"]
        for r in client.get("/api/stock").json()["items"]
    }
    assert totals == {"DC/Q": "exposed", "DC": "ok"}
    history = client.get(f"/api/epcs/{COLD_EPCS[0]}/history").json()
    assert history["condition"]["status"] == "exposed"
    [exposure] = history["exposures"]
    assert (exposure["rule"], exposure["check"], exposure["location_code"]) == (
        "cold-room",
        "high",
        COLD,
    )
    assert exposure["quarantined"]
    assert [m["reason"] for m in history["moves"]][-1] == "quarantine"
    clean = client.get(f"/api/epcs/{case(100)}/history").json()
    assert (clean["condition"]["status"], clean["exposures"]) == ("ok", [])


def test_removing_a_rule_closes_its_open_excursions(client: ApiClient, probe: int) -> None:
    feed(handler_of(client), minutes([12.0] * 40))  # alarmed, still warm
    [alert] = client.get("/api/alerts", params={"kind": "condition.high"}).json()["items"]
    assert alert["status"] == "open"
    assert client.delete("/api/alert-rules/cold-room").status_code == 204
    [excursion] = client.get("/api/excursions").json()["items"]
    assert excursion["status"] == "closed"
    assert excursion["rule_name"] == "cold-room"
    [alert] = client.get("/api/alerts", params={"kind": "condition.high"}).json()["items"]
    assert (alert["status"], alert["cleared_by"]) == ("cleared", "system")
    assert alert["message"].endswith("(rule cold-room deleted)")
