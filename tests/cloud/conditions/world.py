"""A cold room and a probe for condition tests, on the small dock of the ingest tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from cloud.container import ServiceContainer
from cloud.ingest import rules_from
from cloud.ingest.handler import Incoming, IngestHandler, Outcome
from protocol.codec import encode
from protocol.ids import make_event_id
from protocol.messages import ConditionSample
from protocol.topics import Kind, gateway_topic
from tests.cloud.api.client import ApiClient
from tests.cloud.ingest.world import GATEWAY, SITE, T0, build, case, ms

COLD = "DC/COLD"
PROBE = "probe1"
COLD_EPCS = [case(n) for n in range(200, 203)]


def cold_room(client: ApiClient) -> int:
    """The dock, a cold room with three cases of item A and a probe bound to it (its id)."""
    build(client)
    ok = {200, 201}
    room = {"code": COLD, "name": "Cold room", "type": "storage", "parent": "DC"}
    assert client.post("/api/locations", json=room).status_code in ok
    for n, epc in enumerate(COLD_EPCS):
        move = {
            "item": "A",
            "from_location": "ADJ",
            "to_location": COLD,
            "epc": epc,
            "reason": "found",
            "reference": f"cold-{n}",
            "at": (T0 - timedelta(hours=3)).isoformat(),
        }
        response = client.post("/api/moves", json=move)
        assert response.status_code == 201, response.json()
    sensor = client.post("/api/sensors", json={"site": SITE, "gateway": GATEWAY, "code": PROBE})
    assert sensor.status_code == 201, sensor.json()
    sensor_id: int = sensor.json()["id"]
    binding = {"location": COLD, "valid_from": (T0 - timedelta(hours=2)).isoformat()}
    response = client.post(f"/api/sensors/{sensor_id}/bindings", json=binding)
    assert response.status_code == 201, response.json()
    return sensor_id


def handler_of(client: ApiClient) -> IngestHandler:
    """An ingest handler on the client's service."""
    container: ServiceContainer = client.state()["container"]
    return IngestHandler(container, dataclasses.replace(rules_from(container.settings)))


def minutes(values: list[float], start: datetime = T0, sensor: str = PROBE) -> bytes:
    """A condition batch: one 1-minute sample per value, from start."""
    samples = []
    for i, value in enumerate(values):
        begin = ms(start + timedelta(minutes=i))
        end = begin + 60_000
        samples.append(
            ConditionSample(
                id=make_event_id(GATEWAY, Kind.CONDITION, sensor, end),
                sensor=sensor,
                start_ms=begin,
                time_ms=end,
                count=6,
                temp_min=value - 0.1,
                temp_max=value + 0.1,
                temp_mean=value,
            )
        )
    return encode(Kind.CONDITION, samples, samples[-1].time_ms)


def feed(handler: IngestHandler, *payloads: bytes) -> Outcome:
    """Apply condition batches as the broker would deliver them."""
    topic = gateway_topic(SITE, GATEWAY, Kind.CONDITION)
    return handler.handle([Incoming(topic, p) for p in payloads])
