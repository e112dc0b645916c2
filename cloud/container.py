"""The long-lived parts of a running service, owned by the app lifespan and handed to routes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.events import EventBus
from cloud.ledger.ledger import Ledger
from cloud.metrics import Metrics
from cloud.settings import CloudSettings
from cloud.sinks import Sink

log = logging.getLogger(__name__)


@runtime_checkable
class BackgroundComponent(Protocol):
    """Something that runs beside the HTTP API for the life of the service (e.g. MQTT ingest)."""

    name: str

    async def start(self) -> None:
        """Begin work; return once running (spawn tasks for the long-running part)."""

    async def stop(self) -> None:
        """Finish work and release resources; called once, in reverse start order."""


ComponentFactory = Callable[["ServiceContainer"], BackgroundComponent]


@dataclass
class ServiceContainer:
    """Engine, sessions, ledger, event bus, metrics and background components of one service."""

    settings: CloudSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    reader_factory: sessionmaker[Session]
    ledger: Ledger
    bus: EventBus
    metrics: Metrics
    components: list[BackgroundComponent] = field(default_factory=list)
    sinks: list[Sink] = field(default_factory=list)  # time-series copies (e.g. InfluxDB)
    _started: list[BackgroundComponent] = field(default_factory=list)

    def add_background(self, component: BackgroundComponent) -> None:
        """Register a component to be started with the service and stopped before the engine."""
        if self._started:
            raise RuntimeError(f"cannot add {component.name}: the service is already running")
        self.components.append(component)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed if the block succeeds, else rolled back."""
        with self.session_factory.begin() as session:
            yield session

    @contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """A session in a read-only transaction (never waits for SQLite writers)."""
        with self.reader_factory.begin() as session:
            yield session

    async def start(self) -> None:
        """Start every component in registration order; on failure stop those already started."""
        for component in self.components:
            log.info("starting %s", component.name)
            try:
                await component.start()
            except BaseException:
                await self.stop()
                raise
            self._started.append(component)

    async def stop(self) -> None:
        """Stop started components in reverse order; one failing does not keep others running."""
        while self._started:
            component = self._started.pop()
            log.info("stopping %s", component.name)
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
