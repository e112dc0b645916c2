"""Blocking database work on threads, which a component's stop waits for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ThreadWork:
    """Runs blocking calls on threads and remembers the running ones.

    Cancelling the task that awaits a call does not stop its thread: without `drain`, a
    transaction could outlive the engine's disposal and leave its connection open.
    """

    def __init__(self) -> None:
        self._running: set[asyncio.Future[Any]] = set()

    async def run(self, work: Callable[[], T]) -> T:
        """Run work on a thread; a cancelled caller leaves it running to its end."""
        future: asyncio.Future[T] = asyncio.ensure_future(asyncio.to_thread(work))
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait for every call still running."""
        await asyncio.gather(*self._running, return_exceptions=True)
