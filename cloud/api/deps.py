"""Dependencies routes declare with Annotated: the container, a session per request, paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, cast

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from cloud.container import ServiceContainer
from cloud.errors import invalid
from cloud.events import EventBus
from cloud.ledger.ledger import Ledger
from cloud.settings import CloudSettings
from cloud.store.paging import PageRequest


def get_container(request: Request) -> ServiceContainer:
    """The container the lifespan put into the request state."""
    return cast(ServiceContainer, request.state.container)


ContainerDep = Annotated[ServiceContainer, Depends(get_container)]


READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request, container: ContainerDep) -> Iterator[Session]:
    """A session in a transaction, committed when the route returns, rolled back if it raises.

    GET requests read in a read-only transaction, so they never queue behind SQLite writers.
    """
    reading = request.method in READING_METHODS
    with container.read_transaction() if reading else container.transaction() as session:
        yield session


# scope="function": commit before the response is sent, so a 2xx means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_ledger(container: ContainerDep) -> Ledger:
    """The service's ledger."""
    return container.ledger


def get_bus(container: ContainerDep) -> EventBus:
    """The live event bus."""
    return container.bus


def get_settings(container: ContainerDep) -> CloudSettings:
    """The running service's settings."""
    return container.settings


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
BusDep = Annotated[EventBus, Depends(get_bus)]
SettingsDep = Annotated[CloudSettings, Depends(get_settings)]


def page_params(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> PageRequest:
    """limit/offset from the query string, bounded by page_max_limit."""
    if limit > settings.page_max_limit:
        raise invalid("query.limit", f"must be at most {settings.page_max_limit}")
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(page_params)]
