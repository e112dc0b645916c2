"""Birth and last-will payloads of the retained availability topic."""

from __future__ import annotations

from typing import Literal

from protocol.messages import Availability
from protocol.version import SCHEMA_VERSION


def availability_payload(
    state: Literal["online", "offline"], time_ms: int, version: str = ""
) -> bytes:
    """JSON of an Availability message as published on the status topic."""
    message = Availability(
        schema_version=SCHEMA_VERSION, state=state, time_ms=time_ms, version=version
    )
    return message.model_dump_json(by_alias=True).encode()
