"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cloud.api.deps import ContainerDep
from cloud.metrics import CONTENT_TYPE
from cloud.store import migrate

log = logging.getLogger(__name__)
router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(container: ContainerDep) -> JSONResponse:
    """Database reachable and at the expected schema; background components' own health."""
    database = _database_state(container)
    components = {c.name: _component_health(c) for c in container.components}
    body: dict[str, Any] = {
        "status": "ok" if database == "ok" else "unavailable",
        "database": database,
        "components": components,
        "event_bus": {
            "subscribers": container.bus.subscribers,
            "published": container.bus.published,
        },
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


def _database_state(container: ContainerDep) -> str:
    try:
        with container.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(container.engine)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return "unreachable"
    head = migrate.head_revision()
    return "ok" if current == head else f"schema at {current}, code expects {head}"


def _component_health(component: object) -> Any:
    health = getattr(component, "health", None)
    return health() if callable(health) else "running"


@router.get("/metrics", response_class=Response)
def metrics(container: ContainerDep) -> Response:
    """Prometheus text exposition of this service's registry."""
    return Response(container.metrics.render(), media_type=CONTENT_TYPE)
