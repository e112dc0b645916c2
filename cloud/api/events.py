"""The live event stream (Server-Sent Events) fed by the in-process event bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from cloud.api.deps import BusDep, SettingsDep
from cloud.events import Subscription

router = APIRouter(prefix="/api/events", tags=["events"])


async def frames(
    subscription: Subscription, keepalive_s: float, max_events: int | None = None
) -> AsyncIterator[ServerSentEvent]:
    """SSE frames of a subscription: events, a `dropped` notice after losses, keep-alives."""
    sent = 0
    while max_events is None or sent < max_events:
        with anyio.move_on_after(keepalive_s) as waited:
            message = await subscription.get()
        if waited.cancelled_caught:
            yield ServerSentEvent(comment="keep-alive")
            continue
        if message is None:
            return
        dropped = subscription.take_dropped()
        if dropped:
            yield ServerSentEvent(event="dropped", data={"count": dropped})
        yield ServerSentEvent(event=message.topic, id=str(message.seq), data=dict(message.data))
        sent += 1


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    bus: BusDep,
    settings: SettingsDep,
    topic: Annotated[list[str] | None, Query(description="topic prefixes; none = all")] = None,
    max_events: Annotated[int | None, Query(ge=1, description="end after this many")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Live events as they happen; slow readers get a `dropped` event with the count lost."""
    with bus.subscribe(topic or ()) as subscription:
        async for frame in frames(subscription, settings.sse_keepalive_s, max_events):
            yield frame
