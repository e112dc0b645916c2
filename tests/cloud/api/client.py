"""A synchronous client for the app in-process: httpx over ASGI, with the lifespan running.

Starlette's TestClient would need the httpx2 package; this needs only httpx and anyio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send


class ApiClient:
    """Blocking calls into the app running on a portal's event loop."""

    def __init__(
        self, portal: BlockingPortal, client: httpx.AsyncClient, state: Mapping[str, Any]
    ) -> None:
        self.portal = portal
        self.client = client
        self._state = state

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and wait for the whole response."""
        response: httpx.Response = self.portal.call(
            lambda: self.client.request(method, url, **kwargs)
        )
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET url."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST url."""
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        """PATCH url."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """DELETE url."""
        return self.request("DELETE", url, **kwargs)

    def state(self) -> Mapping[str, Any]:
        """What the lifespan handed to requests (the service container)."""
        return self._state


def _with_state(app: FastAPI, state: Mapping[str, Any]) -> Any:
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    return asgi


@asynccontextmanager
async def _serve(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, Mapping[str, Any]]]:
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=_with_state(app, state or {}))
        async with httpx.AsyncClient(transport=transport, base_url="http://tagtrail.test") as c:
            yield c, state or {}


@contextmanager
def running(app: FastAPI) -> Iterator[ApiClient]:
    """Start the app's lifespan on a private event loop; stop it when the block ends."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_serve(app)) as (
            client,
            state,
        ),
    ):
        yield ApiClient(portal, client, state)
