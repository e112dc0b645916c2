"""The live stream over a real HTTP server, and how lost messages are announced."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from cloud.api.events import frames
from cloud.app import create_app
from cloud.container import ServiceContainer
from cloud.events import EventBus
from cloud.settings import CloudSettings
from tests.cloud.api.test_system import wait_for
from tests.support.services import free_port


class Capture:
    """A do-nothing component that hands the test the running container."""

    name = "capture"

    def __init__(self, container: ServiceContainer, into: list[ServiceContainer]) -> None:
        into.append(container)

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, ServiceContainer]]:
    """The app under uvicorn on a free port; yields its URL and container."""
    found: list[ServiceContainer] = []
    settings = CloudSettings(_env_file=None, db_url=f"sqlite:///{tmp_path / 's.sqlite'}")
    app = create_app(settings, components=[lambda c: Capture(c, found)])
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    wait_for(lambda: instance.started, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}", found[0]
    finally:
        instance.should_exit = True
        thread.join(30)


def test_stream_over_http_and_unsubscribe_on_disconnect(
    server: tuple[str, ServiceContainer],
) -> None:
    url, container = server
    bus = container.bus
    received = []
    with (
        httpx.Client(timeout=20) as http,
        http.stream("GET", f"{url}/api/events/stream", params={"topic": "gateway."}) as stream,
    ):
        assert stream.status_code == 200
        wait_for(lambda: bus.subscribers == 1, "the stream to subscribe")
        for n in range(3):
            bus.publish("gateway.health", {"n": n})  # from this (non-loop) thread
        for line in stream.iter_lines():
            if line.startswith("data: "):
                received.append(json.loads(line.removeprefix("data: "))["n"])
            if len(received) == 3:
                break
    assert received == [0, 1, 2]
    wait_for(lambda: bus.subscribers == 0, "the server to notice the disconnect")


def test_lost_messages_are_announced_before_the_next_event() -> None:
    async def scenario() -> list[tuple[str | None, object]]:
        bus = EventBus(buffer=2)
        with bus.subscribe() as slow:
            for n in range(5):
                bus.publish("t", {"n": n})
            return [(f.event, f.data) async for f in frames(slow, keepalive_s=30, max_events=2)]

    assert asyncio.run(scenario()) == [
        ("dropped", {"count": 3}),
        ("t", {"n": 3}),
        ("t", {"n": 4}),
    ]


def test_idle_streams_send_keep_alives() -> None:
    async def scenario() -> list[str | None]:
        bus = EventBus(buffer=2)
        with bus.subscribe() as idle:
            stream = frames(idle, keepalive_s=0.01)
            first = await anext(stream)
            bus.publish("t", {"n": 1})
            comments = [first.comment]
            async for frame in stream:
                if frame.event == "t":
                    break
                comments.append(frame.comment)
            return comments

    assert set(asyncio.run(scenario())) == {"keep-alive"}
