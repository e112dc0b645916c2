"""Health, readiness, metrics, OpenAPI, dead letters and the live stream through the HTTP API."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import threading
from concurrent.futures import Future
from typing import Any

import httpx

from cloud.app import create_app
from cloud.container import ServiceContainer
from cloud.store.models import DeadLetter, Item
from tests.cloud.api.client import ApiClient, running
from tests.cloud.conftest import Database

WAIT_S = 20.0


def container_of(client: ApiClient) -> ServiceContainer:
    """The service container of the running app."""
    found: ServiceContainer = client.state()["container"]
    return found


def wait_for(condition: Any, what: str) -> None:
    """Block until condition() is true (bounded), without asserting on timing."""
    event = threading.Event()
    for _ in range(int(WAIT_S / 0.02)):
        if condition():
            return
        event.wait(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def sse_events(text: str) -> list[dict[str, str]]:
    """Parse an SSE body into its events (comments dropped)."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
        )
        if fields:
            events.append(fields)
    return events


def test_health_and_readiness(client: ApiClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "components": {},
        "event_bus": {"subscribers": 0, "published": 0},
    }


def test_each_app_has_its_own_metrics(client: ApiClient, database: Database) -> None:
    client.get("/api/items")
    client.get("/api/items/4242")
    other = create_app(database.settings(migrate_on_startup=False), components=[])
    with running(other) as second:
        second_metrics = second.get("/metrics").text
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert (
        'tagtrail_http_requests_total{method="GET",route="/api/items/{item_id}",status="404"} 1.0'
        in metrics.text
    )
    assert "/api/items/{item_id}" not in second_metrics


def test_openapi_documents_tags_errors_and_csv_upload(client: ApiClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"items", "stock", "import", "events"} <= {tag["name"] for tag in spec["tags"]}
    upload = spec["paths"]["/api/import/{kind}"]["post"]
    assert "text/csv" in upload["requestBody"]["content"]
    assert upload["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorOut"
    )


def test_dead_letters_newest_first_with_payload(client: ApiClient) -> None:
    with container_of(client).transaction() as session:
        for n in range(3):
            session.add(
                DeadLetter(
                    topic=f"tagtrail/v1/s1/gw{n}/portal",
                    reason=f"row {n}: bad epc",
                    payload=b'{"rows":[["\xff"]]}',
                    payload_size=18,
                    row_index=n,
                )
            )
    listed = client.get("/api/dead-letters", params={"topic": "tagtrail/v1/s1/gw1"}).json()
    assert [(d["reason"], d["row_index"]) for d in listed["items"]] == [("row 1: bad epc", 1)]
    newest = client.get("/api/dead-letters").json()["items"][0]
    assert newest["preview"] == '{"rows":[["\ufffd"]]}'
    detail = client.get(f"/api/dead-letters/{newest['id']}").json()
    assert base64.b64decode(detail["payload_base64"]) == b'{"rows":[["\xff"]]}'
    assert client.get("/api/dead-letters/999").status_code == 404


def test_live_stream_delivers_bus_events_and_posted_moves(client: ApiClient) -> None:
    bus = container_of(client).bus
    request = functools.partial(
        client.client.get, "/api/events/stream", params={"topic": "ledger.", "max_events": 2}
    )
    stream: Future[httpx.Response] = client.portal.start_task_soon(request)
    wait_for(lambda: bus.subscribers == 1, "the stream to subscribe")
    client.portal.call(bus.publish, "receiving.ignored", {"n": 0})
    client.portal.call(bus.publish, "ledger.test", {"n": 1})
    client.post("/api/items", json={"sku": "A"})
    client.post("/api/locations", json={"code": "S", "name": "s", "type": "supplier"})
    client.post("/api/locations", json={"code": "D", "name": "d", "type": "receiving_dock"})
    moved = {"item": "A", "from_location": "S", "to_location": "D", "reference": "r1"}
    assert client.post("/api/moves", json=moved).status_code == 201
    response = stream.result(WAIT_S)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert [e["event"] for e in events] == ["ledger.test", "ledger.moves"]
    assert json.loads(events[0]["data"]) == {"n": 1}
    assert json.loads(events[1]["data"])["source_id"] == "r1"
    assert bus.subscribers == 0


def test_reads_do_not_wait_for_an_open_writer(client: ApiClient, database: Database) -> None:
    client.post("/api/items", json={"sku": "COMMITTED"})
    with database.sessions.begin() as writer:
        writer.add(Item(sku="PENDING"))
        writer.flush()  # the writer now holds SQLite's write lock / PostgreSQL's row lock
        listed = client.get("/api/items")
        assert listed.status_code == 200
        assert [i["sku"] for i in listed.json()["items"]] == ["COMMITTED"]
    assert client.get("/api/items").json()["total"] == 2


def test_unexpected_failures_are_json_500s(database: Database) -> None:
    app = create_app(database.settings(migrate_on_startup=False), components=[])

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.get("/boom")

    response = asyncio.run(call())
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
