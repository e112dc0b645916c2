"""Calls to the cloud's public API that a rehearsal makes, failing loudly when refused."""

from __future__ import annotations

from typing import Any

import httpx


class RefusedError(RuntimeError):
    """The cloud refused a call; the message carries its JSON error."""


def post(api: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST body and return the JSON answer."""
    return _checked(api.post(url, json=body), "POST", url)


def put(api: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """PUT body and return the JSON answer."""
    return _checked(api.put(url, json=body), "PUT", url)


def patch(api: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH body and return the JSON answer."""
    return _checked(api.patch(url, json=body), "PATCH", url)


def items(api: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    """The items of a listing (its first 500)."""
    answer = _checked(api.get(url, params={"limit": 500} | params), "GET", url)
    found: list[dict[str, Any]] = answer["items"]
    return found


def _checked(response: httpx.Response, method: str, url: str) -> dict[str, Any]:
    if response.status_code >= 300:
        detail = response.text[:500]
        raise RefusedError(f"{method} {url} refused ({response.status_code}): {detail}")
    body: dict[str, Any] = response.json()
    return body
