"""Background components: started with the service, stopped in reverse, failures contained."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cloud.app import create_app, running_service
from cloud.container import BackgroundComponent, ServiceContainer
from cloud.metrics import Metrics
from cloud.settings import CloudSettings
from tests.cloud.api.client import running


class Recorder:
    """A component that notes what happens to it."""

    def __init__(self, name: str, log: list[str], fail_start: bool = False) -> None:
        self.name = name
        self.log = log
        self.fail_start = fail_start

    async def start(self) -> None:
        """Note the start (or fail)."""
        if self.fail_start:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        """Note the stop."""
        self.log.append(f"stop {self.name}")

    def health(self) -> dict[str, str]:
        """Reported by /readyz."""
        return {"state": "fine"}


def settings(tmp_path: Path) -> CloudSettings:
    """Development settings on a SQLite file."""
    return CloudSettings(_env_file=None, db_url=f"sqlite:///{tmp_path / 'c.sqlite'}")


def test_components_start_in_order_and_stop_in_reverse(tmp_path: Path) -> None:
    log: list[str] = []
    factories = [lambda c, n=n: Recorder(n, log) for n in ("a", "b")]

    async def scenario() -> None:
        async with running_service(settings(tmp_path), Metrics(), factories) as container:
            assert isinstance(container.components[0], BackgroundComponent)
            log.append("serving")
            with pytest.raises(RuntimeError, match="already running"):
                container.add_background(Recorder("late", log))

    asyncio.run(scenario())
    assert log == ["start a", "start b", "serving", "stop b", "stop a"]


def test_a_component_failing_to_start_stops_the_others(tmp_path: Path) -> None:
    log: list[str] = []
    factories = [
        lambda c: Recorder("a", log),
        lambda c: Recorder("b", log, fail_start=True),
        lambda c: Recorder("c", log),
    ]

    async def scenario() -> None:
        async with running_service(settings(tmp_path), Metrics(), factories):
            log.append("serving")

    with pytest.raises(RuntimeError, match="b cannot start"):
        asyncio.run(scenario())
    assert log == ["start a", "stop a"]


def test_components_see_the_container_and_report_health(tmp_path: Path) -> None:
    seen: list[ServiceContainer] = []

    def factory(container: ServiceContainer) -> Recorder:
        seen.append(container)
        return Recorder("ingest", [])

    with running(create_app(settings(tmp_path), components=[factory])) as api:
        ready = api.get("/readyz").json()
        assert ready["components"] == {"ingest": {"state": "fine"}}
        assert api.state()["container"] is seen[0]
        with seen[0].transaction() as session:
            assert session.get_bind().dialect.name == "sqlite"
